//! Loading BEIR collections: the checked-in CACM dev collection, and
//! errors that name the file and line.

use std::collections::HashMap;
use std::path::Path;

use dailypapers_bench::eval::{Beir, EvalError, evaluate};

fn cacm() -> Beir {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ir/cacm-dev");
    Beir::load(&dir).unwrap()
}

#[test]
fn loads_the_cacm_dev_collection() {
    let beir = cacm();
    assert_eq!(beir.corpus.len(), 3204);
    assert_eq!(beir.queries.len(), 26, "only judged queries");
    assert!(beir.queries.iter().all(|q| beir.qrels.contains_key(&q.id)));
    let first = &beir.corpus[0];
    assert_eq!(first.id, "1");
    assert_eq!(first.authors, ["Perlis, A. J.", "Samelson,K."]);
    let kd = first.to_keyword_doc(7);
    assert_eq!((kd.doc, kd.title.as_str()), (7, first.title.as_str()));

    // The judgements themselves are a perfect run.
    let run: HashMap<String, Vec<String>> = beir
        .qrels
        .iter()
        .map(|(q, docs)| {
            let mut d: Vec<(&String, &i32)> = docs.iter().collect();
            d.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            (q.clone(), d.into_iter().map(|(id, _)| id.clone()).collect())
        })
        .collect();
    let m = evaluate(&run, &beir.qrels);
    assert_eq!(m.queries, 26);
    assert!((m.ndcg_at_10 - 1.0).abs() < 1e-9 && (m.map_at_100 - 1.0).abs() < 1e-9);
}

fn collection(corpus: &str, queries: &str, qrels: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corpus.jsonl"), corpus).unwrap();
    std::fs::write(dir.path().join("queries.jsonl"), queries).unwrap();
    std::fs::create_dir(dir.path().join("qrels")).unwrap();
    std::fs::write(dir.path().join("qrels/test.tsv"), qrels).unwrap();
    dir
}

#[test]
fn errors_name_the_file_and_line() {
    let good_corpus = "{\"_id\": \"d1\", \"title\": \"t\", \"text\": \"x\"}\n";
    let good_queries = "{\"_id\": 1, \"text\": \"q\"}\n{\"_id\": \"2\", \"text\": \"unjudged\"}\n";
    let good_qrels = "query-id\tcorpus-id\tscore\n1\td1\t1\n";

    let dir = collection(good_corpus, good_queries, good_qrels);
    let beir = Beir::load(dir.path()).unwrap();
    assert_eq!(
        beir.queries.len(),
        1,
        "numeric ids are read; unjudged queries skipped"
    );
    assert_eq!(beir.queries[0].id, "1");

    let dir = collection(
        &format!("{good_corpus}\nnot json\n"),
        good_queries,
        good_qrels,
    );
    let e = Beir::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("corpus.jsonl, line 3"), "{e}");

    let dir = collection(
        good_corpus,
        good_queries,
        "query-id\tcorpus-id\tscore\n1\td1\n",
    );
    let e = Beir::load(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("test.tsv, line 2") && e.contains("3 tab-separated columns"),
        "{e}"
    );

    let dir = collection(good_corpus, good_queries, "1\td1\thigh\n");
    let e = Beir::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("\"high\""), "{e}");

    let dir = collection(good_corpus, "{\"_id\": \"1\"}\n", good_qrels);
    let e = Beir::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("queries.jsonl, line 1"), "{e}");

    let empty = tempfile::tempdir().unwrap();
    let e = Beir::load(empty.path()).unwrap_err();
    assert!(matches!(e, EvalError::Io { .. }));
    assert!(e.to_string().contains("test.tsv"), "{e}");
}
