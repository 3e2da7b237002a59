//! `learnlog bench decisions` at CI size: the real binary runs the whole simulation
//! (it starts three servers of its own) and its report holds together — every policy
//! is there, every learner under learnlog's decisions truly masters every competency
//! within the budget, the attempt figures are consistent, and precision and recall are
//! probabilities or null when undefined.

use crate::support::binary;
use serde_json::Value;
use std::process::Command;
use std::time::Instant;

const LEARNERS: u64 = 8;
const BUDGET: f64 = 300.0;

fn probability_or_null(value: &Value, what: &str) {
    match value {
        Value::Null => {}
        other => {
            let p = other.as_f64().unwrap_or(f64::NAN);
            assert!((0.0..=1.0).contains(&p), "{what}: {other}");
        }
    }
}

#[test]
fn the_decision_simulation_reports_every_policy_and_learnlog_gets_every_learner_there() {
    let started = Instant::now();
    let output = Command::new(binary())
        .args([
            "bench",
            "decisions",
            "--learners",
            "8",
            "--competencies",
            "12",
        ])
        .args(["--max-chain", "4", "--budget", "300", "--seed", "1"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("learnlog runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench decisions failed: {stderr}");
    eprintln!("{stderr}(ran in {:.0?})", started.elapsed());
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let report: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(report["learners"], LEARNERS);
    assert!(report["max_chain"].as_u64().unwrap() <= 4, "{report}");
    let policies = report["policies"].as_object().expect("policies");
    let names: Vec<&str> = policies.keys().map(String::as_str).collect();
    assert_eq!(names, ["learnlog", "curriculum", "random"]);
    for (name, policy) in policies {
        let attempts = &policy["attempts"];
        let (median, p90) = (attempts["median"].as_f64(), attempts["p90"].as_f64());
        let (median, p90) = (median.unwrap(), p90.unwrap());
        assert!(median > 0.0 && median <= BUDGET, "{name}: {attempts}");
        assert!(p90 >= median && p90 <= BUDGET, "{name}: {attempts}");
        let practice = policy["practice"]["total"].as_f64().unwrap();
        assert!(
            practice >= median * LEARNERS as f64 / 2.0,
            "{name}: {policy}"
        );
        probability_or_null(&policy["band"]["share"], name);
        let ws = &policy["wheel_spinning"];
        probability_or_null(&ws["precision"], name);
        probability_or_null(&ws["recall"], name);
        assert_eq!(
            ws["precision"].is_null(),
            ws["flagged"] == 0,
            "{name}: {ws}"
        );
        assert_eq!(
            ws["recall"].is_null(),
            ws["truly_stuck"] == 0,
            "{name}: {ws}"
        );
    }
    let learnlog = &policies["learnlog"];
    assert_eq!(learnlog["hit_budget"], 0, "{learnlog}");
    assert!(learnlog["practice"]["objective"].as_u64().unwrap() > 0);
    for ratio in ["curriculum_over_learnlog", "random_over_learnlog"] {
        assert!(report["ratios"][ratio].as_f64().unwrap() > 0.0, "{report}");
    }
}
