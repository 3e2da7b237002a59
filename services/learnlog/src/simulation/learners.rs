//! Simulated learners: the ground truth the policies are judged against.
//!
//! Each learner has, for every competency, true parameters drawn uniformly from these
//! ranges (seeded, the same under every policy):
//!
//! | parameter | range | meaning |
//! |---|---|---|
//! | initial known | P = 0.05 | known before any practice (only when its prerequisites are) |
//! | learn | 0.10–0.35 | P(learning it) on one practice opportunity |
//! | guess | 0.10–0.30 | P(correct) when not known |
//! | slip | 0.05–0.15 | P(incorrect) when known |
//! | forget | 0.000–0.004 a day | P(a known competency is forgotten) per simulated day |
//!
//! A third of the learners are *stuck* on one or two competencies (not a root, chosen
//! at random): their learn rate there is 0.02–0.04, so practice rarely helps.
//!
//! The true state evolves by BKT's generative process with forgetting: an answer is
//! correct with 1 − slip when the competency is known and with guess when it is not;
//! after the answer a competency not known is learned with its learn rate, but only
//! when every prerequisite is truly known (otherwise the rate is 0, which is what makes
//! prerequisite order matter); between steps each known competency is forgotten with
//! 1 − (1 − forget)^(hours / 24).
//!
//! A learner is *truly stuck* on a competency when it does not know it and practice
//! can hardly teach it now: its effective learn rate is below [`STUCK_LEARN`], i.e. it
//! is one of the learner's stuck competencies or a prerequisite is not truly known.

use super::framework::Framework;
use learnlog_mastery::rng::SplitMix64;

/// An effective learn rate below this is "truly stuck" (normal rates start at 0.10,
/// stuck ones end at 0.04).
pub const STUCK_LEARN: f64 = 0.05;
/// P(a competency is known before any practice), when its prerequisites are.
const INITIAL_KNOWN: f64 = 0.05;
const LEARN: (f64, f64) = (0.10, 0.35);
const STUCK_RATE: (f64, f64) = (0.02, 0.04);
const GUESS: (f64, f64) = (0.10, 0.30);
const SLIP: (f64, f64) = (0.05, 0.15);
const FORGET_PER_DAY: (f64, f64) = (0.0, 0.004);
/// Share of learners stuck on one or two competencies.
const STUCK_LEARNERS: f64 = 1.0 / 3.0;

/// One learner's truth about one competency.
#[derive(Clone, Debug)]
pub struct Skill {
    pub known: bool,
    /// Known once and forgotten since (not learned again yet).
    pub forgotten: bool,
    pub learn: f64,
    pub guess: f64,
    pub slip: f64,
    pub forget_per_day: f64,
}

/// A simulated learner: true skills and its own random stream.
#[derive(Clone, Debug)]
pub struct Learner {
    pub skills: Vec<Skill>,
    /// Competencies with a stuck learn rate.
    pub stuck_on: Vec<usize>,
    rng: SplitMix64,
}

/// The same `count` learners for a seed, whatever the policy.
pub fn generate(framework: &Framework, count: usize, seed: u64) -> Vec<Learner> {
    (0..count)
        .map(|i| Learner::new(framework, seed, i as u64))
        .collect()
}

impl Learner {
    fn new(framework: &Framework, seed: u64, index: u64) -> Self {
        let mut rng =
            SplitMix64::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((index + 1) << 20));
        let mut skills: Vec<Skill> = Vec::with_capacity(framework.len());
        for needs in &framework.prerequisites {
            let ready = needs.iter().all(|&p| skills[p].known);
            skills.push(Skill {
                known: ready && rng.next_f64() < INITIAL_KNOWN,
                forgotten: false,
                learn: rng.uniform(LEARN.0, LEARN.1),
                guess: rng.uniform(GUESS.0, GUESS.1),
                slip: rng.uniform(SLIP.0, SLIP.1),
                forget_per_day: rng.uniform(FORGET_PER_DAY.0, FORGET_PER_DAY.1),
            });
        }
        let mut stuck_on = Vec::new();
        let candidates: Vec<usize> = (0..framework.len())
            .filter(|&c| !framework.prerequisites[c].is_empty())
            .collect();
        if !candidates.is_empty() && rng.next_f64() < STUCK_LEARNERS {
            let how_many = 1 + (rng.next_u64() % 2) as usize;
            for _ in 0..how_many.min(candidates.len()) {
                let c = candidates[(rng.next_u64() % candidates.len() as u64) as usize];
                if !stuck_on.contains(&c) {
                    skills[c].learn = rng.uniform(STUCK_RATE.0, STUCK_RATE.1);
                    skills[c].known = false;
                    stuck_on.push(c);
                }
            }
        }
        Self {
            skills,
            stuck_on,
            rng,
        }
    }

    fn ready(&self, framework: &Framework, competency: usize) -> bool {
        (framework.prerequisites[competency].iter()).all(|&p| self.skills[p].known)
    }

    /// P(learning `competency` on the next opportunity): 0 while a prerequisite is
    /// not known.
    pub fn effective_learn(&self, framework: &Framework, competency: usize) -> f64 {
        if self.ready(framework, competency) {
            self.skills[competency].learn
        } else {
            0.0
        }
    }

    /// Not known, and practice can hardly teach it now (see the module doc).
    pub fn truly_stuck(&self, framework: &Framework, competency: usize) -> bool {
        !self.skills[competency].known && self.effective_learn(framework, competency) < STUCK_LEARN
    }

    /// The truth about `competency` now: 0 known, 1 learnable, 2 blocked by a
    /// prerequisite never learned, 3 at a stuck learn rate, 4 blocked by a prerequisite
    /// forgotten.
    pub fn truth(&self, framework: &Framework, competency: usize) -> usize {
        let missing = || {
            (framework.prerequisites[competency].iter())
                .map(|&p| &self.skills[p])
                .filter(|p| !p.known)
        };
        if self.skills[competency].known {
            0
        } else if missing().any(|p| p.forgotten) {
            4
        } else if missing().next().is_some() {
            2
        } else if self.skills[competency].learn < STUCK_LEARN {
            3
        } else {
            1
        }
    }

    /// One practice opportunity: the answer, then maybe learning.
    pub fn practise(&mut self, framework: &Framework, competency: usize) -> bool {
        let learn = self.effective_learn(framework, competency);
        let skill = &self.skills[competency];
        let draw = self.rng.next_f64();
        let correct = if skill.known {
            draw >= skill.slip
        } else {
            draw < skill.guess
        };
        if !skill.known && self.rng.next_f64() < learn {
            self.skills[competency].known = true;
            self.skills[competency].forgotten = false;
        }
        correct
    }

    /// `hours` of simulated time pass.
    pub fn forget(&mut self, hours: f64) {
        for skill in &mut self.skills {
            if skill.known {
                let p = 1.0 - (1.0 - skill.forget_per_day).powf(hours / 24.0);
                if self.rng.next_f64() < p {
                    skill.known = false;
                    skill.forgotten = true;
                }
            }
        }
    }

    /// Share of the competencies truly known.
    pub fn known_share(&self) -> f64 {
        let known = self.skills.iter().filter(|s| s.known).count();
        known as f64 / self.skills.len().max(1) as f64
    }

    pub fn knows_everything(&self) -> bool {
        self.skills.iter().all(|s| s.known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learners_are_seeded_and_a_competency_is_learned_only_after_its_prerequisites() {
        let framework = Framework::generate(12, 4, 5);
        let a = generate(&framework, 30, 9);
        let b = generate(&framework, 30, 9);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.stuck_on, y.stuck_on);
            assert_eq!(x.skills[3].learn, y.skills[3].learn);
        }
        assert!(a.iter().any(|l| !l.stuck_on.is_empty()));
        assert!(a.iter().any(|l| l.stuck_on.is_empty()));
        let mut learner = a[0].clone();
        for skill in &mut learner.skills {
            skill.known = false;
        }
        let dependent = (0..framework.len())
            .find(|&c| !framework.prerequisites[c].is_empty())
            .expect("a competency with a prerequisite");
        assert!(learner.truly_stuck(&framework, dependent));
        for _ in 0..500 {
            learner.practise(&framework, dependent);
        }
        assert!(!learner.skills[dependent].known);
        for &p in &framework.prerequisites[dependent] {
            learner.skills[p].known = true;
        }
        for _ in 0..2000 {
            learner.practise(&framework, dependent);
        }
        assert!(learner.skills[dependent].known);
    }
}
