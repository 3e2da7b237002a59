//! Per-learner data keys, and sealing personal data with them.
//!
//! Every learner (per tenant) gets a random 256-bit data key the first time something
//! of theirs is sealed. Their personal data is written to the log only sealed
//! (AES-256-GCM, [`sealed`]), so destroying the key ([`LearnerKeys::erase`]) makes
//! every copy of it unreadable, in the log and in every replay of it
//! (crypto-shredding): an immutable log can forget.
//!
//! Keys live outside the log, one file per learner under
//! `keys/<tenant as hex>/<learner id>` (mode 0600): 16 bytes of key id, 32 bytes of
//! key. A key is written durably (temporary file, fsync, rename, fsync of the
//! directory) before anything sealed with it is appended, and erased by unlinking the
//! file and syncing the directory. The key id travels with each sealed value, so data
//! sealed with an erased key stays unreadable even when the same learner later gets a
//! new key.

mod sealed;

pub use sealed::{Opened, SEALED_VERSION};

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use rand::RngCore;
use std::collections::HashMap;
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
    #[error("learner key file {0} is corrupt (expected 48 bytes)")]
    CorruptKey(PathBuf),
    #[error(
        "sealed value does not open with its learner's key: it was altered or belongs elsewhere"
    )]
    Tampered,
    #[error("sealed value is malformed: {0}")]
    Malformed(&'static str),
}

pub type Result<T> = std::result::Result<T, Error>;

/// One learner's data key.
#[derive(Clone)]
pub(crate) struct DataKey {
    pub(crate) id: [u8; 16],
    pub(crate) cipher: Aes256Gcm,
}

const KEY_FILE_BYTES: usize = 48;

/// The data keys of every learner of a data directory.
pub struct LearnerKeys {
    dir: PathBuf,
    /// Keys read or created, by tenant and learner. Only keys that exist are cached:
    /// an absent key is looked up again (it is absent only for erased learners).
    cache: Mutex<HashMap<(String, Uuid), Arc<DataKey>>>,
    /// Held while a key is created, so two writers never make two keys for a learner.
    creating: Mutex<()>,
}

impl LearnerKeys {
    /// The key store under `dir` (created when missing).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        create_dir(&dir)?;
        Ok(Self {
            dir,
            cache: Mutex::new(HashMap::new()),
            creating: Mutex::new(()),
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
        let key = match self.key(tenant, learner)? {
            Some(key) => key,
            None => self.create(tenant, learner)?,
        };
        Ok(sealed::seal(&key, context, plaintext))
    }

    /// Opens a value [`LearnerKeys::seal`] made for `learner` of `tenant` with
    /// `context`: [`Opened::Erased`] when the key it was sealed with no longer exists.
    pub fn open_sealed(
        &self,
        tenant: &str,
        learner: Uuid,
        context: &[u8],
        value: &[u8],
    ) -> Result<Opened> {
        let key = self.key(tenant, learner)?;
        sealed::open(key.as_deref(), context, value)
    }

    /// Whether `learner` of `tenant` has a key now.
    pub fn has_key(&self, tenant: &str, learner: Uuid) -> Result<bool> {
        Ok(self.key(tenant, learner)?.is_some())
    }

    /// Destroys the key of `learner` of `tenant`: everything sealed with it is
    /// unreadable from the moment this returns. True when there was a key.
    pub fn erase(&self, tenant: &str, learner: Uuid) -> Result<bool> {
        let _creating = self.creating.lock().expect("key creation lock poisoned");
        let path = self.key_path(tenant, learner);
        let existed = match fs::remove_file(&path) {
            Ok(()) => true,
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(source) => return Err(Error::Io { path, source }),
        };
        self.cache
            .lock()
            .expect("key cache poisoned")
            .remove(&(tenant.to_owned(), learner));
        if existed {
            sync_dir(&self.tenant_dir(tenant))?;
        }
        Ok(existed)
    }

    fn key(&self, tenant: &str, learner: Uuid) -> Result<Option<Arc<DataKey>>> {
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
        let key = Arc::new(decode_key(&bytes).ok_or(Error::CorruptKey(path))?);
        self.cache
            .lock()
            .expect("key cache poisoned")
            .insert((tenant.to_owned(), learner), key.clone());
        Ok(Some(key))
    }

    fn create(&self, tenant: &str, learner: Uuid) -> Result<Arc<DataKey>> {
        let _creating = self.creating.lock().expect("key creation lock poisoned");
        if let Some(key) = self.key(tenant, learner)? {
            return Ok(key);
        }
        let mut bytes = [0u8; KEY_FILE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let tenant_dir = self.tenant_dir(tenant);
        create_dir(&tenant_dir)?;
        let path = self.key_path(tenant, learner);
        let temporary = path.with_extension("new");
        write_synced(&temporary, &bytes)?;
        fs::rename(&temporary, &path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        sync_dir(&tenant_dir)?;
        let key = Arc::new(decode_key(&bytes).expect("48 bytes"));
        self.cache
            .lock()
            .expect("key cache poisoned")
            .insert((tenant.to_owned(), learner), key.clone());
        Ok(key)
    }

    fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.dir.join(hex(tenant.as_bytes()))
    }

    fn key_path(&self, tenant: &str, learner: Uuid) -> PathBuf {
        self.tenant_dir(tenant).join(learner.to_string())
    }
}

fn decode_key(bytes: &[u8]) -> Option<DataKey> {
    if bytes.len() != KEY_FILE_BYTES {
        return None;
    }
    let id: [u8; 16] = bytes[..16].try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(&bytes[16..]).ok()?;
    Some(DataKey { id, cipher })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
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
