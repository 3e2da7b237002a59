//! Every partition's end of one topic, asked once for all the callers that want it at
//! the same time. Statement reads ask for the ends on every request (read-your-writes:
//! whatever was acknowledged before the request must be folded before it is answered),
//! and on a broker that answers ListOffsets from storage (tansu on SQLite) concurrent
//! readers kept it busy asking the same question.
//!
//! Asks go in rounds, one in flight at a time. A caller joins the first round that
//! starts after it arrived, never one already in flight, so the ends it gets were asked
//! after the call began and cover every append acknowledged before it.

use std::sync::{Condvar, Mutex, MutexGuard};

use crate::{Error, Result};

/// The rounds of one topic's ends.
#[derive(Debug, Default)]
pub(crate) struct SharedEnds {
    rounds: Mutex<Rounds>,
    finished: Condvar,
}

#[derive(Debug, Default)]
struct Rounds {
    /// The number of the newest round started.
    started: u64,
    /// The number of the newest round finished, and its answer (an error as text).
    finished: u64,
    answer: Option<std::result::Result<Vec<u64>, String>>,
    in_flight: bool,
}

impl SharedEnds {
    /// The answer of a round `ask` started after this call: `ask` runs on this thread
    /// when no round is in flight when this caller's turn comes, otherwise this waits
    /// for the round after the one in flight. Another caller's failed round answers
    /// [`Error::Unavailable`] with its reason.
    pub fn ask(&self, topic: &str, ask: impl FnOnce() -> Result<Vec<u64>>) -> Result<Vec<u64>> {
        let mut rounds = self.lock();
        let wanted = rounds.started + 1;
        loop {
            if rounds.finished >= wanted {
                return match rounds.answer.clone() {
                    Some(Ok(ends)) => Ok(ends),
                    Some(Err(reason)) => Err(Error::Unavailable {
                        context: format!("reading the high watermarks of {topic}"),
                        reason,
                    }),
                    None => unreachable!("a finished round has an answer"),
                };
            }
            if !rounds.in_flight {
                rounds.in_flight = true;
                rounds.started += 1;
                let number = rounds.started;
                drop(rounds);
                let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(ask));
                let mut rounds = self.lock();
                rounds.in_flight = false;
                rounds.finished = number;
                rounds.answer = Some(match &answer {
                    Ok(Ok(ends)) => Ok(ends.clone()),
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(_) => Err("the request for the ends panicked".to_owned()),
                });
                self.finished.notify_all();
                drop(rounds);
                return answer.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
            rounds = self
                .finished
                .wait(rounds)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn lock(&self) -> MutexGuard<'_, Rounds> {
        self.rounds.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    #[test]
    fn a_caller_alone_asks_itself() {
        let ends = SharedEnds::default();
        assert_eq!(ends.ask("t", || Ok(vec![3, 4])).unwrap(), vec![3, 4]);
        assert_eq!(ends.ask("t", || Ok(vec![5, 6])).unwrap(), vec![5, 6]);
    }

    /// Callers arriving while a round is in flight share the next round: one more ask,
    /// not one each, and none of them gets the answer of the round that began before it.
    #[test]
    fn callers_arriving_during_a_round_share_the_next_one() {
        let ends = Arc::new(SharedEnds::default());
        let asked = Arc::new(AtomicU64::new(0));
        let first_in_flight = Arc::new(Barrier::new(2));
        let first = {
            let (ends, asked, in_flight) = (ends.clone(), asked.clone(), first_in_flight.clone());
            std::thread::spawn(move || {
                ends.ask("t", || {
                    in_flight.wait();
                    std::thread::sleep(Duration::from_millis(200));
                    Ok(vec![asked.fetch_add(1, Ordering::SeqCst) + 1])
                })
            })
        };
        first_in_flight.wait();
        let later: Vec<_> = (0..6)
            .map(|_| {
                let (ends, asked) = (ends.clone(), asked.clone());
                std::thread::spawn(move || {
                    ends.ask("t", || {
                        std::thread::sleep(Duration::from_millis(50));
                        Ok(vec![asked.fetch_add(1, Ordering::SeqCst) + 1])
                    })
                })
            })
            .collect();
        assert_eq!(first.join().unwrap().unwrap(), vec![1]);
        for caller in later {
            assert_eq!(
                caller.join().unwrap().unwrap(),
                vec![2],
                "a round started after the caller arrived"
            );
        }
        assert_eq!(
            asked.load(Ordering::SeqCst),
            2,
            "two rounds for seven callers"
        );
    }

    /// The caller that asks gets its own error; a caller that joined its round gets
    /// Unavailable with the reason.
    #[test]
    fn a_failed_round_fails_its_callers_as_unavailable() {
        let ends = Arc::new(SharedEnds::default());
        let in_flight = Arc::new(Barrier::new(2));
        let first = {
            let (ends, in_flight) = (ends.clone(), in_flight.clone());
            std::thread::spawn(move || {
                ends.ask("t", || {
                    in_flight.wait();
                    std::thread::sleep(Duration::from_millis(200));
                    Ok(vec![1])
                })
            })
        };
        in_flight.wait();
        let failing: Vec<_> = (0..2)
            .map(|_| {
                let ends = ends.clone();
                std::thread::spawn(move || {
                    ends.ask("t", || Err(Error::Unsupported("no leader".into())))
                })
            })
            .collect();
        first.join().unwrap().unwrap();
        let mut failures: Vec<Error> = (failing.into_iter())
            .map(|caller| caller.join().unwrap().unwrap_err())
            .collect();
        failures.sort_by_key(|error| matches!(error, Error::Unavailable { .. }));
        assert!(
            matches!(&failures[0], Error::Unsupported(_)),
            "{}",
            failures[0]
        );
        match &failures[1] {
            Error::Unavailable { reason, .. } => assert_eq!(reason, "no leader"),
            other => panic!("the caller that joined got {other:?}"),
        }
    }
}
