//! UTC days, and the instant a learner acted: what profiles and class rosters count
//! activity by.

use learnlog_proto::v1::LearnerStatement;

/// Days since 1970-01-01, UTC.
pub type Day = i32;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// The UTC day of an instant in µs since the Unix epoch.
pub fn day_of(micros: i64) -> Day {
    micros.div_euclid(MICROS_PER_DAY) as Day
}

/// `YYYY-MM-DD`.
pub fn format_day(day: Day) -> String {
    chrono::DateTime::from_timestamp(i64::from(day) * 86_400, 0)
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The instant the learner acted: the statement's timestamp, unless it is missing or
/// later than `stored` (a statement cannot happen after it was stored).
pub fn acted_at(statement: &LearnerStatement) -> i64 {
    let (timestamp, stored) = (statement.timestamp_micros, statement.stored_micros);
    if timestamp == 0 || (stored != 0 && timestamp > stored) {
        stored
    } else {
        timestamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(-1), -1);
        assert_eq!(format_day(day_of(1_700_000_000_000_000)), "2023-11-14");
        assert_eq!(format_day(-1), "1969-12-31");
    }

    #[test]
    fn a_statement_timestamped_after_it_was_stored_acted_when_stored() {
        let at = |timestamp_micros, stored_micros| {
            acted_at(&LearnerStatement {
                timestamp_micros,
                stored_micros,
                ..LearnerStatement::default()
            })
        };
        assert_eq!(at(5, 9), 5);
        assert_eq!(at(0, 9), 9);
        assert_eq!(at(12, 9), 9);
        assert_eq!(at(12, 0), 12);
    }
}
