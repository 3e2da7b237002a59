//! The Person object of GET /agents (xAPI Communication §2.4 Agents Resource): everything the LRS knows
//! about one agent, gathered from every Agent object seen with its IFI.
//!
//! A [`Person`] is a pure accumulator: the caller decides which Agents belong
//! to the same person (those sharing an IFI) and adds them in the order they
//! were seen. Values are deduplicated, first occurrence first.

use serde_json::{Map, Value};

/// Every name and IFI seen for one agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    name: Vec<String>,
    mbox: Vec<String>,
    mbox_sha1sum: Vec<String>,
    openid: Vec<String>,
    /// `(homePage, name)` pairs.
    account: Vec<(String, String)>,
}

impl Person {
    /// An empty Person.
    pub fn new() -> Self {
        Person::default()
    }

    /// A Person built from one Agent, e.g. the query agent of an unknown
    /// agent.
    pub fn from_agent(agent: &Value) -> Self {
        let mut person = Person::new();
        person.add(agent);
        person
    }

    /// Adds the `name`, `mbox`, `mbox_sha1sum`, `openid` and `account` of an
    /// Agent (or Group: its own properties, not its members'). Values already
    /// present, and values of the wrong type, are skipped.
    pub fn add(&mut self, agent: &Value) {
        let text = |key: &str| agent.get(key).and_then(Value::as_str);
        for (key, list) in [
            ("name", &mut self.name),
            ("mbox", &mut self.mbox),
            ("mbox_sha1sum", &mut self.mbox_sha1sum),
            ("openid", &mut self.openid),
        ] {
            if let Some(value) = text(key) {
                push_new(list, value.to_owned());
            }
        }
        if let Some(account) = agent.get("account") {
            let field = |key: &str| account.get(key).and_then(Value::as_str);
            if let (Some(home_page), Some(name)) = (field("homePage"), field("name")) {
                push_new(&mut self.account, (home_page.to_owned(), name.to_owned()));
            }
        }
    }

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.mbox.is_empty()
            && self.mbox_sha1sum.is_empty()
            && self.openid.is_empty()
            && self.account.is_empty()
    }

    /// `{"objectType":"Person","name":[…],"mbox":[…],"mbox_sha1sum":[…],
    /// "openid":[…],"account":[{"homePage":…,"name":…}]}` with only the
    /// non-empty arrays.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("objectType".into(), Value::from("Person"));
        for (key, list) in [
            ("name", &self.name),
            ("mbox", &self.mbox),
            ("mbox_sha1sum", &self.mbox_sha1sum),
            ("openid", &self.openid),
        ] {
            if !list.is_empty() {
                out.insert(key.into(), Value::from(list.clone()));
            }
        }
        if !self.account.is_empty() {
            let accounts = self
                .account
                .iter()
                .map(|(home_page, name)| {
                    let mut account = Map::new();
                    account.insert("homePage".into(), Value::from(home_page.as_str()));
                    account.insert("name".into(), Value::from(name.as_str()));
                    Value::Object(account)
                })
                .collect();
            out.insert("account".into(), Value::Array(accounts));
        }
        Value::Object(out)
    }
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Person;

    #[test]
    fn an_empty_person_is_only_its_object_type() {
        assert!(Person::new().is_empty());
        assert_eq!(Person::new().to_json(), json!({"objectType": "Person"}));
    }

    #[test]
    fn an_incomplete_account_is_skipped() {
        let person = Person::from_agent(&json!({"account": {"name": "x"}}));
        assert!(person.is_empty());
    }
}
