//! The embedder as a user sees it: loading errors, truncation, batching,
//! similarity, the int8 path against f32, and f32 against an independent
//! reference implementation.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{abstracts, cosine, model_dir};
use dailypapers_embed::{EmbedError, EmbedOptions, Embedder, Precision};

fn embedder(precision: Precision) -> &'static Embedder {
    static F32: OnceLock<Embedder> = OnceLock::new();
    static INT8: OnceLock<Embedder> = OnceLock::new();
    let cell = match precision {
        Precision::F32 => &F32,
        Precision::Int8 => &INT8,
    };
    cell.get_or_init(|| {
        let opts = EmbedOptions {
            precision,
            ..EmbedOptions::default()
        };
        Embedder::load_with(&model_dir(), opts).expect("load the model")
    })
}

fn load_err(dir: &Path) -> String {
    match Embedder::load(dir) {
        Ok(_) => panic!("loading {} should fail", dir.display()),
        Err(e) => e.to_string(),
    }
}

fn copy_into(dir: &Path, files: &[&str]) {
    for f in files {
        std::fs::copy(model_dir().join(f), dir.join(f)).expect("copy a model file");
    }
}

#[test]
fn a_missing_directory_says_how_to_fetch_the_model() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("all-MiniLM-L6-v2");
    let msg = load_err(&dir);
    assert!(msg.contains(&dir.display().to_string()), "{msg}");
    assert!(msg.contains("does not exist"), "{msg}");
    assert!(msg.contains("make model"), "{msg}");
}

#[test]
fn missing_files_are_each_named() {
    let tmp = tempfile::tempdir().unwrap();
    let msg = load_err(tmp.path());
    assert_eq!(
        msg,
        format!(
            "model directory {} is missing config.json, tokenizer.json, model.safetensors; \
             fetch the default model with `make model`",
            tmp.path().display()
        )
    );

    copy_into(tmp.path(), &["config.json", "tokenizer.json"]);
    let msg = load_err(tmp.path());
    assert_eq!(
        msg,
        format!(
            "model directory {} is missing model.safetensors; fetch the default model with `make model`",
            tmp.path().display()
        )
    );
}

#[test]
fn a_corrupt_weights_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(tmp.path(), &["config.json", "tokenizer.json"]);
    let weights = tmp.path().join("model.safetensors");
    std::fs::write(&weights, b"\x10\0\0\0\0\0\0\0{not a header}").unwrap();
    let err = Embedder::load(tmp.path())
        .err()
        .expect("corrupt weights must fail");
    assert!(matches!(err, EmbedError::Invalid { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&weights.display().to_string()), "{msg}");
    assert!(msg.contains("safetensors"), "{msg}");
}

#[test]
fn truncated_weights_are_reported_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(tmp.path(), &["config.json", "tokenizer.json"]);
    let full = std::fs::read(model_dir().join("model.safetensors")).unwrap();
    let weights = tmp.path().join("model.safetensors");
    std::fs::write(&weights, &full[..full.len() / 2]).unwrap();
    let msg = load_err(tmp.path());
    assert!(msg.contains(&weights.display().to_string()), "{msg}");
}

#[test]
fn a_bad_config_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(tmp.path(), &["tokenizer.json"]);
    std::fs::write(tmp.path().join("model.safetensors"), b"unused").unwrap();
    let config = tmp.path().join("config.json");
    std::fs::write(&config, r#"{"hidden_size": "big"}"#).unwrap();
    let msg = load_err(tmp.path());
    assert!(msg.contains(&config.display().to_string()), "{msg}");
    assert!(msg.contains("BERT config"), "{msg}");
}

#[test]
fn identity_and_dimension() {
    let (f, q) = (embedder(Precision::F32), embedder(Precision::Int8));
    assert_eq!(f.dim(), 384);
    assert_eq!(q.dim(), 384);
    assert_eq!(f.model_id(), "all-MiniLM-L6-v2@53aa51172d14");
    assert_eq!(q.model_id(), f.model_id());
    assert_eq!(f.max_tokens(), 256);
}

#[test]
fn long_texts_keep_256_tokens_not_128() {
    let e = embedder(Precision::Int8);
    let long = "retrieval augmented generation with sparse mixture of experts ".repeat(80);
    assert_eq!(e.count_tokens(&long), 256);
    assert_eq!(e.count_tokens("hello world"), 4); // [CLS] hello world [SEP]
    assert_eq!(e.count_tokens(""), 2);

    // The text past token 128 matters: change only the second half.
    let head = "graph neural networks for molecule property prediction ".repeat(20);
    let a = format!(
        "{head} {}",
        "protein folding with diffusion models ".repeat(40)
    );
    let b = format!(
        "{head} {}",
        "stock market forecasting with recurrent networks ".repeat(40)
    );
    let n = e.count_tokens(&head);
    assert!((140..220).contains(&n), "head is {n} tokens");
    assert_eq!((e.count_tokens(&a), e.count_tokens(&b)), (256, 256));
    let (va, vb) = (e.embed_query(&a).unwrap(), e.embed_query(&b).unwrap());
    assert!(cosine(&va, &vb) < 0.99, "tokens past 128 were ignored");
}

#[test]
fn a_huge_text_embeds_as_its_head_and_costs_no_more() {
    let e = embedder(Precision::Int8);
    let text = &abstracts()[0];
    let huge = text.repeat((64 << 20) / text.len()); // 64 MB, stored before the limits
    let head: String = huge.chars().take(256 * 16).collect();
    let start = std::time::Instant::now();
    let vectors = e.embed_documents(&[&huge]).unwrap();
    let took = start.elapsed();
    assert_eq!(vectors, e.embed_documents(&[&head]).unwrap());
    assert_eq!(e.count_tokens(&huge), 256);
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_text_embeds_the_same_alone_and_beside_longer_texts() {
    let texts = abstracts();
    let short = "Sparse attention for long documents.";
    for precision in [Precision::F32, Precision::Int8] {
        let e = embedder(precision);
        let alone = e.embed_query(short).unwrap();
        let alone_doc = e.embed_documents(&[short]).unwrap().remove(0);
        // Long abstracts on either side, in one chunk with the short text.
        let mut batch: Vec<&str> = texts.iter().rev().take(10).map(String::as_str).collect();
        batch.insert(5, short);
        let vectors = e.embed_documents(&batch).unwrap();
        let c = cosine(&alone, &vectors[5]);
        assert!(c > 0.999, "{precision:?}: alone vs batched cosine {c}");
        assert!(cosine(&alone, &alone_doc) > 0.999);
    }
}

#[test]
fn order_is_preserved() {
    let e = embedder(Precision::Int8);
    let texts = abstracts();
    let batch: Vec<&str> = texts.iter().skip(200).take(6).map(String::as_str).collect();
    let vectors = e.embed_documents(&batch).unwrap();
    assert_eq!(vectors.len(), batch.len());
    for (t, v) in batch.iter().zip(&vectors) {
        let one = e.embed_query(t).unwrap();
        assert!(cosine(&one, v) > 0.999);
    }
    assert!(e.embed_documents(&[]).unwrap().is_empty());
}

#[test]
fn a_paraphrase_is_closer_than_an_unrelated_text() {
    for precision in [Precision::F32, Precision::Int8] {
        let e = embedder(precision);
        let v = e
            .embed_documents(&[
                "A new method makes large language models answer questions more accurately.",
                "We propose a technique that improves the question answering accuracy of LLMs.",
                "The recipe calls for two cups of flour and a pinch of salt.",
            ])
            .unwrap();
        let (para, unrelated) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
        assert!(
            para > unrelated + 0.3,
            "{precision:?}: paraphrase {para}, unrelated {unrelated}"
        );
    }
}

#[test]
fn int8_matches_f32_on_real_abstracts() {
    let texts = abstracts();
    // Ten old arXiv abstracts and ten recent Hugging Face ones.
    let sample: Vec<&str> = texts[..10]
        .iter()
        .chain(&texts[texts.len() - 10..])
        .map(String::as_str)
        .collect();
    let f = embedder(Precision::F32).embed_documents(&sample).unwrap();
    let q = embedder(Precision::Int8).embed_documents(&sample).unwrap();
    for (i, (a, b)) in f.iter().zip(&q).enumerate() {
        let c = cosine(a, b);
        assert!(c >= 0.99, "abstract {i}: int8 vs f32 cosine {c}");
    }
}

#[test]
fn vectors_are_unit_length_and_empty_text_works() {
    for precision in [Precision::F32, Precision::Int8] {
        let e = embedder(precision);
        let v = e
            .embed_documents(&["", "x", "Attention is all you need."])
            .unwrap();
        for x in v.iter().chain([&e.embed_query("").unwrap()]) {
            assert_eq!(x.len(), 384);
            assert!(x.iter().all(|a| a.is_finite()));
            let norm = x.iter().map(|a| a * a).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "{precision:?}: norm {norm}");
        }
    }
}

#[derive(serde::Deserialize)]
struct Reference {
    texts: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

/// `tests/fixtures/candle_reference.json` holds vectors computed by candle's
/// BERT (see its "about" field): the f32 path must agree with it closely,
/// the int8 path within the same bound as against f32.
#[test]
fn f32_agrees_with_an_independent_implementation() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/candle_reference.json");
    let r: Reference = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let texts: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    for (precision, bound) in [(Precision::F32, 0.9999), (Precision::Int8, 0.99)] {
        let got = embedder(precision).embed_documents(&texts).unwrap();
        for (i, (a, b)) in got.iter().zip(&r.vectors).enumerate() {
            let c = cosine(a, b);
            assert!(
                c >= bound,
                "{precision:?}, text {i}: cosine {c} with the reference"
            );
        }
    }
}
