//! The mastery model on logs generated from a known model (`learnlog_mastery::synthetic`,
//! standard settings: 4,000 learners, 60 competencies, seed 7), scored on the test
//! learners against the ceiling (the filter that knows the true parameters) and
//! against the published models.

use learnlog_mastery::em::FitOptions;
use learnlog_mastery::harness::{self, ModelKind, Report};
use learnlog_mastery::metrics::Metrics;
use learnlog_mastery::synthetic::{self, Settings, Variant};

fn run(variant: Variant, kinds: &[ModelKind]) -> (Vec<Report>, Metrics) {
    let log = synthetic::generate(&Settings::standard(variant));
    let ceiling = log.test_ceiling();
    eprintln!(
        "{variant:?} ceiling: auc {} rmse {}",
        ceiling.auc, ceiling.rmse
    );
    let reports = (kinds.iter())
        .map(|&kind| {
            let r = harness::run(&log.dataset, kind, None, &FitOptions::default());
            eprintln!(
                "{variant:?} {kind:?}: {}",
                serde_json::to_string(&r).unwrap()
            );
            r
        })
        .collect();
    (reports, ceiling)
}

/// The margins are the ones `pybkt.rs` allows the same fit on the fixture file, whose
/// ceiling is AUC 0.7781, RMSE 0.4342: at least 0.776 and at most 0.4350. On this log
/// (seed 7) the ceiling is 0.7872 / 0.4294 and the fit reaches 0.7868 / 0.4296.
#[test]
fn bkt_fitted_on_a_bkt_log_predicts_almost_as_well_as_the_true_parameters() {
    let (reports, ceiling) = run(Variant::Bkt, &[ModelKind::Bkt]);
    let r = &reports[0];
    assert!(r.responses > 70_000);
    assert!(
        r.auc >= ceiling.auc - 0.0021,
        "auc {} vs {}",
        r.auc,
        ceiling.auc
    );
    assert!(
        r.rmse <= ceiling.rmse + 0.0008,
        "rmse {} vs {}",
        r.rmse,
        ceiling.rmse
    );
}

/// The reference models were measured on an earlier log from the same generating
/// model (another random stream): ceiling AUC 0.7990, RMSE 0.4266; pyBKT's standard BKT
/// 0.7315 / 0.4579; the best, a Best-LR-style logistic regression, 0.7482 / 0.4506;
/// this model 0.7892 / 0.4316. Those absolute figures are still asserted, but they are no longer enough: on this
/// log (seed 7) standard BKT fitted by `em` alone reaches AUC 0.7544, RMSE 0.4494, and
/// the ceiling is 0.8082 / 0.4215 (seeds 1–8 give ceilings 0.790–0.809 and BKT
/// 0.052–0.060 below them). So the model must also beat the BKT fitted on this same log
/// by Best-LR's lead over pyBKT's BKT there (AUC +0.0167, RMSE −0.0073), and stay
/// below the ceiling: the oracle knows every true parameter, so a model above it would
/// most likely be seeing answers before predicting them. Measured here: 0.7988 / 0.4265.
#[test]
fn the_irt_forget_model_beats_every_reference_model_on_an_irt_forget_log() {
    let (reports, ceiling) = run(Variant::IrtForget, &[ModelKind::IrtForget, ModelKind::Bkt]);
    let (r, bkt) = (&reports[0], &reports[1]);
    assert!(r.auc >= 0.75, "auc {}", r.auc);
    assert!(r.rmse < 0.4506, "rmse {}", r.rmse);
    assert!(
        r.auc >= bkt.auc + 0.0167,
        "auc {} vs bkt {}",
        r.auc,
        bkt.auc
    );
    assert!(
        r.rmse <= bkt.rmse - 0.0073,
        "rmse {} vs bkt {}",
        r.rmse,
        bkt.rmse
    );
    assert!(
        r.auc <= ceiling.auc,
        "auc {} above the ceiling {}",
        r.auc,
        ceiling.auc
    );
    assert!(
        r.rmse >= ceiling.rmse,
        "rmse {} below the ceiling {}",
        r.rmse,
        ceiling.rmse
    );
}
