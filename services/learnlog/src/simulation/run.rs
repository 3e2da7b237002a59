//! One policy's run on its own fresh server: step by step, every learner still
//! learning waits until its previous statements are folded, reads its mastery view
//! (and decisions) at the simulated now, practises the competency the policy chose,
//! and the step's statements are posted as one batch. One step is one simulated hour.

use super::framework::Framework;
use super::learners::Learner;
use super::policies::{self, Policy, View, Why};
use super::report::Tally;
use super::server::{percent_encode, Server};
use learnlog_mastery::rng::SplitMix64;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(super) const SKILLS: &str = "https://example.org/xapi/extensions/skills";
pub(super) const QUESTION: &str = "http://adlnet.gov/expapi/activities/question";
/// Simulated time starts 2025-03-03T09:00:00Z.
const START_SECONDS: i64 = 1_740_992_400;
/// Items per competency, practised in turn.
pub(super) const ITEMS: usize = 5;
/// Client threads (the server has as many workers as cores).
const THREADS: usize = 4;
/// Statements per POST (the server's default `--max-batch`).
const BATCH: usize = 1000;
/// Names of `Learner::truth`'s answers, for traces.
const TRUTH: [&str; 5] = ["known", "learnable", "blocked", "slow", "blocked-forgotten"];
/// The share of competencies truly known that `most` counts attempts to.
const MOST: f64 = 0.9;
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x51d3_a0c4_77e2_4f0b_8b61_2c9e_d4a7_3f10);

/// What the run needs besides the learners.
pub struct Setup<'a> {
    pub framework: &'a Framework,
    /// Competency identifier → index.
    pub index: HashMap<String, usize>,
    pub budget: usize,
    pub seed: u64,
    /// The learner whose every step is printed on stderr.
    pub trace: Option<usize>,
}

/// One learner under one policy.
struct Sim {
    number: usize,
    learner: Learner,
    path: String,
    agent: Value,
    /// Scored statements posted.
    posted: u64,
    practised: Vec<usize>,
    /// Mastered per the mastery view at the last step.
    mastered: Vec<bool>,
    rng: SplitMix64,
    /// Attempts when every competency was first truly known at once.
    done: Option<usize>,
    /// Attempts when 90% of the competencies were first truly known at once.
    most: Option<usize>,
    tally: Tally,
}

/// The activity id of item `item` of the competency coded `code`.
pub(super) fn item_id(code: &str, item: usize) -> String {
    format!("https://example.org/simulation/{code}/items/{item}")
}

pub(super) fn rfc3339(step: usize) -> String {
    let seconds = START_SECONDS + step as i64 * 3600;
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl Sim {
    fn new(number: usize, learner: Learner, setup: &Setup<'_>) -> Self {
        let mbox = format!("mailto:learner{number}@simulation.example.org");
        Self {
            number,
            path: percent_encode(&json!({ "mbox": mbox }).to_string()),
            agent: json!({"objectType": "Agent", "name": format!("Learner {number}"), "mbox": mbox}),
            practised: vec![0; setup.framework.len()],
            mastered: vec![false; setup.framework.len()],
            rng: SplitMix64::new(setup.seed ^ 0x7261_6e64 ^ ((number as u64 + 1) << 32)),
            tally: Tally::new(setup.framework.len()),
            learner,
            posted: 0,
            done: None,
            most: None,
        }
    }

    /// Decides, logs and practises one step; returns the statement to post.
    fn step(
        &mut self,
        server: &Server,
        setup: &Setup<'_>,
        policy: Policy,
        step: usize,
        tag: &str,
    ) -> anyhow::Result<Value> {
        let (framework, index) = (setup.framework, &setup.index);
        let now = rfc3339(step);
        let posted = self.posted;
        let answer = server.poll(
            &format!("/v1/learners/{}/mastery?at={now}", self.path),
            |answer| answer.map_or(0, |a| a["responses"].as_u64().unwrap_or(0)) == posted,
        )?;
        let view = View::parse(answer.as_ref(), index, framework.len());
        for (c, mastered) in self.mastered.iter_mut().enumerate() {
            let now = view.mastered(c);
            if now && !*mastered {
                self.tally.mastered(self.learner.skills[c].known);
            }
            *mastered = now;
        }
        let decisions_path = format!("/v1/learners/{}/decisions?at={now}", self.path);
        let read_decisions = || -> anyhow::Result<Vec<Value>> {
            let answer = server.get(&decisions_path)?.unwrap_or(Value::Null);
            Ok(answer["decisions"].as_array().cloned().unwrap_or_default())
        };
        // curriculum and random choose before the decisions are read (for logging only)
        let (choice, decisions) = match policy {
            Policy::Learnlog => {
                let decisions = read_decisions()?;
                (policies::learnlog(&decisions, index, &view), decisions)
            }
            Policy::Curriculum => {
                let choice = policies::curriculum(&view);
                (choice, read_decisions()?)
            }
            Policy::Random => {
                let choice = policies::random(&view, framework, &mut self.rng);
                (choice, read_decisions()?)
            }
        };
        let c = choice.competency;
        let predicted = match choice.why {
            Why::Objective | Why::Own => policies::predicted_success(&decisions, index, c),
            Why::Review | Why::Fallback => None,
        };
        self.tally.choice(choice.why, predicted);
        let mut flags = Vec::new();
        for flagged in policies::wheel_spinning(&decisions, index) {
            let stuck = self.learner.truly_stuck(framework, flagged);
            self.tally.flag(flagged, stuck);
            let truth = TRUTH;
            flags.push(format!(
                "{}:{}",
                framework.codes[flagged],
                truth[self.learner.truth(framework, flagged)]
            ));
        }
        if self.learner.truly_stuck(framework, c) {
            self.tally.stuck_practice(c);
        }
        let truth = self.learner.truth(framework, c);
        self.tally.practised(truth);
        let correct = self.learner.practise(framework, c);
        if setup.trace == Some(self.number) {
            let view_p = view.entries[c].as_ref().map_or(f64::NAN, |e| e.p_mastered);
            let known = (self.learner.skills.iter()).filter(|s| s.known).count();
            eprintln!(
                "trace {} step {step}: {} ({:?}) predicted {} p_mastered {view_p:.3} truth {} -> {} ({known}/{} known) flagged [{}]",
                policy.name(),
                framework.codes[c],
                choice.why,
                predicted.map_or("-".into(), |p| format!("{p:.3}")),
                TRUTH[truth],
                if correct { "correct" } else { "wrong" },
                framework.len(),
                flags.join(" "),
            );
        }
        let item = self.practised[c] % ITEMS;
        self.practised[c] += 1;
        let code = &framework.codes[c];
        let name = format!("{tag}\n{}\n{step}", self.number);
        Ok(json!({
            "id": uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string(),
            "actor": self.agent,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {
                "id": item_id(code, item),
                "definition": {"type": QUESTION, "extensions": {SKILLS: [framework.ids[c]]}},
            },
            "result": {"success": correct},
            "timestamp": now,
        }))
    }
}

/// What a policy's run found, per learner.
pub struct Outcome {
    /// Attempts until every competency was truly known, or the budget.
    pub attempts: Vec<usize>,
    /// Attempts until 90% of the competencies were truly known, or the budget.
    pub most: Vec<usize>,
    /// Share of the competencies truly known when the learner stopped.
    pub known_at_stop: Vec<f64>,
    pub hit_budget: usize,
    pub tally: Tally,
}

/// Runs `policy` for `learners` on `server` (the framework imported already).
pub fn run(
    server: &Server,
    setup: &Setup<'_>,
    policy: Policy,
    learners: Vec<Learner>,
) -> anyhow::Result<Outcome> {
    let mut sims: Vec<Sim> = (learners.into_iter().enumerate())
        .map(|(i, learner)| Sim::new(i, learner, setup))
        .collect();
    for sim in &mut sims {
        if sim.learner.known_share() >= MOST {
            sim.most = Some(0);
        }
        if sim.learner.knows_everything() {
            sim.done = Some(0);
        }
    }
    let tag = format!("{}\n{}", setup.seed, policy.name());
    for step in 0..setup.budget {
        let mut active: Vec<&mut Sim> = sims.iter_mut().filter(|s| s.done.is_none()).collect();
        if active.is_empty() {
            break;
        }
        let per_thread = active.len().div_ceil(THREADS);
        let batches: Vec<anyhow::Result<Vec<Value>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (active.chunks_mut(per_thread))
                .map(|chunk| {
                    let tag = &tag;
                    scope.spawn(move || {
                        (chunk.iter_mut())
                            .map(|sim| sim.step(server, setup, policy, step, tag))
                            .collect::<anyhow::Result<Vec<Value>>>()
                    })
                })
                .collect();
            (handles.into_iter())
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a client thread panicked")))
                })
                .collect()
        });
        let mut statements = Vec::with_capacity(active.len());
        for batch in batches {
            statements.extend(batch?);
        }
        for batch in statements.chunks(BATCH) {
            server.post_statements(batch)?;
        }
        for sim in &mut active {
            sim.posted += 1;
            if sim.most.is_none() && sim.learner.known_share() >= MOST {
                sim.most = Some(step + 1);
            }
            if sim.learner.knows_everything() {
                sim.done = Some(step + 1);
            } else {
                sim.learner.forget(1.0);
            }
        }
    }
    let attempts: Vec<usize> = (sims.iter())
        .map(|s| s.done.unwrap_or(setup.budget))
        .collect();
    let hit_budget = sims.iter().filter(|s| s.done.is_none()).count();
    let most = (sims.iter())
        .map(|s| s.most.unwrap_or(setup.budget))
        .collect();
    let known_at_stop = sims.iter().map(|s| s.learner.known_share()).collect();
    let mut tally = Tally::new(setup.framework.len());
    for sim in &sims {
        tally.merge(&sim.tally);
    }
    Ok(Outcome {
        attempts,
        most,
        known_at_stop,
        hit_budget,
        tally,
    })
}
