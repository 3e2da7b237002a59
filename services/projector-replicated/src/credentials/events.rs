//! Building the credential events (`CredentialIssued`, `CredentialRevoked`) and
//! checking what goes into them. The API's admin routes and the command line append
//! what these functions build; the secret itself never enters an event, only its
//! hash (see [`SecretOrigin`]).

use super::secret::{hash_chosen_secret, hash_secret, SecretOrigin};
use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, CredentialIssued, CredentialRevoked, Envelope};

/// Every scope a credential can hold: xAPI's (1.0.3 §4.1 "OAuth Scope"), where `all`
/// grants everything within the credential's tenant, `all/read` every read and
/// `statements/read` includes `statements/read/mine`; and learnlog's `operator`, which
/// manages tenants and is granted by no other scope.
pub const SCOPES: [&str; 9] = [
    "statements/write",
    "statements/read",
    "statements/read/mine",
    "all/read",
    "all",
    "state",
    "profile",
    "define",
    OPERATOR_SCOPE,
];

/// The scope that manages tenants (`/v1/admin/tenants`).
pub const OPERATOR_SCOPE: &str = "operator";

/// Longest credential key accepted.
const MAX_KEY_LEN: usize = 128;

/// Checks a list of scope names: at least one, each one of [`SCOPES`].
pub fn check_scopes(scopes: &[String]) -> Result<()> {
    if scopes.is_empty() {
        return Err(Error::Invalid("scopes: give at least one scope".into()));
    }
    match scopes
        .iter()
        .find(|scope| !SCOPES.contains(&scope.as_str()))
    {
        Some(unknown) => Err(Error::Invalid(format!(
            "scopes: {unknown:?} is not a scope (known: {})",
            SCOPES.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Checks a credential key: 1 to 128 printable ASCII characters without `:` (HTTP
/// Basic splits key and secret at the first colon).
pub fn check_key(key: &str) -> Result<()> {
    let printable = key.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if key.is_empty() || key.len() > MAX_KEY_LEN || !printable {
        return Err(Error::Invalid(format!(
            "key: must be 1 to {MAX_KEY_LEN} printable ASCII characters without ':'"
        )));
    }
    Ok(())
}

/// A new credential key: `key-` and 16 random hex characters.
pub fn new_key() -> String {
    format!("key-{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

/// The `CredentialIssued` envelope for `key` with `secret`, kept only as a hash: a
/// salted SHA-256 for a generated secret, Argon2id for an operator-chosen one (slow:
/// call it off the async workers). Checks the key and the scopes. Key of the log
/// record: the credential key.
pub fn issued(
    tenant: &str,
    key: &str,
    secret: &str,
    origin: SecretOrigin,
    scopes: &[String],
    label: &str,
    produced_at_micros: i64,
) -> Result<Envelope> {
    check_key(key)?;
    check_scopes(scopes)?;
    let mut issued = CredentialIssued {
        key: key.to_owned(),
        scopes: scopes.to_vec(),
        label: label.to_owned(),
        ..CredentialIssued::default()
    };
    match origin {
        SecretOrigin::Generated => {
            issued.secret_salt = uuid::Uuid::new_v4().as_bytes().to_vec();
            issued.secret_sha256 = hash_secret(&issued.secret_salt, secret);
        }
        SecretOrigin::OperatorChosen => issued.secret_argon2id = hash_chosen_secret(secret),
    }
    Ok(envelope(
        tenant,
        key,
        produced_at_micros,
        Event::CredentialIssued(issued),
    ))
}

/// The `CredentialRevoked` envelope for `key`.
pub fn revoked(tenant: &str, key: &str, produced_at_micros: i64) -> Envelope {
    let revoked = CredentialRevoked {
        key: key.to_owned(),
    };
    envelope(
        tenant,
        key,
        produced_at_micros,
        Event::CredentialRevoked(revoked),
    )
}

/// An event of this topic: a new event id, the tenant and the record key.
pub(super) fn envelope(tenant: &str, key: &str, produced_at_micros: i64, event: Event) -> Envelope {
    Envelope {
        event_id: uuid::Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: key.to_owned(),
        produced_at_micros,
        event: Some(event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_missing_scopes_are_rejected_naming_the_scope() {
        let error = check_scopes(&["statements/write".into(), "everything".into()]);
        assert!(error.unwrap_err().to_string().contains("\"everything\""));
        assert!(check_scopes(&[]).is_err());
        assert!(check_scopes(&SCOPES.map(String::from)).is_ok());
        assert!(SCOPES.contains(&OPERATOR_SCOPE));
    }

    #[test]
    fn keys_with_a_colon_or_blank_are_rejected() {
        assert!(check_key("a:b").is_err());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key(&new_key()).is_ok());
    }

    fn issued_event(envelope: Envelope) -> CredentialIssued {
        match envelope.event {
            Some(Event::CredentialIssued(issued)) => issued,
            other => panic!("not an issued event: {other:?}"),
        }
    }

    #[test]
    fn a_generated_secret_is_kept_as_its_salted_sha256() {
        let scopes = vec!["all".to_owned()];
        let origin = SecretOrigin::Generated;
        let envelope = issued("t", "k", "s3cret", origin, &scopes, "admin", 7).unwrap();
        assert_eq!(
            (envelope.tenant.as_str(), envelope.key.as_str()),
            ("t", "k")
        );
        let issued = issued_event(envelope);
        assert_eq!(
            issued.secret_sha256,
            hash_secret(&issued.secret_salt, "s3cret")
        );
        assert!(issued.secret_argon2id.is_empty());
    }

    #[test]
    fn an_operator_chosen_secret_is_kept_only_as_an_argon2id_phc_string() {
        let scopes = vec!["all".to_owned()];
        let origin = SecretOrigin::OperatorChosen;
        let issued =
            issued_event(issued("t", "k", "letmein", origin, &scopes, "admin", 7).unwrap());
        assert!(
            issued.secret_argon2id.starts_with("$argon2id$"),
            "{}",
            issued.secret_argon2id
        );
        assert!(issued.secret_sha256.is_empty() && issued.secret_salt.is_empty());
        assert!(!issued.secret_argon2id.contains("letmein"));
    }
}
