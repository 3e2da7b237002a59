//! Standard Bayesian Knowledge Tracing for one competency: two hidden states (not
//! known, known), one binary observation per step.
//!
//! The update is pyBKT's forward filter: condition P(known) on the observed response,
//! then apply the transition (learn from not known, forget from known).

use serde::{Deserialize, Serialize};

/// Parameters of one competency, all probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BktParams {
    /// P(known) before the first piece of evidence.
    pub prior: f64,
    /// P(not known -> known) after each opportunity.
    pub learn: f64,
    /// P(known -> not known) after each opportunity (0 in standard BKT).
    #[serde(default)]
    pub forget: f64,
    /// P(correct | not known).
    pub guess: f64,
    /// P(incorrect | known).
    pub slip: f64,
}

impl BktParams {
    /// P(correct) of the next response given P(known) before it.
    #[inline]
    pub fn predict(&self, p_known: f64) -> f64 {
        p_known * (1.0 - self.slip) + (1.0 - p_known) * self.guess
    }

    /// P(known) after observing `correct` and the following transition.
    #[inline]
    pub fn update(&self, p_known: f64, correct: bool) -> f64 {
        let posterior = self.posterior(p_known, correct);
        self.transition(posterior)
    }

    /// P(known | this response), before the transition.
    #[inline]
    pub fn posterior(&self, p_known: f64, correct: bool) -> f64 {
        let (l_known, l_unknown) = if correct {
            (1.0 - self.slip, self.guess)
        } else {
            (self.slip, 1.0 - self.guess)
        };
        let num = p_known * l_known;
        let den = num + (1.0 - p_known) * l_unknown;
        if den > 0.0 {
            num / den
        } else {
            p_known
        }
    }

    /// The learning/forgetting transition applied to P(known).
    #[inline]
    pub fn transition(&self, p_known: f64) -> f64 {
        p_known * (1.0 - self.forget) + (1.0 - p_known) * self.learn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BktParams = BktParams {
        prior: 0.3,
        learn: 0.2,
        forget: 0.0,
        guess: 0.1,
        slip: 0.2,
    };

    #[test]
    fn prediction_mixes_guess_and_one_minus_slip_by_p_known() {
        assert!((P.predict(0.3) - (0.3 * 0.8 + 0.7 * 0.1)).abs() < 1e-15);
    }

    #[test]
    fn a_correct_answer_raises_p_known_and_learning_raises_it_further() {
        // posterior = 0.24 / 0.31; then + (1 - posterior) * 0.2
        let post = 0.24 / 0.31;
        assert!((P.update(0.3, true) - (post + (1.0 - post) * 0.2)).abs() < 1e-15);
        assert!(P.update(0.3, false) < P.update(0.3, true));
    }
}
