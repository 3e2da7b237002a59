//! Result and Score (§2.6).

use serde_json::Value;

use crate::error::Result;
use crate::formats;
use crate::json::{boolean, extensions, number, strict_object, string};
use crate::path::At;

/// Validates a statement's `result`.
pub(crate) fn validate_result(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(
        value,
        at,
        "a result",
        &[
            "score",
            "success",
            "completion",
            "response",
            "duration",
            "extensions",
        ],
    )?;
    if let Some(score) = map.get("score") {
        validate_score(score, &at.key("score"))?;
    }
    for key in ["success", "completion"] {
        if let Some(flag) = map.get(key) {
            boolean(flag, &at.key(key))?;
        }
    }
    if let Some(response) = map.get("response") {
        string(response, &at.key("response"))?;
    }
    if let Some(duration) = map.get("duration") {
        let here = at.key("duration");
        if !formats::is_duration(string(duration, &here)?) {
            return Err(here.error("must be an iso 8601 duration"));
        }
    }
    if let Some(ext) = map.get("extensions") {
        extensions(ext, &at.key("extensions"))?;
    }
    Ok(())
}

/// `scaled` in [-1, 1]; `raw`, `min`, `max` numbers with min <= raw <= max.
fn validate_score(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(value, at, "a score", &["scaled", "raw", "min", "max"])?;
    let get = |key: &str| -> Result<Option<f64>> {
        map.get(key).map(|v| number(v, &at.key(key))).transpose()
    };
    if let Some(scaled) = get("scaled")? {
        if !(-1.0..=1.0).contains(&scaled) {
            return Err(at.key("scaled").error("must be between -1 and 1 inclusive"));
        }
    }
    let (raw, min, max) = (get("raw")?, get("min")?, get("max")?);
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            return Err(at.key("min").error("must not be greater than max"));
        }
    }
    if let (Some(raw), Some(min)) = (raw, min) {
        if raw < min {
            return Err(at.key("raw").error("must not be less than min"));
        }
    }
    if let (Some(raw), Some(max)) = (raw, max) {
        if raw > max {
            return Err(at.key("raw").error("must not be greater than max"));
        }
    }
    Ok(())
}
