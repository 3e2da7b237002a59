//! The projector role's share of the work. The consumer group over `statements`
//! decides which partitions this process owns; owning partition `p` means folding
//! partition `p` of the partitioned projections (documents, mastery, profiles) and
//! re-publishing statements partition `p` by learner. When the group assigns `p` the
//! work starts from this process's checkpoints; when it takes `p` away the API stops
//! answering for `p` first, then the work stops after its batch in flight, the state is
//! flushed, and only then is `p` released to the group.

use learnlog_api::OwnedPartitions;
use learnlog_log::{GroupMember, Ownership};
use learnlog_projection::Projection;
use learnlog_repartition::Repartitioner;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often the repartitioner's positions of owned partitions go to the group, for
/// operators' lag tools.
const RECORD_POSITIONS_EVERY: Duration = Duration::from_secs(5);

/// What owning a partition means here.
#[derive(Clone)]
pub struct PartitionedWork {
    pub projections: Vec<Projection>,
    pub repartitioner: Repartitioner,
}

/// The work on one partition, while it runs.
struct Running {
    cancel: CancellationToken,
    tasks: Vec<JoinSet<()>>,
}

impl PartitionedWork {
    fn start(&self, partition: u32) -> Running {
        let cancel = CancellationToken::new();
        let mut tasks: Vec<JoinSet<()>> = self
            .projections
            .iter()
            .map(|projection| projection.run_partition(partition, cancel.clone()))
            .collect();
        tasks.push(self.repartitioner.run_partition(partition, cancel.clone()));
        Running { cancel, tasks }
    }

    /// Stops the work (each task commits its batch in flight) and writes the state.
    async fn stop(&self, running: Vec<Running>) {
        for work in &running {
            work.cancel.cancel();
        }
        for work in running {
            for set in work.tasks {
                set.join_all().await;
            }
        }
        for projection in &self.projections {
            if let Err(error) = projection.flush().await {
                tracing::error!(projection = projection.name(), %error, "flushing after a release failed");
            }
        }
        if let Err(error) = self.repartitioner.flush().await {
            tracing::error!(%error, "flushing the repartition checkpoints after a release failed");
        }
    }
}

/// Follows the group until `cancel` fires, then stops every partition's work and
/// leaves the group.
pub async fn follow(
    work: PartitionedWork,
    member: GroupMember,
    mut changes: UnboundedReceiver<Ownership>,
    owned: OwnedPartitions,
    cancel: CancellationToken,
) {
    let mut running: BTreeMap<u32, Running> = BTreeMap::new();
    let mut record_positions = tokio::time::interval(RECORD_POSITIONS_EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            change = changes.recv() => match change {
                None => break,
                Some(Ownership::Assigned(partitions)) => {
                    // Eager rebalancing revokes everything first; anything still
                    // running but not assigned again is stopped all the same.
                    let gone: Vec<u32> = running
                        .keys()
                        .filter(|p| !partitions.contains(p))
                        .copied()
                        .collect();
                    release(&work, &owned, &mut running, &gone).await;
                    for partition in partitions {
                        running
                            .entry(partition)
                            .or_insert_with(|| work.start(partition));
                        owned.insert(partition);
                    }
                    tracing::info!(partitions = ?owned.snapshot(), "owning partitions");
                }
                Some(Ownership::Revoking { partitions, release: done }) => {
                    let partitions: Vec<u32> = partitions.into_iter().collect();
                    release(&work, &owned, &mut running, &partitions).await;
                    tracing::info!(released = ?partitions, "partitions released");
                    done.done();
                }
            },
            _ = record_positions.tick() => {
                for partition in running.keys() {
                    member.commit(*partition, work.repartitioner.published(*partition));
                }
            }
        }
    }
    // Leaving revokes once more; nobody answers that revocation from here on.
    drop(changes);
    let all: Vec<u32> = running.keys().copied().collect();
    release(&work, &owned, &mut running, &all).await;
    for partition in all {
        member.commit(partition, work.repartitioner.published(partition));
    }
    let left = tokio::task::spawn_blocking(move || member.leave(Duration::from_secs(10))).await;
    if let Err(error) = left {
        tracing::warn!(%error, "leaving the consumer group failed");
    }
}

/// Stops answering for `partitions`, then stops their work.
async fn release(
    work: &PartitionedWork,
    owned: &OwnedPartitions,
    running: &mut BTreeMap<u32, Running>,
    partitions: &[u32],
) {
    for partition in partitions {
        owned.remove(*partition);
    }
    let stopping: Vec<Running> = partitions
        .iter()
        .filter_map(|partition| running.remove(partition))
        .collect();
    if !stopping.is_empty() {
        work.stop(stopping).await;
    }
}
