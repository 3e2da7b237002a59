//! One simulated learner: how it practises and what it answers.
//!
//! A learner works through a stretch of 10–20 consecutive competencies in 3 + Poisson(7)
//! sessions. The first starts on a day uniform in the first 30, each later one
//! 0.3 + Exponential(mean 3) days after the one before (plus 10–40 days in one case out
//! of ten), at a time of day uniform between 15:00 and 20:00. A session practises the
//! learner's current competency, with probability 0.45 a review of one practised
//! before and with probability 0.35 the competency after the current one (or, when
//! none of these applies, any competency of the stretch). Each is practised on items
//! drawn uniformly from those whose primary competency it is, 20–120 s apart, until
//! three correct answers in a row or ten items; three in a row on the current
//! competency makes the next one current.
//!
//! The hidden state follows the generating model ([`super::truth`]): a competency is
//! known at its first practice with the learner's prior; an answer is correct with
//! P(correct | known) when every competency of the item is known, else with
//! P(correct | not known); after it, each competency not known is learned with the
//! learner's learn rate. With forgetting, a known competency is lost between sessions
//! with probability 1 − 2^(−days / half-life), which also resets its success count.

use super::oracle::{Oracle, SESSION_GAP_DAYS};
use super::truth::Truth;
use crate::rng::SplitMix64;

/// 2025-01-06T08:00:00Z: day 0 of every synthetic log.
const EPOCH_S: i64 = 1_736_150_400;
const SECONDS_PER_DAY: f64 = 86_400.0;
const STRETCH: (usize, usize) = (10, 20);
const FIRST_DAY: f64 = 30.0;
const SESSIONS_BEYOND_THREE: f64 = 7.0;
const GAP_DAYS: (f64, f64) = (0.3, 3.0);
const LONG_BREAK: (f64, f64, f64) = (0.1, 10.0, 40.0);
const SESSION_START_HOURS: (f64, f64) = (15.0, 20.0);
const REVIEW_CHANCE: f64 = 0.45;
const NEXT_SKILL_CHANCE: f64 = 0.35;
const STREAK_TO_MOVE_ON: u32 = 3;
const MOST_ITEMS: u32 = 10;
const SECONDS_BETWEEN_ITEMS: (f64, f64) = (20.0, 120.0);

/// One answer the learner gave.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub item: u32,
    pub correct: bool,
    pub epoch_s: i64,
    /// The oracle's P(correct) before the answer.
    pub ceiling: f64,
}

/// The true state of one competency.
#[derive(Debug, Clone, Copy)]
struct Hidden {
    known: bool,
    /// Correct answers given while known, since it was last forgotten.
    successes: u32,
    last_day: f64,
}

/// Simulates every answer of learner `user`, in time order.
pub(crate) fn practise(truth: &Truth, user: usize, rng: &mut SplitMix64) -> Vec<Answer> {
    let count = truth.skills.len();
    let length = rng.between(STRETCH.0.min(count), STRETCH.1.min(count));
    let first = rng.between(0, count - length);
    let stretch: Vec<u32> = (first..first + length).map(|k| k as u32).collect();
    let mut learner = Learner {
        truth,
        user,
        hidden: vec![None; count],
        oracle: Oracle::new(truth, user),
        answers: Vec::new(),
    };
    let mut current = 0;
    let mut practised: Vec<u32> = Vec::new();
    let mut day = rng.uniform(0.0, FIRST_DAY);
    let sessions = 3 + rng.poisson(SESSIONS_BEYOND_THREE);
    for session in 0..sessions {
        if session > 0 {
            day += GAP_DAYS.0 + rng.exponential(GAP_DAYS.1);
            if rng.chance(LONG_BREAK.0) {
                day += rng.uniform(LONG_BREAK.1, LONG_BREAK.2);
            }
        }
        let mut second = 3600.0 * rng.uniform(SESSION_START_HOURS.0, SESSION_START_HOURS.1);
        for skill in plan(rng, &stretch, current, &practised) {
            let items = &truth.items_of[skill as usize];
            let (mut streak, mut answered) = (0, 0);
            while streak < STREAK_TO_MOVE_ON && answered < MOST_ITEMS {
                let item = items[rng.below(items.len())];
                let correct = learner.answer(item, day + second / SECONDS_PER_DAY, rng);
                streak = if correct { streak + 1 } else { 0 };
                answered += 1;
                second += rng.uniform(SECONDS_BETWEEN_ITEMS.0, SECONDS_BETWEEN_ITEMS.1);
            }
            if !practised.contains(&skill) {
                practised.push(skill);
            }
            if streak >= STREAK_TO_MOVE_ON && stretch.get(current) == Some(&skill) {
                current += 1;
            }
        }
    }
    learner.answers
}

/// The competencies one session practises, in order, each once.
fn plan(rng: &mut SplitMix64, stretch: &[u32], current: usize, practised: &[u32]) -> Vec<u32> {
    let mut plan = Vec::with_capacity(3);
    if let Some(&skill) = stretch.get(current) {
        plan.push(skill);
    }
    if !practised.is_empty() && rng.chance(REVIEW_CHANCE) {
        plan.push(practised[rng.below(practised.len())]);
    }
    if current + 1 < stretch.len() && rng.chance(NEXT_SKILL_CHANCE) {
        plan.push(stretch[current + 1]);
    }
    if plan.is_empty() {
        plan.push(stretch[rng.below(stretch.len())]);
    }
    let mut seen = Vec::with_capacity(plan.len());
    plan.retain(|skill| {
        let new = !seen.contains(skill);
        seen.push(*skill);
        new
    });
    plan
}

struct Learner<'t> {
    truth: &'t Truth,
    user: usize,
    hidden: Vec<Option<Hidden>>,
    oracle: Oracle,
    answers: Vec<Answer>,
}

impl Learner<'_> {
    /// Answers `item` at `day`: forgetting since the last practice, the answer, learning.
    fn answer(&mut self, item: u32, day: f64, rng: &mut SplitMix64) -> bool {
        let (truth, user) = (self.truth, self.user);
        let skills = &truth.items[item as usize].skills;
        for &k in skills {
            let hidden = self.hidden[k as usize].get_or_insert_with(|| Hidden {
                known: rng.chance(truth.prior(user, k)),
                successes: 0,
                last_day: day,
            });
            let gap = day - hidden.last_day;
            if truth.forgets() && gap > SESSION_GAP_DAYS && hidden.known {
                let half_life = truth.half_life_days(k, hidden.successes);
                if rng.chance(1.0 - (-gap / half_life).exp2()) {
                    hidden.known = false;
                    hidden.successes = 0;
                }
            }
        }
        let ceiling = self.oracle.predict(truth, item, day);
        let all_known = skills.iter().all(|&k| self.state(k).known);
        let (p0, p1) = truth.emissions(user, item);
        let correct = rng.chance(if all_known { p1 } else { p0 });
        self.oracle.update(truth, item, correct);
        for &k in skills {
            let learn = truth.learn(user, k);
            let hidden = self.hidden[k as usize].as_mut().expect("started above");
            if hidden.known {
                hidden.successes += u32::from(correct);
            } else if rng.chance(learn) {
                hidden.known = true;
            }
            hidden.last_day = day;
        }
        self.answers.push(Answer {
            item,
            correct,
            epoch_s: EPOCH_S + (day * SECONDS_PER_DAY) as i64,
            ceiling,
        });
        correct
    }

    fn state(&self, skill: u32) -> Hidden {
        self.hidden[skill as usize].expect("started")
    }
}
