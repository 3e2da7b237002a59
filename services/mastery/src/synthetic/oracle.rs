//! The ceiling: a Bayes filter of one learner's hidden state that knows the *true*
//! parameters, the learner's ability included. Its P(correct) is the best prediction
//! any model can make from the same responses, up to one thing it cannot see: how many
//! correct answers were given while the competency was actually known (the half-life
//! grows with those), for which it counts every correct answer.
//!
//! On an item with several competencies the belief is a product of independent
//! per-competency beliefs and the update is the exact posterior of each under that
//! independence; with one competency and no forgetting it is standard BKT's filter.

use super::truth::Truth;

/// Time between two pieces of practice on a competency after which forgetting
/// applies (shorter gaps are within one session).
pub(crate) const SESSION_GAP_DAYS: f64 = 0.25;

/// What the filter believes about one competency.
#[derive(Debug, Clone, Copy)]
struct Belief {
    p_known: f64,
    correct: u32,
    last_day: f64,
}

/// The filter's state for one learner.
#[derive(Debug)]
pub(crate) struct Oracle {
    user: usize,
    beliefs: Vec<Option<Belief>>,
}

impl Oracle {
    pub(crate) fn new(truth: &Truth, user: usize) -> Self {
        Self {
            user,
            beliefs: vec![None; truth.skills.len()],
        }
    }

    /// P(correct) on `item` answered at `day`, after forgetting since the last practice.
    pub(crate) fn predict(&mut self, truth: &Truth, item: u32, day: f64) -> f64 {
        let skills = &truth.items[item as usize].skills;
        for &k in skills {
            let belief = self.beliefs[k as usize].get_or_insert(Belief {
                p_known: truth.prior(self.user, k),
                correct: 0,
                last_day: day,
            });
            let gap = day - belief.last_day;
            if truth.forgets() && gap > SESSION_GAP_DAYS {
                let half_life = truth.half_life_days(k, belief.correct);
                belief.p_known *= (-gap / half_life).exp2();
            }
            belief.last_day = day;
        }
        let (p0, p1) = truth.emissions(self.user, item);
        let p_all = self.p_all_known(skills);
        p_all * p1 + (1.0 - p_all) * p0
    }

    /// Conditions every competency of `item` on the answer, then lets each be learned.
    /// Call after [`Oracle::predict`] on the same item.
    pub(crate) fn update(&mut self, truth: &Truth, item: u32, correct: bool) {
        let skills = &truth.items[item as usize].skills;
        let (p0, p1) = truth.emissions(self.user, item);
        let (if_known, if_not) = if correct {
            (p1, p0)
        } else {
            (1.0 - p1, 1.0 - p0)
        };
        let p_all = self.p_all_known(skills);
        let evidence = p_all * if_known + (1.0 - p_all) * if_not;
        let before: Vec<f64> = skills.iter().map(|&k| self.p_known(k)).collect();
        for (j, &k) in skills.iter().enumerate() {
            let others: f64 = (before.iter().enumerate())
                .filter(|&(i, _)| i != j)
                .map(|(_, p)| p)
                .product();
            let posterior = before[j] * (others * if_known + (1.0 - others) * if_not) / evidence;
            let learn = truth.learn(self.user, k);
            let belief = self.beliefs[k as usize].as_mut().expect("predicted first");
            belief.p_known = posterior + (1.0 - posterior) * learn;
            belief.correct += u32::from(correct);
        }
    }

    fn p_known(&self, skill: u32) -> f64 {
        self.beliefs[skill as usize].map_or(0.0, |b| b.p_known)
    }

    fn p_all_known(&self, skills: &[u32]) -> f64 {
        skills.iter().map(|&k| self.p_known(k)).product()
    }
}
