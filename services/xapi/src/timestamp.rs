//! xAPI timestamps (§2.8): parsing the RFC 3339 / ISO 8601 forms the LRS accepts
//! and formatting the one form it returns.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use regex::Regex;

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$",
    )
    .expect("valid timestamp regex")
});

/// Parses an xAPI timestamp: an RFC 3339 date-time with a `T`, `t` or space
/// separator, any number of fraction digits (kept to the nanosecond), and an
/// offset of `Z`/`z`, `±hh`, `±hhmm` or `±hh:mm`. A missing offset means UTC.
/// The negative zero offsets `-00`, `-0000` and `-00:00` ("unknown local offset")
/// are rejected.
pub fn parse_timestamp(value: &str) -> Result<DateTime<Utc>, String> {
    let invalid = || format!("{value:?} is not an rfc 3339 timestamp");
    let caps = TIMESTAMP.captures(value).ok_or_else(invalid)?;
    let field = |i: usize| -> u32 {
        caps.get(i)
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .unwrap_or(0)
    };
    let year = caps
        .get(1)
        .and_then(|m| m.as_str().parse::<i32>().ok())
        .ok_or_else(invalid)?;
    let date = NaiveDate::from_ymd_opt(year, field(2), field(3)).ok_or_else(invalid)?;
    let nanos = caps.get(7).map_or(0, |m| {
        let digits: String = m
            .as_str()
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        digits.parse::<u32>().unwrap_or(0)
    });
    let (hour, minute, second) = (field(4), field(5), field(6));
    let time = if second == 60 {
        // A leap second: chrono represents it as second 59 with nanos >= 1e9.
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
    }
    .ok_or_else(invalid)?;
    let local = NaiveDateTime::new(date, time);
    let offset_seconds = match caps.get(9) {
        None => 0,
        Some(sign) => {
            let (hours, minutes) = (field(10), field(11));
            if hours > 23 || minutes > 59 {
                return Err(invalid());
            }
            let magnitude = (hours * 3600 + minutes * 60) as i32;
            if sign.as_str() == "-" {
                if magnitude == 0 {
                    return Err(format!(
                        "{value:?} has the offset -00:00, which is not allowed"
                    ));
                }
                -magnitude
            } else {
                magnitude
            }
        }
    };
    let offset = FixedOffset::east_opt(offset_seconds).ok_or_else(invalid)?;
    offset
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(invalid)
}

/// Formats as UTC `YYYY-MM-DDTHH:MM:SS.sssZ`: exactly three fraction digits,
/// truncated (not rounded).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    let millis = (t.nanosecond() % 1_000_000_000) / 1_000_000;
    format!("{}.{millis:03}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_timestamps_read_back_as_the_same_utc_instant() {
        let cases = [
            ("2013-05-18T05:32:34.804Z", "2013-05-18T05:32:34.804Z"),
            ("2013-05-18T05:32:34.804+00:00", "2013-05-18T05:32:34.804Z"),
            ("2013-05-18T05:32:34.804-05:00", "2013-05-18T10:32:34.804Z"),
            ("2023-05-04T12:00:00-05:00", "2023-05-04T17:00:00.000Z"),
            ("2013-05-18T05:32:34Z", "2013-05-18T05:32:34.000Z"),
            ("2013-05-18T05:32:34.123456789Z", "2013-05-18T05:32:34.123Z"),
            (
                "2013-05-18T05:32:34.9999999999Z",
                "2013-05-18T05:32:34.999Z",
            ),
            ("2008-09-15 15:53:00.601+00:00", "2008-09-15T15:53:00.601Z"),
            ("2008-09-15t15:53:00.601z", "2008-09-15T15:53:00.601Z"),
            ("2013-05-18T05:32:34.804", "2013-05-18T05:32:34.804Z"),
            ("2013-05-18T05:32:34.804+0530", "2013-05-18T00:02:34.804Z"),
            ("2013-05-18T05:32:34.804+05", "2013-05-18T00:32:34.804Z"),
            ("2013-05-18T05:32:34+00", "2013-05-18T05:32:34.000Z"),
            ("2099-01-01T00:00:00Z", "2099-01-01T00:00:00.000Z"),
        ];
        for (input, expected) in cases {
            let parsed = parse_timestamp(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(format_timestamp(parsed), expected, "{input}");
        }
    }

    #[test]
    fn negative_zero_offsets_and_other_forms_are_rejected() {
        for input in [
            "2013-05-18T05:32:34.804-00",
            "2013-05-18T05:32:34.804-0000",
            "2013-05-18T05:32:34.804-00:00",
            "01/011/2015",
            "should fail",
            "",
            "2013-05-18",
            "2013-13-18T05:32:34Z",
            "2013-02-30T05:32:34Z",
            "2013-05-18T25:32:34Z",
            "2013-05-18T05:32:34.Z",
            "2013-05-18T05:32:34+24:00",
            "2013-05-18T05:32:34+05:60",
            "2013-05-18T05:32:34ZZ",
            "2013-05-18X05:32:34Z",
            " 2013-05-18T05:32:34Z",
        ] {
            assert!(parse_timestamp(input).is_err(), "{input}");
        }
    }

    #[test]
    fn formatting_truncates_to_milliseconds() {
        let t = parse_timestamp("2020-01-01T00:00:00.0009Z").expect("valid");
        assert_eq!(format_timestamp(t), "2020-01-01T00:00:00.000Z");
        let t = parse_timestamp("2020-01-01T00:00:00.1239Z").expect("valid");
        assert_eq!(format_timestamp(t), "2020-01-01T00:00:00.123Z");
    }
}
