//! A clock of ticks every task of the process shares, for callers that wait a while to
//! gather work: waiting for the next tick instead of for a fixed span from their own
//! last action, tasks that wait together wake together, so their work meets in one
//! group commit (the embedded log's write and fsync, a projection's sled batch).

use std::sync::OnceLock;
use std::time::Duration;
use tokio::time::Instant;

/// The first multiple of `period` after `now`, counted from an instant the whole
/// process shares (the first call's `now`): later than `now`, by at most `period`.
pub fn next_tick(now: Instant, period: Duration) -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(|| now);
    let period = period.as_nanos().max(1);
    let since = now.saturating_duration_since(epoch).as_nanos();
    let ticks = since / period + 1;
    epoch + Duration::from_nanos(u64::try_from(ticks * period).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::next_tick;
    use std::time::Duration;
    use tokio::time::Instant;

    #[test]
    fn callers_within_one_period_wake_together_at_its_end() {
        let period = Duration::from_millis(20);
        let first = Instant::now();
        let tick = next_tick(first, period);
        assert!(tick > first && tick - first <= period);
        // another caller later in the same period wakes at the same instant
        assert_eq!(next_tick(first + (tick - first) / 2, period), tick);
        // one calling at the tick itself waits a whole period, never zero
        assert_eq!(next_tick(tick, period), tick + period);
        // a caller of the next period wakes at that period's end
        assert_eq!(next_tick(tick + period / 4, period), tick + period);
    }
}
