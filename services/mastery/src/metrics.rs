//! Accuracy of probabilistic predictions of binary outcomes.

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
}
