//! `dailypapers bench logins`: a login storm against a running server, and
//! what it does to everyone else.
//!
//! The front page is loaded at a steady concurrency, first alone (its idle
//! p99), then while `concurrency` clients log in over and over (each login
//! an Argon2id verification on the server's capped hashing pool). Printed:
//! logins/s with their latencies, the front page's p99 idle and during the
//! storm and their ratio (the bound is 2×), and the server's peak
//! resident memory (its `VmHWM`, given its pid), which the hashing cap
//! bounds. The members are written straight into the store with one real
//! Argon2id hash of a known password. Each login comes from its own client
//! address (`X-Forwarded-For`, believed when the server trusts the
//! loopback as a proxy), as a storm from many clients would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use dailypapers_domain::{Email, Role, Username};
use dailypapers_store::Store;
use dailypapers_store::community::NewMember;
use tokio::sync::Mutex;

use crate::measure::Latencies;

pub struct Options {
    pub server: String,
    /// The server's pid, for its peak memory.
    pub pid: Option<u32>,
    /// Logins in flight at once.
    pub concurrency: usize,
    /// How long each phase lasts.
    pub duration: Duration,
    /// Front-page requests in flight at once.
    pub readers: usize,
}

const PASSWORD: &str = "a storm of long passphrases";

fn peak_rss(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}

/// Loads `url` with `readers` clients until `stop`, timing each request.
async fn load(
    client: reqwest::Client,
    url: String,
    readers: usize,
    stop: Arc<AtomicBool>,
) -> Latencies {
    let out = Arc::new(Mutex::new(Latencies::new()));
    let mut tasks = Vec::new();
    for _ in 0..readers {
        let (client, url, stop, out) = (client.clone(), url.clone(), stop.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                if let Ok(res) = client.get(&url).send().await {
                    let _ = res.bytes().await;
                }
                out.lock().await.push(t.elapsed());
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Arc::try_unwrap(out)
        .map(Mutex::into_inner)
        .unwrap_or_default()
}

pub async fn run(store: Arc<dyn Store>, o: Options) -> Result<bool> {
    let community = store.community();
    let hash = dailypapers_web::auth::Passwords::new(1)
        .hash(PASSWORD)
        .await
        .context("hashing the members' password")?;
    let run = format!("{:x}", Utc::now().timestamp_millis() % 0xffffff);
    let mut names = Vec::new();
    for i in 0..o.concurrency {
        let name = format!("l{run}-{i}");
        community
            .create_member(&NewMember {
                username: Username::parse(&name)?,
                email: Email::parse(&format!("{name}@bench.invalid"))?,
                display_name: None,
                password_hash: hash.clone(),
                role: Role::Member,
                now: Utc::now(),
            })
            .await?;
        names.push(name);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency + o.readers)
        // Below the server's 10 s wait for a kept-alive connection's next
        // request: reusing a connection the server is closing fails.
        .pool_idle_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()?;
    let front = format!("{}/", o.server);
    client.get(&front).send().await?.error_for_status()?;

    let stop = Arc::new(AtomicBool::new(false));
    let idle = tokio::spawn(load(client.clone(), front.clone(), o.readers, stop.clone()));
    tokio::time::sleep(o.duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut idle = idle.await?;

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(load(client.clone(), front.clone(), o.readers, stop.clone()));
    let logins = Arc::new(Mutex::new(Latencies::new()));
    let failures = Arc::new(Mutex::new(Vec::<u16>::new()));
    let started = Instant::now();
    let mut stormers = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let (client, stop, logins, failures) = (
            client.clone(),
            stop.clone(),
            logins.clone(),
            failures.clone(),
        );
        let url = format!("{}/api/auth/login", o.server);
        stormers.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let from = format!("10.{}.{}.{}", i % 250, n % 250, (n / 250) % 250);
                let body = serde_json::json!({"login": name, "password": PASSWORD}).to_string();
                let t = Instant::now();
                let status = match client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-forwarded-for", from)
                    .body(body)
                    .send()
                    .await
                {
                    Ok(res) => res.status().as_u16(),
                    Err(_) => 0,
                };
                logins.lock().await.push(t.elapsed());
                if status != 200 {
                    failures.lock().await.push(status);
                }
            }
        }));
    }
    tokio::time::sleep(o.duration).await;
    stop.store(true, Ordering::Relaxed);
    for s in stormers {
        s.await?;
    }
    let elapsed = started.elapsed();
    let mut during = during.await?;
    let mut logins = Arc::try_unwrap(logins)
        .map(Mutex::into_inner)
        .unwrap_or_default();
    let failures = failures.lock().await.clone();
    let n = logins.len();
    println!(
        "{n} logins by {} clients in {:.1} s: {:.0} logins/s, {} failed",
        o.concurrency,
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        failures.len()
    );
    logins.report("login latency");
    idle.report("front page, idle");
    during.report("front page, during the storm");
    let (Some(a), Some(b)) = (idle.percentile(0.99), during.percentile(0.99)) else {
        bail!("no front-page requests were timed");
    };
    let ratio = b.as_secs_f64() / a.as_secs_f64();
    println!("front page p99 during the storm / idle: {ratio:.2}×");
    if let Some(pid) = o.pid {
        let rss = peak_rss(pid).with_context(|| format!("no /proc/{pid}/status"))?;
        println!("server peak RSS (VmHWM): {rss}");
    }
    if !failures.is_empty() {
        let mut codes = failures.clone();
        codes.sort_unstable();
        codes.dedup();
        println!("failed logins answered: {codes:?}");
    }
    Ok(failures.is_empty())
}
