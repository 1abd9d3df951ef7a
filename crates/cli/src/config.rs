//! Configuration: defaults, then the `--config` TOML file, then environment
//! variables (`DAILYPAPERS_*`), then command-line options, each overriding the
//! one before.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use dailypapers_domain::FeedTimeZone;
use dailypapers_ingest::live;
use serde::Deserialize;

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
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            site_name: "Daily Papers".into(),
            cache_secs: 2.0,
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
            self.search.embed = match v.as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => anyhow::bail!("DAILYPAPERS_EMBED={v:?}: expected true or false"),
            };
        }
        if let Some(v) = var("DAILYPAPERS_ARXIV_INTERVAL_SECS") {
            self.sources.arxiv_interval_secs = v.parse().with_context(|| {
                format!("DAILYPAPERS_ARXIV_INTERVAL_SECS={v:?} is not a number")
            })?;
        }
        self.time_zone()?;
        Ok(())
    }

    /// The feed time zone, validated.
    pub fn time_zone(&self) -> Result<FeedTimeZone> {
        self.feed
            .time_zone
            .parse()
            .map_err(|e: String| anyhow::anyhow!("feed.time_zone: {e}"))
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
