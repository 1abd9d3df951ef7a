//! The daily feed: entries (a paper on a feed day), submitters, the feed's
//! time zone, and the periods a reader looks at (a day, an ISO week, a month).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, IsoWeek, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::{ArxivId, Organization};

/// A paper listed on the feed on one feed day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub paper_id: ArxivId,
    /// The day it is listed on, in the feed's time zone.
    pub feed_day: NaiveDate,
    /// When it was submitted to the feed (upstream `submittedOnDailyAt`),
    /// when known; older upstream listings do not say.
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<Submitter>,
    /// When the listing was published (upstream, the listing's own `publishedAt`).
    pub listed_at: DateTime<Utc>,
    pub thumbnail: Option<String>,
    pub num_comments: u32,
    /// The organisation the listing is attributed to (upstream `organization`).
    pub organization: Option<Organization>,
    /// The submitter's organisation (upstream `submitterOrganization`).
    #[serde(default)]
    pub submitter_organization: Option<Organization>,
    pub is_author_participating: bool,
    pub media_urls: Vec<String>,
}

impl FeedEntry {
    /// An entry for `paper_id` submitted at `at` onto `feed_day`, with
    /// nothing else known (no submitter, no comments, no organisation).
    pub fn submitted(paper_id: ArxivId, at: DateTime<Utc>, feed_day: NaiveDate) -> Self {
        FeedEntry {
            paper_id,
            feed_day,
            submitted_at: Some(at),
            submitted_by: None,
            listed_at: at,
            thumbnail: None,
            num_comments: 0,
            organization: None,
            submitter_organization: None,
            is_author_participating: false,
            media_urls: Vec::new(),
        }
    }

    /// The time that orders listings with equal upvotes: the submission,
    /// else the listing's publication.
    pub fn submission_time(&self) -> DateTime<Utc> {
        self.submitted_at.unwrap_or(self.listed_at)
    }
}

/// A paper together with its feed listing, if it has one: what a source
/// yields for one record, what the store keeps, and what pages show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub paper: crate::Paper,
    pub entry: Option<FeedEntry>,
    /// Members' upvotes and comments, as the store counts them (zero in
    /// what a source yields).
    #[serde(default)]
    pub engagement: crate::Engagement,
    /// An admin's decision about the paper's organisation, which outranks
    /// what its sources say: `Some(Some(org))` linked to `org`, `Some(None)`
    /// shown with none. The store keeps it apart from the paper, so no
    /// import changes it and none is written from it.
    #[serde(skip)]
    pub organization_link: Option<Option<Organization>>,
}

impl Listing {
    /// A paper with its feed entry, if any, and no members' activity yet.
    pub fn new(paper: crate::Paper, entry: Option<FeedEntry>) -> Self {
        Listing {
            paper,
            entry,
            engagement: crate::Engagement::default(),
            organization_link: None,
        }
    }

    /// A paper that is not on the feed.
    pub fn paper_only(paper: crate::Paper) -> Self {
        Listing::new(paper, None)
    }

    /// The upvote count a card shows: imported plus members'.
    pub fn upvotes(&self) -> u32 {
        self.engagement.total_upvotes(&self.paper)
    }

    /// The organisation badge on the card: an admin's link, else the
    /// listing's, else the paper's, else the submitter's.
    pub fn organization(&self) -> Option<&Organization> {
        if let Some(link) = &self.organization_link {
            return link.as_ref();
        }
        let entry = self.entry.as_ref();
        entry
            .and_then(|e| e.organization.as_ref())
            .or(self.paper.organization.as_ref())
            .or_else(|| entry.and_then(|e| e.submitter_organization.as_ref()))
    }

    /// The paper's organisation: an admin's link, else the paper's own.
    pub fn paper_organization(&self) -> Option<&Organization> {
        match &self.organization_link {
            Some(link) => link.as_ref(),
            None => self.paper.organization.as_ref(),
        }
    }

    /// The listing's organisation (not the submitter's): an admin's link,
    /// else the listing's, else the paper's.
    pub fn listed_organization(&self) -> Option<&Organization> {
        match &self.organization_link {
            Some(link) => link.as_ref(),
            None => self
                .entry
                .as_ref()
                .and_then(|e| e.organization.as_ref())
                .or(self.paper.organization.as_ref()),
        }
    }
}

/// How a feed period is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedSort {
    /// Most upvoted first, then earliest submitted (the daily page's order).
    #[default]
    Upvotes,
    /// Most recently submitted first.
    Newest,
    /// Most recently published listing first (upstream `sort=publishedAt`).
    Published,
    /// Highest stored trending score first (see [`crate::trending`]), then
    /// as [`FeedSort::Upvotes`] for papers that are not trending.
    Trending,
}

/// The member who put a paper on the feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitter {
    /// User handle, e.g. `akhaliq`.
    pub user: String,
    pub fullname: Option<String>,
    /// Upstream id (`_id`).
    pub hf_id: Option<String>,
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub is_pro: bool,
}

/// The time zone whose calendar days are feed days (UTC by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedTimeZone(chrono_tz::Tz);

impl Default for FeedTimeZone {
    fn default() -> Self {
        FeedTimeZone(chrono_tz::UTC)
    }
}

impl FeedTimeZone {
    /// The feed day an instant falls on.
    pub fn feed_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// Today, in this zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.feed_day(now)
    }

    /// The zone itself, for computing times of day in it.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl FromStr for FeedTimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<chrono_tz::Tz>().map(FeedTimeZone).map_err(|_| {
            format!("unknown time zone {s:?}: expected an IANA name such as UTC or Europe/Paris")
        })
    }
}

/// A stretch of feed days a reader looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Day(NaiveDate),
    Week(IsoWeek),
    Month { year: i32, month: u32 },
}

/// Why a period could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("invalid date {0:?}: expected YYYY-MM-DD, e.g. 2025-12-01")]
    Day(String),
    #[error("invalid week {0:?}: expected an ISO week YYYY-Www, e.g. 2025-W49")]
    Week(String),
    #[error("invalid month {0:?}: expected YYYY-MM, e.g. 2025-12")]
    Month(String),
}

/// Exactly `n` ASCII digits (no sign, no spaces).
fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

impl Period {
    /// Parses `YYYY-MM-DD`.
    pub fn parse_day(s: &str) -> Result<Period, PeriodError> {
        let ok = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        ok.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
            .map(Period::Day)
            .ok_or_else(|| PeriodError::Day(clip(s)))
    }

    /// Parses `YYYY-Www` (ISO 8601 week).
    pub fn parse_week(s: &str) -> Result<Period, PeriodError> {
        let err = || PeriodError::Week(clip(s));
        let (y, w) = s.split_once("-W").ok_or_else(err)?;
        if !digits(y, 4) || !digits(w, 2) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let week: u32 = w.parse().map_err(|_| err())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|d| Period::Week(d.iso_week()))
            .ok_or_else(err)
    }

    /// Parses `YYYY-MM`.
    pub fn parse_month(s: &str) -> Result<Period, PeriodError> {
        let err = || PeriodError::Month(clip(s));
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if !digits(y, 4) || !digits(m, 2) {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|_| Period::Month { year, month })
            .ok_or_else(err)
    }

    /// The week a day falls in.
    pub fn week_of(day: NaiveDate) -> Period {
        Period::Week(day.iso_week())
    }

    /// The month a day falls in.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// First feed day of the period.
    pub fn first_day(&self) -> NaiveDate {
        match *self {
            Period::Day(d) => d,
            Period::Week(w) => NaiveDate::from_isoywd_opt(w.year(), w.week(), Weekday::Mon)
                .expect("an IsoWeek always has a Monday"),
            Period::Month { year, month } => {
                NaiveDate::from_ymd_opt(year, month, 1).expect("validated month")
            }
        }
    }

    /// Last feed day of the period (inclusive).
    pub fn last_day(&self) -> NaiveDate {
        match *self {
            Period::Day(d) => d,
            Period::Week(_) => self.first_day() + Duration::days(6),
            Period::Month { .. } => self.next().first_day() - Duration::days(1),
        }
    }

    /// Whether a feed day falls in the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }

    /// The period just before.
    pub fn prev(&self) -> Period {
        match *self {
            Period::Day(d) => Period::Day(d - Duration::days(1)),
            Period::Week(_) => Period::week_of(self.first_day() - Duration::days(7)),
            Period::Month { .. } => Period::month_of(self.first_day() - Duration::days(1)),
        }
    }

    /// The period just after.
    pub fn next(&self) -> Period {
        match *self {
            Period::Day(d) => Period::Day(d + Duration::days(1)),
            Period::Week(_) => Period::week_of(self.first_day() + Duration::days(7)),
            Period::Month { year, month } => {
                if month == 12 {
                    Period::Month {
                        year: year + 1,
                        month: 1,
                    }
                } else {
                    Period::Month {
                        year,
                        month: month + 1,
                    }
                }
            }
        }
    }

    /// A human label: "Monday, 1 December 2025", "Week 49, 2025", "December 2025".
    pub fn label(&self) -> String {
        match *self {
            Period::Day(d) => d.format("%A, %-d %B %Y").to_string(),
            Period::Week(w) => {
                let (a, b) = (self.first_day(), self.last_day());
                format!(
                    "Week {}, {} ({} – {})",
                    w.week(),
                    w.year(),
                    a.format("%-d %b"),
                    b.format("%-d %b")
                )
            }
            Period::Month { .. } => self.first_day().format("%B %Y").to_string(),
        }
    }
}

impl fmt::Display for Period {
    /// The canonical text form: `2025-12-01`, `2025-W49`, `2025-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Period::Week(w) => write!(f, "{:04}-W{:02}", w.year(), w.week()),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_parse_print_and_bound() {
        let d = Period::parse_day("2025-12-01").unwrap();
        assert_eq!(d.to_string(), "2025-12-01");
        let w = Period::parse_week("2025-W49").unwrap();
        assert_eq!(w.to_string(), "2025-W49");
        assert_eq!(w.first_day(), day("2025-12-01"));
        assert_eq!(w.last_day(), day("2025-12-07"));
        let m = Period::parse_month("2024-02").unwrap();
        assert_eq!(m.last_day(), day("2024-02-29"));
        assert!(m.contains(day("2024-02-10")) && !m.contains(day("2024-03-01")));
    }

    #[test]
    fn navigation_crosses_year_boundaries() {
        let w1 = Period::parse_week("2026-W01").unwrap();
        assert_eq!(w1.prev().to_string(), "2025-W52");
        assert_eq!(w1.prev().next(), w1);
        let dec = Period::parse_month("2025-12").unwrap();
        assert_eq!(dec.next().to_string(), "2026-01");
        assert_eq!(dec.next().prev(), dec);
        assert_eq!(
            Period::parse_day("2025-01-01").unwrap().prev().to_string(),
            "2024-12-31"
        );
        assert_eq!(Period::week_of(day("2021-01-03")).to_string(), "2020-W53");
    }

    #[test]
    fn malformed_periods_say_which_format_is_expected() {
        for bad in [
            "2025-13-01",
            "2025-12-1",
            "yesterday",
            "2025/12/01",
            "",
            "+025-12-01",
            "2025-+1-01",
        ] {
            let e = Period::parse_day(bad).unwrap_err().to_string();
            assert!(e.contains("YYYY-MM-DD"), "{e}");
        }
        for bad in [
            "2025-W54", "2025-49", "2025-W4", "2025W49", "2025-W+1", "+202-W01",
        ] {
            let e = Period::parse_week(bad).unwrap_err().to_string();
            assert!(e.contains("YYYY-Www"), "{bad}: {e}");
        }
        for bad in ["2025-13", "2025-1", "25-12", "2025-+1", "+025-01"] {
            let e = Period::parse_month(bad).unwrap_err().to_string();
            assert!(e.contains("YYYY-MM"), "{e}");
        }
    }

    #[test]
    fn feed_day_follows_the_time_zone() {
        let at: DateTime<Utc> = "2025-12-01T00:38:17Z".parse().unwrap();
        assert_eq!(FeedTimeZone::default().feed_day(at), day("2025-12-01"));
        let la: FeedTimeZone = "America/Los_Angeles".parse().unwrap();
        assert_eq!(la.feed_day(at), day("2025-11-30"));
        assert!(
            "Mars/Olympus"
                .parse::<FeedTimeZone>()
                .unwrap_err()
                .contains("IANA")
        );
    }
}
