//! `dailypapers digest send`: compose a digest now and deliver it, and what
//! `serve` shares with it: the composer over the configured templates and
//! site, and the sender's options.
//!
//! Composing takes the digest lease, so a running server never composes
//! the same digest at once; a digest composed before is not composed
//! again. Delivering runs the outbox sender until nothing is left to send
//! now (what waits for a retry is left to the servers' senders).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use dailypapers_digest::{Composer, DigestOptions, Frequency, Templates};
use dailypapers_store::Store;

use crate::config::Config;

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Compose a digest now (unless it was composed) and deliver it
    Send(SendArgs),
}

#[derive(clap::Args, Debug)]
pub struct SendArgs {
    /// daily or weekly
    #[arg(long, value_parser = clap::builder::ValueParser::new(str::parse::<Frequency>))]
    frequency: Frequency,
    /// The digest's day (YYYY-MM-DD) [default: today in the feed's time zone]
    #[arg(long)]
    date: Option<NaiveDate>,
    /// Only queue the messages; the servers' senders deliver them
    #[arg(long)]
    no_deliver: bool,
}

pub async fn run(config: &Config, action: Action) -> Result<ExitCode> {
    match action {
        Action::Send(args) => send(config, args).await,
    }
}

async fn send(config: &Config, args: SendArgs) -> Result<ExitCode> {
    let zone = config.time_zone()?;
    let date = args.date.unwrap_or_else(|| zone.today(Utc::now()));
    // Templates and the mail server's address are checked before the store
    // is touched.
    let templates = templates(config)?;
    let transport = (!args.no_deliver)
        .then(|| super::serve::mail_transport(config))
        .transpose()?;
    let store = super::open_store(config).await?;
    let engine = super::search::open_engine(config, store.clone())?;
    engine.catch_up_keyword().await?;
    let composer = composer(config, store.clone(), engine, templates)?;
    let started = std::time::Instant::now();
    let report = composer.compose(args.frequency, date, Utc::now()).await?;
    if report.busy {
        anyhow::bail!(
            "{}: another process is composing a digest now; try again later",
            report.name
        );
    }
    if report.already_composed {
        println!("{} was composed before; nothing queued", report.name);
    } else {
        println!(
            "{}: {} subscribers, {} messages queued ({} before), {} with nothing new, in {:.1} s",
            report.name,
            report.subscribers,
            report.queued,
            report.queued_before,
            report.nothing_new,
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(transport) = transport {
        let sender =
            dailypapers_mail::Sender::new(store.clone(), transport, sender_options(config)?);
        let clock = std::time::Instant::now();
        let (sent, failed, waiting) = deliver(&sender, &*store).await?;
        println!(
            "delivered {sent} messages in {:.1} s, {failed} failed{}",
            clock.elapsed().as_secs_f64(),
            if waiting > 0 {
                format!(", {waiting} wait for a retry (a running server's sender delivers them)")
            } else {
                String::new()
            }
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Sends until nothing is due: rows claimed by a process that died are
/// waited for (their claim expires); rows deferred after a failure are
/// left. Answers (sent, failed, waiting for a retry).
async fn deliver(sender: &dailypapers_mail::Sender, store: &dyn Store) -> Result<(u64, u64, u64)> {
    let (mut sent, mut failed) = (0, 0);
    loop {
        let round = sender.round().await?;
        sent += round.sent as u64;
        failed += round.failed as u64;
        if round.claimed > 0 {
            continue;
        }
        let counts = store.outbox_counts(Utc::now()).await?;
        if counts.pending <= counts.retrying {
            return Ok((sent, failed, counts.retrying));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The templates of `digest.templates_dir`, or the built-in ones.
pub fn templates(config: &Config) -> Result<Arc<Templates>> {
    Ok(Arc::new(
        Templates::load(config.digest.templates_dir.as_deref()).context("digest templates")?,
    ))
}

/// The composer over `store`, saved searches matched by `engine`.
pub fn composer(
    config: &Config,
    store: Arc<dyn Store>,
    engine: Arc<dailypapers_search::SearchEngine>,
    templates: Arc<Templates>,
) -> Result<Composer> {
    let server = &config.server;
    let url = match server.public_url()? {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => {
            tracing::warn!(
                "server.public_url (--public-url) is not set: digest links point at http://{}",
                server.addr
            );
            format!("http://{}", server.addr)
        }
    };
    let d = &config.digest;
    let matcher: Arc<dyn dailypapers_digest::Matcher> = Arc::new(engine);
    Ok(Composer::new(
        store,
        Some(matcher),
        templates,
        DigestOptions {
            site: dailypapers_digest::templates::Site {
                name: server.site_name.clone(),
                url,
            },
            from: server.mail_from.clone(),
            daily_papers: d.daily_papers,
            weekly_papers: d.weekly_papers,
            matches: d.matches,
            ..DigestOptions::default()
        },
    ))
}

/// The outbox sender's options from `server.mail_*`.
pub fn sender_options(config: &Config) -> Result<dailypapers_mail::SenderOptions> {
    let server = &config.server;
    Ok(dailypapers_mail::SenderOptions {
        from: server.mail_from.clone(),
        per_second: server.mail_per_second,
        suspend_after: server.mail_suspend_after,
        lease: Duration::try_from_secs_f64(server.mail_lease_secs)
            .context("server.mail_lease_secs must be a non-negative number of seconds")?,
        ..Default::default()
    })
}
