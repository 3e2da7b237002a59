//! ISO 8601 durations as xAPI uses them (`result.duration`), turned into milliseconds
//! for time-on-task sums.

/// Milliseconds of an ISO 8601 duration (`PnYnMnDTnHnMnS` or `PnW`, a decimal fraction
/// allowed on any component). Years count 365 days and months 30: xAPI durations carry
/// no calendar to anchor them, and time on task never reaches months in practice.
/// `None` when the text is not such a duration or overflows.
pub fn duration_millis(value: &str) -> Option<i64> {
    if !crate::formats::is_duration(value) {
        return None;
    }
    const SECOND: f64 = 1_000.0;
    const DAY: f64 = 86_400.0 * SECOND;
    let body = value.strip_prefix('P')?;
    let (date, time) = match body.split_once('T') {
        Some((date, time)) => (date, time),
        None => (body, ""),
    };
    let mut total = 0.0f64;
    let mut add = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            let (_, scale) = units.iter().find(|(unit, _)| *unit == c)?;
            total += number.parse::<f64>().ok()? * scale;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    add(
        date,
        &[
            ('Y', 365.0 * DAY),
            ('M', 30.0 * DAY),
            ('W', 7.0 * DAY),
            ('D', DAY),
        ],
    )?;
    add(
        time,
        &[('H', 3_600.0 * SECOND), ('M', 60.0 * SECOND), ('S', SECOND)],
    )?;
    (total.is_finite() && total < i64::MAX as f64).then(|| total.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::duration_millis;

    #[test]
    fn durations_become_milliseconds() {
        assert_eq!(duration_millis("PT1M30S"), Some(90_000));
        assert_eq!(duration_millis("PT0.25S"), Some(250));
        assert_eq!(duration_millis("P1DT1H"), Some(90_000_000));
        assert_eq!(duration_millis("P2W"), Some(14 * 86_400_000));
        assert_eq!(duration_millis("PT1H1M1.5S"), Some(3_661_500));
        assert_eq!(duration_millis("P1M"), Some(30 * 86_400_000));
    }

    #[test]
    fn non_durations_are_refused() {
        for text in ["", "P", "PT", "1H", "PT1X", "P1H", "soon"] {
            assert_eq!(duration_millis(text), None, "{text}");
        }
    }
}
