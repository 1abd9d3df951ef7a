//! The scheduler `serve` runs: every tick it looks for due jobs and runs
//! each in a task of its own, under a store lease.
//!
//! A job runs only while this process holds its lease (`job.NAME` in the
//! store's leases), renewed while it runs; after taking the lease the
//! scheduler reads the job's last run again, so a job that another process
//! has just run is not run twice. A process that dies while running a job
//! stops renewing, and the job is taken over once the lease has expired.
//! Each run is logged with its summary, saved as the job's [`JobRecord`],
//! and counted in the metrics (`dailypapers_job_runs_total`,
//! `dailypapers_ingest_records_total`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dailypapers_store::{Store, StoreError};
use serde::Serialize;

use crate::record::{JobRecord, Outcome, Tally};
use crate::schedule::When;
use crate::task::Task;

/// A named task and when it runs.
#[derive(Clone)]
pub struct Job {
    pub name: String,
    pub when: When,
    pub task: Arc<dyn Task>,
}

/// How the scheduler behaves.
#[derive(Clone, Debug)]
pub struct SchedulerOptions {
    /// How long a lease lasts unless renewed (a dead holder's jobs wait this long).
    pub lease_ttl: Duration,
    /// How often due jobs are looked for.
    pub tick: Duration,
    /// This process's name in the leases and records.
    pub holder: String,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            lease_ttl: Duration::from_secs(300),
            tick: Duration::from_secs(5),
            holder: dailypapers_store::process_holder(),
        }
    }
}

/// A job as the status page shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub name: String,
    pub source: &'static str,
    pub description: String,
    pub schedule: String,
    pub last_run: Option<JobRecord>,
    /// When it is next due (now, if it never ran).
    #[schema(value_type = String, format = DateTime)]
    pub next_run: DateTime<Utc>,
    /// Who runs it now, if someone does.
    pub running_on: Option<String>,
}

/// Runs due jobs.
pub struct Scheduler {
    store: Arc<dyn Store>,
    jobs: Vec<Job>,
    zone: Tz,
    options: SchedulerOptions,
    running: Mutex<HashSet<String>>,
}

impl Scheduler {
    pub fn new(store: Arc<dyn Store>, jobs: Vec<Job>, zone: Tz, options: SchedulerOptions) -> Self {
        Scheduler {
            store,
            jobs,
            zone,
            options,
            running: Mutex::new(HashSet::new()),
        }
    }

    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// Looks for due jobs every tick until `shutdown` resolves; then waits
    /// for the jobs it started.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut started: Vec<tokio::task::JoinHandle<()>> = Vec::new();
        loop {
            started.retain(|h| !h.is_finished());
            for job in self.due_here().await {
                let me = self.clone();
                started.push(tokio::spawn(async move {
                    me.run_job(&job).await;
                }));
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.options.tick) => {}
            }
        }
        for h in started {
            h.abort();
            let _ = h.await;
        }
        // A job cut short gives its lease back, so the next server (this one
        // restarted, say) need not wait for it to expire; it runs again from
        // its checkpoint, as no record of this run was saved.
        let cut_short: Vec<String> = self.running.lock().expect("not poisoned").drain().collect();
        for name in cut_short {
            let lease = lease_name(&name);
            if let Err(e) = self.store.release_lease(&lease, &self.options.holder).await {
                tracing::warn!(job = %name, error = %e, "cannot give the job's lease back");
            }
        }
    }

    /// Runs every due job once, one after another, and says which ran.
    pub async fn run_due_now(&self) -> Vec<(String, Outcome)> {
        let mut ran = Vec::new();
        for job in self.due_here().await {
            if let Some(outcome) = self.run_job(&job).await {
                ran.push((job.name.clone(), outcome));
            }
        }
        ran
    }

    /// Jobs due by the records this process can see and not running here.
    async fn due_here(&self) -> Vec<Job> {
        let now = Utc::now();
        let mut due = Vec::new();
        for job in &self.jobs {
            if self
                .running
                .lock()
                .expect("not poisoned")
                .contains(&job.name)
            {
                continue;
            }
            match JobRecord::load(&*self.store, &job.name).await {
                Ok(last) if self.is_due(job, last.as_ref(), now) => due.push(job.clone()),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(job = %job.name, error = %e, "cannot read the job's last run")
                }
            }
        }
        due
    }

    fn is_due(&self, job: &Job, last: Option<&JobRecord>, now: DateTime<Utc>) -> bool {
        job.when
            .next_due(last.map(|r| r.started_at), self.zone)
            .is_none_or(|at| at <= now)
    }

    fn lease_name(job: &Job) -> String {
        lease_name(&job.name)
    }

    /// Runs `job` if this process gets its lease and it is still due.
    async fn run_job(&self, job: &Job) -> Option<Outcome> {
        if !self
            .running
            .lock()
            .expect("not poisoned")
            .insert(job.name.clone())
        {
            return None;
        }
        let result = self.run_leased(job).await;
        self.running.lock().expect("not poisoned").remove(&job.name);
        match result {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!(job = %job.name, error = %e, "the job could not be run");
                None
            }
        }
    }

    async fn run_leased(&self, job: &Job) -> Result<Option<Outcome>, StoreError> {
        let lease = Self::lease_name(job);
        let holder = &self.options.holder;
        let ttl = self.options.lease_ttl;
        if !self.store.acquire_lease(&lease, holder, ttl).await? {
            tracing::debug!(job = %job.name, "another process runs the job");
            return Ok(None);
        }
        // Another process may have run it between our look and our lease.
        let last = JobRecord::load(&*self.store, &job.name).await?;
        let now = Utc::now();
        if !self.is_due(job, last.as_ref(), now) {
            self.store.release_lease(&lease, holder).await?;
            return Ok(None);
        }
        tracing::info!(job = %job.name, what = %job.task.describe(), "job started");
        let clock = Instant::now();
        let run = job
            .task
            .run(self.store.clone(), now, last.as_ref().map(|r| r.started_at));
        tokio::pin!(run);
        let renew_every = ttl / 3;
        let result = loop {
            tokio::select! {
                r = &mut run => break r,
                _ = tokio::time::sleep(renew_every) => {
                    match self.store.acquire_lease(&lease, holder, ttl).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = %job.name, "the job's lease was taken over while it ran"),
                        Err(e) => tracing::warn!(job = %job.name, error = %e, "cannot renew the job's lease"),
                    }
                }
            }
        };
        let finished = Utc::now();
        let record = match result {
            Ok(summary) => JobRecord {
                started_at: now,
                finished_at: finished,
                outcome: Outcome::of(&summary),
                tally: Tally::from(&summary),
                problems: summary.problems.iter().take(10).cloned().collect(),
                holder: holder.clone(),
            },
            Err(e) => JobRecord {
                started_at: now,
                finished_at: finished,
                outcome: Outcome::Failed,
                tally: Tally::default(),
                problems: vec![e.to_string()],
                holder: holder.clone(),
            },
        };
        let t = record.tally;
        let source = job.task.source();
        metrics::counter!("dailypapers_job_runs_total", "job" => job.name.clone(), "outcome" => record.outcome.as_str())
            .increment(1);
        metrics::histogram!("dailypapers_job_duration_seconds", "job" => job.name.clone())
            .record(clock.elapsed().as_secs_f64());
        for (result, n) in [
            ("new", t.new),
            ("updated", t.updated),
            ("unchanged", t.unchanged),
            ("rejected", t.rejected),
        ] {
            metrics::counter!("dailypapers_ingest_records_total", "source" => source, "result" => result)
                .increment(n);
        }
        match record.outcome {
            Outcome::Failed => tracing::warn!(
                job = %job.name, read = t.read, new = t.new, updated = t.updated,
                unchanged = t.unchanged, rejected = t.rejected,
                problem = record.problems.first().map(String::as_str).unwrap_or_default(),
                "job failed"
            ),
            _ => tracing::info!(
                job = %job.name, outcome = record.outcome.as_str(), read = t.read, new = t.new,
                updated = t.updated, unchanged = t.unchanged, rejected = t.rejected,
                seconds = clock.elapsed().as_secs_f64(), "job finished"
            ),
        }
        record.save(&*self.store, &job.name).await?;
        self.store.release_lease(&lease, holder).await?;
        Ok(Some(record.outcome))
    }

    /// Every job's last run, next run and current holder.
    pub async fn status(&self) -> Result<Vec<JobStatus>, StoreError> {
        let leases = self.store.leases().await?;
        let now = Utc::now();
        let mut out = Vec::with_capacity(self.jobs.len());
        for job in &self.jobs {
            let last = JobRecord::load(&*self.store, &job.name).await?;
            let next_run = job
                .when
                .next_due(last.as_ref().map(|r| r.started_at), self.zone)
                .unwrap_or(now);
            let lease = Self::lease_name(job);
            let running_on = leases
                .iter()
                .find(|l| l.name == lease && l.expires_at > now)
                .map(|l| l.holder.clone());
            out.push(JobStatus {
                name: job.name.clone(),
                source: job.task.source(),
                description: job.task.describe(),
                schedule: job.when.to_string(),
                last_run: last,
                next_run,
                running_on,
            });
        }
        Ok(out)
    }
}

/// The store lease a job runs under.
fn lease_name(job: &str) -> String {
    format!("job.{job}")
}
