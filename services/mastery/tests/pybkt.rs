//! Checks against pyBKT's published results on the fixture dataset in `tests/data/`
//! (see its README): the standard-BKT filter reproduces pyBKT's predictions, and the
//! EM fit reaches pyBKT's accuracy on the same learners.

use learnlog_mastery::data::Dataset;
use learnlog_mastery::em::FitOptions;
use learnlog_mastery::harness::{self, ModelKind};
use learnlog_mastery::{Evidence, LearnerState, Model};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn bkt_dataset() -> Dataset {
    Dataset::open(&data_dir().join("bkt.responses.csv.gz")).expect("read bkt responses")
}

fn pybkt_model(ds: &Dataset) -> Model {
    let json = std::fs::read_to_string(data_dir().join("pybkt.bkt.params.json")).expect("params");
    harness::bkt_from_pybkt_json(&json, ds).expect("parse params")
}

/// `state_bkt` in pyBKT's file is P(known) at the step, before the response is seen
/// (its first value per learner and skill is the prior).
#[test]
fn bkt_with_pybkt_parameters_reproduces_every_pybkt_test_prediction_within_1e_6() {
    let ds = bkt_dataset();
    let model = pybkt_model(&ds);
    let file = std::fs::File::open(data_dir().join("pybkt.bkt.test_predictions.csv.gz"))
        .expect("predictions file");
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut lines = reader.lines();
    let header = lines.next().expect("header").expect("header");
    let cols: Vec<String> = header.split(',').map(str::to_owned).collect();
    let col = |name: &str| cols.iter().position(|c| c == name).expect(name);
    let (c_user, c_skill, c_correct, c_p, c_state) = (
        col("user_id"),
        col("skill_name"),
        col("correct"),
        col("p_bkt"),
        col("state_bkt"),
    );
    let mut states: HashMap<(String, u32), learnlog_mastery::SkillState> = HashMap::new();
    let mut checked = 0usize;
    let mut worst = 0.0f64;
    for line in lines {
        let line = line.expect("line");
        let f: Vec<&str> = line.split(',').collect();
        let skill = ds.skill_index(f[c_skill]).expect("known skill");
        let key = (f[c_user].to_owned(), skill);
        let mut st = [*states
            .entry(key.clone())
            .or_insert_with(|| model.initial(skill))];
        let ev = Evidence {
            skills: &[skill],
            item: None,
            correct: f[c_correct] == "1",
            epoch_s: 0,
        };
        let mut learner = LearnerState::default();
        let p = model.predict(&learner, &ev, &st);
        let want_p: f64 = f[c_p].parse().expect("p_bkt");
        let want_state: f64 = f[c_state].parse().expect("state_bkt");
        worst = worst
            .max((p - want_p).abs())
            .max((st[0].p_known - want_state).abs());
        assert!(
            (p - want_p).abs() <= 1e-6 && (st[0].p_known - want_state).abs() <= 1e-6,
            "row {checked}: p {p} vs {want_p}, state {} vs {want_state}",
            st[0].p_known
        );
        model.update(&mut learner, &ev, &mut st);
        states.insert(key, st[0]);
        checked += 1;
    }
    assert!(checked > 70_000, "only {checked} rows checked");
    eprintln!("checked {checked} rows, largest difference {worst:e}");
}

#[test]
fn the_bench_harness_with_pybkt_parameters_scores_like_pybkt_on_the_bkt_file() {
    let ds = bkt_dataset();
    let model = pybkt_model(&ds);
    let r = harness::run(&ds, ModelKind::Bkt, Some(model), &FitOptions::default());
    assert!((r.auc - 0.7777).abs() < 1e-3, "auc {}", r.auc);
    assert!(r.rmse > 0.433 && r.rmse < 0.435, "rmse {}", r.rmse);
}

#[test]
fn the_bench_harness_fits_bkt_on_train_and_reaches_pybkt_accuracy_on_test() {
    let ds = bkt_dataset();
    let r = harness::run(&ds, ModelKind::Bkt, None, &FitOptions::default());
    eprintln!("{}", serde_json::to_string(&r).unwrap());
    assert!(r.responses > 70_000);
    assert!(r.auc >= 0.776, "auc {}", r.auc);
    assert!(r.rmse <= 0.4350, "rmse {}", r.rmse);
}
