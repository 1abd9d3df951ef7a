//! When a job is due: every so often, or once a day at a time of the feed's
//! time zone. No I/O: the scheduler asks with the last run's start and now.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How often a job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Every interval, counted from the start of the last run.
    Every(Duration),
    /// Once a day at this time in the feed's time zone.
    DailyAt(NaiveTime),
}

impl When {
    /// When the job is next due: at once if it never ran.
    pub fn next_due(&self, last_start: Option<DateTime<Utc>>, zone: Tz) -> Option<DateTime<Utc>> {
        let last = last_start?;
        Some(match *self {
            When::Every(every) => {
                last + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX)
            }
            When::DailyAt(time) => {
                // The first time of day strictly after the last start.
                let local_day = last.with_timezone(&zone).date_naive();
                let mut day = local_day;
                loop {
                    let at = zone
                        .from_local_datetime(&day.and_time(time))
                        .earliest()
                        .map(|t| t.with_timezone(&Utc));
                    if let Some(at) = at
                        && at > last
                    {
                        break at;
                    }
                    day = day.succ_opt().unwrap_or(day);
                    if day > local_day + chrono::Days::new(3) {
                        break last + chrono::Duration::days(1);
                    }
                }
            }
        })
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Every(d) => write!(f, "every {}", format_duration(*d)),
            When::DailyAt(t) => write!(f, "daily at {}", t.format("%H:%M")),
        }
    }
}

/// `90s`, `30m`, `6h`, `1d` (a whole number and a unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
        format!("{text:?}: expected a number and a unit (s, m, h or d), e.g. 30m")
    })?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit (s, m, h or d), e.g. 30m"))?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use s, m, h or d)"
            ));
        }
    };
    if secs == 0 {
        return Err(format!("{text:?}: an interval must be longer than zero"));
    }
    Ok(Duration::from_secs(secs))
}

fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

impl FromStr for When {
    type Err = String;

    /// `every 30m` or `30m`, and `at 06:30` or `06:30`.
    fn from_str(text: &str) -> Result<When, String> {
        let t = text.trim();
        if let Some(rest) = t
            .strip_prefix("at ")
            .or_else(|| t.contains(':').then_some(t))
        {
            return NaiveTime::parse_from_str(rest.trim(), "%H:%M")
                .map(When::DailyAt)
                .map_err(|_| format!("{text:?}: expected a time of day as HH:MM, e.g. 06:30"));
        }
        let rest = t.strip_prefix("every ").unwrap_or(t);
        parse_duration(rest).map(When::Every)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn intervals_count_from_the_last_start() {
        let w: When = "every 30m".parse().unwrap();
        assert_eq!(w.next_due(None, Tz::UTC), None, "never ran: due now");
        assert_eq!(
            w.next_due(Some(at("2025-12-01T10:00:00Z")), Tz::UTC),
            Some(at("2025-12-01T10:30:00Z"))
        );
        assert_eq!(w.to_string(), "every 30m");
    }

    #[test]
    fn daily_times_are_in_the_feed_zone() {
        let w: When = "at 06:30".parse().unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 06:30 in Paris is 05:30 UTC in winter.
        assert_eq!(
            w.next_due(Some(at("2025-12-01T04:00:00Z")), paris),
            Some(at("2025-12-01T05:30:00Z"))
        );
        assert_eq!(
            w.next_due(Some(at("2025-12-01T05:30:00Z")), paris),
            Some(at("2025-12-02T05:30:00Z"))
        );
        assert_eq!(w.to_string(), "daily at 06:30");
    }

    #[test]
    fn bad_schedules_say_what_is_expected() {
        assert!(
            "every 0m"
                .parse::<When>()
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(
            "every 5 weeks"
                .parse::<When>()
                .unwrap_err()
                .contains("unit")
        );
        assert!("at 25:00".parse::<When>().unwrap_err().contains("HH:MM"));
        assert!("soon".parse::<When>().is_err());
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
    }
}
