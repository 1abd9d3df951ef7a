//! When digests are due: the daily digest on weekdays and the weekly one on
//! its day, each from a time of day in the feed's time zone on. No I/O: the
//! runner asks with the current time and composes what is due and not yet
//! composed (a server down at the hour composes it when it comes back, that
//! same day).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

/// How often a subscription's digest comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Monday to Friday.
    Daily,
    /// Once a week.
    Weekly,
}

impl Frequency {
    pub const ALL: [Frequency; 2] = [Frequency::Daily, Frequency::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Frequency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "daily" => Ok(Frequency::Daily),
            "weekly" => Ok(Frequency::Weekly),
            other => Err(format!("{other:?}: expected daily or weekly")),
        }
    }
}

/// The name of the digest of `frequency` sent on `date`, which the store
/// records it under and its messages' outbox batches start with.
pub fn digest_name(frequency: Frequency, date: NaiveDate) -> String {
    format!("digest:{frequency}:{date}")
}

/// When digests go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// From this time of day on (in `zone`) the day's digests are due.
    pub at: NaiveTime,
    /// The day of the weekly digest.
    pub weekly_on: Weekday,
    pub zone: Tz,
}

impl Schedule {
    /// The digests due at `now`: today's daily one on a weekday, today's
    /// weekly one on its day, once the time of day has come.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<(Frequency, NaiveDate)> {
        let local = now.with_timezone(&self.zone);
        if local.time() < self.at {
            return Vec::new();
        }
        let today = local.date_naive();
        let mut due = Vec::new();
        if !matches!(today.weekday(), Weekday::Sat | Weekday::Sun) {
            due.push((Frequency::Daily, today));
        }
        if today.weekday() == self.weekly_on {
            due.push((Frequency::Weekly, today));
        }
        due
    }
}

/// `mon` … `sun` (or the whole name), as the config writes a weekday.
pub fn parse_weekday(text: &str) -> Result<Weekday, String> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("{text:?}: expected a day of the week (mon, tue, … sun)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            at: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            weekly_on: Weekday::Mon,
            zone: "Europe/Paris".parse().unwrap(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_daily_digest_is_due_on_weekdays_from_the_hour_in_the_feed_zone() {
        let s = schedule();
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        // 07:30 in Paris is 06:30 UTC: not yet.
        assert!(s.due(at("2026-12-07T06:30:00Z")).is_empty());
        assert_eq!(
            s.due(at("2026-12-07T07:00:00Z")),
            [(Frequency::Daily, monday), (Frequency::Weekly, monday)]
        );
        let tuesday = monday.succ_opt().unwrap();
        assert_eq!(
            s.due(at("2026-12-08T21:00:00Z")),
            [(Frequency::Daily, tuesday)]
        );
        // Saturday: nothing; 23:30 UTC on Sunday is already Monday in Paris.
        assert!(s.due(at("2026-12-12T12:00:00Z")).is_empty());
        assert!(s.due(at("2026-12-13T12:00:00Z")).is_empty());
        assert!(
            s.due(at("2026-12-13T23:30:00Z")).is_empty(),
            "00:30 < 08:00"
        );
    }

    #[test]
    fn names_and_weekdays_read_well() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            digest_name(Frequency::Weekly, d),
            "digest:weekly:2026-12-07"
        );
        assert_eq!(parse_weekday("fri"), Ok(Weekday::Fri));
        assert!(parse_weekday("someday").unwrap_err().contains("someday"));
        assert_eq!("daily".parse(), Ok(Frequency::Daily));
        assert!("hourly".parse::<Frequency>().is_err());
    }
}
