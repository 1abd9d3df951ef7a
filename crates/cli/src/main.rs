//! `dailypapers`: the one binary. It parses the command line and the
//! configuration, opens the store, and hands over to a command.
//!
//! Error policy (for the whole project): library crates return their own
//! `thiserror` enums, one per crate, each variant documented; this binary
//! wraps them with `anyhow` and context ("cannot read FILE") at the edge, and
//! prints the chain once. The web crate turns errors into one HTTP error type
//! that shows users a plain message and logs the cause.

mod commands;
mod config;
mod connections;
mod progress;
mod schedule;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{backup, bench, copy, digest, ingest, migrate, search, serve, user};
use crate::config::Config;

/// jemalloc instead of the system allocator: a bulk import allocates a
/// record on the reading thread and frees it on the writing one, and glibc's
/// allocator spent a tenth of an import's time on its arena locks.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A self-hosted, community-curated daily feed of research papers.
#[derive(Parser, Debug)]
#[command(name = "dailypapers", version, about, long_about = None)]
struct Cli {
    /// Directory holding the database [default: ./data]
    #[arg(long, global = true, env = "DAILYPAPERS_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Configuration file (TOML); environment variables DAILYPAPERS_* override it
    #[arg(long, global = true, env = "DAILYPAPERS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// The SMTP server mail goes through (smtp://host:25, smtp://user:pass@host:587?tls=required, smtps://…); unset, mail is written to server.mail_dir
    #[arg(long, global = true, env = "DAILYPAPERS_SMTP_URL", value_name = "URL")]
    smtp_url: Option<String>,

    /// The address the site is reached at (links in mail and feeds start with it)
    #[arg(
        long,
        global = true,
        env = "DAILYPAPERS_PUBLIC_URL",
        value_name = "URL"
    )]
    public_url: Option<String>,

    /// Log lines as text for people, or JSON objects for log collectors
    #[arg(long, global = true, env = "DAILYPAPERS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web site and the JSON API
    Serve(serve::Args),
    /// Import papers from a source (files or live)
    #[command(subcommand)]
    Ingest(ingest::Source),
    /// Search the papers (keyword, semantic or hybrid)
    Search(search::SearchArgs),
    /// Rebuild the keyword and vector indexes from the store
    Reindex,
    /// Embed papers that have no current embedding (the job `serve` runs in the background)
    Embed,
    /// Write a consistent copy of the store to a new file, while it is in use
    Backup(backup::Args),
    /// Copy everything from one store to another (SQLite and PostgreSQL), and check the copy
    Copy(copy::Args),
    /// Bring the store's schema up to date and list its migrations
    Migrate,
    /// Compose and deliver the digests
    #[command(subcommand)]
    Digest(digest::Action),
    /// Manage members: make admins, ban
    #[command(subcommand)]
    User(user::Action),
    /// Measure ingestion, search, embedding and relevance; generate benchmark data
    #[command(subcommand)]
    Bench(bench::Bench),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("DAILYPAPERS_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    // Colours only on a terminal: a log file or collector gets plain text.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    let result = (|| {
        let mut config = Config::load(cli.config.as_deref())?;
        if let Some(dir) = cli.data_dir {
            config.data_dir = dir;
        }
        if let Some(url) = cli.smtp_url.filter(|u| !u.trim().is_empty()) {
            config.server.smtp_url = Some(url);
        }
        if let Some(url) = cli.public_url.filter(|u| !u.trim().is_empty()) {
            config.server.public_url = Some(url);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            match cli.command {
                Command::Serve(args) => serve::run(&config, args).await,
                Command::Ingest(source) => ingest::run(&config, source).await,
                Command::Search(args) => search::search(&config, args).await,
                Command::Reindex => search::reindex(&config).await,
                Command::Embed => search::embed(&config).await,
                Command::Backup(args) => backup::run(&config, args).await,
                Command::Copy(args) => copy::run(args).await,
                Command::Migrate => migrate::run(&config).await,
                Command::User(action) => user::run(&config, action).await,
                Command::Digest(action) => digest::run(&config, action).await,
                Command::Bench(bench) => bench::run(&config, bench).await,
            }
        })
    })();
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", error_chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, joined by ": ", each cause left out when the
/// message so far already ends with it (sqlx's errors, and ours that wrap
/// them, repeat their source at the end of their own text).
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    /// An error that says its source in its own text, as sqlx's do.
    #[derive(Debug)]
    struct Open(std::io::Error);

    impl std::fmt::Display for Open {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot open the database at X: {}", self.0)
        }
    }

    impl std::error::Error for Open {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let io = std::io::Error::other("pool timed out");
        let err = anyhow::Error::new(Open(io)).context("cannot migrate the store X");
        assert_eq!(
            error_chain(&err),
            "cannot migrate the store X: cannot open the database at X: pool timed out"
        );
        let plain = anyhow::anyhow!("no such file").context("cannot read a.json");
        assert_eq!(error_chain(&plain), "cannot read a.json: no such file");
        // A cause that only appears inside the message is still said.
        let inner = anyhow::anyhow!("timed out").context("the timed out job: retrying");
        assert_eq!(
            error_chain(&inner),
            "the timed out job: retrying: timed out"
        );
    }
}
