//! Claims on statement ids while a write is in flight in this process. A request that
//! gives ids claims all of them before it looks them up in the store and holds them
//! until it has its outcome; a second request naming one of those ids waits for the
//! first to finish, then looks up, and so answers 409 before appending anything when
//! the first stored other content under the id. Two writers racing with the same id and
//! different content therefore never both append: the loser's other statements are not
//! stored (ADR 2). Claims are all or nothing, so two batches naming the same ids in
//! different orders cannot deadlock.
//!
//! Claims are per process: writers racing through two processes on Kafka still both
//! append, and the fold decides (the loser's other statements are stored).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use uuid::Uuid;

/// A tenant and a statement id.
type Key = (String, Uuid);

/// The ids claimed in this process, by tenant; each with its claim's release signal.
#[derive(Clone, Default)]
pub struct StatementClaims {
    claimed: Arc<Mutex<HashMap<Key, Arc<Notify>>>>,
}

/// The ids a request holds; released when dropped.
pub struct Claim {
    claims: StatementClaims,
    keys: Vec<Key>,
    released: Arc<Notify>,
}

impl StatementClaims {
    /// Claims every id in `ids` for `tenant`, waiting while another request holds any.
    pub async fn claim(&self, tenant: &str, ids: &[Uuid]) -> Claim {
        let keys: Vec<Key> = ids.iter().map(|id| (tenant.to_owned(), *id)).collect();
        loop {
            let busy = {
                let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
                match keys.iter().find_map(|key| claimed.get(key).cloned()) {
                    Some(holder) => {
                        // registered before the lock is released, so a release between
                        // here and the await below still wakes this request
                        let mut waiting = Box::pin(holder.notified_owned());
                        waiting.as_mut().enable();
                        Some(waiting)
                    }
                    None => {
                        let released = Arc::new(Notify::new());
                        for key in &keys {
                            claimed.insert(key.clone(), released.clone());
                        }
                        return Claim {
                            claims: self.clone(),
                            keys,
                            released,
                        };
                    }
                }
            };
            if let Some(waiting) = busy {
                waiting.await;
            }
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut claimed = self
            .claims
            .claimed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            claimed.remove(key);
        }
        self.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_claim_on_an_id_waits_until_the_first_is_released() {
        let claims = StatementClaims::default();
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let first = claims.claim("t", &[a, b]).await;
        // another tenant's same id, and other ids, are not held up
        let _other_tenant = claims.claim("u", &[a]).await;
        let _other_ids = claims.claim("t", &[c]).await;
        let waiting = tokio::spawn({
            let claims = claims.clone();
            async move { claims.claim("t", &[b, a]).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "claimed while held");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released claims are taken")
            .unwrap();
        drop(second);
        assert!(claims.claimed.lock().unwrap().len() == 2);
    }
}
