//! The `[[schedule]]` entries of the configuration turned into the jobs
//! `serve` runs, each checked with a message that names the entry.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use dailypapers_ingest::live::MetadataPrefix;
use dailypapers_ingest::run::LiveSources;
use dailypapers_jobs::{IngestTask, Job, When};

use crate::config::ScheduleEntry;

/// The jobs of `entries`, or an error naming the first bad entry.
pub fn jobs(entries: &[ScheduleEntry], sources: &LiveSources) -> Result<Vec<Job>> {
    let mut names = HashSet::new();
    let mut jobs = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let job = job(entry, sources)
            .map_err(|e| anyhow!("schedule entry {} (source {:?}): {e}", i + 1, entry.source))?;
        if !names.insert(job.name.clone()) {
            bail!(
                "schedule entry {}: a job named {:?} is already scheduled; give each a distinct name = \"…\"",
                i + 1,
                job.name
            );
        }
        jobs.push(job);
    }
    Ok(jobs)
}

fn job(e: &ScheduleEntry, sources: &LiveSources) -> Result<Job> {
    let when: When = match (&e.every, &e.at) {
        (Some(every), None) => format!("every {every}")
            .parse()
            .map_err(|m: String| anyhow!("every: {m}"))?,
        (None, Some(at)) => format!("at {at}")
            .parse()
            .map_err(|m: String| anyhow!("at: {m}"))?,
        (Some(_), Some(_)) => bail!("give either every = \"30m\" or at = \"06:30\", not both"),
        (None, None) => bail!("say when it runs: every = \"30m\" or at = \"06:30\""),
    };
    let unused = |fields: &[(&str, bool)]| -> Result<()> {
        match fields.iter().find(|(_, set)| *set) {
            Some((name, _)) => bail!("{name} does not apply to this source"),
            None => Ok(()),
        }
    };
    let sources = sources.clone();
    let task = match e.source.as_str() {
        "hf-daily" => {
            unused(&[
                ("set", e.set.is_some()),
                ("prefix", e.prefix.is_some()),
                ("first_days", e.first_days.is_some()),
                ("query", e.query.is_some()),
                ("max", e.max.is_some()),
            ])?;
            let days = e.days.unwrap_or(2);
            if !(1..=31).contains(&days) {
                bail!("days = {days}: expected 1 to 31");
            }
            IngestTask::HfDaily { sources, days }
        }
        "oai" => {
            unused(&[
                ("days", e.days.is_some()),
                ("query", e.query.is_some()),
                ("max", e.max.is_some()),
            ])?;
            let prefix: MetadataPrefix = e
                .prefix
                .as_deref()
                .unwrap_or("arXiv")
                .parse()
                .map_err(|m: String| anyhow!("prefix: {m}"))?;
            IngestTask::Oai {
                sources,
                set: e.set.clone(),
                prefix,
                first_days: e.first_days.unwrap_or(2),
            }
        }
        "arxiv" => {
            unused(&[
                ("days", e.days.is_some()),
                ("set", e.set.is_some()),
                ("prefix", e.prefix.is_some()),
                ("first_days", e.first_days.is_some()),
            ])?;
            let query = e
                .query
                .clone()
                .filter(|q| !q.trim().is_empty())
                .ok_or_else(|| anyhow!("query = \"…\" is required (e.g. \"cat:cs.CL\")"))?;
            IngestTask::ArxivQuery {
                sources,
                query,
                max: e.max.unwrap_or(100).max(1),
            }
        }
        other => bail!("unknown source {other:?}: expected hf-daily, oai or arxiv"),
    };
    Ok(Job {
        name: e.name.clone().unwrap_or_else(|| e.source.clone()),
        when,
        task: Arc::new(task),
    })
}

/// Starts the configured schedule beside `serve`, unless `jobs.enabled` is
/// off or the schedule is empty; the scheduler stops when `stop` says so.
pub fn start(
    config: &crate::config::Config,
    store: Arc<dyn dailypapers_store::Store>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<
    Option<(
        Arc<dailypapers_jobs::Scheduler>,
        tokio::task::JoinHandle<()>,
    )>,
> {
    use anyhow::Context;
    if !config.jobs.enabled {
        tracing::info!("the schedule is off (jobs.enabled = false)");
        return Ok(None);
    }
    let jobs = jobs(&config.schedule(), &crate::commands::live::sources(config)?)?;
    if jobs.is_empty() {
        return Ok(None);
    }
    let options = dailypapers_jobs::SchedulerOptions {
        lease_ttl: std::time::Duration::try_from_secs_f64(config.jobs.lease_secs)
            .ok()
            .filter(|d| !d.is_zero())
            .context("jobs.lease_secs must be a positive number of seconds")?,
        tick: std::time::Duration::try_from_secs_f64(config.jobs.tick_secs)
            .ok()
            .filter(|d| !d.is_zero())
            .context("jobs.tick_secs must be a positive number of seconds")?,
        ..dailypapers_jobs::SchedulerOptions::default()
    };
    for job in &jobs {
        tracing::info!(job = %job.name, when = %job.when, what = %job.task.describe(), "scheduled");
    }
    let scheduler = Arc::new(dailypapers_jobs::Scheduler::new(
        store,
        jobs,
        config.time_zone()?.tz(),
        options,
    ));
    let handle = tokio::spawn(scheduler.clone().run(async move {
        let _ = stop.wait_for(|s| *s).await;
    }));
    Ok(Some((scheduler, handle)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dailypapers_ingest::http::ClientConfig;
    use dailypapers_ingest::live::Endpoints;

    fn sources() -> LiveSources {
        LiveSources {
            endpoints: Endpoints::default(),
            client: ClientConfig::default(),
            arxiv_interval: std::time::Duration::from_secs(3),
            time_zone: Default::default(),
        }
    }

    fn entries(toml_text: &str) -> Vec<ScheduleEntry> {
        #[derive(serde::Deserialize)]
        struct File {
            schedule: Vec<ScheduleEntry>,
        }
        toml::from_str::<File>(toml_text).unwrap().schedule
    }

    #[test]
    fn the_default_and_the_example_schedules_are_valid() {
        let default = jobs(&crate::config::default_schedule(), &sources()).unwrap();
        assert_eq!(default.len(), 1);
        assert_eq!(default[0].name, "hf-daily");
        assert_eq!(default[0].when.to_string(), "every 1h");
        let e = entries(
            "[[schedule]]\nsource = \"oai\"\nset = \"cs\"\nat = \"02:30\"\n\
             [[schedule]]\nname = \"decoding\"\nsource = \"arxiv\"\nquery = \"cat:cs.CL\"\nevery = \"6h\"\n",
        );
        let example = jobs(&e, &sources()).unwrap();
        assert_eq!(example[0].when.to_string(), "daily at 02:30");
        assert_eq!(example[1].name, "decoding");
    }

    #[test]
    fn bad_entries_are_named_with_what_is_wrong() {
        let err = |text: &str| match jobs(&entries(text), &sources()) {
            Ok(_) => panic!("accepted: {text}"),
            Err(e) => e.to_string(),
        };
        let e = err(
            "[[schedule]]\nsource = \"hf-daily\"\nevery = \"1h\"\n[[schedule]]\nsource = \"rss\"\nevery = \"1h\"\n",
        );
        assert!(
            e.contains("entry 2") && e.contains("rss") && e.contains("hf-daily, oai or arxiv"),
            "{e}"
        );
        let e = err("[[schedule]]\nsource = \"hf-daily\"\n");
        assert!(e.contains("every = "), "{e}");
        let e = err("[[schedule]]\nsource = \"arxiv\"\nevery = \"1h\"\n");
        assert!(e.contains("query"), "{e}");
        let e = err("[[schedule]]\nsource = \"hf-daily\"\nevery = \"1h\"\nset = \"cs\"\n");
        assert!(e.contains("set does not apply"), "{e}");
        let e = err(
            "[[schedule]]\nsource = \"hf-daily\"\nevery = \"1h\"\n[[schedule]]\nsource = \"hf-daily\"\nat = \"06:00\"\n",
        );
        assert!(e.contains("already scheduled"), "{e}");
        let e = err("[[schedule]]\nsource = \"oai\"\nat = \"6 o'clock\"\n");
        assert!(e.contains("HH:MM"), "{e}");
    }
}
