//! Choosing one language from a language map by `Accept-Language` (xAPI
//! Communication §2.1.3, Language Filtering Requirements for Canonical Format
//! Statements): the parsed header and the choice rule.
//!
//! The header is read as RFC 2616 §14.4 describes: comma-separated language
//! ranges, each with an optional `q` weight (default 1), `*` for any language,
//! `q=0` for "not acceptable". Malformed ranges are skipped, never rejected:
//! the header only steers a choice.

use serde_json::{Map, Value};

/// The language ranges of an `Accept-Language` header, most preferred first.
// Not `accept-language` 3: it reads a bad weight (`q=x`) as q=0 and refuses that language.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LanguagePreference {
    /// `(range in lowercase, q)`, sorted by descending `q`, header order kept
    /// among equal weights; ranges with `q = 0` are in `rejected` instead.
    ranges: Vec<(String, f32)>,
    rejected: Vec<String>,
}

impl LanguagePreference {
    /// Parses an `Accept-Language` header value such as
    /// `da, en-GB;q=0.8, en;q=0.7, *;q=0.1`. An empty or absent header is the
    /// default preference (no ranges: any entry will do).
    pub fn parse(header: &str) -> Self {
        let mut ranges = Vec::new();
        let mut rejected = Vec::new();
        for item in header.split(',') {
            let mut params = item.split(';');
            let range = params.next().unwrap_or_default().trim();
            if !is_language_range(range) {
                continue;
            }
            let mut q = Some(1.0_f32);
            for param in params {
                let Some((name, value)) = param.split_once('=') else {
                    q = None;
                    continue;
                };
                if name.trim().eq_ignore_ascii_case("q") {
                    q = value
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q));
                }
            }
            match q {
                Some(q) if q > 0.0 => ranges.push((range.to_ascii_lowercase(), q)),
                Some(_) => rejected.push(range.to_ascii_lowercase()),
                None => {}
            }
        }
        ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
        LanguagePreference { ranges, rejected }
    }

    /// The acceptable ranges, most preferred first (lowercase).
    pub fn ranges(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().map(|(range, _)| range.as_str())
    }
}

/// `*`, or 1–8 letters followed by `-`-separated subtags of 1–8 alphanumerics.
fn is_language_range(range: &str) -> bool {
    if range == "*" {
        return true;
    }
    let mut subtags = range.split('-');
    let primary = subtags.next().unwrap_or_default();
    (1..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags.all(|tag| {
            (1..=8).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Picks one entry of a language map for `pref`. For each acceptable range in
/// order of preference: an entry whose tag equals the range (ignoring case),
/// else one whose tag is a prefix of the range or has the range as a prefix
/// (`en` for `en-GB`, `en-US` for `en`), else one with the same primary
/// language (`en-US` for `en-GB`); `*` takes the first entry not refused with
/// `q=0`. When no range matches, any one entry (the first not refused, else the
/// first). `None` only for an empty map.
pub fn pick_language<'a>(
    map: &'a Map<String, Value>,
    pref: &LanguagePreference,
) -> Option<(&'a String, &'a Value)> {
    let refused = |tag: &str| {
        let tag = tag.to_ascii_lowercase();
        pref.rejected.contains(&tag)
    };
    let acceptable = || map.iter().find(|(tag, _)| !refused(tag));
    for range in pref.ranges() {
        if range == "*" {
            if let Some(entry) = acceptable() {
                return Some(entry);
            }
            continue;
        }
        let primary = |tag: &str| tag.split('-').next().unwrap_or_default().to_owned();
        let tiers: [&dyn Fn(&str) -> bool; 3] = [
            &|tag| tag == range,
            &|tag| is_prefix(tag, range) || is_prefix(range, tag),
            &|tag| primary(tag) == primary(range),
        ];
        for matches in tiers {
            let found = map
                .iter()
                .find(|(tag, _)| matches(&tag.to_ascii_lowercase()) && !refused(tag));
            if found.is_some() {
                return found;
            }
        }
    }
    acceptable().or_else(|| map.iter().next())
}

/// True when `prefix` is `tag` cut at a subtag boundary (`en` of `en-GB`).
fn is_prefix(prefix: &str, tag: &str) -> bool {
    tag.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('-'))
}

/// Replaces a language map with a map holding only the entry
/// [`pick_language`] picks; anything else (an empty map, a non-object) is
/// left as it is.
pub(crate) fn reduce_language_map(value: &mut Value, pref: &LanguagePreference) {
    let Some(map) = value.as_object() else {
        return;
    };
    if map.len() <= 1 {
        return;
    }
    if let Some((tag, text)) = pick_language(map, pref) {
        let mut single = Map::new();
        single.insert(tag.clone(), text.clone());
        *value = Value::Object(single);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{pick_language, LanguagePreference};

    fn pick(header: &str, map: Value) -> Option<String> {
        let map = map.as_object().cloned().unwrap_or_default();
        pick_language(&map, &LanguagePreference::parse(header)).map(|(tag, _)| tag.clone())
    }

    #[test]
    fn ranges_are_ordered_by_q_and_malformed_ones_are_skipped() {
        let pref = LanguagePreference::parse("fr;q=0.5, en-GB ,de;q=x, *;q=0.1, ;q=1, es;q=0");
        assert_eq!(pref.ranges().collect::<Vec<_>>(), ["en-gb", "fr", "*"]);
    }

    #[test]
    fn an_exact_tag_wins_over_a_prefix() {
        let map = json!({"en": "a", "en-GB": "b", "fr": "c"});
        assert_eq!(pick("en-GB", map).as_deref(), Some("en-GB"));
    }

    #[test]
    fn prefixes_match_either_way_then_the_primary_language() {
        assert_eq!(
            pick("en-GB", json!({"fr": "x", "en": "y"})).as_deref(),
            Some("en")
        );
        assert_eq!(
            pick("en", json!({"fr": "x", "en-US": "y"})).as_deref(),
            Some("en-US")
        );
        assert_eq!(
            pick("en-GB", json!({"fr": "x", "en-US": "y"})).as_deref(),
            Some("en-US")
        );
    }

    #[test]
    fn a_more_preferred_range_wins_over_an_exact_match_of_a_lesser_one() {
        let map = json!({"fr": "x", "en-US": "y"});
        assert_eq!(pick("en-GB, fr;q=0.5", map).as_deref(), Some("en-US"));
    }

    #[test]
    fn without_a_match_any_entry_not_refused_is_taken() {
        assert_eq!(
            pick("ja", json!({"fr": "x", "de": "y"})).as_deref(),
            Some("fr")
        );
        assert_eq!(
            pick("fr;q=0", json!({"fr": "x", "de": "y"})).as_deref(),
            Some("de")
        );
        assert_eq!(pick("", json!({"fr": "x"})).as_deref(), Some("fr"));
        assert_eq!(pick("*", json!({})), None);
    }
}
