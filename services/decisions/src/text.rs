//! Words and numbers as people read them: percentages, dates, lists.

use chrono::DateTime;

/// `0.724` → `72%`.
pub(crate) fn percent(p: f64) -> String {
    format!("{:.0}%", (p * 100.0).clamp(0.0, 100.0))
}

/// A date as `12 May 2025` (UTC).
pub(crate) fn date(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros).map_or_else(
        || "an unknown date".to_owned(),
        |t| t.format("%-d %b %Y").to_string(),
    )
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whole days between two instants, rounded down.
pub(crate) fn days(from_micros: i64, to_micros: i64) -> i64 {
    (to_micros - from_micros).div_euclid(86_400_000_000)
}

/// Serializers of µs instants as RFC 3339 strings.
pub(crate) mod rfc3339 {
    use serde::Serializer;

    fn text(micros: i64) -> Option<String> {
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }

    pub(crate) fn plain<S: Serializer>(micros: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        match text(*micros) {
            Some(text) => serializer.serialize_str(&text),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn option<S: Serializer>(
        micros: &Option<i64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match micros.and_then(text) {
            Some(text) => serializer.serialize_str(&text),
            None => serializer.serialize_none(),
        }
    }
}
