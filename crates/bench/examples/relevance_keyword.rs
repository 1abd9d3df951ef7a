//! Measures the keyword index on a BEIR-layout test collection.
//!
//! ```text
//! cargo run --release -p dailypapers-bench --example relevance_keyword -- DIR \
//!     [--stem none|plural|snowball] [--stop none|lucene|extended] \
//!     [--title W] [--summary W] [--authors W] [--keep-quotes]
//! ```
//!
//! Without options it measures the default settings. Quote marks in the
//! collection's queries are read as punctuation unless `--keep-quotes` asks
//! for them to be phrases. It prints
//! `keyword ndcg@10=… map@100=… recall@100=…`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use dailypapers_bench::eval::{Beir, evaluate};
use dailypapers_search::keyword::{
    Filters, KeywordIndex, KeywordSettings, Sort, Stemming, StopWords,
};
use dailypapers_search::query::{ParseOptions, SearchQuery};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut settings = KeywordSettings::default();
    let mut keep_quotes = false;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--stem" => {
                settings.stemming = match value()?.as_str() {
                    "none" => Stemming::None,
                    "plural" => Stemming::Plural,
                    "snowball" => Stemming::Snowball,
                    other => return Err(format!("unknown stemmer {other:?}").into()),
                }
            }
            "--stop" => {
                settings.stop_words = match value()?.as_str() {
                    "none" => StopWords::None,
                    "lucene" => StopWords::Lucene,
                    "extended" => StopWords::Extended,
                    other => return Err(format!("unknown stop-word list {other:?}").into()),
                }
            }
            "--keep-quotes" => keep_quotes = true,
            "--title" => settings.boosts.title = value()?.parse()?,
            "--summary" => settings.boosts.summary = value()?.parse()?,
            "--authors" => settings.boosts.authors = value()?.parse()?,
            _ if dir.is_none() && !arg.starts_with("--") => dir = Some(arg.into()),
            _ => return Err(format!("unexpected argument {arg:?}").into()),
        }
    }
    let dir = dir.ok_or("usage: relevance_keyword DIR [options]")?;
    let beir = Beir::load(&dir)?;

    let index = KeywordIndex::in_ram_with(settings)?;
    let mut writer = index.writer()?;
    for (i, d) in beir.corpus.iter().enumerate() {
        writer.upsert(&d.to_keyword_doc(i as u64))?;
    }
    writer.commit(1)?;

    let mut run: HashMap<String, Vec<String>> = HashMap::new();
    let mut skipped = 0;
    for q in &beir.queries {
        // The collection's queries are prose, not written in our syntax: a
        // quote in them is quoting, not a request for an exact phrase.
        let text = if keep_quotes {
            q.text.clone()
        } else {
            q.text.replace('"', " ")
        };
        let Ok(parsed) = SearchQuery::parse(&text, ParseOptions::default()) else {
            skipped += 1;
            continue;
        };
        let page = index.search(&parsed, &Filters::default(), Sort::Relevance, 0, 100)?;
        let ids = page
            .hits
            .iter()
            .map(|h| beir.corpus[h.doc as usize].id.clone())
            .collect();
        run.insert(q.id.clone(), ids);
    }
    let m = evaluate(&run, &beir.qrels);
    eprintln!(
        "{} documents, {} queries ({} unparsable), settings {:?}",
        beir.corpus.len(),
        m.queries,
        skipped,
        settings
    );
    println!(
        "keyword ndcg@10={:.4} map@100={:.4} recall@100={:.4}",
        m.ndcg_at_10, m.map_at_100, m.recall_at_100
    );
    Ok(())
}
