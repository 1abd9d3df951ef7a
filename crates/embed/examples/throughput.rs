//! Embedding throughput on real abstracts, both precisions, and how close
//! the int8 vectors are to the f32 reference.
//!
//!     cargo run --release -p dailypapers-embed --example throughput -- [N] [--threads T] [--int8-only]
//!
//! Two workloads of N abstracts each ("title. abstract" from the fixtures,
//! spread over them and repeated when N exceeds them; default 200): every abstract at its own
//! length, and only the abstracts long enough to be cut at the model's
//! 256 tokens. Each is embedded three times per precision and the median
//! rate printed, with the mean token count and the int8 vectors' cosine to
//! the f32 ones. The model comes from `DAILYPAPERS_MODEL_DIR`, else
//! `models/all-MiniLM-L6-v2`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use dailypapers_embed::{EmbedOptions, Embedder, Precision};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut n = 200;
    let mut threads = None;
    let mut precisions = vec![Precision::F32, Precision::Int8];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = Some(args.next().ok_or("--threads needs a value")?.parse()?),
            "--int8-only" => precisions = vec![Precision::Int8],
            _ => n = a.parse()?,
        }
    }
    let dir = common::model_dir();
    let embedders = precisions
        .iter()
        .map(|&precision| {
            let opts = EmbedOptions {
                precision,
                threads,
                ..EmbedOptions::default()
            };
            let t = Instant::now();
            let e = Embedder::load_with(&dir, opts)?;
            println!(
                "loaded {precision:?} in {:.2} s: {}, {} dimensions, up to {} tokens",
                t.elapsed().as_secs_f64(),
                e.model_id(),
                e.dim(),
                e.max_tokens()
            );
            Ok((precision, e))
        })
        .collect::<Result<Vec<_>, dailypapers_embed::EmbedError>>()?;

    let all = common::abstracts();
    let probe = &embedders[0].1;
    let full: Vec<&String> = all
        .iter()
        .filter(|t| probe.count_tokens(t) >= probe.max_tokens())
        .collect();
    let workloads = [
        ("all abstracts", all.iter().collect::<Vec<_>>()),
        ("abstracts cut at max tokens", full),
    ];
    for (name, pool) in workloads {
        // Spread over the pool (old arXiv and recent Hugging Face papers).
        let texts: Vec<&str> = (0..n).map(|i| pool[i * pool.len() / n].as_str()).collect();
        let tokens: usize = texts.iter().map(|t| probe.count_tokens(t)).sum();
        println!(
            "\n{name}: {} texts ({} distinct), mean {:.1} tokens",
            texts.len(),
            pool.len(),
            tokens as f64 / texts.len() as f64
        );
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for (precision, e) in &embedders {
            let mut rates = Vec::new();
            let mut vectors = Vec::new();
            for _ in 0..3 {
                let t = Instant::now();
                vectors = e.embed_documents(&texts)?;
                rates.push(texts.len() as f64 / t.elapsed().as_secs_f64());
            }
            rates.sort_by(f64::total_cmp);
            let mut line = format!(
                "  {precision:?}: {:.1} abstracts/s (runs {:.1} {:.1} {:.1})",
                rates[1], rates[0], rates[1], rates[2]
            );
            match &reference {
                None if *precision == Precision::F32 => reference = Some(vectors),
                None => {}
                Some(r) => {
                    let cos: Vec<f32> = r
                        .iter()
                        .zip(&vectors)
                        .map(|(a, b)| common::cosine(a, b))
                        .collect();
                    let min = cos.iter().copied().fold(f32::INFINITY, f32::min);
                    let mean = cos.iter().sum::<f32>() / cos.len() as f32;
                    line += &format!("; cosine vs F32: min {min:.5}, mean {mean:.5}");
                }
            }
            println!("{line}");
        }
    }
    Ok(())
}
