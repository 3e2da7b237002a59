use super::*;

const LEARNER: Uuid = Uuid::from_u128(7);

fn store(dir: &Path) -> LearnerKeys {
    LearnerKeys::open(dir.join("keys")).unwrap()
}

#[test]
fn a_sealed_value_opens_with_its_context_and_hides_its_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    let sealed = keys
        .seal("t", LEARNER, b"id-1", b"mailto:ana@example.org")
        .unwrap();
    assert!(!sealed.windows(4).any(|w| w == b"mail"));
    assert_eq!(
        keys.open_sealed("t", LEARNER, b"id-1", &sealed).unwrap(),
        Opened::Plain(b"mailto:ana@example.org".to_vec())
    );
    assert!(matches!(
        keys.open_sealed("t", LEARNER, b"id-2", &sealed),
        Err(Error::Tampered)
    ));
    let mut altered = sealed.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(matches!(
        keys.open_sealed("t", LEARNER, b"id-1", &altered),
        Err(Error::Tampered)
    ));
}

#[test]
fn keys_are_per_tenant_and_learner_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = store(dir.path()).seal("t", LEARNER, b"c", b"x").unwrap();
    let reopened = store(dir.path());
    assert_eq!(
        reopened.open_sealed("t", LEARNER, b"c", &sealed).unwrap(),
        Opened::Plain(b"x".to_vec())
    );
    // another tenant's learner of the same id has no key: the value is not theirs
    assert_eq!(
        reopened.open_sealed("u", LEARNER, b"c", &sealed).unwrap(),
        Opened::Erased
    );
}

#[test]
fn erasing_a_key_makes_everything_sealed_with_it_unreadable_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    let before = keys.seal("t", LEARNER, b"c", b"before").unwrap();
    assert!(keys.erase("t", LEARNER).unwrap());
    assert!(!keys.erase("t", LEARNER).unwrap(), "nothing left to erase");
    assert_eq!(
        keys.open_sealed("t", LEARNER, b"c", &before).unwrap(),
        Opened::Erased
    );
    assert_eq!(
        store(dir.path())
            .open_sealed("t", LEARNER, b"c", &before)
            .unwrap(),
        Opened::Erased,
        "also in a process that never saw the key"
    );
    // the learner comes back: a new key, and the old value stays unreadable
    let after = keys.seal("t", LEARNER, b"c", b"after").unwrap();
    assert_eq!(
        keys.open_sealed("t", LEARNER, b"c", &after).unwrap(),
        Opened::Plain(b"after".to_vec())
    );
    assert_eq!(
        keys.open_sealed("t", LEARNER, b"c", &before).unwrap(),
        Opened::Erased
    );
}

#[test]
fn a_key_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    keys.seal("t", LEARNER, b"c", b"x").unwrap();
    let path = keys.key_path("t", LEARNER);
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(fs::read(&path).unwrap().len(), KEY_FILE_BYTES);
}
