//! The parameter sets a partition folds with: a published set is stored by id and
//! pointed to per partition and tenant; parsed sets are cached by id.

use super::{bad, MasteryStore, MODELS, UNFITTED};
use learnlog_mastery::{Loaded, ParameterSet};
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_proto::v1::MasteryModelPublished;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Parsed parameter sets by id; shared by the fold and the reader. Ids name immutable
/// sets, so caching by id cannot change a result.
#[derive(Clone, Default)]
pub(crate) struct ModelCache(Arc<Mutex<HashMap<String, Arc<Loaded>>>>);

impl ModelCache {
    pub(crate) fn get_or_parse(
        &self,
        id: &str,
        json: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Result<Arc<Loaded>, String> {
        if let Some(loaded) = self.0.lock().expect("model cache").get(id) {
            return Ok(loaded.clone());
        }
        let set = if id == UNFITTED {
            ParameterSet::unfitted()
        } else {
            let bytes = json().ok_or_else(|| format!("parameter set {id} is not stored"))?;
            ParameterSet::from_json(&bytes).map_err(|e| e.to_string())?
        };
        let loaded = Arc::new(set.load());
        self.0
            .lock()
            .expect("model cache")
            .insert(id.to_owned(), loaded.clone());
        Ok(loaded)
    }
}

pub(crate) fn model_pointer(partition: u32, tenant: &str) -> Vec<u8> {
    let mut key = b"p".to_vec();
    key.extend_from_slice(&partition.to_be_bytes());
    key.extend_from_slice(tenant.as_bytes());
    key
}

pub(crate) fn model_key(id: &str) -> Vec<u8> {
    let mut key = b"m".to_vec();
    key.extend_from_slice(id.as_bytes());
    key
}

impl MasteryStore {
    pub(super) fn publish(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
        published: &MasteryModelPublished,
    ) -> Result<(), FoldError> {
        if published.model_id.is_empty() || published.model_id == UNFITTED {
            return Err(bad("model_id is empty or reserved"));
        }
        ParameterSet::from_json(&published.parameters_json)
            .map_err(|e| bad(format!("parameters_json: {e}")))?;
        let models = trees.tree(MODELS);
        models.insert(
            model_key(&published.model_id),
            published.parameters_json.as_slice(),
        )?;
        models.insert(
            model_pointer(partition, tenant),
            published.model_id.as_bytes(),
        )?;
        Ok(())
    }

    pub(super) fn current_model(
        &self,
        trees: &FoldTrees<'_>,
        partition: u32,
        tenant: &str,
    ) -> Result<(String, Arc<Loaded>), FoldError> {
        let models = trees.tree(MODELS);
        let id = match models.get(model_pointer(partition, tenant))? {
            Some(id) => String::from_utf8(id.to_vec()).map_err(|_| bad("corrupt model id"))?,
            None => UNFITTED.to_owned(),
        };
        let mut stored = None;
        if id != UNFITTED {
            stored = models.get(model_key(&id))?.map(|v| v.to_vec());
        }
        let loaded = self.models.get_or_parse(&id, || stored).map_err(bad)?;
        Ok((id, loaded))
    }
}
