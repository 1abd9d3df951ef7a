//! `dailypapers copy --from URL --to URL [--merge]`: moves an instance from
//! one store to another (SQLite to PostgreSQL and back) and checks that the
//! copy reads back as its source (see `dailypapers_store::copy`).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use dailypapers_store::StoreUrl;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The store to copy: a file path, sqlite://PATH or postgres://…
    #[arg(long, value_name = "URL")]
    from: StoreUrl,
    /// The store to fill: empty, unless --merge
    #[arg(long, value_name = "URL")]
    to: StoreUrl,
    /// Merge into a store that already holds data: papers and listings by
    /// the import rule, checkpoints it lacks; its embedder makes the vectors
    #[arg(long)]
    merge: bool,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    if args.from == args.to {
        anyhow::bail!("--from and --to name the same store: {}", args.from);
    }
    let from = dailypapers_store::open(&args.from)
        .await
        .with_context(|| format!("cannot open the source {}", args.from))?;
    let to = dailypapers_store::open(&args.to)
        .await
        .with_context(|| format!("cannot open the target {}", args.to))?;
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}: {human_pos} rows")
            .expect("valid template"),
    );
    let started = Instant::now();
    let copied = dailypapers_store::copy::copy(&*from, &*to, args.merge, &mut |table, done| {
        bar.set_message(table);
        bar.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    let report = copied.with_context(|| format!("cannot copy {} to {}", args.from, args.to))?;
    from.close().await;
    to.close().await;
    let rows: Vec<String> = report
        .rows
        .iter()
        .map(|(table, n)| format!("{table} {n}"))
        .collect();
    println!(
        "copied {} to {} in {:.1} s: {}",
        args.from,
        args.to,
        started.elapsed().as_secs_f64(),
        rows.join(", ")
    );
    if let Some(m) = report.merged {
        println!(
            "merged papers: new {}, updated {}, unchanged {}",
            m.new, m.updated, m.unchanged
        );
    }
    for sum in &report.checked {
        println!(
            "  {:<14} {:>9} rows  sha256 {}  equal on both sides",
            sum.table, sum.rows, sum.digest
        );
    }
    Ok(ExitCode::SUCCESS)
}
