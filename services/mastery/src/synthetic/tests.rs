//! The generator against its own description: determinism, the split, the item
//! table, and the oracle against the BKT filter and against the answers it predicts.

use super::*;
use crate::harness;
use crate::model::{BktModel, Model};
use std::collections::HashMap;

fn small(variant: Variant) -> Settings {
    Settings {
        learners: 600,
        ..Settings::standard(variant)
    }
}

#[test]
fn the_same_settings_give_the_same_log_and_another_seed_another() {
    let settings = small(Variant::IrtForget);
    let (a, b) = (generate(&settings), generate(&settings));
    assert_eq!(a.dataset.rows, b.dataset.rows);
    assert_eq!(a.ceiling, b.ceiling);
    assert_eq!(a.truth, b.truth);
    let other = generate(&Settings {
        seed: 8,
        ..settings
    });
    assert_ne!(other.dataset.rows, a.dataset.rows);
}

#[test]
fn both_variants_share_the_competency_parameters_but_not_the_items() {
    let bkt = generate(&small(Variant::Bkt)).truth;
    let irt = generate(&small(Variant::IrtForget)).truth;
    assert_eq!(bkt.skills, irt.skills);
    assert_ne!(bkt.items.len(), irt.items.len());
}

#[test]
fn a_fifth_of_the_learners_are_test_learners_with_all_their_rows() {
    let log = generate(&small(Variant::Bkt));
    let mut split_of: HashMap<u32, Split> = HashMap::new();
    for row in &log.dataset.rows {
        assert_eq!(*split_of.entry(row.user).or_insert(row.split), row.split);
    }
    assert_eq!(split_of.len(), 600, "every learner answers something");
    let test = split_of.values().filter(|&&s| s == Split::Test).count();
    assert_eq!(test, 120);
}

#[test]
fn each_learner_answers_in_time_order_at_a_sensible_rate() {
    let log = generate(&small(Variant::IrtForget));
    let responses = log.dataset.responses();
    assert_eq!(responses.len(), log.ceiling.len());
    for pair in responses.windows(2) {
        if pair[0].user == pair[1].user {
            assert!(pair[0].epoch_s <= pair[1].epoch_s);
        }
    }
    let per_learner = responses.len() as f64 / 600.0;
    assert!(
        (60.0..150.0).contains(&per_learner),
        "{per_learner} responses a learner"
    );
    let correct = responses.iter().filter(|r| r.correct).count() as f64;
    let rate = correct / responses.len() as f64;
    assert!((0.45..0.75).contains(&rate), "{rate} correct");
}

#[test]
fn bkt_items_have_one_competency_and_irt_forget_items_sometimes_an_earlier_second() {
    let bkt = generate(&small(Variant::Bkt)).truth;
    assert!((bkt.items.iter()).all(|i| i.skills.len() == 1 && i.difficulty == 0.0));
    assert!(bkt.abilities.iter().all(|&a| a == 0.0));
    let irt = generate(&small(Variant::IrtForget)).truth;
    let two: Vec<_> = irt.items.iter().filter(|i| i.skills.len() == 2).collect();
    let share = two.len() as f64 / irt.items.len() as f64;
    assert!(
        (0.10..0.20).contains(&share),
        "{share} of items on two competencies"
    );
    for item in two {
        let (primary, second) = (item.skills[0], item.skills[1]);
        assert!(
            primary == 0 || (second < primary && primary - second <= 8),
            "{item:?}"
        );
    }
    let sd = (irt.abilities.iter().map(|a| a * a).sum::<f64>() / 600.0).sqrt();
    assert!((0.7..0.9).contains(&sd), "ability sd {sd}");
}

/// With one competency per item and no forgetting, the oracle is standard BKT's filter
/// with the true parameters: the model's own filter must give the same predictions.
#[test]
fn on_bkt_data_the_bkt_filter_with_the_true_parameters_is_the_oracle() {
    let log = generate(&small(Variant::Bkt));
    let model = Model::Bkt(BktModel {
        params: log.truth.bkt_params(),
    });
    let responses = log.dataset.responses();
    let all: Vec<_> = responses.iter().collect();
    let predictions = harness::stream(&model, log.dataset.skills.len(), &all);
    for (i, (p, oracle)) in predictions.iter().zip(&log.ceiling).enumerate() {
        assert!((p - oracle).abs() < 1e-12, "response {i}: {p} vs {oracle}");
    }
}

/// The answers are drawn from the hidden state, the oracle only sees them; if the two
/// disagreed about the model, the oracle's mean would drift from the observed rate.
#[test]
fn the_oracle_is_calibrated_on_the_answers_it_did_not_draw() {
    for variant in [Variant::Bkt, Variant::IrtForget] {
        let log = generate(&Settings {
            learners: 2000,
            ..Settings::standard(variant)
        });
        let responses = log.dataset.responses();
        let outcomes: Vec<bool> = responses.iter().map(|r| r.correct).collect();
        let calibration = metrics::calibration(&log.ceiling, &outcomes);
        assert!(
            calibration.ece < 0.01,
            "{variant:?}: ece {}",
            calibration.ece
        );
        let m = metrics::evaluate(&log.ceiling, &outcomes);
        assert!(m.auc > 0.75, "{variant:?}: oracle auc {}", m.auc);
    }
}
