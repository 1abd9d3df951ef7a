//! `dailypapers bench votes`: upvotes over HTTP against running servers,
//! at a given concurrency, with duplicates and toggle races, and a check
//! that every count is exact afterwards.
//!
//! The members and their API tokens are written straight into the store
//! the servers use (hashing a thousand passwords would measure Argon2, not
//! votes). Each (member, paper) pair gets a sequence of votes and
//! withdrawals that ends either way; a pair's steps go in order, some of
//! them sent twice at the same moment (a double click), pairs run at once,
//! and with several servers the requests go round them, so the two copies
//! of a step and the steps of one pair reach different servers. The final
//! count of each paper must then be its count before plus the pairs whose
//! sequence ended with a vote: any difference, and any 5xx, fails the run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use dailypapers_domain::{ArxivId, Email, Role, Username};
use dailypapers_store::community::{Member, NewMember, token_hash};
use dailypapers_store::{FeedQuery, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Mutex;

use crate::measure::Latencies;

/// What to run.
pub struct Options {
    /// Base URLs of the servers (`http://127.0.0.1:8080`), used in turn.
    pub servers: Vec<String>,
    pub members: usize,
    pub papers: usize,
    /// Vote requests in all (duplicates included).
    pub requests: usize,
    pub concurrency: usize,
    pub seed: u64,
}

/// One step of a pair: vote (`true`) or withdraw, sent once or twice at once.
#[derive(Clone, Copy)]
struct Step {
    on: bool,
    twice: bool,
}

struct Pair {
    member: usize,
    paper: usize,
    steps: Vec<Step>,
}

/// A member named `name` made in the store, with a password hash no
/// password matches (the benchmarks do not log in).
pub(crate) async fn bench_member(store: &dyn Store, name: &str) -> Result<Member> {
    Ok(store
        .community()
        .create_member(&NewMember {
            username: Username::parse(name)?,
            email: Email::parse(&format!("{name}@bench.invalid"))?,
            display_name: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2g$bm90IGEgcmVhbCBoYXNo".into(),
            role: Role::Member,
            now: Utc::now(),
        })
        .await?)
}

/// The members' API tokens, made in the store.
async fn members(store: &dyn Store, n: usize, run: &str) -> Result<Vec<String>> {
    let community = store.community();
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let member = bench_member(store, &format!("v{run}-{i}")).await?;
        let token = format!("dp_bench_{run}_{i}_{:016x}", rand::random::<u64>());
        community
            .create_api_token(member.id, "bench", &token_hash(&token), Utc::now())
            .await?;
        tokens.push(token);
    }
    Ok(tokens)
}

/// Pair sequences adding up to `requests` requests.
fn plan(o: &Options, rng: &mut StdRng) -> Vec<Pair> {
    let mut pairs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut left = o.requests;
    while left > 0 {
        let (member, paper) = (rng.gen_range(0..o.members), rng.gen_range(0..o.papers));
        if !seen.insert((member, paper)) {
            continue;
        }
        let len = rng.gen_range(1..=4usize);
        let mut steps = Vec::new();
        for k in 0..len {
            let twice = rng.gen_bool(0.2);
            let cost = 1 + usize::from(twice);
            if cost > left {
                break;
            }
            left -= cost;
            steps.push(Step {
                on: k % 2 == 0,
                twice,
            });
        }
        if steps.is_empty() {
            break;
        }
        pairs.push(Pair {
            member,
            paper,
            steps,
        });
    }
    pairs
}

async fn upvotes(client: &reqwest::Client, server: &str, id: &ArxivId) -> Result<u64> {
    let url = format!("{server}/api/papers/{id}");
    let text = client
        .get(&url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let body: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{url}: not JSON"))?;
    body["upvotes"]
        .as_u64()
        .with_context(|| format!("{url}: no upvotes in {body}"))
}

pub async fn run(store: Arc<dyn Store>, o: Options) -> Result<bool> {
    if o.servers.is_empty() {
        bail!("give at least one --server");
    }
    let listings = store
        .feed(&FeedQuery {
            from: None,
            to: None,
            submitter: None,
            sort: Default::default(),
            offset: 0,
            limit: o.papers as u64,
        })
        .await?;
    if listings.len() < o.papers {
        bail!(
            "the store has {} papers on its feed; the benchmark votes on {}: import more first",
            listings.len(),
            o.papers
        );
    }
    let papers: Vec<ArxivId> = listings.iter().map(|l| l.paper.id.clone()).collect();
    let run = format!("{:x}", Utc::now().timestamp_millis() % 0xffffff);
    let started = Instant::now();
    let tokens = Arc::new(members(&*store, o.members, &run).await?);
    println!(
        "{} members with API tokens made in the store in {:.1} s",
        o.members,
        started.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        // Below the server's 10 s wait for a kept-alive connection's next
        // request: reusing a connection the server is closing fails.
        .pool_idle_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut before = Vec::with_capacity(papers.len());
    for p in &papers {
        before.push(upvotes(&client, &o.servers[0], p).await?);
    }
    let mut rng = StdRng::seed_from_u64(o.seed);
    let pairs = plan(&o, &mut rng);
    let mut expected = vec![0u64; papers.len()];
    for p in &pairs {
        if p.steps.last().is_some_and(|s| s.on) {
            expected[p.paper] += 1;
        }
    }
    let queue = Arc::new(Mutex::new(pairs.into_iter()));
    let latencies = Arc::new(Mutex::new(Latencies::new()));
    let statuses = Arc::new(Mutex::new(HashMap::<u16, usize>::new()));
    let turn = Arc::new(AtomicUsize::new(0));
    let papers = Arc::new(papers);
    let servers = Arc::new(o.servers.clone());
    let started = Instant::now();
    let mut workers = Vec::new();
    // `concurrency` workers, each running one pair at a time (a duplicate
    // puts a second request of that worker in flight for a moment).
    for _ in 0..o.concurrency.max(1) {
        let (queue, latencies, statuses, turn) = (
            queue.clone(),
            latencies.clone(),
            statuses.clone(),
            turn.clone(),
        );
        let (client, tokens, papers, servers) = (
            client.clone(),
            tokens.clone(),
            papers.clone(),
            servers.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let Some(pair) = queue.lock().await.next() else {
                    break;
                };
                let auth = format!("Bearer {}", tokens[pair.member]);
                for step in &pair.steps {
                    let send = || {
                        let server = &servers[turn.fetch_add(1, Ordering::Relaxed) % servers.len()];
                        let url = format!("{server}/api/papers/{}/upvote", papers[pair.paper]);
                        let req = if step.on {
                            client.post(url)
                        } else {
                            client.delete(url)
                        };
                        let req = req.header("authorization", &auth);
                        async move {
                            let t = Instant::now();
                            let status = match req.send().await {
                                Ok(res) => {
                                    let s = res.status().as_u16();
                                    let _ = res.bytes().await;
                                    s
                                }
                                Err(_) => 0,
                            };
                            (status, t.elapsed())
                        }
                    };
                    let results = if step.twice {
                        let (a, b) = tokio::join!(send(), send());
                        vec![a, b]
                    } else {
                        vec![send().await]
                    };
                    let mut l = latencies.lock().await;
                    let mut s = statuses.lock().await;
                    for (status, took) in results {
                        l.push(took);
                        *s.entry(status).or_default() += 1;
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed();
    let statuses = statuses.lock().await.clone();
    let sent: usize = statuses.values().sum();
    println!(
        "{sent} vote requests on {} papers by {} members at concurrency {} through {} server(s): {:.1} s, {:.0} votes/s",
        papers.len(),
        o.members,
        o.concurrency,
        servers.len(),
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
    latencies.lock().await.report("vote latency");
    let mut codes: Vec<_> = statuses.iter().collect();
    codes.sort();
    println!(
        "statuses: {}",
        codes
            .iter()
            .map(|(c, n)| format!("{c}×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut ok = statuses.iter().all(|(c, _)| *c == 200);
    let mut wrong = 0;
    for (i, p) in papers.iter().enumerate() {
        for server in servers.iter() {
            let now = upvotes(&client, server, p).await?;
            if now != before[i] + expected[i] {
                wrong += 1;
                println!(
                    "{p} on {server}: {now} upvotes, expected {} + {}",
                    before[i], expected[i]
                );
            }
        }
    }
    if wrong > 0 {
        ok = false;
    }
    println!(
        "counts: {} papers × {} server(s) checked, {wrong} wrong",
        papers.len(),
        servers.len()
    );
    Ok(ok)
}
