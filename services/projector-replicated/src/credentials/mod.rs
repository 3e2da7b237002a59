//! Credentials: API keys with hashed secrets and xAPI scopes, and the tenants they
//! belong to, folded from `CredentialIssued` / `CredentialRevoked` / `TenantSet` events
//! on the credentials topic.

mod events;
mod secret;
mod tenants;
#[cfg(test)]
mod tests;
mod verified;

pub use events::{check_key, check_scopes, issued, new_key, revoked, OPERATOR_SCOPE, SCOPES};
pub use secret::{hash_chosen_secret, hash_secret, new_secret, SecretOrigin};
pub use tenants::{check_tenant_id, tenant_set, Tenant, DEFAULT_TENANT};
use verified::VerifiedSecrets;

use learnlog_projection::Projection;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, CredentialIssued, Envelope, TenantSet};
use learnlog_proto::{topics, Message};

const BY_KEY: &str = "credentials.by_key";
/// Tenant id → its latest `TenantSet`.
const TENANTS: &str = "credentials.tenants";

/// A credential as the API checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub key: String,
    pub tenant: String,
    pub scopes: Vec<String>,
    pub label: String,
}

/// The credentials fold.
#[derive(Debug, Default)]
pub struct CredentialStore;

impl CredentialStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "credentials";
}

impl Fold for CredentialStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::CREDENTIALS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[BY_KEY, TENANTS]
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let by_key = trees.tree(BY_KEY);
        match &event.event {
            Some(Event::CredentialIssued(issued)) => {
                if issued.key.is_empty() {
                    return Err(FoldError::BadEvent("credential key is empty".into()));
                }
                let stored = StoredCredential {
                    tenant: event.tenant.clone(),
                    issued: issued.clone(),
                };
                by_key.insert(issued.key.as_bytes(), stored.encode())?;
            }
            Some(Event::CredentialRevoked(revoked)) => {
                by_key.remove(revoked.key.as_bytes())?;
            }
            Some(Event::TenantSet(set)) => {
                if check_tenant_id(&event.tenant).is_err() {
                    return Err(FoldError::BadEvent(format!(
                        "tenant id {:?} is not valid",
                        event.tenant
                    )));
                }
                trees
                    .tree(TENANTS)
                    .insert(event.tenant.as_bytes(), set.encode_to_vec())?;
            }
            _ => {}
        }
        Ok(Folded::default())
    }
}

/// Value of `by_key`: tenant length (u16 BE), tenant, then the `CredentialIssued` event.
struct StoredCredential {
    tenant: String,
    issued: CredentialIssued,
}

impl StoredCredential {
    fn encode(&self) -> Vec<u8> {
        let mut value = (self.tenant.len() as u16).to_be_bytes().to_vec();
        value.extend_from_slice(self.tenant.as_bytes());
        self.issued.encode(&mut value).expect("vec grows as needed");
        value
    }

    fn decode(value: &[u8]) -> Option<Self> {
        let length = u16::from_be_bytes(value.get(..2)?.try_into().ok()?) as usize;
        let tenant = std::str::from_utf8(value.get(2..2 + length)?)
            .ok()?
            .to_owned();
        let issued = CredentialIssued::decode(value.get(2 + length..)?).ok()?;
        Some(Self { tenant, issued })
    }

    fn credential(self) -> Credential {
        Credential {
            key: self.issued.key,
            tenant: self.tenant,
            scopes: self.issued.scopes,
            label: self.issued.label,
        }
    }
}

/// What a fast look at a key and a secret tells (see [`CredentialReader::verify_fast`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// The secret is the credential's.
    Verified(Credential),
    /// No credential with this key, or another secret.
    Refused,
    /// The credential's secret is an Argon2id hash this process has not verified this
    /// secret against yet: [`CredentialReader::verify`] tells, slowly (tens of
    /// milliseconds, on a blocking thread).
    NeedsSlowHash,
}

/// Reads the credentials projection. Cheap to clone; clones share the memory of
/// verified Argon2id secrets.
#[derive(Clone)]
pub struct CredentialReader {
    by_key: learnlog_projection::StoreTree,
    tenants: learnlog_projection::StoreTree,
    verified: VerifiedSecrets,
}

impl CredentialReader {
    /// A reader over the credentials projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            by_key: projection.tree(BY_KEY),
            tenants: projection.tree(TENANTS),
            verified: VerifiedSecrets::new(),
        })
    }

    /// The credential for `key` when `secret` is its secret, without the slow hash: a
    /// salted SHA-256 is checked, an Argon2id hash only looked up among the secrets
    /// this process verified before.
    pub fn verify_fast(&self, key: &str, secret: &str) -> Result<Verification> {
        let Some(stored) = self.stored(key)? else {
            return Ok(Verification::Refused);
        };
        let phc = &stored.issued.secret_argon2id;
        if phc.is_empty() {
            let expected = hash_secret(&stored.issued.secret_salt, secret);
            let matches = secret::constant_time_eq(&expected, &stored.issued.secret_sha256);
            return Ok(match matches {
                true => Verification::Verified(stored.credential()),
                false => Verification::Refused,
            });
        }
        Ok(match self.verified.contains(key, phc, secret) {
            true => Verification::Verified(stored.credential()),
            false => Verification::NeedsSlowHash,
        })
    }

    /// The credential for `key` when `secret` is its secret. Slow (Argon2id) the first
    /// time an operator-chosen secret is verified in this process; a success is then
    /// remembered for [`CredentialReader::verify_fast`].
    pub fn verify(&self, key: &str, secret: &str) -> Result<Option<Credential>> {
        match self.verify_fast(key, secret)? {
            Verification::Verified(credential) => Ok(Some(credential)),
            Verification::Refused => Ok(None),
            Verification::NeedsSlowHash => {
                let Some(stored) = self.stored(key)? else {
                    return Ok(None);
                };
                let phc = &stored.issued.secret_argon2id;
                Ok(self
                    .verified
                    .verify_slowly(key, phc, secret)
                    .then(|| stored.credential()))
            }
        }
    }

    /// The credential with this key, if it is issued and not revoked.
    pub fn get(&self, key: &str) -> Result<Option<Credential>> {
        Ok(self.stored(key)?.map(StoredCredential::credential))
    }

    /// Every credential, by key.
    pub fn list(&self) -> Result<Vec<Credential>> {
        self.by_key
            .iter()
            .values()
            .map(|value| {
                StoredCredential::decode(&value?)
                    .map(StoredCredential::credential)
                    .ok_or_else(|| Error::Corrupt("credential".into()))
            })
            .collect()
    }

    /// The tenant `id`: as last set by the operator, [`Tenant::implicit`] for
    /// `default`, `None` for a tenant that was never created.
    pub fn tenant(&self, id: &str) -> Result<Option<Tenant>> {
        match self.tenants.get(id.as_bytes())? {
            Some(value) => Ok(Some(decode_tenant(id, &value)?)),
            None if id == DEFAULT_TENANT => Ok(Some(Tenant::implicit(id))),
            None => Ok(None),
        }
    }

    /// True unless the operator disabled tenant `id`: a credential of a tenant with
    /// no `TenantSet` (one issued before tenants existed) stays usable.
    pub fn tenant_enabled(&self, id: &str) -> Result<bool> {
        Ok(self.tenant(id)?.is_none_or(|tenant| !tenant.disabled))
    }

    /// Every tenant, by id, `default` among them.
    pub fn tenants(&self) -> Result<Vec<Tenant>> {
        let mut tenants = self
            .tenants
            .iter()
            .map(|entry| {
                let (id, value) = entry?;
                let id =
                    std::str::from_utf8(&id).map_err(|_| Error::Corrupt("tenant id".into()))?;
                decode_tenant(id, &value)
            })
            .collect::<Result<Vec<_>>>()?;
        if !tenants.iter().any(|tenant| tenant.id == DEFAULT_TENANT) {
            tenants.push(Tenant::implicit(DEFAULT_TENANT));
            tenants.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(tenants)
    }

    fn stored(&self, key: &str) -> Result<Option<StoredCredential>> {
        self.by_key
            .get(key.as_bytes())?
            .map(|value| {
                StoredCredential::decode(&value)
                    .ok_or_else(|| Error::Corrupt(format!("credential {key}")))
            })
            .transpose()
    }
}

fn decode_tenant(id: &str, value: &[u8]) -> Result<Tenant> {
    let set = TenantSet::decode(value).map_err(|_| Error::Corrupt(format!("tenant {id}")))?;
    Ok(Tenant::from_event(id, set))
}
