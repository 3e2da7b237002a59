//! The thresholds of the decision rules, with their defaults. Each rule reports the
//! settings it used, so a decision can be traced to the configuration that made it.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Thresholds of every rule. `Settings::default()` holds the documented defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// P(mastered) from which a competency counts as mastered (the mastery fold's
    /// threshold; the views' `mastered` flag).
    pub mastery_threshold: f64,
    /// The target band of predicted success (zone of proximal development): objectives
    /// inside it rank before those outside.
    pub band_low: f64,
    pub band_high: f64,
    /// Most next objectives offered at once.
    pub max_objectives: usize,
    /// Most activities suggested per objective.
    pub activities_per_objective: usize,
    /// Activities the learner did within this many UTC days (1: today) are not
    /// suggested again.
    pub skip_recent_days: u32,
    /// A mastered competency whose predicted recall is below this is due for review.
    pub review_below: f64,
    /// Wheel-spinning: at least this many opportunities without mastery…
    pub wheel_spinning_opportunities: u32,
    /// …and the estimate rose by less than this over the last `trend_window`
    /// opportunities (flat or falling).
    pub wheel_spinning_min_rise: f64,
    /// Opportunities the trend of the estimate is measured over.
    pub trend_window: usize,
    /// Prerequisite re-check: a mastered prerequisite of a stalled competency (as for
    /// wheel-spinning) is checked again while fewer than this many answers followed the
    /// one that reached mastery…
    pub recheck_confirming_answers: usize,
    /// …or when it was last practised more than this many days before.
    pub recheck_after_days: f64,
    /// Inactive: no statements for this many days while a class peer was active.
    pub inactive_days: f64,
    /// Prerequisite gap: at least this many incorrect responses among the last
    /// `trend_window` on a competency whose prerequisite is not mastered.
    pub prerequisite_gap_failures: u32,
    /// Suggested small groups: members per group.
    pub group_min: usize,
    pub group_max: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mastery_threshold: 0.95,
            band_low: 0.6,
            band_high: 0.85,
            max_objectives: 5,
            activities_per_objective: 3,
            skip_recent_days: 1,
            review_below: 0.9,
            wheel_spinning_opportunities: 10,
            wheel_spinning_min_rise: 0.05,
            trend_window: 5,
            recheck_confirming_answers: 2,
            recheck_after_days: 1.0,
            inactive_days: 7.0,
            prerequisite_gap_failures: 3,
            group_min: 3,
            group_max: 6,
        }
    }
}

fn probability(name: &str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidSettings(format!(
            "{name}: {value} is not a probability in [0, 1]"
        )))
    }
}

impl Settings {
    /// Checks every setting; the message names the first one that breaks its rule.
    pub fn validate(&self) -> Result<()> {
        probability("mastery_threshold", self.mastery_threshold)?;
        probability("band_low", self.band_low)?;
        probability("band_high", self.band_high)?;
        probability("review_below", self.review_below)?;
        probability("wheel_spinning_min_rise", self.wheel_spinning_min_rise)?;
        let invalid = |message: String| Err(Error::InvalidSettings(message));
        if self.band_low > self.band_high {
            return invalid(format!(
                "band_low: {} is above band_high {}",
                self.band_low, self.band_high
            ));
        }
        if self.max_objectives == 0 {
            return invalid("max_objectives: must be at least 1".into());
        }
        if self.trend_window < 2 {
            return invalid("trend_window: must be at least 2".into());
        }
        if self.inactive_days.is_nan() || self.inactive_days <= 0.0 {
            return invalid("inactive_days: must be positive".into());
        }
        if self.group_min == 0 || self.group_min > self.group_max {
            return invalid(format!(
                "group_min: {} must be at least 1 and at most group_max {}",
                self.group_min, self.group_max
            ));
        }
        Ok(())
    }
}
