//! Per-learner data keys, and sealing personal data with them.
//!
//! Every learner (per tenant) gets a random 256-bit data key the first time something
//! of theirs is sealed. Their personal data is written to the log only sealed
//! (AES-256-GCM, [`sealed`]), so destroying the key ([`LearnerKeys::erase`]) makes
//! every copy of it unreadable, in the log and in every replay of it
//! (crypto-shredding): an immutable log can forget.
//!
//! Keys live outside the log, one file per learner under
//! `keys/<tenant as hex>/<learner id>` (mode 0600), each key 16 bytes of key id and 32
//! bytes of key. A file holds one key, or more when processes sharing a Kafka log made
//! one each at once: the first seals, any of them opens. A key is written durably
//! (temporary file, fsync, rename, fsync of the directory) before anything sealed with
//! it is appended, and erased by unlinking the file and syncing the directory. The key
//! id travels with each sealed value, so data sealed with an erased key stays
//! unreadable even when the same learner later gets a new key.
//!
//! Where several processes share a log, a [`KeyReplication`] carries the keys between
//! them ([`replication`]): a key is published before anything is sealed with it, and a
//! value sealed with a key this process does not know yet waits for the other
//! processes' keys before it counts as erased.

pub mod replication;
mod sealed;

pub use replication::{KeyEncryptionKey, KeyReplication};
pub use sealed::{Opened, SEALED_VERSION};

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use rand::RngCore;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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

/// The keys of one learner: the first seals, any of them opens what it sealed.
struct KeyRing {
    bytes: Vec<u8>,
    keys: Vec<DataKey>,
}

impl KeyRing {
    fn decode(bytes: Vec<u8>) -> Option<Self> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(KEY_BYTES) {
            return None;
        }
        let keys = (bytes.chunks(KEY_BYTES))
            .map(decode_key)
            .collect::<Option<Vec<_>>>()?;
        Some(Self { bytes, keys })
    }

    fn find(&self, id: &[u8]) -> Option<&DataKey> {
        self.keys.iter().find(|key| key.id == id)
    }

    fn ids(&self) -> Vec<[u8; 16]> {
        self.keys.iter().map(|key| key.id).collect()
    }
}

/// The data keys of every learner of a data directory.
pub struct LearnerKeys {
    dir: PathBuf,
    /// Key rings read or created, by tenant and learner. Only rings that exist are
    /// cached: an absent one is looked up again (it is absent only for erased learners).
    cache: Mutex<HashMap<(String, Uuid), Arc<KeyRing>>>,
    /// Held while a key file changes, so two writers never make two keys for a learner.
    changing: Mutex<()>,
    /// Carries keys to and from the other processes of a shared log.
    replication: Option<Arc<dyn KeyReplication>>,
    /// Key ids known to be destroyed everywhere: a value sealed with one is erased
    /// without asking the other processes again.
    destroyed: Mutex<HashSet<[u8; 16]>>,
}

impl LearnerKeys {
    /// The key store under `dir` (created when missing), for a log only this process
    /// writes.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        create_dir(&dir)?;
        Ok(Self {
            dir,
            cache: Mutex::new(HashMap::new()),
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
        let ring = match self.ring(tenant, learner)? {
            Some(ring) => ring,
            None => self.create(tenant, learner)?,
        };
        Ok(sealed::seal(&ring.keys[0], context, plaintext))
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
        let ring = self.ring(tenant, learner)?;
        match ring.as_deref().and_then(|ring| ring.find(&id)) {
            Some(key) => sealed::open(key, context, value).map(Some),
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
        Ok(self.ring(tenant, learner)?.is_some())
    }

    /// Destroys the keys of `learner` of `tenant`: everything sealed with them is
    /// unreadable from the moment this returns (in other processes, once they heard of
    /// it from the replication). True when there was a key.
    pub fn erase(&self, tenant: &str, learner: Uuid) -> Result<bool> {
        // every key another process made for the learner is here before it is destroyed
        self.catch_up()?;
        let _changing = self.changing.lock().expect("key change lock poisoned");
        let Some(ring) = self.ring(tenant, learner)? else {
            return Ok(false);
        };
        // Told to the others first: asked again after a failure, the key is still here.
        if let Some(replication) = &self.replication {
            replication.publish_destroyed(tenant, learner, &ring.ids())?;
        }
        self.remove_file(tenant, learner)?;
        self.forget(tenant, learner, &ring.ids());
        Ok(true)
    }

    /// Adds a key another process made for `learner` of `tenant` (48 bytes: id and key),
    /// durably. Nothing happens when it is here already.
    pub fn install(&self, tenant: &str, learner: Uuid, key: &[u8; KEY_BYTES]) -> Result<()> {
        let _changing = self.changing.lock().expect("key change lock poisoned");
        let ring = self.ring(tenant, learner)?;
        if ring
            .as_deref()
            .is_some_and(|ring| ring.find(&key[..16]).is_some())
        {
            return Ok(());
        }
        let mut bytes = ring.map(|ring| ring.bytes.clone()).unwrap_or_default();
        bytes.extend_from_slice(key);
        self.write_ring(tenant, learner, bytes)?;
        Ok(())
    }

    /// Removes one key of `learner` of `tenant` that another process destroyed.
    pub fn remove(&self, tenant: &str, learner: Uuid, id: [u8; 16]) -> Result<()> {
        let _changing = self.changing.lock().expect("key change lock poisoned");
        if let Some(ring) = self.ring(tenant, learner)? {
            let kept: Vec<u8> = (ring.bytes.chunks(KEY_BYTES))
                .filter(|key| key[..16] != id)
                .flatten()
                .copied()
                .collect();
            if kept.is_empty() {
                self.remove_file(tenant, learner)?;
            } else if kept.len() != ring.bytes.len() {
                self.write_ring(tenant, learner, kept)?;
            }
        }
        self.forget(tenant, learner, &[id]);
        Ok(())
    }

    fn ring(&self, tenant: &str, learner: Uuid) -> Result<Option<Arc<KeyRing>>> {
        let cached = (self.cache.lock().expect("key cache poisoned"))
            .get(&(tenant.to_owned(), learner))
            .cloned();
        if cached.is_some() {
            return Ok(cached);
        }
        let path = self.key_path(tenant, learner);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let ring = Arc::new(KeyRing::decode(bytes).ok_or(Error::CorruptKey(path))?);
        self.cache
            .lock()
            .expect("key cache poisoned")
            .insert((tenant.to_owned(), learner), ring.clone());
        Ok(Some(ring))
    }

    fn create(&self, tenant: &str, learner: Uuid) -> Result<Arc<KeyRing>> {
        self.create_missing(tenant, [learner])?;
        self.ring(tenant, learner)?
            .ok_or_else(|| Error::Replication("a key just made is missing".into()))
    }

    /// Makes a key for each of `learners` of `tenant` that has none, publishing them
    /// together (one round trip to the shared log for a batch of new learners) before
    /// writing them here.
    pub fn create_missing(
        &self,
        tenant: &str,
        learners: impl IntoIterator<Item = Uuid>,
    ) -> Result<()> {
        let _changing = self.changing.lock().expect("key change lock poisoned");
        let mut new: Vec<(Uuid, [u8; KEY_BYTES])> = Vec::new();
        for learner in learners {
            if self.ring(tenant, learner)?.is_none() && new.iter().all(|(l, _)| *l != learner) {
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
        let rings = (new.into_iter()).map(|(learner, key)| (learner, key.to_vec()));
        self.write_rings(tenant, rings.collect())?;
        Ok(())
    }

    /// Writes a learner's key file durably and caches it.
    fn write_ring(&self, tenant: &str, learner: Uuid, bytes: Vec<u8>) -> Result<Arc<KeyRing>> {
        let mut written = self.write_rings(tenant, vec![(learner, bytes)])?;
        Ok(written.pop().expect("one ring written"))
    }

    /// Writes key files of learners of `tenant` durably (each to a temporary file,
    /// synced, renamed; then the directory synced once for all of them) and caches them.
    fn write_rings(&self, tenant: &str, rings: Vec<(Uuid, Vec<u8>)>) -> Result<Vec<Arc<KeyRing>>> {
        let tenant_dir = self.tenant_dir(tenant);
        create_dir(&tenant_dir)?;
        let mut written = Vec::with_capacity(rings.len());
        for (learner, bytes) in rings {
            let path = self.key_path(tenant, learner);
            let temporary = path.with_extension("new");
            write_synced(&temporary, &bytes)?;
            fs::rename(&temporary, &path).map_err(io_error(&path))?;
            let ring = KeyRing::decode(bytes).ok_or(Error::CorruptKey(path))?;
            written.push((learner, Arc::new(ring)));
        }
        sync_dir(&tenant_dir)?;
        let mut cache = self.cache.lock().expect("key cache poisoned");
        Ok((written.into_iter())
            .map(|(learner, ring)| {
                cache.insert((tenant.to_owned(), learner), ring.clone());
                ring
            })
            .collect())
    }

    fn remove_file(&self, tenant: &str, learner: Uuid) -> Result<()> {
        let path = self.key_path(tenant, learner);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.tenant_dir(tenant)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Drops a learner's cached ring and remembers `ids` as destroyed.
    fn forget(&self, tenant: &str, learner: Uuid, ids: &[[u8; 16]]) {
        self.cache
            .lock()
            .expect("key cache poisoned")
            .remove(&(tenant.to_owned(), learner));
        (self.destroyed.lock().expect("destroyed key ids poisoned")).extend(ids.iter().copied());
    }

    fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.dir.join(hex(tenant.as_bytes()))
    }

    fn key_path(&self, tenant: &str, learner: Uuid) -> PathBuf {
        self.tenant_dir(tenant).join(learner.to_string())
    }
}

fn decode_key(bytes: &[u8]) -> Option<DataKey> {
    if bytes.len() != KEY_BYTES {
        return None;
    }
    let id: [u8; 16] = bytes[..16].try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(&bytes[16..]).ok()?;
    Some(DataKey { id, cipher })
}

/// Lower-case hex, as tenant directory names are written.
fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(dir))
}

#[cfg(test)]
mod tests;
