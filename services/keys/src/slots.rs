//! One tenant's learner keys on disk: a file of fixed-size slots, and its index in
//! memory.
//!
//! `keys/<tenant as hex>/slots` (mode 0600) is a sequence of [`SLOT_BYTES`]-byte slots:
//! the learner's id (16 bytes), the key (its 16-byte id and 32-byte AES key), and a
//! CRC-32 of those 64 bytes. New keys are appended, several at once with one
//! `fdatasync`, and a key is destroyed by overwriting its slot with zeros in place
//! (then `fdatasync`): the bytes of an erased key are gone from the file, not only
//! unlinked. Slots are never reused, so a slot's place never changes.
//!
//! A slot whose checksum fails holds no key: an append or an erasure a crash cut short
//! (neither was acknowledged, so nothing was sealed with the key, or its erasure was
//! asked for), or damage, which [`TenantSlots::unreadable`] counts. A partial slot at
//! the end (a cut-short append) is cut off before the next append.
//!
//! Directories written before this file existed hold one file per learner
//! (`keys/<tenant>/<learner id>`, its keys back to back); loading a tenant moves those
//! keys into its slot file, syncs it, and only then removes the old files, so a crash
//! in between converts them again (keys already in a slot are not added twice).

use crate::{io_error, Error, Result, KEY_BYTES};
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use uuid::Uuid;

/// Bytes of one slot: learner id, key id and key, CRC-32.
pub(crate) const SLOT_BYTES: usize = 16 + KEY_BYTES + 4;
const FILE: &str = "slots";

/// A learner's key and the slot holding it.
#[derive(Clone, Copy)]
pub(crate) struct SlotKey {
    slot: u64,
    pub(crate) key: [u8; KEY_BYTES],
}

impl SlotKey {
    pub(crate) fn id(&self) -> [u8; 16] {
        self.key[..16].try_into().expect("16 bytes")
    }
}

/// The keys of one tenant: every slot's key by learner, in slot order (the first seals),
/// and the file they are in.
pub(crate) struct TenantSlots {
    rings: RwLock<HashMap<Uuid, Vec<SlotKey>>>,
    file: Mutex<SlotFile>,
    unreadable: u64,
}

/// The slot file, opened when first written.
struct SlotFile {
    dir: PathBuf,
    file: Option<File>,
    /// Whole slots in the file.
    slots: u64,
}

impl TenantSlots {
    /// A tenant without keys, whose slot file will be in `dir`.
    pub(crate) fn empty(dir: PathBuf) -> Self {
        Self {
            rings: RwLock::new(HashMap::new()),
            file: Mutex::new(SlotFile {
                dir,
                file: None,
                slots: 0,
            }),
            unreadable: 0,
        }
    }

    /// Loads the tenant whose directory is `dir` (empty when it does not exist),
    /// converting per-learner key files.
    pub(crate) fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let mut rings: HashMap<Uuid, Vec<SlotKey>> = HashMap::new();
        let mut unreadable = 0;
        let whole = bytes.chunks_exact(SLOT_BYTES);
        let slots = whole.len() as u64;
        for (slot, bytes) in whole.enumerate() {
            match decode(bytes) {
                Decoded::Key(learner, key) => rings.entry(learner).or_default().push(SlotKey {
                    slot: slot as u64,
                    key,
                }),
                Decoded::Erased => {}
                Decoded::Unreadable => unreadable += 1,
            }
        }
        let tenant = Self {
            rings: RwLock::new(rings),
            file: Mutex::new(SlotFile {
                dir: dir.to_owned(),
                file: None,
                slots,
            }),
            unreadable,
        };
        tenant.convert_learner_files(dir)?;
        Ok(tenant)
    }

    /// The keys of `learner`, the sealing one first; empty when they have none.
    pub(crate) fn ring(&self, learner: Uuid) -> Vec<SlotKey> {
        let rings = self.rings.read().expect("key slots poisoned");
        rings.get(&learner).cloned().unwrap_or_default()
    }

    /// Slots whose checksum failed when the file was loaded.
    pub(crate) fn unreadable(&self) -> u64 {
        self.unreadable
    }

    /// Appends `keys` durably, then makes them visible.
    pub(crate) fn append(&self, keys: &[(Uuid, [u8; KEY_BYTES])]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut file = self.file.lock().expect("key slot file poisoned");
        let first = file.slots;
        let mut bytes = Vec::with_capacity(keys.len() * SLOT_BYTES);
        for (learner, key) in keys {
            bytes.extend_from_slice(&encode(*learner, key));
        }
        file.write_synced(first * SLOT_BYTES as u64, &bytes)?;
        file.slots += keys.len() as u64;
        let mut rings = self.rings.write().expect("key slots poisoned");
        for (slot, (learner, key)) in (first..).zip(keys) {
            let key = *key;
            rings
                .entry(*learner)
                .or_default()
                .push(SlotKey { slot, key });
        }
        Ok(())
    }

    /// Overwrites with zeros the slots of `learner`'s keys that `destroy` selects,
    /// durably, and forgets them.
    pub(crate) fn destroy(&self, learner: Uuid, destroy: impl Fn(&SlotKey) -> bool) -> Result<()> {
        let mut file = self.file.lock().expect("key slot file poisoned");
        let doomed: Vec<u64> = (self.ring(learner).iter())
            .filter(|key| destroy(key))
            .map(|key| key.slot)
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        file.zero_synced(&doomed)?;
        let mut rings = self.rings.write().expect("key slots poisoned");
        if let Some(ring) = rings.get_mut(&learner) {
            ring.retain(|key| !doomed.contains(&key.slot));
            if ring.is_empty() {
                rings.remove(&learner);
            }
        }
        Ok(())
    }

    /// Moves the keys of per-learner files in `dir` into slots, then removes the files
    /// (and temporary files those writers left).
    fn convert_learner_files(&self, dir: &Path) -> Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(io_error(dir)(source)),
        };
        let mut converted = Vec::new();
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(dir))?;
            // (the empty tenant's directory also holds the other tenants' directories)
            if !entry.file_type().map_err(io_error(dir))?.is_file() {
                continue;
            }
            let path = entry.path();
            let name = path.file_name().and_then(|name| name.to_str());
            let Some(name) = name.filter(|&name| name != FILE) else {
                continue;
            };
            if let Some(learner) = name.strip_suffix(".new") {
                if Uuid::parse_str(learner).is_ok() {
                    converted.push(path); // never renamed into place, so never used
                }
                continue;
            }
            let Ok(learner) = Uuid::parse_str(name) else {
                continue;
            };
            let bytes = fs::read(&path).map_err(io_error(&path))?;
            if bytes.is_empty() || !bytes.len().is_multiple_of(KEY_BYTES) {
                return Err(Error::CorruptKey(path));
            }
            let known = self.ring(learner);
            for key in bytes.chunks_exact(KEY_BYTES) {
                if known.iter().all(|slot| slot.key[..16] != key[..16]) {
                    keys.push((learner, key.try_into().expect("a whole key")));
                }
            }
            converted.push(path);
        }
        if converted.is_empty() {
            return Ok(());
        }
        self.append(&keys)?;
        for path in &converted {
            fs::remove_file(path).map_err(io_error(path))?;
        }
        crate::sync_dir(dir)
    }
}

impl SlotFile {
    fn open(&mut self) -> Result<&File> {
        if self.file.is_none() {
            let path = self.dir.join(FILE);
            crate::create_dir(&self.dir)?;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
                .map_err(io_error(&path))?;
            // a partial slot a crash left at the end is cut off before appending
            file.set_len(self.slots * SLOT_BYTES as u64)
                .and_then(|()| file.sync_all())
                .map_err(io_error(&path))?;
            crate::sync_dir(&self.dir)?;
            self.file = Some(file);
        }
        Ok(self.file.as_ref().expect("just opened"))
    }

    fn write_synced(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(FILE);
        let file = self.open()?;
        (file.write_all_at(bytes, offset))
            .and_then(|()| file.sync_data())
            .map_err(io_error(&path))
    }

    fn zero_synced(&mut self, slots: &[u64]) -> Result<()> {
        let path = self.dir.join(FILE);
        let file = self.open()?;
        for slot in slots {
            (file.write_all_at(&[0; SLOT_BYTES], slot * SLOT_BYTES as u64))
                .map_err(io_error(&path))?;
        }
        file.sync_data().map_err(io_error(&path))
    }
}

enum Decoded {
    Key(Uuid, [u8; KEY_BYTES]),
    Erased,
    Unreadable,
}

fn encode(learner: Uuid, key: &[u8; KEY_BYTES]) -> [u8; SLOT_BYTES] {
    let mut slot = [0; SLOT_BYTES];
    slot[..16].copy_from_slice(learner.as_bytes());
    slot[16..16 + KEY_BYTES].copy_from_slice(key);
    let checksum = crc32fast::hash(&slot[..16 + KEY_BYTES]);
    slot[16 + KEY_BYTES..].copy_from_slice(&checksum.to_be_bytes());
    slot
}

fn decode(slot: &[u8]) -> Decoded {
    if slot.iter().all(|&byte| byte == 0) {
        return Decoded::Erased;
    }
    let (body, checksum) = slot.split_at(16 + KEY_BYTES);
    if crc32fast::hash(body).to_be_bytes() != checksum {
        return Decoded::Unreadable;
    }
    let learner = Uuid::from_bytes(body[..16].try_into().expect("16 bytes"));
    Decoded::Key(learner, body[16..].try_into().expect("a whole key"))
}
