//! Tenants: the districts and schools whose data learnlog keeps apart. The operator
//! creates, renames, disables and enables them with `TenantSet` events on the
//! credentials topic; the credentials fold keeps the latest state of each, so that
//! authentication can refuse the credentials of a disabled tenant.
//!
//! The tenant `default` exists without an event (every credential lived there before
//! tenants could be created); a tenant with credentials but no `TenantSet` is enabled.

use super::events::envelope;
use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, Envelope, TenantSet};

/// The tenant of the operator's credential and of every credential issued before
/// tenants existed.
pub const DEFAULT_TENANT: &str = "default";

/// Longest tenant id accepted.
const MAX_ID_LEN: usize = 63;

/// Longest tenant name accepted.
const MAX_NAME_LEN: usize = 256;

/// A tenant as the operator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub disabled: bool,
}

impl Tenant {
    /// The tenant with no `TenantSet` event: `default`, or one whose credentials were
    /// issued before tenants had events.
    pub fn implicit(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: id.to_owned(),
            disabled: false,
        }
    }

    pub(super) fn from_event(id: &str, set: TenantSet) -> Self {
        Self {
            id: id.to_owned(),
            name: set.name,
            disabled: set.disabled,
        }
    }
}

/// Checks a tenant id: 1 to 63 lowercase ASCII letters, digits and `-`, starting with a
/// letter or a digit (it appears in URLs, metric labels and log keys).
pub fn check_tenant_id(id: &str) -> Result<()> {
    let mut bytes = id.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !first_ok || !rest_ok || id.len() > MAX_ID_LEN {
        return Err(Error::Invalid(format!(
            "id: must be 1 to {MAX_ID_LEN} lowercase letters, digits and '-', starting with a letter or digit"
        )));
    }
    Ok(())
}

/// The `TenantSet` envelope giving tenant `id` its `name` and enabled state. Checks
/// the id and the name. Key of the log record: the tenant id.
pub fn tenant_set(
    id: &str,
    name: &str,
    disabled: bool,
    produced_at_micros: i64,
) -> Result<Envelope> {
    check_tenant_id(id)?;
    if name.chars().count() > MAX_NAME_LEN {
        return Err(Error::Invalid(format!(
            "name: at most {MAX_NAME_LEN} characters"
        )));
    }
    let set = TenantSet {
        name: name.to_owned(),
        disabled,
    };
    Ok(envelope(id, id, produced_at_micros, Event::TenantSet(set)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_lowercase_slugs() {
        for good in ["default", "springfield-usd", "d42", "0a"] {
            assert!(check_tenant_id(good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(64);
        for bad in ["", "-a", "Upper", "a b", "a/b", "é", too_long.as_str()] {
            assert!(check_tenant_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_event_names_the_tenant_in_its_envelope_and_key() {
        let envelope = tenant_set("north", "North District", true, 5).unwrap();
        assert_eq!(
            (envelope.tenant.as_str(), envelope.key.as_str()),
            ("north", "north")
        );
        let Some(Event::TenantSet(set)) = envelope.event else {
            panic!("not a TenantSet");
        };
        assert_eq!((set.name.as_str(), set.disabled), ("North District", true));
        assert!(tenant_set("North", "x", false, 5).is_err());
        assert!(tenant_set("north", &"x".repeat(257), false, 5).is_err());
    }
}
