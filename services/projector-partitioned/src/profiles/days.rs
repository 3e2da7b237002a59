//! A learner's active days, in bounded space.
//!
//! Which days a learner was active is a bitmap covering at most [`WINDOW_DAYS`] days
//! ending at the latest active day (about 460 bytes), so the count of distinct active
//! days stays exact whatever order statements arrive in. A day older than the window
//! is not counted (its statements still are). The most recent [`RECENT_DAYS`] active
//! days also keep their statement count and time on task.

use learnlog_projector::days::Day;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The span of the active-days bitmap: ten years and a bit.
pub const WINDOW_DAYS: i32 = 3_664;

/// How many of the latest active days keep their totals.
pub const RECENT_DAYS: usize = 60;

/// Statements and time on task of one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DayTotals {
    pub day: Day,
    pub statements: u32,
    pub duration_millis: u64,
}

/// Which days a learner was active.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ActiveDays {
    /// Distinct active days.
    pub count: u32,
    pub first: Option<Day>,
    pub last: Option<Day>,
    /// Bit `i` of byte `j` is day `bits_start + 8j + i`.
    bits_start: Day,
    #[serde(serialize_with = "to_hex", deserialize_with = "from_hex")]
    bits: Vec<u8>,
    /// The latest active days, oldest first, at most [`RECENT_DAYS`].
    pub recent: Vec<DayTotals>,
}

const WINDOW_BYTES: usize = (WINDOW_DAYS / 8) as usize;

impl ActiveDays {
    /// Records a statement on `day` with `duration_millis` of time on task.
    pub fn record(&mut self, day: Day, duration_millis: u64) {
        if self.mark(day) {
            self.count += 1;
            self.first = Some(self.first.map_or(day, |first| first.min(day)));
            self.last = Some(self.last.map_or(day, |last| last.max(day)));
        }
        let totals = match self.recent.binary_search_by_key(&day, |totals| totals.day) {
            Ok(at) => &mut self.recent[at],
            Err(at) => {
                if at == 0 && self.recent.len() >= RECENT_DAYS {
                    return; // older than every recent day kept
                }
                self.recent.insert(
                    at,
                    DayTotals {
                        day,
                        ..DayTotals::default()
                    },
                );
                let at = if self.recent.len() > RECENT_DAYS {
                    self.recent.remove(0);
                    at - 1
                } else {
                    at
                };
                &mut self.recent[at]
            }
        };
        totals.statements = totals.statements.saturating_add(1);
        totals.duration_millis = totals.duration_millis.saturating_add(duration_millis);
    }

    /// Sets the bit of `day`; true when it was not set and lies inside the window.
    fn mark(&mut self, day: Day) -> bool {
        if self.bits.is_empty() {
            self.bits_start = day;
            self.bits.push(1);
            return true;
        }
        if day < self.bits_start {
            let front = (self.bits_start - day + 7) as usize / 8;
            if self.bits.len() + front > WINDOW_BYTES {
                return false;
            }
            self.bits.splice(0..0, std::iter::repeat_n(0, front));
            self.bits_start -= 8 * front as Day;
        }
        let offset = (day - self.bits_start) as usize;
        let needed = offset / 8 + 1;
        if needed > self.bits.len() + WINDOW_BYTES {
            // So far ahead that nothing known stays inside the window.
            self.bits_start = day;
            self.bits = vec![1];
            return true;
        }
        if needed > self.bits.len() {
            self.bits.resize(needed, 0);
        }
        let overflow = self.bits.len().saturating_sub(WINDOW_BYTES);
        if overflow > 0 {
            self.bits.drain(..overflow);
            self.bits_start += 8 * overflow as Day;
        }
        let offset = (day - self.bits_start) as usize;
        let (byte, bit) = (offset / 8, 1u8 << (offset % 8));
        let new = self.bits[byte] & bit == 0;
        self.bits[byte] |= bit;
        new
    }
}

fn to_hex<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}

fn from_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    hex::decode(text).map_err(|_| serde::de::Error::custom("bad hex in active days"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_days_are_counted_once_in_any_order() {
        let mut days = ActiveDays::default();
        for day in [100, 103, 100, 90, 103, 200, 95, 95] {
            days.record(day, 10);
        }
        assert_eq!(days.count, 5);
        assert_eq!((days.first, days.last), (Some(90), Some(200)));
        let recent: Vec<_> = days.recent.iter().map(|d| (d.day, d.statements)).collect();
        assert_eq!(recent, [(90, 1), (95, 2), (100, 2), (103, 2), (200, 1)]);
        assert_eq!(days.recent[1].duration_millis, 20);
    }

    #[test]
    fn storage_stays_bounded_over_decades() {
        let mut days = ActiveDays::default();
        for day in (0..20_000).step_by(3) {
            days.record(day, 1);
        }
        assert_eq!(days.count, 6_667);
        assert!(days.bits.len() <= WINDOW_BYTES);
        assert_eq!(days.recent.len(), RECENT_DAYS);
        assert_eq!(days.recent.last().unwrap().day, 19_998);
        // a day older than the window is not counted; one inside it is counted once
        days.record(10, 1);
        days.record(19_999, 1);
        days.record(19_999, 1);
        assert_eq!(days.count, 6_668);
        let json = serde_json::to_string(&days).unwrap();
        assert!(json.len() < 4_000, "{} bytes", json.len());
        assert_eq!(serde_json::from_str::<ActiveDays>(&json).unwrap(), days);
    }
}
