//! Accuracy of probabilistic predictions of binary outcomes: how well they rank
//! ([`auc`]), how close they are ([`evaluate`]), and whether they mean what they say
//! ([`calibration`]: a prediction of 0.7 should come true 70% of the time).

use serde::Serialize;

/// AUC, RMSE, log loss and accuracy at 0.5 over a set of predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Area under the ROC curve (rank-based; tied predictions count one half).
    pub auc: f64,
    /// Root mean squared error of the probabilities.
    pub rmse: f64,
    /// Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1 - 1e-15].
    pub logloss: f64,
    /// Share of predictions on the right side of 0.5 (0.5 counts as "correct").
    pub accuracy: f64,
}

/// Computes all metrics; `predictions[i]` is P(outcomes[i]).
pub fn evaluate(predictions: &[f64], outcomes: &[bool]) -> Metrics {
    assert_eq!(
        predictions.len(),
        outcomes.len(),
        "one prediction per outcome"
    );
    let n = predictions.len().max(1) as f64;
    let mut se = 0.0;
    let mut ll = 0.0;
    let mut right = 0usize;
    for (&p, &y) in predictions.iter().zip(outcomes) {
        let t = if y { 1.0 } else { 0.0 };
        se += (p - t) * (p - t);
        let pc = p.clamp(1e-15, 1.0 - 1e-15);
        ll -= if y { pc.ln() } else { (1.0 - pc).ln() };
        if (p >= 0.5) == y {
            right += 1;
        }
    }
    Metrics {
        auc: auc(predictions, outcomes),
        rmse: (se / n).sqrt(),
        logloss: ll / n,
        accuracy: right as f64 / n,
    }
}

/// Rank-based AUC (Mann–Whitney U); ties get their average rank. NaN if one class is absent.
pub fn auc(predictions: &[f64], outcomes: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..predictions.len()).collect();
    idx.sort_unstable_by(|&a, &b| predictions[a].total_cmp(&predictions[b]));
    let mut rank_sum_pos = 0.0;
    let mut n_pos = 0usize;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && predictions[idx[j + 1]] == predictions[idx[i]] {
            j += 1;
        }
        // ranks i+1 ..= j+1 share their mean
        let mean_rank = (i + j + 2) as f64 / 2.0;
        for &k in &idx[i..=j] {
            if outcomes[k] {
                rank_sum_pos += mean_rank;
                n_pos += 1;
            }
        }
        i = j + 1;
    }
    let n_neg = predictions.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    let (np, nn) = (n_pos as f64, n_neg as f64);
    (rank_sum_pos - np * (np + 1.0) / 2.0) / (np * nn)
}

/// How many equal-width bins of predicted probability [`calibration`] uses.
pub const CALIBRATION_BINS: usize = 10;

/// One row of a reliability table: the predictions that fell in `[lo, hi)` (the last
/// bin also holds `hi` = 1.0) and how often they came true.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    pub lo: f64,
    pub hi: f64,
    /// Predictions in the bin (never 0: empty bins are left out of the table).
    pub count: usize,
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Share of the bin's outcomes that were true.
    pub observed_rate: f64,
}

/// Expected calibration error and the reliability table it is computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// `sum over bins of (count / n) * |mean_predicted - observed_rate|`; 0 for perfectly
    /// calibrated predictions, NaN when there are none.
    pub ece: f64,
    /// The non-empty bins, lowest first.
    pub bins: Vec<ReliabilityBin>,
}

/// Calibration over [`CALIBRATION_BINS`] equal-width bins of `predictions[i]` =
/// P(outcomes[i]). Bin `k` holds the predictions with `floor(p * 10) = k`; p = 1.0
/// goes in the last bin, and predictions outside [0, 1] in the nearest end bin.
/// Empty bins are skipped (they weigh nothing in the ECE).
pub fn calibration(predictions: &[f64], outcomes: &[bool]) -> Calibration {
    assert_eq!(
        predictions.len(),
        outcomes.len(),
        "one prediction per outcome"
    );
    let mut count = [0usize; CALIBRATION_BINS];
    let mut sum_p = [0.0f64; CALIBRATION_BINS];
    let mut right = [0usize; CALIBRATION_BINS];
    for (&p, &y) in predictions.iter().zip(outcomes) {
        // the float-to-int cast saturates (and maps NaN to 0); `min` puts 1.0 in the last bin
        let k = ((p * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        count[k] += 1;
        sum_p[k] += p;
        if y {
            right[k] += 1;
        }
    }
    let n = predictions.len() as f64;
    let mut ece = 0.0;
    let mut bins = Vec::new();
    for k in 0..CALIBRATION_BINS {
        if count[k] == 0 {
            continue;
        }
        let c = count[k] as f64;
        let mean_predicted = sum_p[k] / c;
        let observed_rate = right[k] as f64 / c;
        ece += c / n * (mean_predicted - observed_rate).abs();
        bins.push(ReliabilityBin {
            lo: k as f64 / CALIBRATION_BINS as f64,
            hi: (k + 1) as f64 / CALIBRATION_BINS as f64,
            count: count[k],
            mean_predicted,
            observed_rate,
        });
    }
    Calibration {
        ece: if predictions.is_empty() {
            f64::NAN
        } else {
            ece
        },
        bins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_is_one_when_every_positive_outranks_every_negative() {
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[false, true, false, true]),
            1.0
        );
    }

    #[test]
    fn auc_counts_a_tie_between_a_positive_and_a_negative_as_one_half() {
        // pairs (pos, neg): (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.2) win = 1 -> 1.5 / 2
        assert_eq!(auc(&[0.5, 0.5, 0.2], &[true, false, false]), 0.75);
    }

    #[test]
    fn auc_of_a_hand_worked_example_is_three_quarters() {
        // positives 0.8, 0.4; negatives 0.6, 0.2: pairs won 0.8>0.6, 0.8>0.2, 0.4>0.2 = 3/4
        assert_eq!(
            auc(&[0.8, 0.6, 0.4, 0.2], &[true, false, true, false]),
            0.75
        );
    }

    #[test]
    fn rmse_logloss_and_accuracy_match_hand_computation() {
        let m = evaluate(&[0.8, 0.4], &[true, true]);
        assert!((m.rmse - ((0.04 + 0.36) / 2.0f64).sqrt()).abs() < 1e-12);
        assert!((m.logloss - (-(0.8f64.ln() + 0.4f64.ln()) / 2.0)).abs() < 1e-12);
        assert_eq!(m.accuracy, 0.5);
    }

    #[test]
    fn perfectly_calibrated_predictions_have_zero_ece() {
        // 0.25 four times, one true; 0.75 four times, three true
        let p = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
        let y = [true, false, false, false, true, true, true, false];
        let c = calibration(&p, &y);
        assert_eq!(c.ece, 0.0);
        assert_eq!(c.bins.len(), 2);
        assert_eq!(
            (c.bins[0].mean_predicted, c.bins[0].observed_rate),
            (0.25, 0.25)
        );
        assert_eq!(
            (c.bins[1].mean_predicted, c.bins[1].observed_rate),
            (0.75, 0.75)
        );
    }

    #[test]
    fn ece_of_a_hand_built_miscalibrated_set() {
        // bin 9: 0.95, 0.95, 0.93, 0.97 (mean 0.95), two true -> gap 0.45, weight 4/6
        // bin 2: 0.2, 0.24 (mean 0.22), none true            -> gap 0.22, weight 2/6
        // ECE = (4 * 0.45 + 2 * 0.22) / 6 = 2.24 / 6
        let p = [0.95, 0.95, 0.93, 0.97, 0.2, 0.24];
        let y = [true, false, true, false, false, false];
        let c = calibration(&p, &y);
        assert!((c.ece - 2.24 / 6.0).abs() < 1e-12, "ece {}", c.ece);
        assert_eq!(c.bins.len(), 2);
        let (low, high) = (c.bins[0], c.bins[1]);
        assert_eq!((low.lo, low.hi, low.count), (0.2, 0.3, 2));
        assert!((low.mean_predicted - 0.22).abs() < 1e-12);
        assert_eq!(low.observed_rate, 0.0);
        assert_eq!((high.lo, high.hi, high.count), (0.9, 1.0, 4));
        assert!((high.mean_predicted - 0.95).abs() < 1e-12);
        assert_eq!(high.observed_rate, 0.5);
    }

    #[test]
    fn empty_bins_are_left_out_of_the_table_and_weigh_nothing() {
        // only bins 0 and 5 are used; each is off by 0.05, so the ECE is 0.05
        let c = calibration(&[0.05, 0.05, 0.55, 0.55], &[false, false, true, false]);
        assert_eq!(
            c.bins.iter().map(|b| b.lo).collect::<Vec<_>>(),
            vec![0.0, 0.5]
        );
        assert!((c.ece - 0.05).abs() < 1e-12, "ece {}", c.ece);
        assert!(c.bins.iter().all(|b| b.count > 0));
    }

    #[test]
    fn one_lands_in_the_last_bin_and_zero_in_the_first() {
        let c = calibration(&[1.0, 0.0], &[true, false]);
        assert_eq!(c.bins.len(), 2);
        assert_eq!((c.bins[0].lo, c.bins[0].hi, c.bins[0].count), (0.0, 0.1, 1));
        assert_eq!((c.bins[1].lo, c.bins[1].hi, c.bins[1].count), (0.9, 1.0, 1));
        assert_eq!(c.ece, 0.0);
    }

    #[test]
    fn a_bin_edge_belongs_to_the_bin_above_it() {
        let c = calibration(&[0.5], &[true]);
        assert_eq!((c.bins[0].lo, c.bins[0].hi), (0.5, 0.6));
        assert_eq!(c.ece, 0.5);
    }

    #[test]
    fn no_predictions_give_no_bins_and_a_nan_ece() {
        let c = calibration(&[], &[]);
        assert!(c.bins.is_empty());
        assert!(c.ece.is_nan());
    }
}
