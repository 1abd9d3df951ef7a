//! Configuration: defaults, then the `--config` TOML file, then environment
//! variables (`DAILYPAPERS_*`), then command-line options, each overriding the
//! one before.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use dailypapers_domain::FeedTimeZone;
use dailypapers_ingest::live;
use dailypapers_store::StoreUrl;
use dailypapers_web::forwarded::{PublicUrl, TrustedProxies};
use serde::Deserialize;

use crate::connections::Timeouts;

/// Everything that can be configured. See `dailypapers.example.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the database and the search indexes live.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub feed: FeedConfig,
    pub sources: SourcesConfig,
    pub search: SearchConfig,
    pub store: StoreConfig,
    pub jobs: JobsConfig,
    pub community: CommunityConfig,
    pub trending: TrendingConfig,
    pub limits: LimitsConfig,
    pub digest: DigestConfig,
    /// The scheduled jobs (`[[schedule]]` entries); unset, [`default_schedule`].
    pub schedule: Option<Vec<ScheduleEntry>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Whether `serve` runs the schedule.
    pub enabled: bool,
    /// Seconds a job's lease lasts unless renewed: how long a job whose
    /// process died waits before another process takes it over.
    pub lease_secs: f64,
    /// Seconds between two looks for due jobs.
    pub tick_secs: f64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            enabled: true,
            lease_secs: 300.0,
            tick_secs: 5.0,
        }
    }
}

/// When `serve` computes the trending scores again.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrendingConfig {
    /// Seconds between two refreshes of every score (they decay with time).
    pub refresh_secs: f64,
    /// Seconds after a vote or comment before the scores follow it (what
    /// comes in meanwhile goes into the same refresh).
    pub after_votes_secs: f64,
}

impl Default for TrendingConfig {
    fn default() -> Self {
        TrendingConfig {
            refresh_secs: 300.0,
            after_votes_secs: 10.0,
        }
    }
}

impl TrendingConfig {
    /// The refresher's timings, validated.
    pub fn options(&self) -> Result<dailypapers_jobs::TrendingOptions> {
        let secs = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .with_context(|| {
                    format!("trending.{name} must be a positive number of seconds, not {v}")
                })
        };
        Ok(dailypapers_jobs::TrendingOptions {
            every: secs("refresh_secs", self.refresh_secs)?,
            after_votes: secs("after_votes_secs", self.after_votes_secs)?,
            ..Default::default()
        })
    }
}

/// Rate limits on votes and searches (0 turns one off).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Upvotes cast or withdrawn per member per minute.
    pub votes_per_minute: u32,
    /// Searches and similar-paper lookups per client address per minute.
    pub searches_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let limits = dailypapers_web::auth::RateLimits::default();
        LimitsConfig {
            votes_per_minute: limits.vote.hits,
            searches_per_minute: limits.search.hits,
        }
    }
}

impl LimitsConfig {
    /// The web crate's limits with these applied.
    pub fn apply(&self, limits: &mut dailypapers_web::auth::RateLimits) {
        let minute = Duration::from_secs(60);
        limits.vote = dailypapers_web::auth::Limit {
            hits: self.votes_per_minute,
            per: minute,
        };
        limits.search = dailypapers_web::auth::Limit {
            hits: self.searches_per_minute,
            per: minute,
        };
    }
}

/// One `[[schedule]]` entry: a source, its arguments, and when it runs.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// The job's name (unique); by default the source's.
    pub name: Option<String>,
    /// `hf-daily`, `oai` or `arxiv`.
    pub source: String,
    /// An interval: `30m`, `6h`, `1d`.
    pub every: Option<String>,
    /// A daily time in the feed's time zone: `06:30`.
    pub at: Option<String>,
    /// hf-daily: how many days back from today (2: today and yesterday).
    pub days: Option<u32>,
    /// oai: the set to harvest (`cs`, `math`, `physics:hep-th`; unset: all).
    pub set: Option<String>,
    /// oai: `arXiv` or `oai_dc`.
    pub prefix: Option<String>,
    /// oai: how many days back the first harvest starts.
    pub first_days: Option<u32>,
    /// arxiv: the search query.
    pub query: Option<String>,
    /// arxiv: at most this many results.
    pub max: Option<u64>,
}

/// What `serve` runs when the configuration names no schedule: Hugging
/// Face's daily papers of today and yesterday, every hour.
pub fn default_schedule() -> Vec<ScheduleEntry> {
    vec![ScheduleEntry {
        source: "hf-daily".into(),
        every: Some("1h".into()),
        days: Some(2),
        ..ScheduleEntry::default()
    }]
}

/// What members may contribute.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommunityConfig {
    /// How many days after its first arXiv publication a paper may be
    /// submitted by its arXiv id.
    pub submit_window_days: u32,
    /// How many papers a member may submit a day (UTC); 0: no limit.
    pub submit_per_day: u32,
}

impl Default for CommunityConfig {
    fn default() -> Self {
        CommunityConfig {
            submit_window_days: dailypapers_domain::contribution::SUBMIT_WINDOW_DAYS,
            submit_per_day: 5,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Where the papers are stored: a file path or `sqlite://PATH` (SQLite),
    /// or `postgres://…`; unset, `DATA_DIR/dailypapers.sqlite3`.
    pub url: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// The sentence-transformers model directory (`make model` fetches the default).
    pub model_dir: PathBuf,
    /// Whether `serve` embeds new papers in the background.
    pub embed: bool,
    /// Below this many papers vector search is exact; above, approximate.
    pub exact_below: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            model_dir: PathBuf::from("models/all-MiniLM-L6-v2"),
            embed: true,
            exact_below: 20_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address `serve` listens on.
    pub addr: String,
    /// The site's name, shown in the header and titles.
    pub site_name: String,
    /// Seconds the feed views are served from the response cache (0: off).
    pub cache_secs: f64,
    /// The most responses the response cache holds.
    pub cache_max_entries: usize,
    /// The most bytes the response cache holds (keys, headers and bodies).
    pub cache_max_bytes: usize,
    /// The address the site is reached at (`https://papers.example.org`);
    /// when set, absolute links use it and never the `Host` header.
    pub public_url: Option<String>,
    /// Addresses or CIDR blocks of the reverse proxies whose
    /// `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<String>,
    /// Seconds a client has to send a request's head (0: no limit).
    pub header_timeout_secs: f64,
    /// Seconds a connection may go without a byte either way (0: no limit).
    pub idle_timeout_secs: f64,
    /// Where mail is written as `.eml` files when no SMTP server is
    /// configured [default: DATA_DIR/mail].
    pub mail_dir: Option<PathBuf>,
    /// The sender of every mail (`From`, and the envelope sender).
    pub mail_from: String,
    /// The SMTP server mail goes through: `smtp://host:25` (plain, for a
    /// local relay), `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465`; unset, mail goes to `mail_dir`.
    pub smtp_url: Option<String>,
    /// Messages per second at most, from each server (0: no limit).
    pub mail_per_second: f64,
    /// Permanent refusals after which an address is suspended.
    pub mail_suspend_after: u32,
    /// Seconds a sender's claim on a message lasts: a server that dies
    /// mid-send delays its messages this long.
    pub mail_lease_secs: f64,
}

/// The digests `serve` composes (see `dailypapers_digest`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestConfig {
    /// Whether `serve` composes the digests when they are due.
    pub enabled: bool,
    /// The time of day (feed time zone) from which the day's digests go.
    pub at: String,
    /// The day of the weekly digest (`mon` … `sun`).
    pub weekly_on: String,
    /// A directory whose `subject.txt`, `digest.txt` and `digest.html`
    /// replace the built-in templates.
    pub templates_dir: Option<PathBuf>,
    /// Trending papers in the daily digest.
    pub daily_papers: usize,
    /// Trending papers in the weekly digest.
    pub weekly_papers: usize,
    /// Papers at most in a saved-search digest.
    pub matches: usize,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            enabled: true,
            at: "08:00".into(),
            weekly_on: "mon".into(),
            templates_dir: None,
            daily_papers: 10,
            weekly_papers: 20,
            matches: 20,
        }
    }
}

impl DigestConfig {
    /// When digests go, validated.
    pub fn schedule(&self, zone: chrono_tz::Tz) -> Result<dailypapers_digest::Schedule> {
        let at = chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").with_context(|| {
            format!(
                "digest.at = {:?}: expected a time of day, e.g. 08:00",
                self.at
            )
        })?;
        let weekly_on = dailypapers_digest::schedule::parse_weekday(&self.weekly_on)
            .map_err(|e| anyhow::anyhow!("digest.weekly_on: {e}"))?;
        Ok(dailypapers_digest::Schedule {
            at,
            weekly_on,
            zone,
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// IANA time zone whose calendar days are feed days.
    pub time_zone: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Contact address put in the User-Agent of requests to arXiv.
    pub contact: String,
    pub arxiv_api_url: String,
    pub arxiv_oai_url: String,
    pub hf_daily_papers_url: String,
    /// Minimum seconds between two requests to arXiv (their terms: 3).
    pub arxiv_interval_secs: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            server: ServerConfig::default(),
            feed: FeedConfig::default(),
            sources: SourcesConfig::default(),
            search: SearchConfig::default(),
            store: StoreConfig::default(),
            jobs: JobsConfig::default(),
            community: CommunityConfig::default(),
            trending: TrendingConfig::default(),
            limits: LimitsConfig::default(),
            digest: DigestConfig::default(),
            schedule: None,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            site_name: "Daily Papers".into(),
            cache_secs: 2.0,
            cache_max_entries: dailypapers_web::cache::MAX_ENTRIES,
            cache_max_bytes: dailypapers_web::cache::MAX_BYTES,
            public_url: None,
            trusted_proxies: Vec::new(),
            header_timeout_secs: 10.0,
            mail_dir: None,
            mail_from: "Daily Papers <noreply@localhost>".to_string(),
            smtp_url: None,
            mail_per_second: 20.0,
            mail_suspend_after: 3,
            mail_lease_secs: 120.0,
            idle_timeout_secs: 60.0,
        }
    }
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            time_zone: "UTC".into(),
        }
    }
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            contact: "admin@localhost".into(),
            arxiv_api_url: live::ARXIV_API_URL.into(),
            arxiv_oai_url: live::ARXIV_OAI_URL.into(),
            hf_daily_papers_url: live::HF_DAILY_PAPERS_URL.into(),
            arxiv_interval_secs: 3.0,
        }
    }
}

impl Config {
    /// Loads the file (if given), then applies environment overrides.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Applies `DAILYPAPERS_*` variables read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = var("DAILYPAPERS_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = var("DAILYPAPERS_DATABASE_URL") {
            self.store.url = Some(v);
        }
        if let Some(v) = var("DAILYPAPERS_ADDR") {
            self.server.addr = v;
        }
        if let Some(v) = var("DAILYPAPERS_SITE_NAME") {
            self.server.site_name = v;
        }
        if let Some(v) = var("DAILYPAPERS_CACHE_SECS") {
            self.server.cache_secs = v
                .parse()
                .with_context(|| format!("DAILYPAPERS_CACHE_SECS={v:?} is not a number"))?;
        }
        if let Some(v) = var("DAILYPAPERS_CACHE_MAX_ENTRIES") {
            self.server.cache_max_entries = v.parse().with_context(|| {
                format!("DAILYPAPERS_CACHE_MAX_ENTRIES={v:?} is not a whole number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_CACHE_MAX_BYTES") {
            self.server.cache_max_bytes = v.parse().with_context(|| {
                format!("DAILYPAPERS_CACHE_MAX_BYTES={v:?} is not a whole number of bytes")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_PUBLIC_URL") {
            self.server.public_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = var("DAILYPAPERS_TRUSTED_PROXIES") {
            self.server.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
        }
        if let Some(v) = var("DAILYPAPERS_HEADER_TIMEOUT_SECS") {
            self.server.header_timeout_secs = v.parse().with_context(|| {
                format!("DAILYPAPERS_HEADER_TIMEOUT_SECS={v:?} is not a number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_IDLE_TIMEOUT_SECS") {
            self.server.idle_timeout_secs = v
                .parse()
                .with_context(|| format!("DAILYPAPERS_IDLE_TIMEOUT_SECS={v:?} is not a number"))?;
        }
        if let Some(v) = var("DAILYPAPERS_MAIL_DIR") {
            self.server.mail_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = var("DAILYPAPERS_MAIL_FROM") {
            self.server.mail_from = v;
        }
        if let Some(v) = var("DAILYPAPERS_SMTP_URL") {
            self.server.smtp_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = var("DAILYPAPERS_MAIL_PER_SECOND") {
            self.server.mail_per_second = v
                .parse()
                .with_context(|| format!("DAILYPAPERS_MAIL_PER_SECOND={v:?} is not a number"))?;
        }
        if let Some(v) = var("DAILYPAPERS_MAIL_LEASE_SECS") {
            self.server.mail_lease_secs = v
                .parse()
                .with_context(|| format!("DAILYPAPERS_MAIL_LEASE_SECS={v:?} is not a number"))?;
        }
        if let Some(v) = var("DAILYPAPERS_DIGESTS") {
            self.digest.enabled = parse_bool("DAILYPAPERS_DIGESTS", &v)?;
        }
        if let Some(v) = var("DAILYPAPERS_DIGEST_AT") {
            self.digest.at = v;
        }
        if let Some(v) = var("DAILYPAPERS_DIGEST_TEMPLATES") {
            self.digest.templates_dir =
                Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = var("DAILYPAPERS_TIME_ZONE") {
            self.feed.time_zone = v;
        }
        if let Some(v) = var("DAILYPAPERS_CONTACT") {
            self.sources.contact = v;
        }
        if let Some(v) = var("DAILYPAPERS_ARXIV_API_URL") {
            self.sources.arxiv_api_url = v;
        }
        if let Some(v) = var("DAILYPAPERS_ARXIV_OAI_URL") {
            self.sources.arxiv_oai_url = v;
        }
        if let Some(v) = var("DAILYPAPERS_HF_DAILY_PAPERS_URL") {
            self.sources.hf_daily_papers_url = v;
        }
        if let Some(v) = var("DAILYPAPERS_MODEL_DIR") {
            self.search.model_dir = PathBuf::from(v);
        }
        if let Some(v) = var("DAILYPAPERS_EMBED") {
            self.search.embed = parse_bool("DAILYPAPERS_EMBED", &v)?;
        }
        if let Some(v) = var("DAILYPAPERS_SCHEDULE") {
            self.jobs.enabled = parse_bool("DAILYPAPERS_SCHEDULE", &v)?;
        }
        if let Some(v) = var("DAILYPAPERS_JOB_LEASE_SECS") {
            self.jobs.lease_secs = v
                .parse()
                .with_context(|| format!("DAILYPAPERS_JOB_LEASE_SECS={v:?} is not a number"))?;
        }
        if let Some(v) = var("DAILYPAPERS_JOB_TICK_SECS") {
            self.jobs.tick_secs = v
                .parse()
                .with_context(|| format!("DAILYPAPERS_JOB_TICK_SECS={v:?} is not a number"))?;
        }
        if let Some(v) = var("DAILYPAPERS_SUBMIT_WINDOW_DAYS") {
            self.community.submit_window_days = v.parse().with_context(|| {
                format!("DAILYPAPERS_SUBMIT_WINDOW_DAYS={v:?} is not a whole number of days")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_SUBMIT_PER_DAY") {
            self.community.submit_per_day = v.parse().with_context(|| {
                format!("DAILYPAPERS_SUBMIT_PER_DAY={v:?} is not a whole number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_TRENDING_REFRESH_SECS") {
            self.trending.refresh_secs = v.parse().with_context(|| {
                format!("DAILYPAPERS_TRENDING_REFRESH_SECS={v:?} is not a number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_TRENDING_AFTER_VOTES_SECS") {
            self.trending.after_votes_secs = v.parse().with_context(|| {
                format!("DAILYPAPERS_TRENDING_AFTER_VOTES_SECS={v:?} is not a number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_VOTES_PER_MINUTE") {
            self.limits.votes_per_minute = v.parse().with_context(|| {
                format!("DAILYPAPERS_VOTES_PER_MINUTE={v:?} is not a whole number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_SEARCHES_PER_MINUTE") {
            self.limits.searches_per_minute = v.parse().with_context(|| {
                format!("DAILYPAPERS_SEARCHES_PER_MINUTE={v:?} is not a whole number")
            })?;
        }
        if let Some(v) = var("DAILYPAPERS_ARXIV_INTERVAL_SECS") {
            self.sources.arxiv_interval_secs = v.parse().with_context(|| {
                format!("DAILYPAPERS_ARXIV_INTERVAL_SECS={v:?} is not a number")
            })?;
        }
        self.time_zone()?;
        self.store_url()?;
        self.server.public_url()?;
        self.server.trusted_proxies()?;
        self.server.timeouts()?;
        self.trending.options()?;
        self.digest.schedule(self.time_zone()?.tz())?;
        Ok(())
    }

    /// Where the store lives: `store.url`, else the SQLite file in the data directory.
    pub fn store_url(&self) -> Result<StoreUrl> {
        match &self.store.url {
            Some(url) => url
                .parse()
                .with_context(|| "store.url (or DAILYPAPERS_DATABASE_URL)".to_string()),
            None => Ok(StoreUrl::in_data_dir(&self.data_dir)),
        }
    }

    /// The schedule `serve` runs: the `[[schedule]]` entries, else the default.
    pub fn schedule(&self) -> Vec<ScheduleEntry> {
        self.schedule.clone().unwrap_or_else(default_schedule)
    }

    /// The feed time zone, validated.
    pub fn time_zone(&self) -> Result<FeedTimeZone> {
        self.feed
            .time_zone
            .parse()
            .map_err(|e: String| anyhow::anyhow!("feed.time_zone: {e}"))
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => anyhow::bail!("{name}={v:?}: expected true or false"),
    }
}

impl ServerConfig {
    /// `public_url`, validated.
    pub fn public_url(&self) -> Result<Option<PublicUrl>> {
        self.public_url
            .as_deref()
            .map(|url| url.parse().context("server.public_url"))
            .transpose()
    }

    /// `trusted_proxies`, validated.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies> {
        TrustedProxies::parse(&self.trusted_proxies).context("server.trusted_proxies")
    }

    /// The connection timeouts; zero turns one off.
    pub fn timeouts(&self) -> Result<Timeouts> {
        let secs = |name: &str, v: f64| -> Result<Option<Duration>> {
            let d = Duration::try_from_secs_f64(v).with_context(|| {
                format!("server.{name} must be a non-negative number of seconds, not {v}")
            })?;
            Ok(Some(d).filter(|d| !d.is_zero()))
        };
        Ok(Timeouts {
            header: secs("header_timeout_secs", self.header_timeout_secs)?,
            idle: secs("idle_timeout_secs", self.idle_timeout_secs)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let mut c: Config =
            toml::from_str("data_dir = \"/srv/papers\"\n[feed]\ntime_zone = \"Europe/Paris\"\n")
                .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/papers"));
        assert_eq!(c.server.addr, "127.0.0.1:8080");
        c.apply_env(|k| (k == "DAILYPAPERS_ADDR").then(|| "0.0.0.0:80".to_string()))
            .unwrap();
        assert_eq!(c.server.addr, "0.0.0.0:80");
        assert_eq!(c.time_zone().unwrap().name(), "Europe/Paris");
    }

    #[test]
    fn the_example_file_is_valid_and_says_the_defaults() {
        let text = include_str!("../../../dailypapers.example.toml");
        let c: Config = toml::from_str(text).unwrap();
        let d = Config::default();
        assert_eq!(c.data_dir, d.data_dir);
        assert_eq!(c.server.addr, d.server.addr);
        assert_eq!(c.feed.time_zone, d.feed.time_zone);
        assert_eq!(c.sources.arxiv_api_url, d.sources.arxiv_api_url);
        assert_eq!(c.sources.arxiv_interval_secs, d.sources.arxiv_interval_secs);
        assert_eq!(c.server.cache_secs, d.server.cache_secs);
        assert_eq!(c.server.cache_max_entries, d.server.cache_max_entries);
        assert_eq!(c.server.cache_max_bytes, d.server.cache_max_bytes);
        assert_eq!(c.server.public_url, d.server.public_url);
        assert_eq!(c.server.trusted_proxies, d.server.trusted_proxies);
        assert_eq!(c.server.header_timeout_secs, d.server.header_timeout_secs);
        assert_eq!(c.server.idle_timeout_secs, d.server.idle_timeout_secs);
        assert_eq!(
            c.community.submit_window_days,
            d.community.submit_window_days
        );
        assert_eq!(c.community.submit_per_day, d.community.submit_per_day);
        assert_eq!(c.trending.refresh_secs, d.trending.refresh_secs);
        assert_eq!(c.trending.after_votes_secs, d.trending.after_votes_secs);
        assert_eq!(c.limits.votes_per_minute, d.limits.votes_per_minute);
        assert_eq!(c.limits.searches_per_minute, d.limits.searches_per_minute);
        // The commented settings are valid too.
        let uncommented: String = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|l| l.contains(" = ") || l.starts_with("[["))
                    .unwrap_or(l)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let c: Config = toml::from_str(&uncommented).unwrap();
        assert!(c.server.public_url().unwrap().is_some());
        assert!(!c.server.trusted_proxies().unwrap().is_empty());
        // The commented schedule entries are valid jobs.
        assert_eq!(c.schedule.as_ref().map(Vec::len), Some(3));
        let sources = crate::commands::live::sources(&c).unwrap();
        let jobs = crate::schedule::jobs(&c.schedule(), &sources).unwrap();
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["hf-daily", "oai", "speculative-decoding"]);
    }

    #[test]
    fn server_limits_come_from_the_environment_and_are_checked() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let mut c = Config::default();
        c.apply_env(env(&[
            ("DAILYPAPERS_CACHE_MAX_ENTRIES", "10"),
            ("DAILYPAPERS_CACHE_MAX_BYTES", "8388608"),
            ("DAILYPAPERS_PUBLIC_URL", "https://papers.example.org/"),
            ("DAILYPAPERS_TRUSTED_PROXIES", "10.0.0.0/8, ::1,"),
            ("DAILYPAPERS_HEADER_TIMEOUT_SECS", "2"),
            ("DAILYPAPERS_IDLE_TIMEOUT_SECS", "0"),
        ]))
        .unwrap();
        assert_eq!(c.server.cache_max_entries, 10);
        assert_eq!(c.server.cache_max_bytes, 8 << 20);
        assert_eq!(
            c.server.public_url().unwrap().unwrap().as_str(),
            "https://papers.example.org"
        );
        assert_eq!(c.server.trusted_proxies, ["10.0.0.0/8", "::1"]);
        let t = c.server.timeouts().unwrap();
        assert_eq!((t.header, t.idle), (Some(Duration::from_secs(2)), None));
        for (name, value, says) in [
            (
                "DAILYPAPERS_PUBLIC_URL",
                "papers.example.org",
                "server.public_url",
            ),
            ("DAILYPAPERS_TRUSTED_PROXIES", "proxy.local", "proxy.local"),
            (
                "DAILYPAPERS_HEADER_TIMEOUT_SECS",
                "-1",
                "header_timeout_secs",
            ),
            (
                "DAILYPAPERS_CACHE_MAX_BYTES",
                "64MiB",
                "DAILYPAPERS_CACHE_MAX_BYTES",
            ),
        ] {
            let mut c = Config::default();
            let e = c
                .apply_env(|k| (k == name).then(|| value.to_string()))
                .unwrap_err();
            assert!(format!("{e:#}").contains(says), "{name}: {e:#}");
        }
    }

    #[test]
    fn the_submission_settings_come_from_the_file_and_the_environment() {
        let mut c: Config =
            toml::from_str("[community]\nsubmit_window_days = 30\nsubmit_per_day = 2\n").unwrap();
        assert_eq!(
            (c.community.submit_window_days, c.community.submit_per_day),
            (30, 2)
        );
        c.apply_env(|k| (k == "DAILYPAPERS_SUBMIT_WINDOW_DAYS").then(|| "7".to_string()))
            .unwrap();
        assert_eq!(c.community.submit_window_days, 7);
        let e = Config::default()
            .apply_env(|k| (k == "DAILYPAPERS_SUBMIT_PER_DAY").then(|| "five".to_string()))
            .unwrap_err();
        assert!(
            format!("{e:#}").contains("DAILYPAPERS_SUBMIT_PER_DAY"),
            "{e:#}"
        );
    }

    #[test]
    fn trending_and_limits_come_from_the_environment_and_are_checked() {
        let mut c = Config::default();
        c.apply_env(|k| match k {
            "DAILYPAPERS_TRENDING_REFRESH_SECS" => Some("60".into()),
            "DAILYPAPERS_VOTES_PER_MINUTE" => Some("0".into()),
            "DAILYPAPERS_SEARCHES_PER_MINUTE" => Some("20".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.trending.options().unwrap().every, Duration::from_secs(60));
        let mut limits = dailypapers_web::auth::RateLimits::default();
        c.limits.apply(&mut limits);
        assert_eq!(limits.vote.hits, 0, "0 turns the vote limit off");
        assert_eq!(limits.search.hits, 20);
        assert_eq!(limits.search.per, Duration::from_secs(60));
        for (name, value, says) in [
            (
                "DAILYPAPERS_TRENDING_REFRESH_SECS",
                "0",
                "trending.refresh_secs",
            ),
            (
                "DAILYPAPERS_TRENDING_AFTER_VOTES_SECS",
                "-1",
                "trending.after_votes_secs",
            ),
            (
                "DAILYPAPERS_VOTES_PER_MINUTE",
                "ten",
                "DAILYPAPERS_VOTES_PER_MINUTE",
            ),
        ] {
            let mut c = Config::default();
            let e = c
                .apply_env(|k| (k == name).then(|| value.to_string()))
                .unwrap_err();
            assert!(format!("{e:#}").contains(says), "{name}: {e:#}");
        }
    }

    #[test]
    fn unknown_keys_and_bad_zones_are_errors() {
        let err = toml::from_str::<Config>("[feed]\ntimezone = \"UTC\"\n").unwrap_err();
        assert!(err.to_string().contains("timezone"), "{err}");
        let mut c = Config::default();
        let err = c
            .apply_env(|k| (k == "DAILYPAPERS_TIME_ZONE").then(|| "Nowhere/Land".to_string()))
            .unwrap_err();
        assert!(format!("{err:#}").contains("Nowhere/Land"));
    }
}
