//! The sealed format: `version(1) key_id(16) nonce(12) ciphertext+tag(16)`, AES-256-GCM
//! with a random nonce, the caller's context as associated data.

use crate::{DataKey, Error, Result};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::Nonce;
use rand::RngCore;

/// The first byte of every sealed value.
pub const SEALED_VERSION: u8 = 1;
const HEADER: usize = 1 + 16 + 12;
const TAG: usize = 16;

/// What opening a sealed value gives.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// The plaintext.
    Plain(Vec<u8>),
    /// The key it was sealed with is destroyed: the value is gone for good.
    Erased,
}

pub(crate) fn seal(key: &DataKey, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = key
        .cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let mut out = Vec::with_capacity(HEADER + ciphertext.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&key.id);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

/// The id of the key `value` was sealed with, once its header is checked.
pub(crate) fn key_id(value: &[u8]) -> Result<[u8; 16]> {
    if value.len() < HEADER + TAG {
        return Err(Error::Malformed("shorter than its header and tag"));
    }
    if value[0] != SEALED_VERSION {
        return Err(Error::Malformed("unknown version"));
    }
    Ok(value[1..17].try_into().expect("16 bytes"))
}

/// Opens `value` with `key`, the key of the id it names ([`key_id`]).
pub(crate) fn open(key: &DataKey, context: &[u8], value: &[u8]) -> Result<Opened> {
    if key_id(value)? != key.id {
        return Ok(Opened::Erased);
    }
    key.cipher
        .decrypt(
            Nonce::from_slice(&value[17..HEADER]),
            Payload {
                msg: &value[HEADER..],
                aad: context,
            },
        )
        .map(Opened::Plain)
        .map_err(|_| Error::Tampered)
}
