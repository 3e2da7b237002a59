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
    // a tenant whose directory name reads as a learner id (16 bytes of name, 32 hex
    // digits) is a tenant, not a key file to convert
    let long = "sixteen-letters!";
    let long_value = reopened.seal(long, LEARNER, b"c", b"z").unwrap();
    assert_eq!(
        store(dir.path())
            .open_sealed(long, LEARNER, b"c", &long_value)
            .unwrap(),
        Opened::Plain(b"z".to_vec())
    );
    // even a tenant with an empty name, whose directory is the store's own
    let unnamed = reopened.seal("", LEARNER, b"c", b"y").unwrap();
    assert_eq!(
        store(dir.path())
            .open_sealed("", LEARNER, b"c", &unnamed)
            .unwrap(),
        Opened::Plain(b"y".to_vec())
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
fn the_slot_file_is_readable_by_its_owner_only_and_holds_one_slot_per_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    keys.seal("t", LEARNER, b"c", b"x").unwrap();
    keys.create_missing("t", [LEARNER, Uuid::from_u128(8), Uuid::from_u128(9)])
        .unwrap();
    let path = slot_file(dir.path(), "keys");
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(fs::read(&path).unwrap().len(), 3 * slots::SLOT_BYTES);
}

fn slot_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name).join(hex(b"t")).join("slots")
}

#[test]
fn erasing_overwrites_the_key_bytes_in_the_file_and_keeps_the_other_learners() {
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    let other = Uuid::from_u128(8);
    let kept = keys.seal("t", other, b"c", b"kept").unwrap();
    keys.seal("t", LEARNER, b"c", b"gone").unwrap();
    let key = ring_bytes(&keys, LEARNER);
    assert!(contains(
        &fs::read(slot_file(dir.path(), "keys")).unwrap(),
        &key
    ));

    assert!(keys.erase("t", LEARNER).unwrap());
    let file = fs::read(slot_file(dir.path(), "keys")).unwrap();
    assert!(
        !contains(&file, &key[16..]),
        "the key's bytes are overwritten"
    );
    assert!(!contains(&file, LEARNER.as_bytes()));
    assert_eq!(file.len(), 2 * slots::SLOT_BYTES, "slots are not reused");
    let reopened = store(dir.path());
    assert!(!reopened.has_key("t", LEARNER).unwrap());
    assert_eq!(
        reopened.open_sealed("t", other, b"c", &kept).unwrap(),
        Opened::Plain(b"kept".to_vec())
    );
    assert_eq!(reopened.unreadable_slots(), 0);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The keys `keys` holds for `LEARNER` of tenant `t`, back to back.
fn ring_bytes(keys: &LearnerKeys, learner: Uuid) -> Vec<u8> {
    (keys.ring("t", learner).iter())
        .flat_map(|key| key.key)
        .collect()
}

#[test]
fn a_slot_a_crash_cut_short_is_dropped_and_the_next_key_appends_after_the_whole_ones() {
    let dir = tempfile::tempdir().unwrap();
    let sealed = store(dir.path()).seal("t", LEARNER, b"c", b"x").unwrap();
    let path = slot_file(dir.path(), "keys");
    // an append cut short: part of a slot
    let mut torn = fs::read(&path).unwrap();
    torn.extend_from_slice(&[7; 30]);
    fs::write(&path, &torn).unwrap();

    let keys = store(dir.path());
    assert_eq!(
        keys.open_sealed("t", LEARNER, b"c", &sealed).unwrap(),
        Opened::Plain(b"x".to_vec())
    );
    let other = Uuid::from_u128(8);
    let later = keys.seal("t", other, b"c", b"y").unwrap();
    assert_eq!(fs::read(&path).unwrap().len(), 2 * slots::SLOT_BYTES);
    let reopened = store(dir.path());
    assert_eq!(
        reopened.open_sealed("t", other, b"c", &later).unwrap(),
        Opened::Plain(b"y".to_vec())
    );
    assert_eq!(reopened.unreadable_slots(), 0);
}

#[test]
fn a_damaged_slot_holds_no_key_is_counted_and_leaves_the_others_readable() {
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    let damaged = keys.seal("t", LEARNER, b"c", b"x").unwrap();
    let other = Uuid::from_u128(8);
    let kept = keys.seal("t", other, b"c", b"y").unwrap();
    let path = slot_file(dir.path(), "keys");
    let mut file = fs::read(&path).unwrap();
    file[20] ^= 1; // inside the first slot's key id
    fs::write(&path, &file).unwrap();

    let reopened = store(dir.path());
    assert_eq!(reopened.unreadable_slots(), 1);
    assert_eq!(
        reopened.open_sealed("t", LEARNER, b"c", &damaged).unwrap(),
        Opened::Erased
    );
    assert_eq!(
        reopened.open_sealed("t", other, b"c", &kept).unwrap(),
        Opened::Plain(b"y".to_vec())
    );
}

#[test]
fn per_learner_key_files_are_converted_into_slots_once_even_after_a_crash_midway() {
    let dir = tempfile::tempdir().unwrap();
    let keys = store(dir.path());
    let other = Uuid::from_u128(8);
    let sealed = [
        keys.seal("t", LEARNER, b"c", b"x").unwrap(),
        keys.seal("t", other, b"c", b"y").unwrap(),
    ];
    let rings = [ring_bytes(&keys, LEARNER), ring_bytes(&keys, other)];
    drop(keys);
    // the layout before slots: one file per learner, and a temporary file a writer
    // left; the slot file still there plays a crash after converting, before removing
    let tenant_dir = dir.path().join("keys").join(hex(b"t"));
    for (learner, ring) in [LEARNER, other].iter().zip(&rings) {
        fs::write(tenant_dir.join(learner.to_string()), ring).unwrap();
    }
    fs::write(tenant_dir.join(format!("{LEARNER}.new")), [1; KEY_BYTES]).unwrap();

    let keys = store(dir.path());
    let names: Vec<_> = (fs::read_dir(&tenant_dir).unwrap())
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["slots"], "the per-learner files are removed");
    assert_eq!(
        fs::read(slot_file(dir.path(), "keys")).unwrap().len(),
        2 * slots::SLOT_BYTES,
        "keys already in a slot are not added again"
    );
    for (value, plain) in sealed.iter().zip([b"x", b"y"]) {
        let learner = if plain == b"x" { LEARNER } else { other };
        assert_eq!(
            keys.open_sealed("t", learner, b"c", value).unwrap(),
            Opened::Plain(plain.to_vec())
        );
    }

    // a directory that only ever had per-learner files
    fs::remove_file(slot_file(dir.path(), "keys")).unwrap();
    fs::write(tenant_dir.join(LEARNER.to_string()), &rings[0]).unwrap();
    let keys = store(dir.path());
    assert_eq!(
        keys.open_sealed("t", LEARNER, b"c", &sealed[0]).unwrap(),
        Opened::Plain(b"x".to_vec())
    );
    assert!(!tenant_dir.join(LEARNER.to_string()).exists());

    fs::write(tenant_dir.join(other.to_string()), [0; 47]).unwrap();
    assert!(matches!(
        LearnerKeys::open(dir.path().join("keys")),
        Err(Error::CorruptKey(_))
    ));
}

/// A key topic in memory: records appended in order, read from a position.
#[derive(Default)]
struct Topic {
    records: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

/// One process's view of [`Topic`], as the Kafka replication does it.
struct Replica {
    topic: Arc<Topic>,
    encryption: KeyEncryptionKey,
    position: Mutex<usize>,
}

const KEK: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

impl Replica {
    fn new(topic: &Arc<Topic>) -> Arc<Self> {
        Arc::new(Self {
            topic: topic.clone(),
            encryption: KeyEncryptionKey::from_hex(KEK).unwrap(),
            position: Mutex::new(0),
        })
    }
}

impl KeyReplication for Replica {
    fn publish(&self, tenant: &str, keys: &[(Uuid, [u8; KEY_BYTES])]) -> Result<()> {
        let mut records = self.topic.records.lock().unwrap();
        for (learner, key) in keys {
            let id = key[..16].try_into().unwrap();
            let record_key = replication::record_key(tenant, *learner, &id);
            let value = self.encryption.wrap(&record_key, key);
            records.push((record_key, value));
        }
        Ok(())
    }

    fn publish_destroyed(&self, tenant: &str, learner: Uuid, ids: &[[u8; 16]]) -> Result<()> {
        let mut records = self.topic.records.lock().unwrap();
        for id in ids {
            records.push((replication::record_key(tenant, learner, id), Vec::new()));
        }
        Ok(())
    }

    fn catch_up(&self, keys: &LearnerKeys) -> Result<()> {
        let mut position = self.position.lock().unwrap();
        let records: Vec<_> = self.topic.records.lock().unwrap()[*position..].to_vec();
        *position += records.len();
        replication::apply(keys, Some(&self.encryption), records)
    }
}

fn replicated(dir: &Path, name: &str, topic: &Arc<Topic>) -> LearnerKeys {
    LearnerKeys::open_replicated(dir.join(name), Replica::new(topic)).unwrap()
}

#[test]
fn a_key_made_in_one_process_opens_in_another_until_it_is_destroyed() {
    let dir = tempfile::tempdir().unwrap();
    let topic = Arc::new(Topic::default());
    let (api, projector) = (
        replicated(dir.path(), "api", &topic),
        replicated(dir.path(), "projector", &topic),
    );
    let sealed = api.seal("t", LEARNER, b"c", b"ana").unwrap();
    let published = topic.records.lock().unwrap().clone();
    assert_eq!(published.len(), 1, "the key is published when it is made");
    let key = ring_bytes(&api, LEARNER);
    assert!(
        !published[0].1.windows(32).any(|w| w == &key[16..]),
        "the published key is sealed with the key-encryption key"
    );
    assert_eq!(
        projector.open_sealed("t", LEARNER, b"c", &sealed).unwrap(),
        Opened::Plain(b"ana".to_vec()),
        "the other process finds the key on the topic"
    );

    assert!(api.erase("t", LEARNER).unwrap());
    assert_eq!(topic.records.lock().unwrap()[1].1, b"", "a tombstone");
    projector.catch_up().unwrap();
    assert_eq!(
        projector.open_sealed("t", LEARNER, b"c", &sealed).unwrap(),
        Opened::Erased
    );
    let fresh = replicated(dir.path(), "fresh", &topic);
    assert_eq!(
        fresh.open_sealed("t", LEARNER, b"c", &sealed).unwrap(),
        Opened::Erased,
        "a process replaying from the start never holds the destroyed key"
    );
    assert!(!fresh.has_key("t", LEARNER).unwrap());
}

/// `plaintext` sealed for `LEARNER` by the store named `name` before it read the
/// topic (so with a key of its own), which it then publishes.
fn sealed_and_published(dir: &Path, name: &str, topic: &Arc<Topic>, plaintext: &[u8]) -> Vec<u8> {
    let keys = LearnerKeys::open(dir.join(name)).unwrap();
    let sealed = keys.seal("t", LEARNER, b"c", plaintext).unwrap();
    let key = ring_bytes(&keys, LEARNER);
    Replica::new(topic)
        .publish("t", &[(LEARNER, key[..].try_into().unwrap())])
        .unwrap();
    sealed
}

#[test]
fn two_processes_making_a_key_for_one_learner_at_once_both_open_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let topic = Arc::new(Topic::default());
    let (one, two) = (
        replicated(dir.path(), "one", &topic),
        replicated(dir.path(), "two", &topic),
    );
    let by_one = one.seal("t", LEARNER, b"c", b"1").unwrap();
    // `two` has not read the topic yet and makes a key of its own
    let by_two = sealed_and_published(dir.path(), "two", &topic, b"2");
    for keys in [&one, &two] {
        assert_eq!(
            keys.open_sealed("t", LEARNER, b"c", &by_one).unwrap(),
            Opened::Plain(b"1".to_vec())
        );
        assert_eq!(
            keys.open_sealed("t", LEARNER, b"c", &by_two).unwrap(),
            Opened::Plain(b"2".to_vec())
        );
    }
    // erasing in one process destroys both keys everywhere, also one it has not
    // read from the topic yet
    let three = replicated(dir.path(), "three", &topic);
    let by_three = sealed_and_published(dir.path(), "late-maker", &topic, b"3");
    assert!(one.erase("t", LEARNER).unwrap());
    assert_eq!(
        three.open_sealed("t", LEARNER, b"c", &by_three).unwrap(),
        Opened::Erased
    );
    two.catch_up().unwrap();
    for value in [&by_one, &by_two] {
        assert_eq!(
            two.open_sealed("t", LEARNER, b"c", value).unwrap(),
            Opened::Erased
        );
    }
}

#[test]
fn a_key_published_and_destroyed_before_a_catch_up_is_never_installed() {
    let dir = tempfile::tempdir().unwrap();
    let topic = Arc::new(Topic::default());
    let api = replicated(dir.path(), "api", &topic);
    api.seal("t", LEARNER, b"c", b"x").unwrap();
    api.erase("t", LEARNER).unwrap();
    let late = LearnerKeys::open(dir.path().join("late")).unwrap();
    let records = topic.records.lock().unwrap().clone();
    replication::apply(
        &late,
        Some(&KeyEncryptionKey::from_hex(KEK).unwrap()),
        records,
    )
    .unwrap();
    assert!(!late.has_key("t", LEARNER).unwrap());
    assert!(!dir
        .path()
        .join("late")
        .join(hex(b"t"))
        .join(LEARNER.to_string())
        .exists());
}

#[test]
fn a_published_key_needs_the_same_key_encryption_key_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let topic = Arc::new(Topic::default());
    replicated(dir.path(), "api", &topic)
        .seal("t", LEARNER, b"c", b"x")
        .unwrap();
    let records = topic.records.lock().unwrap().clone();
    let other = LearnerKeys::open(dir.path().join("other")).unwrap();
    let wrong = KeyEncryptionKey::from_hex(&"ab".repeat(32)).unwrap();
    let error = replication::apply(&other, Some(&wrong), records.clone()).unwrap_err();
    assert!(
        error.to_string().contains("another key-encryption key"),
        "{error}"
    );
    let error = replication::apply(&other, None, records).unwrap_err();
    assert!(
        error.to_string().contains("--key-encryption-key-file"),
        "{error}"
    );
    assert!(!other.has_key("t", LEARNER).unwrap());
    assert!(KeyEncryptionKey::from_hex("abc").is_none());
}

#[test]
fn the_keys_of_new_learners_are_published_together() {
    let dir = tempfile::tempdir().unwrap();
    let topic = Arc::new(Topic::default());
    let keys = replicated(dir.path(), "api", &topic);
    let learners: Vec<Uuid> = (1..=5).map(Uuid::from_u128).collect();
    keys.create_missing("t", learners.iter().copied().chain([learners[0]]))
        .unwrap();
    assert_eq!(topic.records.lock().unwrap().len(), 5, "one key each");
    keys.create_missing("t", learners.iter().copied()).unwrap();
    assert_eq!(topic.records.lock().unwrap().len(), 5, "none made twice");
    for learner in learners {
        assert!(keys.has_key("t", learner).unwrap());
    }
}
