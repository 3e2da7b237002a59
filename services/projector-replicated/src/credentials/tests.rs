//! The credentials fold and reader over a real embedded log: secrets of both hash
//! kinds verify, including events written before Argon2id existed.

use super::*;
use learnlog_projector::test_support::FoldHarness;
use std::sync::Arc;

const TENANT: &str = "district";

fn harness() -> FoldHarness {
    FoldHarness::new(Arc::new(CredentialStore), topics::CREDENTIALS)
}

/// Folds the event `issued` builds and answers its `CredentialIssued`.
async fn issue(
    harness: &FoldHarness,
    key: &str,
    secret: &str,
    origin: SecretOrigin,
) -> CredentialIssued {
    let scopes = vec!["all".to_owned()];
    let envelope = issued(TENANT, key, secret, origin, &scopes, "test", 1).unwrap();
    let Some(Event::CredentialIssued(issued)) = envelope.event else {
        panic!("issued builds a CredentialIssued");
    };
    let event = Event::CredentialIssued(issued.clone());
    harness.append(TENANT, key, 1, event).await;
    issued
}

#[tokio::test]
async fn an_event_written_before_argon2id_existed_still_verifies_by_sha256() {
    let harness = harness();
    // What the previous version wrote: fields 1 to 5 (proto3 leaves the empty field 6
    // out of the bytes).
    let salt = b"0123456789abcdef".to_vec();
    let old = CredentialIssued {
        key: "lms".into(),
        secret_sha256: hash_secret(&salt, "random-secret"),
        secret_salt: salt,
        scopes: vec!["statements/write".into()],
        label: "old".into(),
        secret_argon2id: String::new(),
    };
    let bytes = old.encode_to_vec();
    let decoded = CredentialIssued::decode(bytes.as_slice()).unwrap();
    harness
        .append(TENANT, "lms", 1, Event::CredentialIssued(decoded))
        .await;
    let reader = CredentialReader::new(&harness.projection).unwrap();
    let credential = reader
        .verify("lms", "random-secret")
        .unwrap()
        .expect("verifies");
    assert_eq!(credential.scopes, ["statements/write"]);
    assert_eq!(reader.verify("lms", "random-secreT").unwrap(), None);
    assert_eq!(
        reader.verify_fast("lms", "random-secret").unwrap(),
        Verification::Verified(credential)
    );
}

#[tokio::test]
async fn a_generated_secret_is_stored_as_sha256_and_verifies_fast() {
    let harness = harness();
    let issued = issue(&harness, "lms", "f00d", SecretOrigin::Generated).await;
    assert!(issued.secret_argon2id.is_empty());
    let reader = CredentialReader::new(&harness.projection).unwrap();
    assert!(matches!(
        reader.verify_fast("lms", "f00d").unwrap(),
        Verification::Verified(_)
    ));
    assert_eq!(
        reader.verify_fast("lms", "f00e").unwrap(),
        Verification::Refused
    );
}

#[tokio::test]
async fn an_operator_chosen_secret_is_stored_as_argon2id_and_verified_once_slowly() {
    let harness = harness();
    let issued = issue(&harness, "admin", "hunter2", SecretOrigin::OperatorChosen).await;
    assert!(
        issued.secret_argon2id.starts_with("$argon2id$"),
        "{}",
        issued.secret_argon2id
    );
    assert!(issued.secret_sha256.is_empty());
    let reader = CredentialReader::new(&harness.projection).unwrap();
    assert_eq!(
        reader.verify_fast("admin", "hunter2").unwrap(),
        Verification::NeedsSlowHash
    );
    assert!(reader.verify("admin", "hunter2").unwrap().is_some());
    // Remembered, by clones of the reader too.
    assert!(matches!(
        reader.clone().verify_fast("admin", "hunter2").unwrap(),
        Verification::Verified(_)
    ));
    // A wrong secret is never remembered.
    assert_eq!(reader.verify("admin", "hunter3").unwrap(), None);
    assert_eq!(
        reader.verify_fast("admin", "hunter3").unwrap(),
        Verification::NeedsSlowHash
    );
    // Issued again (the same secret, a new salt): the memory of the old hash misses.
    issue(&harness, "admin", "hunter2", SecretOrigin::OperatorChosen).await;
    assert_eq!(
        reader.verify_fast("admin", "hunter2").unwrap(),
        Verification::NeedsSlowHash
    );
    assert!(reader.verify("admin", "hunter2").unwrap().is_some());
    assert_eq!(
        reader.verify_fast("nobody", "hunter2").unwrap(),
        Verification::Refused
    );
}

#[tokio::test]
async fn tenants_fold_to_their_latest_state_and_default_always_exists() {
    let harness = harness();
    let reader = CredentialReader::new(&harness.projection).unwrap();
    assert_eq!(reader.tenant("north").unwrap(), None);
    assert_eq!(
        reader.tenants().unwrap(),
        [Tenant::implicit(DEFAULT_TENANT)]
    );
    for (name, disabled) in [("North", false), ("North District", true)] {
        let Some(event) = tenant_set("north", name, disabled, 1).unwrap().event else {
            panic!("tenant_set builds an event");
        };
        harness.append("north", "north", 1, event).await;
    }
    let north = reader.tenant("north").unwrap().expect("created");
    assert_eq!(
        (north.name.as_str(), north.disabled),
        ("North District", true)
    );
    assert!(!reader.tenant_enabled("north").unwrap());
    // Never created, so never disabled: credentials issued before tenants existed.
    assert!(reader.tenant_enabled(TENANT).unwrap());
    let ids: Vec<String> = reader
        .tenants()
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["default", "north"]);
}
