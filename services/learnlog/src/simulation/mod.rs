//! `learnlog bench decisions`: do learnlog's decisions help learners?
//!
//! A seeded, deterministic simulation. A competency framework (a prerequisite DAG,
//! [`framework`]) is imported as a CASE package, and simulated learners with known true
//! parameters ([`learners`]) practise one competency each simulated hour, answering
//! from their true state. The statements go through the xAPI API of a real `learnlog
//! serve` that the benchmark starts itself, and the served mastery view and decisions
//! are read back at the simulated time ([`run`]). Three policies ([`policies`]) choose
//! the practice, each on a fresh server with the same learners: learnlog's decisions, a
//! fixed curriculum and random ready competencies. The report ([`report`]) says how
//! many attempts each needs until every competency is truly known, how much practice
//! sat in the target band of predicted success, and how well the wheel-spinning
//! intervention finds truly stuck learners.
//!
//! The servers run with the production rules and the served (unfitted) mastery model;
//! the only settings changed are `max_objectives`, raised to the number of competencies
//! so that the predicted success of every ready competency can be logged for every
//! policy (it truncates the ranked list and changes no rank), and
//! `activities_per_objective`, raised to the items per competency so that the run can
//! see when the activity catalog is complete (it changes no rank either).

pub mod framework;
pub mod learners;
pub mod policies;
pub mod report;
pub mod run;
mod server;

use anyhow::{bail, Context};
use clap::Args;
use framework::Framework;
use policies::Policy;
use serde_json::{json, Map, Value};
use server::Server;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct DecisionsBenchArgs {
    /// Simulated learners.
    #[arg(long, env = "LEARNLOG_BENCH_LEARNERS", default_value_t = 100)]
    pub learners: usize,

    /// Competencies of the generated framework.
    #[arg(long, env = "LEARNLOG_BENCH_COMPETENCIES", default_value_t = 60)]
    pub competencies: usize,

    /// Longest prerequisite chain of the generated framework.
    #[arg(long, env = "LEARNLOG_BENCH_MAX_CHAIN", default_value_t = 6)]
    pub max_chain: usize,

    /// Practice attempts per learner before it is stopped.
    #[arg(long, env = "LEARNLOG_BENCH_BUDGET", default_value_t = 2000)]
    pub budget: usize,

    /// Seed of the framework, the learners and the random policy.
    #[arg(long, env = "LEARNLOG_BENCH_SEED", default_value_t = 1)]
    pub seed: u64,

    /// Decision settings to try instead of the defaults: a JSON object like
    /// `--decisions-config`'s (e.g. `{"band_low": 0.3}`); `max_objectives` is always
    /// the number of competencies.
    #[arg(long)]
    pub settings: Option<std::path::PathBuf>,

    /// The policies to run, comma-separated (`learnlog`, `curriculum`, `random`); the
    /// ratios need `learnlog`.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "learnlog,curriculum,random"
    )]
    pub policies: Vec<String>,

    /// The servers' `--mastery-threshold` (default: theirs).
    #[arg(long)]
    pub mastery_threshold: Option<f64>,

    /// Print every step of this learner (0-based) on stderr: the choice and why, the
    /// served prediction and estimate, the truth and the answer.
    #[arg(long)]
    pub trace_learner: Option<usize>,
}

/// Makes every item known to the decisions' activity catalog before the first step,
/// so that the catalog (which breaks ties between objectives by the learner's interest
/// in each competency's activities) is the same at every step of every run, whatever
/// the timing of the folds: an unscored statement per item from an agent that is not
/// a simulated learner, then a wait until the last one is folded.
fn seed_catalog(server: &Server, framework: &Framework) -> anyhow::Result<()> {
    let mbox = "mailto:catalog@simulation.example.org";
    let mut statements = Vec::new();
    for (code, id) in framework.codes.iter().zip(&framework.ids) {
        for item in 0..run::ITEMS {
            statements.push(json!({
                "actor": {"objectType": "Agent", "mbox": mbox},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": run::item_id(code, item), "definition": {
                    "type": run::QUESTION, "extensions": {run::SKILLS: [id]}}},
                "timestamp": run::rfc3339(0),
            }));
        }
    }
    for batch in statements.chunks(1000) {
        server.post_statements(batch)?;
    }
    // the first competency is a root, an objective of the catalog agent
    let last = run::item_id(&framework.codes[0], run::ITEMS - 1);
    let agent = server::percent_encode(&json!({ "mbox": mbox }).to_string());
    let path = format!("/v1/learners/{agent}/decisions?kind=objective");
    server.poll(&path, |answer| {
        let decisions = answer.and_then(|a| a["decisions"].as_array());
        (decisions.into_iter().flatten())
            .flat_map(|d| {
                d["objective"]["activities"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .any(|a| a["activity"] == last.as_str())
    })?;
    Ok(())
}

/// Runs every policy and prints the report: one JSON line on stdout, a table on stderr.
pub fn run(args: DecisionsBenchArgs) -> anyhow::Result<()> {
    if args.learners == 0 || args.competencies == 0 || args.max_chain == 0 || args.budget == 0 {
        bail!("--learners, --competencies, --max-chain and --budget must be at least 1");
    }
    let started = Instant::now();
    let framework = Framework::generate(args.competencies, args.max_chain, args.seed);
    let setup = run::Setup {
        framework: &framework,
        index: (framework.ids.iter().cloned()).zip(0..).collect(),
        budget: args.budget,
        seed: args.seed,
        trace: args.trace_learner,
    };
    let mut settings = match &args.settings {
        Some(path) => {
            let text = std::fs::read(path)
                .with_context(|| format!("reading --settings {}", path.display()))?;
            serde_json::from_slice(&text)
                .with_context(|| format!("--settings {}", path.display()))?
        }
        None => json!({}),
    };
    let Some(object) = settings.as_object_mut() else {
        bail!("--settings: not a JSON object");
    };
    object.insert("max_objectives".into(), json!(framework.len()));
    object.insert("activities_per_objective".into(), json!(run::ITEMS));
    let mut chosen = Vec::new();
    for name in &args.policies {
        match Policy::ALL.into_iter().find(|p| p.name() == name) {
            Some(policy) => chosen.push(policy),
            None => bail!("--policies: {name:?} is not learnlog, curriculum or random"),
        }
    }
    let mut policies = Map::new();
    let mut medians = std::collections::HashMap::new();
    for policy in chosen {
        let began = Instant::now();
        let threshold = args.mastery_threshold.map(|t| t.to_string());
        let server = Server::start(&settings, threshold.as_deref())
            .with_context(|| format!("policy {}", policy.name()))?;
        server.put("/v1/frameworks/simulation", &framework.package())?;
        seed_catalog(&server, &framework)?;
        let learners = learners::generate(&framework, args.learners, args.seed);
        let outcome = run::run(&server, &setup, policy, learners)
            .with_context(|| format!("policy {}", policy.name()))?;
        drop(server);
        let seconds = began.elapsed().as_secs_f64();
        let section = report::policy_json(&outcome, seconds);
        eprintln!(
            "{}: median {} attempts, {} at the budget, {seconds:.0} s",
            policy.name(),
            section["attempts"]["median"],
            outcome.hit_budget
        );
        medians.insert(policy, report::quantile(&outcome.attempts, 0.5));
        policies.insert(policy.name().to_owned(), section);
    }
    let over = |other: Policy| match (medians.get(&Policy::Learnlog), medians.get(&other)) {
        (Some(&base), Some(&theirs)) if base > 0.0 => Some(theirs / base),
        _ => None,
    };
    let report = json!({
        "learners": args.learners,
        "competencies": args.competencies,
        "max_chain": framework.longest_chain(),
        "budget": args.budget,
        "seed": args.seed,
        "settings": settings,
        "mastery_threshold": args.mastery_threshold,
        "policies": Value::Object(policies),
        "ratios": {
            "curriculum_over_learnlog": over(Policy::Curriculum),
            "random_over_learnlog": over(Policy::Random),
        },
        "seconds": started.elapsed().as_secs_f64(),
    });
    eprint!("{}", report::table(&report));
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
