//! Unit tests of the model: forgetting, item difficulty, and a multi-competency update.

use super::*;

fn model() -> IrtForgetModel {
    let bkt = BktParams {
        prior: 0.3,
        learn: 0.2,
        forget: 0.0,
        guess: 0.2,
        slip: 0.1,
    };
    IrtForgetModel {
        skills: vec![
            SkillParams {
                bkt,
                half_life_days: Some(4.0),
            };
            2
        ],
        item_difficulty: vec![0.0, 1.5],
        ability_rate: 0.2,
        ability_shrink: 0.05,
        ability_prior_weight: 1.0,
        ability_learn_weight: 0.0,
    }
}

fn state(p_known: f64, correct: u32, last_epoch_s: i64) -> SkillState {
    SkillState {
        p_known,
        count: 3,
        correct,
        last_epoch_s,
    }
}

#[test]
fn p_known_halves_after_one_half_life_with_no_correct_answers() {
    let m = model();
    let four_days = 4 * 86_400;
    assert!((m.decayed(0, &state(0.8, 0, 0), four_days) - 0.4).abs() < 1e-12);
}

#[test]
fn two_correct_answers_double_the_half_life() {
    let m = model();
    let eight_days = 8 * 86_400;
    assert!((m.decayed(0, &state(0.8, 2, 0), eight_days) - 0.4).abs() < 1e-12);
}

#[test]
fn a_harder_item_is_predicted_less_likely_to_be_answered_correctly() {
    let m = model();
    let learner = LearnerState::default();
    let states = [state(0.5, 1, 0)];
    let ev = |item| Evidence {
        skills: &[0],
        item: Some(item),
        correct: true,
        epoch_s: 0,
    };
    assert!(m.predict(&learner, &ev(1), &states) < m.predict(&learner, &ev(0), &states));
}

#[test]
fn a_correct_answer_on_a_two_competency_item_raises_both_and_the_ability() {
    let m = model();
    let mut learner = LearnerState::default();
    let mut states = [state(0.5, 1, 0), state(0.6, 1, 0)];
    let ev = Evidence {
        skills: &[0, 1],
        item: Some(0),
        correct: true,
        epoch_s: 0,
    };
    m.update(&mut learner, &ev, &mut states);
    assert!(states[0].p_known > 0.5 && states[1].p_known > 0.6);
    assert!(learner.ability > 0.0);
    assert_eq!((states[0].count, states[0].correct), (4, 2));
}
