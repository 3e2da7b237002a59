//! Per-learner data keys, and sealing personal data with them.
//!
//! Every learner (per tenant) gets a random 256-bit data key the first time something
//! of theirs is sealed. Their personal data is written to the log only sealed
//! (AES-256-GCM, [`sealed`]), so destroying the key ([`LearnerKeys::erase`]) makes
//! every copy of it unreadable, in the log and in every replay of it
//! (crypto-shredding): an immutable log can forget.
//!
//! Keys live outside the log, in one file of fixed-size slots per tenant,
//! `keys/<tenant as hex>/slots` ([`slots`]), each key 16 bytes of key id and 32 bytes
//! of key. A learner has one key, or more when processes sharing a Kafka log made one
//! each at once: the first seals, any of them opens. A key is written durably (the
//! keys of a batch's new learners appended together, then one `fdatasync`) before
//! anything sealed with it is appended, and erased by overwriting its slot with zeros
//! and syncing. The key id travels with each sealed value, so data sealed with an
//! erased key stays unreadable even when the same learner later gets a new key.
//!
//! Where several processes share a log, a [`KeyReplication`] carries the keys between
//! them ([`replication`]): a key is published before anything is sealed with it, and a
//! value sealed with a key this process does not know yet waits for the other
//! processes' keys before it counts as erased.

pub mod replication;
mod sealed;
mod slots;

pub use replication::{KeyEncryptionKey, KeyReplication};
pub use sealed::{Opened, SEALED_VERSION};

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use rand::RngCore;
use slots::{SlotKey, TenantSlots};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use uuid::Uuid;

/// Why the key store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("learner key store {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("learner key file {0} is corrupt (expected a multiple of 48 bytes)")]
    CorruptKey(PathBuf),
    #[error(
        "sealed value does not open with its learner's key: it was altered or belongs elsewhere"
    )]
    Tampered,
    #[error("sealed value is malformed: {0}")]
    Malformed(&'static str),
    #[error("replicating learner keys: {0}")]
    Replication(String),
}

impl Error {
    /// Whether asking again later may succeed: the key files or the other processes'
    /// keys could not be reached (or the process lacks the key-encryption key), as
    /// opposed to a value that is damaged for good.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Io { .. } | Error::Replication(_))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The bytes of one key as stored and replicated: its id, then the AES-256 key.
pub const KEY_BYTES: usize = 48;

/// One learner's data key.
#[derive(Clone)]
pub(crate) struct DataKey {
    pub(crate) id: [u8; 16],
    pub(crate) cipher: Aes256Gcm,
}

/// The data keys of every learner of a data directory.
pub struct LearnerKeys {
    dir: PathBuf,
    /// Every tenant's keys, loaded when the store opens; a tenant without keys yet is
    /// added when first asked for.
    tenants: RwLock<HashMap<String, Arc<TenantSlots>>>,
    /// Held while keys change, so two writers never make two keys for a learner.
    changing: Mutex<()>,
    /// Carries keys to and from the other processes of a shared log.
    replication: Option<Arc<dyn KeyReplication>>,
    /// Key ids known to be destroyed everywhere: a value sealed with one is erased
    /// without asking the other processes again.
    destroyed: Mutex<HashSet<[u8; 16]>>,
}

impl LearnerKeys {
    /// The key store under `dir` (created when missing), for a log only this process
    /// writes. Every tenant's keys are read into memory, and key files of the earlier
    /// one-file-per-learner layout are converted ([`slots`]).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        create_dir(&dir)?;
        let mut tenants = HashMap::new();
        // the directory of the empty tenant name (hex of nothing) is `dir` itself
        tenants.insert(String::new(), Arc::new(TenantSlots::load(&dir)?));
        for entry in fs::read_dir(&dir).map_err(io_error(&dir))? {
            let entry = entry.map_err(io_error(&dir))?;
            let is_dir = entry.file_type().map_err(io_error(&dir))?.is_dir();
            let tenant = (entry.file_name().to_str())
                .and_then(|name| ::hex::decode(name).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let (true, Some(tenant)) = (is_dir, tenant) {
                let slots = TenantSlots::load(&entry.path())?;
                tenants.insert(tenant, Arc::new(slots));
            }
        }
        Ok(Self {
            dir,
            tenants: RwLock::new(tenants),
            changing: Mutex::new(()),
            replication: None,
            destroyed: Mutex::new(HashSet::new()),
        })
    }

    /// The key store under `dir`, sharing its keys with other processes through
    /// `replication`.
    pub fn open_replicated(
        dir: impl Into<PathBuf>,
        replication: Arc<dyn KeyReplication>,
    ) -> Result<Self> {
        Ok(Self {
            replication: Some(replication),
            ..Self::open(dir)?
        })
    }

    /// Key slots whose checksum failed when the store opened (see [`slots`]): keys
    /// lost to damage or to a write a crash cut short.
    pub fn unreadable_slots(&self) -> u64 {
        let tenants = self.tenants.read().expect("key tenants poisoned");
        tenants.values().map(|tenant| tenant.unreadable()).sum()
    }

    /// Seals `plaintext` for `learner` of `tenant`, creating (durably) their key when
    /// they have none. `context` is authenticated with it (for example the id of the
    /// record the value belongs to) and must be given again to open it.
    pub fn seal(
        &self,
        tenant: &str,
        learner: Uuid,
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let mut ring = self.ring(tenant, learner);
        if ring.is_empty() {
            self.create_missing(tenant, [learner])?;
            ring = self.ring(tenant, learner);
        }
        let first = ring
            .first()
            .ok_or_else(|| Error::Replication("a key just made is missing".into()))?;
        Ok(sealed::seal(&data_key(&first.key), context, plaintext))
    }

    /// Opens a value [`LearnerKeys::seal`] made for `learner` of `tenant` with
    /// `context`: [`Opened::Erased`] when the key it was sealed with no longer exists.
    /// With replication, a key this process has not seen is first looked for among the
    /// keys the other processes published (blocking for a round trip to the log).
    pub fn open_sealed(
        &self,
        tenant: &str,
        learner: Uuid,
        context: &[u8],
        value: &[u8],
    ) -> Result<Opened> {
        let id = sealed::key_id(value)?;
        if let Some(opened) = self.open_with_known(tenant, learner, id, context, value)? {
            return Ok(opened);
        }
        if let Some(replication) = &self.replication {
            if !self.is_destroyed(id) {
                replication.catch_up(self)?;
                if let Some(opened) = self.open_with_known(tenant, learner, id, context, value)? {
                    return Ok(opened);
                }
            }
        }
        // Published before anything was sealed with it, and not there now: destroyed.
        self.destroyed
            .lock()
            .expect("destroyed key ids poisoned")
            .insert(id);
        Ok(Opened::Erased)
    }

    fn open_with_known(
        &self,
        tenant: &str,
        learner: Uuid,
        id: [u8; 16],
        context: &[u8],
        value: &[u8],
    ) -> Result<Option<Opened>> {
        let ring = self.ring(tenant, learner);
        match ring.iter().find(|key| key.id() == id) {
            Some(key) => sealed::open(&data_key(&key.key), context, value).map(Some),
            None => Ok(None),
        }
    }

    /// Applies what the other processes published and destroyed until now (nothing
    /// without replication).
    pub fn catch_up(&self) -> Result<()> {
        match &self.replication {
            Some(replication) => replication.catch_up(self),
            None => Ok(()),
        }
    }

    fn is_destroyed(&self, id: [u8; 16]) -> bool {
        (self.destroyed.lock().expect("destroyed key ids poisoned")).contains(&id)
    }

    /// Whether `learner` of `tenant` has a key now.
    pub fn has_key(&self, tenant: &str, learner: Uuid) -> Result<bool> {
        Ok(!self.ring(tenant, learner).is_empty())
    }

    /// Destroys the keys of `learner` of `tenant`: everything sealed with them is
    /// unreadable from the moment this returns (in other processes, once they heard of
    /// it from the replication). True when there was a key.
    pub fn erase(&self, tenant: &str, learner: Uuid) -> Result<bool> {
        // every key another process made for the learner is here before it is destroyed
        self.catch_up()?;
        let _changing = self.changing.lock().expect("key change lock poisoned");
        let ids: Vec<[u8; 16]> = (self.ring(tenant, learner).iter())
            .map(SlotKey::id)
            .collect();
        if ids.is_empty() {
            return Ok(false);
        }
        // Told to the others first: asked again after a failure, the key is still here.
        if let Some(replication) = &self.replication {
            replication.publish_destroyed(tenant, learner, &ids)?;
        }
        self.tenant(tenant).destroy(learner, |_| true)?;
        self.forget(&ids);
        Ok(true)
    }

    /// Adds a key another process made for `learner` of `tenant` (48 bytes: id and key),
    /// durably. Nothing happens when it is here already.
    pub fn install(&self, tenant: &str, learner: Uuid, key: &[u8; KEY_BYTES]) -> Result<()> {
        let _changing = self.changing.lock().expect("key change lock poisoned");
        let ring = self.ring(tenant, learner);
        if ring.iter().any(|known| known.key[..16] == key[..16]) {
            return Ok(());
        }
        self.tenant(tenant).append(&[(learner, *key)])
    }

    /// Removes one key of `learner` of `tenant` that another process destroyed.
    pub fn remove(&self, tenant: &str, learner: Uuid, id: [u8; 16]) -> Result<()> {
        let _changing = self.changing.lock().expect("key change lock poisoned");
        self.tenant(tenant).destroy(learner, |key| key.id() == id)?;
        self.forget(&[id]);
        Ok(())
    }

    /// The keys of `learner` of `tenant`, the sealing one first.
    fn ring(&self, tenant: &str, learner: Uuid) -> Vec<SlotKey> {
        let tenants = self.tenants.read().expect("key tenants poisoned");
        (tenants.get(tenant)).map_or_else(Vec::new, |slots| slots.ring(learner))
    }

    /// The keys of `tenant`, an empty set (written on its first key) when it has none.
    fn tenant(&self, tenant: &str) -> Arc<TenantSlots> {
        if let Some(slots) = self
            .tenants
            .read()
            .expect("key tenants poisoned")
            .get(tenant)
        {
            return slots.clone();
        }
        let mut tenants = self.tenants.write().expect("key tenants poisoned");
        (tenants.entry(tenant.to_owned()))
            .or_insert_with(|| Arc::new(TenantSlots::empty(self.tenant_dir(tenant))))
            .clone()
    }

    /// Makes a key for each of `learners` of `tenant` that has none, publishing them
    /// together (one round trip to the shared log for a batch of new learners) before
    /// writing them here (one sync for all of them).
    pub fn create_missing(
        &self,
        tenant: &str,
        learners: impl IntoIterator<Item = Uuid>,
    ) -> Result<()> {
        let _changing = self.changing.lock().expect("key change lock poisoned");
        let mut new: Vec<(Uuid, [u8; KEY_BYTES])> = Vec::new();
        for learner in learners {
            if self.ring(tenant, learner).is_empty() && new.iter().all(|(l, _)| *l != learner) {
                let mut key = [0u8; KEY_BYTES];
                rand::rngs::OsRng.fill_bytes(&mut key);
                new.push((learner, key));
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        // Published before they seal anything, so every process can open what they seal.
        if let Some(replication) = &self.replication {
            replication.publish(tenant, &new)?;
        }
        self.tenant(tenant).append(&new)
    }

    /// Remembers `ids` as destroyed.
    fn forget(&self, ids: &[[u8; 16]]) {
        (self.destroyed.lock().expect("destroyed key ids poisoned")).extend(ids.iter().copied());
    }

    fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.dir.join(hex(tenant.as_bytes()))
    }
}

/// The cipher of a stored key (its id, then the AES-256 key).
fn data_key(bytes: &[u8; KEY_BYTES]) -> DataKey {
    DataKey {
        id: bytes[..16].try_into().expect("16 bytes"),
        cipher: Aes256Gcm::new_from_slice(&bytes[16..]).expect("a 32-byte AES-256 key"),
    }
}

/// Lower-case hex, as tenant directory names are written.
fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(dir))
}

#[cfg(test)]
mod tests;
