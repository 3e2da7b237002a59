//! Reading forwarding definitions: one, a tenant's, or every tenant's (what the
//! forwarder delivers).

use super::{forwarding_key, Forwarding, DEFINITIONS};
use learnlog_projection::Projection;
use learnlog_projector::{tenant_prefix, Error, Result};

/// Reads the forwardings projection. Cheap to clone.
#[derive(Clone)]
pub struct ForwardingReader {
    definitions: learnlog_projection::StoreTree,
}

fn decode(bytes: &[u8]) -> Result<Forwarding> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt(format!("forwarding: {e}")))
}

impl ForwardingReader {
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            definitions: projection.tree(DEFINITIONS),
        })
    }

    pub fn get(&self, tenant: &str, id: &str) -> Result<Option<Forwarding>> {
        (self.definitions.get(forwarding_key(tenant, id))?)
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    /// The tenant's forwardings, by id.
    pub fn list(&self, tenant: &str) -> Result<Vec<Forwarding>> {
        (self.definitions.scan_prefix(tenant_prefix(tenant)).values())
            .map(|bytes| decode(&bytes?))
            .collect()
    }

    /// Every tenant's forwardings, with their tenant.
    pub fn all(&self) -> Result<Vec<(String, Forwarding)>> {
        self.definitions
            .iter()
            .map(|entry| {
                let (key, bytes) = entry?;
                let end = (key.iter().position(|b| *b == 0))
                    .ok_or_else(|| Error::Corrupt("forwarding key has no tenant".into()))?;
                let tenant = String::from_utf8(key[..end].to_vec())
                    .map_err(|_| Error::Corrupt("forwarding tenant is not UTF-8".into()))?;
                Ok((tenant, decode(&bytes)?))
            })
            .collect()
    }
}
