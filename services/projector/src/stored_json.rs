//! Records kept as JSON in a fold's trees: read and written by the fold, a record that does not decode failing the event rather than the process.

use learnlog_projection::FoldError;
use learnlog_projection::FoldTree;
use serde::de::DeserializeOwned;

pub fn read_json<T: DeserializeOwned>(
    tree: FoldTree<'_>,
    key: &[u8],
    what: &str,
) -> Result<Option<T>, FoldError> {
    tree.get(key)?
        .map(|bytes| {
            serde_json::from_slice(&bytes)
                .map_err(|error| FoldError::BadEvent(format!("stored {what} is corrupt: {error}")))
        })
        .transpose()
}

pub fn write_json<T: serde::Serialize>(
    tree: FoldTree<'_>,
    key: Vec<u8>,
    value: &T,
) -> Result<(), FoldError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|error| FoldError::BadEvent(format!("record does not encode: {error}")))?;
    tree.insert(key, bytes)?;
    Ok(())
}
