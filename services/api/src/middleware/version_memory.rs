//! Which xAPI version each credential last negotiated. A request that names no
//! version gets a 400 whose `X-Experience-API-Version` is the version its client
//! speaks (xAPI Communication §3.3 Versioning), so 1.0.3 and 2.0 clients both read a header they
//! understand without reconfiguring the server. Only a request whose credential
//! authenticated is remembered, and only an authenticated key is recalled: naming
//! another credential's key without its secret changes nothing for its clients.

use learnlog_xapi::XapiVersion;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Bound on remembered keys; past it the memory starts over.
const CAPACITY: usize = 10_000;

/// Shared memory of negotiated versions by credential key. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct VersionMemory(Arc<Mutex<HashMap<String, XapiVersion>>>);

impl VersionMemory {
    pub fn remember(&self, key: &str, version: XapiVersion) {
        let Ok(mut versions) = self.0.lock() else {
            return;
        };
        if versions.get(key) == Some(&version) {
            return;
        }
        if versions.len() >= CAPACITY {
            versions.clear();
        }
        versions.insert(key.to_owned(), version);
    }

    pub fn recall(&self, key: &str) -> Option<XapiVersion> {
        self.0.lock().ok()?.get(key).copied()
    }
}
