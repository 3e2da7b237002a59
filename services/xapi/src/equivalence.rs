//! When two statements are the same (§3.1 "Existing id", §3.7 signatures).
//!
//! Both sides are brought to a canonical form, then compared structurally:
//! object key order is ignored and numbers compare by value.

use chrono::SecondsFormat;
use serde_json::Value;

use crate::storage::normalize_context_activities;
use crate::timestamp::parse_timestamp;

/// Options for [`statements_equivalent_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Equivalence {
    /// Ignore `attachments` (the signature check does; duplicate detection
    /// does not).
    pub ignore_attachments: bool,
}

/// True when two statements are the same for duplicate detection: ignores
/// `id`, `authority`, `stored`, `version`, how `timestamp` is written (instants
/// are compared), a contextActivities object versus a one-element array, and
/// duration digits beyond 0.01 s. `attachments` count. Numbers compare by
/// value and object keys in any order.
///
/// Timestamps the LRS filled in are not compared: when each side's `timestamp`
/// is absent or equal to its own `stored`, timestamps are ignored, so a stored
/// statement and a prepared retry of it (both without a client timestamp) are
/// equivalent.
pub fn statements_equivalent(a: &Value, b: &Value) -> bool {
    statements_equivalent_with(a, b, Equivalence::default())
}

/// [`statements_equivalent`] with options; for the signature check (§3.7) use
/// `Equivalence { ignore_attachments: true }`.
pub fn statements_equivalent_with(a: &Value, b: &Value, options: Equivalence) -> bool {
    let both_unspecified = timestamp_unspecified(a) && timestamp_unspecified(b);
    let (mut a, mut b) = (a.clone(), b.clone());
    for statement in [&mut a, &mut b] {
        if both_unspecified {
            if let Some(map) = statement.as_object_mut() {
                map.remove("timestamp");
            }
        }
        canonicalize(statement, options);
    }
    same(&a, &b)
}

/// True when the statement has no `timestamp`, or one equal to its `stored`
/// (the LRS set it because the client gave none). Two such statements do not
/// compare timestamps: a retried statement that never had a timestamp is the
/// same statement even though each attempt was given a different one.
fn timestamp_unspecified(statement: &Value) -> bool {
    let instant = |key: &str| {
        statement
            .get(key)
            .and_then(Value::as_str)
            .and_then(|text| parse_timestamp(text).ok())
    };
    match statement.get("timestamp") {
        None => true,
        Some(_) => instant("timestamp").is_some() && instant("timestamp") == instant("stored"),
    }
}

fn canonicalize(statement: &mut Value, options: Equivalence) {
    if let Some(map) = statement.as_object_mut() {
        for key in ["id", "authority", "stored", "version"] {
            map.remove(key);
        }
        if options.ignore_attachments {
            map.remove("attachments");
        }
    }
    normalize_context_activities(statement);
    canonicalize_parts(statement);
    if let Some(object) = statement.get_mut("object") {
        if object.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
            canonicalize_parts(object);
        }
    }
}

/// Timestamps as full-precision UTC instants, durations truncated to 0.01 s.
fn canonicalize_parts(statement: &mut Value) {
    if let Some(Value::String(time)) = statement.get_mut("timestamp") {
        if let Ok(instant) = parse_timestamp(time) {
            *time = instant.to_rfc3339_opts(SecondsFormat::Nanos, true);
        }
    }
    if let Some(Value::String(duration)) = statement
        .get_mut("result")
        .and_then(|result| result.get_mut("duration"))
    {
        *duration = truncate_duration(duration);
    }
}

/// Truncates the fractional seconds of a duration to two digits and drops
/// trailing zeros: `PT0.12567S` -> `PT0.12S`, `PT1.10S` -> `PT1.1S`, `PT1.00S` -> `PT1S`.
pub(crate) fn truncate_duration(duration: &str) -> String {
    let Some(body) = duration.strip_suffix('S') else {
        return duration.to_owned();
    };
    let Some(dot) = body.rfind('.') else {
        return duration.to_owned();
    };
    let fraction = &body[dot + 1..];
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return duration.to_owned();
    }
    let kept = fraction.get(..2).unwrap_or(fraction).trim_end_matches('0');
    let mut out = body[..dot].to_owned();
    if !kept.is_empty() {
        out.push('.');
        out.push_str(kept);
    }
    out.push('S');
    out
}

/// Structural equality: objects by key regardless of order, numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(p), Some(q)) if p == q)
        }
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(key, x)| ys.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::truncate_duration;

    #[test]
    fn durations_are_truncated_to_hundredths_of_a_second() {
        for (input, expected) in [
            ("P1DT12H36M0.12567S", "P1DT12H36M0.12S"),
            ("P1DT12H36M0.1237S", "P1DT12H36M0.12S"),
            ("PT1.10S", "PT1.1S"),
            ("PT1.00S", "PT1S"),
            ("PT1.009S", "PT1S"),
            ("PT1S", "PT1S"),
            ("P4W", "P4W"),
            ("PT0.5M", "PT0.5M"),
        ] {
            assert_eq!(truncate_duration(input), expected, "{input}");
        }
    }
}
