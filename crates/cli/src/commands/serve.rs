//! `dailypapers serve`: open the store and the search indexes, keep the
//! indexes up with the store in the background (indexing, embedding), run
//! the ingestion schedule, keep the trending scores fresh, and serve the
//! site until Ctrl-C or SIGTERM.
//!
//! The server closes connections that send their request head too slowly
//! or move no byte for too long ([`crate::connections`]), and raises the
//! soft limit on open files to the hard limit first (logged), since every
//! connection and every index segment holds a file descriptor.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use dailypapers_web::{AppState, WebConfig};

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on, HOST:PORT [default: 127.0.0.1:8080]
    #[arg(long, env = "DAILYPAPERS_ADDR")]
    addr: Option<String>,
}

pub async fn run(config: &Config, args: Args) -> Result<ExitCode> {
    let addr = args.addr.unwrap_or_else(|| config.server.addr.clone());
    let web = web_config(config, &addr)?;
    let timeouts = config.server.timeouts()?;
    raise_file_limit();
    // Count from the start: jobs may run before the first request.
    dailypapers_web::metrics::handle();
    let store = super::open_store(config).await?;
    let search = super::search::open_engine(config, store.clone())?;
    match search.semantic_unavailable() {
        None => tracing::info!(
            model = search.model().unwrap_or_default(),
            "semantic search is on"
        ),
        Some(why) => tracing::warn!("semantic search is off, keyword search works: {why}"),
    }
    // The background loop's first step indexes what changed since the last
    // run (all of it the first time) while the server already answers;
    // `/api/search/status` says how far it is.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let background = {
        let engine = search.clone();
        let embed = config.search.embed;
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            dailypapers_search::background::keep_up(
                engine,
                dailypapers_search::background::DEFAULT_INTERVAL,
                embed,
                shutdown,
            )
            .await;
        })
    };
    // Scheduled ingestion: each due job runs on one process of those on
    // this store, under a lease (see `dailypapers_jobs`).
    let scheduler = crate::schedule::start(config, store.clone(), stop_rx.clone())?;
    // Trending scores: refreshed periodically and soon after votes, by one
    // server at a time (see `dailypapers_jobs::trending`).
    let trending = Arc::new(dailypapers_jobs::TrendingRefresher::new(
        store.clone(),
        config.trending.options()?,
    ));
    let refresher = {
        let mut stop = stop_rx.clone();
        trending.start(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
    };
    // Votes and searches are counted here and shared once a second.
    let throttle = Arc::new(dailypapers_web::throttle::Throttle::new(
        store.clone(),
        &web.accounts.policy.limits,
    ));
    let settling = throttle.start();
    // Mail queued in the outbox (by any server) is sent from here too.
    let sender = Arc::new(dailypapers_mail::Sender::new(
        store.clone(),
        mail_transport(config)?,
        super::digest::sender_options(config)?,
    ));
    let sending = {
        let sender = sender.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move { sender.run(stop).await })
    };
    // Digests: composed when due by one server (under a lease), then sent
    // by every server's sender (see `dailypapers_digest`).
    let digests = if config.digest.enabled {
        let composer = super::digest::composer(
            config,
            store.clone(),
            search.clone(),
            super::digest::templates(config)?,
        )?;
        let nudged = sender.clone();
        let runner = dailypapers_digest::DigestRunner::new(
            Arc::new(composer),
            config.digest.schedule(config.time_zone()?.tz())?,
            Duration::from_secs(60),
            Box::new(move || nudged.nudge()),
        );
        let stop = stop_rx.clone();
        Some(tokio::spawn(async move { runner.run(stop).await }))
    } else {
        None
    };
    // Ended sessions and mailed links are removed now and then.
    let pruning = dailypapers_web::auth::start_pruning(
        store.clone(),
        web.accounts.policy.idle,
        stop_rx.clone(),
    );
    let state = AppState {
        store: store.clone(),
        search: search.clone(),
        config: Arc::new(web),
        ops: Arc::new(dailypapers_web::Ops {
            scheduler: scheduler.as_ref().map(|(s, _)| s.clone()),
            trending: Some(trending),
            throttle: Some(throttle),
            mail: Some(sender),
            ..Default::default()
        }),
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(
        "serving {} on http://{}",
        config.data_dir.display(),
        listener.local_addr()?
    );
    crate::connections::serve(
        listener,
        dailypapers_web::router(state),
        timeouts,
        shutdown_signal(),
    )
    .await;
    search.stop();
    let _ = stop_tx.send(true);
    if let Err(e) = background.await {
        tracing::error!(error = %e, "the search indexing loop failed");
    }
    if let Err(e) = refresher.await {
        tracing::error!(error = %e, "the trending refresher failed");
    }
    settling.abort();
    if let Err(e) = sending.await {
        tracing::error!(error = %e, "the mail sender failed");
    }
    if let Some(digests) = digests
        && let Err(e) = digests.await
    {
        tracing::error!(error = %e, "the digest loop failed");
    }
    if let Err(e) = pruning.await {
        tracing::error!(error = %e, "the session pruning failed");
    }
    if let Some((_, jobs)) = scheduler
        && let Err(e) = jobs.await
    {
        tracing::error!(error = %e, "the scheduler failed");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// What the web crate is told: the feed's zone, the site's name and
/// address, the response cache's lifetime and caps, the trusted proxies,
/// the vote and search limits.
fn web_config(config: &Config, addr: &str) -> Result<WebConfig> {
    let server = &config.server;
    let public_url = server.public_url()?;
    Ok(WebConfig {
        time_zone: config.time_zone()?,
        site_name: server.site_name.clone(),
        cache_for: Duration::try_from_secs_f64(server.cache_secs)
            .context("server.cache_secs must be a non-negative number of seconds")?,
        cache_max_entries: server.cache_max_entries,
        cache_max_bytes: server.cache_max_bytes,
        public_url: public_url.clone(),
        trusted_proxies: server.trusted_proxies()?,
        accounts: dailypapers_web::auth::Accounts {
            policy: {
                let mut policy = dailypapers_web::auth::AccountPolicy::default();
                config.limits.apply(&mut policy.limits);
                policy.limits.submit = dailypapers_web::auth::Limit {
                    hits: config.community.submit_per_day,
                    per: Duration::from_secs(86_400),
                };
                policy
            },
            mail_from: server.mail_from.clone(),
            link_base: public_url
                .as_ref()
                .map_or_else(|| format!("http://{addr}"), |u| u.as_str().to_string()),
            ..Default::default()
        },
        submissions: submissions(config)?,
        ..WebConfig::default()
    })
}

/// Where mail goes: the SMTP server of `server.smtp_url`, else the
/// directory `server.mail_dir` (`DATA_DIR/mail`).
pub fn mail_transport(config: &Config) -> Result<dailypapers_mail::Transport> {
    let server = &config.server;
    let transport = match &server.smtp_url {
        Some(url) => dailypapers_mail::Transport::smtp(url).context("server.smtp_url")?,
        None => dailypapers_mail::Transport::Directory(
            server
                .mail_dir
                .clone()
                .unwrap_or_else(|| config.data_dir.join("mail")),
        ),
    };
    tracing::info!("mail goes to {}", transport.describe());
    Ok(transport)
}

/// How members submit papers: arXiv's API as configured for ingestion (its
/// address, the contact in the User-Agent, the interval), on a client of
/// their own, and the window.
fn submissions(config: &Config) -> Result<dailypapers_web::api::submissions::SubmitConfig> {
    use dailypapers_web::api::submissions::{SubmitConfig, client_config};
    let s = &config.sources;
    let interval = Duration::try_from_secs_f64(s.arxiv_interval_secs)
        .context("sources.arxiv_interval_secs must be a non-negative number of seconds")?;
    let client =
        dailypapers_ingest::http::PoliteClient::new(client_config(s.contact.clone(), interval))?;
    let base = dailypapers_ingest::http::parse_base_url(&s.arxiv_api_url)
        .context("sources.arxiv_api_url")?;
    Ok(SubmitConfig {
        arxiv: dailypapers_ingest::live::ArxivApi::new(client, base),
        window_days: config.community.submit_window_days,
        ..SubmitConfig::default()
    })
}

/// Raises the soft limit on open files to the hard limit, and logs it.
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files allowed"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the limit on open files"),
    }
}

/// Resolves on Ctrl-C or SIGTERM (what service managers send), so in-flight
/// requests finish and the database is closed cleanly.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
