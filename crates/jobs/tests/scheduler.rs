//! The scheduler on a real store: a due job runs once however many
//! schedulers share the store, a job held by a live process waits, a job
//! whose holder died is taken over when the lease expires, and every run is
//! recorded for the status page.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dailypapers_ingest::Summary;
use dailypapers_ingest::run::RunError;
use dailypapers_jobs::{Job, JobRecord, Outcome, Scheduler, SchedulerOptions, Task, When};
use dailypapers_store::Store;
use dailypapers_store::testing::fresh_store;

/// A task that counts its runs and takes a little while.
struct Counting {
    runs: Arc<AtomicU32>,
    takes: Duration,
}

#[async_trait]
impl Task for Counting {
    fn describe(&self) -> String {
        "counting".into()
    }
    fn source(&self) -> &'static str {
        "test"
    }
    async fn run(
        &self,
        _store: Arc<dyn Store>,
        _now: DateTime<Utc>,
        _last: Option<DateTime<Utc>>,
    ) -> Result<Summary, RunError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.takes).await;
        Ok(Summary {
            read: 3,
            new: 2,
            unchanged: 1,
            ..Summary::default()
        })
    }
}

fn scheduler(store: Arc<dyn Store>, runs: &Arc<AtomicU32>, holder: &str) -> Arc<Scheduler> {
    let job = Job {
        name: "count".into(),
        when: When::Every(Duration::from_secs(3600)),
        task: Arc::new(Counting {
            runs: runs.clone(),
            takes: Duration::from_millis(300),
        }),
    };
    Arc::new(Scheduler::new(
        store,
        vec![job],
        chrono_tz::UTC,
        SchedulerOptions {
            lease_ttl: Duration::from_secs(2),
            tick: Duration::from_millis(20),
            holder: holder.into(),
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_job_runs_once_across_schedulers_and_is_recorded() {
    let t = fresh_store().await;
    let runs = Arc::new(AtomicU32::new(0));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut loops = Vec::new();
    for holder in ["one", "two", "three"] {
        let s = scheduler(t.open_another().await, &runs, holder);
        let mut stopped = stopped.clone();
        loops.push(tokio::spawn(s.run(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })));
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    stop.send(true).unwrap();
    for l in loops {
        l.await.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the job ran once in all");
    let record = JobRecord::load(&*t.store, "count").await.unwrap().unwrap();
    assert_eq!(record.outcome, Outcome::Ok);
    assert_eq!((record.tally.read, record.tally.new), (3, 2));
    assert!(["one", "two", "three"].contains(&record.holder.as_str()));
    assert!(
        t.store.leases().await.unwrap().is_empty(),
        "the lease was released"
    );

    let status = scheduler(t.store.clone(), &runs, "four")
        .status()
        .await
        .unwrap();
    assert_eq!(status[0].last_run.as_ref(), Some(&record));
    assert_eq!(
        status[0].next_run,
        record.started_at + chrono::Duration::hours(1)
    );
    assert_eq!(status[0].running_on, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_holder_died_is_taken_over_after_the_lease_expires() {
    let t = fresh_store().await;
    let runs = Arc::new(AtomicU32::new(0));
    // A process took the lease and died without renewing it.
    assert!(
        t.store
            .acquire_lease("job.count", "dead:1:0", Duration::from_millis(500))
            .await
            .unwrap()
    );
    let s = scheduler(t.store.clone(), &runs, "alive");
    let status = s.status().await.unwrap();
    assert_eq!(status[0].running_on.as_deref(), Some("dead:1:0"));
    assert!(s.run_due_now().await.is_empty(), "held by another: not run");
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        s.run_due_now().await,
        vec![("count".to_string(), Outcome::Ok)]
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Not due again for an hour.
    assert!(s.run_due_now().await.is_empty());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_cut_short_by_shutdown_gives_its_lease_back() {
    let t = fresh_store().await;
    let runs = Arc::new(AtomicU32::new(0));
    let job = Job {
        name: "slow".into(),
        when: When::Every(Duration::from_secs(3600)),
        task: Arc::new(Counting {
            runs: runs.clone(),
            takes: Duration::from_secs(60),
        }),
    };
    let s = Arc::new(Scheduler::new(
        t.store.clone(),
        vec![job],
        chrono_tz::UTC,
        SchedulerOptions {
            lease_ttl: Duration::from_secs(300),
            tick: Duration::from_millis(20),
            holder: "stopping".into(),
        },
    ));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(s.run(async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    while runs.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        t.store.leases().await.unwrap().len(),
        1,
        "held while it runs"
    );
    stop.send(true).unwrap();
    running.await.unwrap();
    assert!(
        t.store.leases().await.unwrap().is_empty(),
        "given back at shutdown"
    );
    assert!(JobRecord::load(&*t.store, "slow").await.unwrap().is_none());
}
