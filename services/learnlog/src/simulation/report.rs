//! What the simulation counts and reports.
//!
//! - **attempts**: practice attempts until every competency is truly known at once;
//!   a learner that never gets there counts as the budget. Median and p90 over
//!   learners (linear interpolation between order statistics).
//! - **attempts_to_90_percent**: the same until 90% of the competencies are truly
//!   known at once; **known_at_stop**: the mean share truly known when learners stop
//!   (1 for those that got everything), which still tells policies apart when many
//!   learners reach the budget.
//! - **masteries**: how often a competency became mastered per the mastery view (read
//!   at each step), and how often it was not truly known then (false mastery).
//! - **band**: the share of practice whose served predicted success (the chosen
//!   competency's objective `predicted_success`, read at decision time) was inside the
//!   target band. Practice without such a prediction (a review, the fallback) is
//!   counted as `unknown`, outside the share.
//! - **wheel_spinning**, per learner and competency: a *flag* is the first time a
//!   `wheel_spinning` intervention names the pair; it is *right* when the learner was
//!   truly stuck on it then (see `learners`). A pair is *truly stuck* when the learner
//!   practised it at least [`STUCK_EVIDENCE`] times while truly stuck; it is *found*
//!   when it was flagged at some time while truly stuck. Precision = right flags /
//!   flags, recall = found / truly stuck pairs; `null` when there is nothing to divide.
//! - **practice**, by why it was chosen (`objective`, `review`, the policy's
//!   `own_rule`, the `fallback`) and by the truth then: the competency was
//!   `truly_known` already, `learnable`, blocked by a prerequisite not truly known
//!   (learn rate 0) that was never learned (`blocked_by_prerequisite_never_learned`,
//!   e.g. mastered by lucky guesses) or was learned and forgotten
//!   (`blocked_by_prerequisite_forgotten`), or at a `stuck_learn_rate`.

use super::policies::Why;
use super::run::Outcome;
use serde_json::{json, Value};

/// Practice while truly stuck before a pair counts as truly stuck: the wheel-spinning
/// literature's ten opportunities (Beck & Gong 2013); fewer cannot be told from slow
/// learning.
pub const STUCK_EVIDENCE: u32 = 10;
pub const BAND: (f64, f64) = (0.6, 0.85);

#[derive(Clone, Debug, Default)]
struct Pair {
    stuck_practice: u32,
    /// Truly stuck at the first flag.
    first_flag: Option<bool>,
    flagged_while_stuck: bool,
}

/// Counts of one learner (with its pairs) or of many (merged).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Practice by why it was chosen: objective, review, own rule, fallback.
    pub why: [u64; 4],
    pub in_band: u64,
    pub below: u64,
    pub above: u64,
    pub unknown: u64,
    /// Practice by the truth about the competency then: known already, learnable,
    /// blocked (a prerequisite never learned), slow (a stuck learn rate), blocked by a
    /// prerequisite forgotten.
    pub truth: [u64; 5],
    /// Competencies becoming mastered per the mastery view: all, and those while not
    /// truly known.
    pub masteries: u64,
    pub false_masteries: u64,
    pairs: Vec<Pair>,
    flags: u64,
    right_flags: u64,
    stuck: u64,
    found: u64,
}

impl Tally {
    pub fn new(competencies: usize) -> Self {
        Self {
            pairs: vec![Pair::default(); competencies],
            ..Self::default()
        }
    }

    /// One practice step chosen for `why`, with the served prediction if any.
    pub fn choice(&mut self, why: Why, predicted: Option<f64>) {
        let slot = match why {
            Why::Objective => 0,
            Why::Review => 1,
            Why::Own => 2,
            Why::Fallback => 3,
        };
        self.why[slot] += 1;
        match predicted {
            None => self.unknown += 1,
            Some(p) if p < BAND.0 => self.below += 1,
            Some(p) if p > BAND.1 => self.above += 1,
            Some(_) => self.in_band += 1,
        }
    }

    /// The truth about the competency practised (`Learner::truth`).
    pub fn practised(&mut self, truth: usize) {
        self.truth[truth.min(4)] += 1;
    }

    /// A competency became mastered per the mastery view; `known`: truly.
    pub fn mastered(&mut self, known: bool) {
        self.masteries += 1;
        self.false_masteries += u64::from(!known);
    }

    /// A wheel-spinning flag on `competency`, while truly `stuck` or not.
    pub fn flag(&mut self, competency: usize, stuck: bool) {
        let pair = &mut self.pairs[competency];
        pair.first_flag.get_or_insert(stuck);
        pair.flagged_while_stuck |= stuck;
    }

    /// Practice on `competency` while truly stuck on it.
    pub fn stuck_practice(&mut self, competency: usize) {
        self.pairs[competency].stuck_practice += 1;
    }

    /// Adds `other`'s counts, and its pairs as flags and truly stuck pairs.
    pub fn merge(&mut self, other: &Tally) {
        for (mine, theirs) in self.why.iter_mut().zip(other.why) {
            *mine += theirs;
        }
        for (mine, theirs) in self.truth.iter_mut().zip(other.truth) {
            *mine += theirs;
        }
        self.masteries += other.masteries;
        self.false_masteries += other.false_masteries;
        self.in_band += other.in_band;
        self.below += other.below;
        self.above += other.above;
        self.unknown += other.unknown;
        self.flags += other.flags;
        self.right_flags += other.right_flags;
        self.stuck += other.stuck;
        self.found += other.found;
        for pair in &other.pairs {
            if let Some(stuck) = pair.first_flag {
                self.flags += 1;
                self.right_flags += u64::from(stuck);
            }
            if pair.stuck_practice >= STUCK_EVIDENCE {
                self.stuck += 1;
                self.found += u64::from(pair.flagged_while_stuck);
            }
        }
    }
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The `q`-quantile of `values` (linear between order statistics).
pub fn quantile(values: &[usize], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return 0.0;
    }
    let position = q * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    let weight = position - low as f64;
    sorted[low] as f64 * (1.0 - weight) + sorted[high] as f64 * weight
}

/// One policy's section of the report.
pub fn policy_json(outcome: &Outcome, seconds: f64) -> Value {
    let (attempts, tally) = (&outcome.attempts, &outcome.tally);
    let [objective, review, own, fallback] = tally.why;
    let known = &outcome.known_at_stop;
    let known_at_stop = known.iter().sum::<f64>() / known.len().max(1) as f64;
    let predicted = tally.in_band + tally.below + tally.above;
    let mean = attempts.iter().sum::<usize>() as f64 / attempts.len().max(1) as f64;
    json!({
        "attempts": {
            "median": quantile(attempts, 0.5),
            "p90": quantile(attempts, 0.9),
            "mean": mean,
            "per_learner": attempts,
        },
        "attempts_to_90_percent": {
            "median": quantile(&outcome.most, 0.5),
            "p90": quantile(&outcome.most, 0.9),
        },
        "hit_budget": outcome.hit_budget,
        "masteries": {
            "total": tally.masteries,
            "not_truly_known": tally.false_masteries,
        },
        "known_at_stop": known_at_stop,
        "practice": {
            "total": objective + review + own + fallback,
            "objective": objective,
            "review": review,
            "own_rule": own,
            "fallback": fallback,
            "truly_known": tally.truth[0],
            "learnable": tally.truth[1],
            "blocked_by_prerequisite_never_learned": tally.truth[2],
            "blocked_by_prerequisite_forgotten": tally.truth[4],
            "stuck_learn_rate": tally.truth[3],
        },
        "band": {
            "low": BAND.0,
            "high": BAND.1,
            "in": tally.in_band,
            "below": tally.below,
            "above": tally.above,
            "unknown": tally.unknown,
            "share": ratio(tally.in_band, predicted),
        },
        "wheel_spinning": {
            "flagged": tally.flags,
            "flagged_while_stuck": tally.right_flags,
            "flagged_while_progressing": tally.flags - tally.right_flags,
            "truly_stuck": tally.stuck,
            "truly_stuck_flagged": tally.found,
            "precision": ratio(tally.right_flags, tally.flags),
            "recall": ratio(tally.found, tally.stuck),
        },
        "seconds": seconds,
    })
}

fn number(value: &Value, digits: usize) -> String {
    value
        .as_f64()
        .map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

/// The report as a table for people.
pub fn table(report: &Value) -> String {
    let mut out = format!(
        "{:<11} {:>7} {:>7} {:>7} {:>6} {:>8} {:>6} {:>6} {:>5} {:>5} {:>7}\n",
        "policy",
        "median",
        "p90",
        "mean",
        "budget",
        "in band",
        "flags",
        "stuck",
        "prec",
        "rec",
        "seconds"
    );
    for (name, p) in report["policies"].as_object().into_iter().flatten() {
        let ws = &p["wheel_spinning"];
        out.push_str(&format!(
            "{:<11} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6} {:>8} {:>6} {:>6} {:>5} {:>5} {:>7}\n",
            name,
            number(&p["attempts"]["median"], 0),
            number(&p["attempts"]["p90"], 0),
            number(&p["attempts"]["mean"], 0),
            number(&p["attempts_to_90_percent"]["median"], 0),
            number(&p["hit_budget"], 0),
            number(&p["known_at_stop"], 3),
            number(&p["band"]["share"], 3),
            number(&ws["flagged"], 0),
            number(&ws["truly_stuck"], 0),
            number(&ws["precision"], 2),
            number(&ws["recall"], 2),
            number(&p["seconds"], 0),
        ));
    }
    let ratios = &report["ratios"];
    out.push_str(&format!(
        "median attempts: curriculum/learnlog {}, random/learnlog {}\n",
        number(&ratios["curriculum_over_learnlog"], 3),
        number(&ratios["random_over_learnlog"], 3)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_and_flags_count_once_per_pair() {
        assert_eq!(quantile(&[4, 1, 3, 2], 0.5), 2.5);
        assert_eq!(
            quantile(&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 0.9),
            100.0
        );
        let mut learner = Tally::new(3);
        learner.flag(0, true);
        learner.flag(0, false);
        learner.flag(1, false);
        learner.flag(1, true);
        for _ in 0..STUCK_EVIDENCE {
            learner.stuck_practice(0);
            learner.stuck_practice(2);
        }
        let mut all = Tally::default();
        all.merge(&learner);
        all.merge(&learner);
        assert_eq!((all.flags, all.right_flags), (4, 2));
        assert_eq!((all.stuck, all.found), (4, 2));
    }
}
