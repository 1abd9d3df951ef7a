//! Relevance evaluation: BEIR-layout test collections and the standard metrics.
//!
//! [`Beir::load`] reads a collection (`corpus.jsonl`, `queries.jsonl`,
//! `qrels/test.tsv`); [`evaluate`] scores a run (ranked document ids per
//! query) with nDCG@10, MAP@100 and recall@100 as trec_eval and
//! pytrec_eval define them.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use dailypapers_search::keyword::KeywordDoc;

/// Errors reading a collection; each names the file and, for bad content, the line.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A line could not be understood.
    #[error("{path}, line {line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A document of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeirDoc {
    /// The collection's document id.
    pub id: String,
    /// The title (may be empty).
    pub title: String,
    /// The body text.
    pub text: String,
    /// Authors, from `metadata.authors` when present.
    pub authors: Vec<String>,
}

impl BeirDoc {
    /// The paper as the keyword index sees it, numbered `doc`.
    pub fn to_keyword_doc(&self, doc: u64) -> KeywordDoc {
        KeywordDoc {
            doc,
            arxiv_id: String::new(),
            title: self.title.clone(),
            summary: self.text.clone(),
            authors: self.authors.clone(),
            ..KeywordDoc::default()
        }
    }
}

/// A test query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeirQuery {
    /// The collection's query id.
    pub id: String,
    /// The query text.
    pub text: String,
}

/// Relevance judgements: query id → document id → grade (> 0 is relevant).
pub type Qrels = HashMap<String, HashMap<String, i32>>;

/// A test collection in the BEIR layout.
#[derive(Debug, Clone, Default)]
pub struct Beir {
    /// The documents, in file order.
    pub corpus: Vec<BeirDoc>,
    /// The queries that have judgements, in file order.
    pub queries: Vec<BeirQuery>,
    /// The judgements.
    pub qrels: Qrels,
}

#[derive(Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: IdValue,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    authors: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: IdValue,
    text: String,
}

/// Ids are strings in most collections, numbers in a few.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdValue {
    Str(String),
    Num(i64),
}

impl IdValue {
    fn into_string(self) -> String {
        match self {
            IdValue::Str(s) => s,
            IdValue::Num(n) => n.to_string(),
        }
    }
}

impl Beir {
    /// Reads the collection in `dir`. Queries without judgements are left out.
    pub fn load(dir: &Path) -> Result<Beir, EvalError> {
        let qrels = read_qrels(&dir.join("qrels").join("test.tsv"))?;

        let mut corpus = Vec::new();
        let path = dir.join("corpus.jsonl");
        for_each_line(&path, |line_no, line| {
            let d: CorpusLine = serde_json::from_str(line).map_err(|e| EvalError::Parse {
                path: path.clone(),
                line: line_no,
                message: format!("not a corpus document: {e}"),
            })?;
            corpus.push(BeirDoc {
                id: d.id.into_string(),
                title: d.title,
                text: d.text,
                authors: d.metadata.and_then(|m| m.authors).unwrap_or_default(),
            });
            Ok(())
        })?;

        let mut queries = Vec::new();
        let path = dir.join("queries.jsonl");
        for_each_line(&path, |line_no, line| {
            let q: QueryLine = serde_json::from_str(line).map_err(|e| EvalError::Parse {
                path: path.clone(),
                line: line_no,
                message: format!("not a query: {e}"),
            })?;
            let id = q.id.into_string();
            if qrels.contains_key(&id) {
                queries.push(BeirQuery { id, text: q.text });
            }
            Ok(())
        })?;
        Ok(Beir {
            corpus,
            queries,
            qrels,
        })
    }
}

fn for_each_line(
    path: &Path,
    mut f: impl FnMut(usize, &str) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    let io = |source| EvalError::Io {
        path: path.to_owned(),
        source,
    };
    let reader = BufReader::new(File::open(path).map_err(io)?);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        f(i + 1, &line)?;
    }
    Ok(())
}

fn read_qrels(path: &Path) -> Result<Qrels, EvalError> {
    let mut qrels: Qrels = HashMap::new();
    for_each_line(path, |line_no, line| {
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if line_no == 1 && cols.first() == Some(&"query-id") {
            return Ok(());
        }
        let bad = |message: String| EvalError::Parse {
            path: path.to_owned(),
            line: line_no,
            message,
        };
        let [q, d, score] = cols[..] else {
            return Err(bad(format!(
                "expected 3 tab-separated columns (query-id, corpus-id, score), found {}",
                cols.len()
            )));
        };
        let score: i32 = score
            .parse()
            .map_err(|_| bad(format!("the score {score:?} is not an integer")))?;
        qrels
            .entry(q.to_owned())
            .or_default()
            .insert(d.to_owned(), score);
        Ok(())
    })?;
    Ok(qrels)
}

/// Mean scores over the judged queries.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Metrics {
    /// nDCG over the first 10 results.
    pub ndcg_at_10: f64,
    /// Mean average precision over the first 100 results.
    pub map_at_100: f64,
    /// Recall over the first 100 results.
    pub recall_at_100: f64,
    /// Queries averaged over: those with at least one relevant document.
    pub queries: usize,
}

/// Scores `run` (query id → document ids, best first) against `qrels`.
///
/// Definitions (trec_eval's `ndcg_cut.10`, `map_cut.100`, `recall.100`):
/// - nDCG@10 = DCG@10 / IDCG@10 with DCG = Σ gain(rank) / log2(rank + 1),
///   gain the judged grade (linear, as pytrec_eval), grades ≤ 0 gaining
///   nothing; the ideal ranking orders all judged relevant documents by grade.
/// - MAP@100: Σ precision@r over the ranks r ≤ 100 holding a relevant
///   document, divided by the number of relevant documents.
/// - recall@100: relevant documents in the first 100 / relevant documents.
///
/// A document repeated in a run counts at its first rank only. Every
/// query of `qrels` with a relevant document is averaged; one missing from
/// the run scores 0 (trec_eval's `-c`).
pub fn evaluate(run: &HashMap<String, Vec<String>>, qrels: &Qrels) -> Metrics {
    let mut sum = Metrics::default();
    let empty = Vec::new();
    for (qid, judged) in qrels {
        let relevant = judged.values().filter(|&&g| g > 0).count();
        if relevant == 0 {
            continue;
        }
        let ranking = dedup(run.get(qid).unwrap_or(&empty));
        sum.ndcg_at_10 += ndcg(&ranking, judged, 10);
        let (ap, recall) = ap_and_recall(&ranking, judged, relevant, 100);
        sum.map_at_100 += ap;
        sum.recall_at_100 += recall;
        sum.queries += 1;
    }
    if sum.queries > 0 {
        let n = sum.queries as f64;
        sum.ndcg_at_10 /= n;
        sum.map_at_100 /= n;
        sum.recall_at_100 /= n;
    }
    sum
}

fn dedup(ranking: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    ranking
        .iter()
        .map(String::as_str)
        .filter(|d| seen.insert(*d))
        .collect()
}

fn gain(judged: &HashMap<String, i32>, doc: &str) -> f64 {
    judged
        .get(doc)
        .copied()
        .filter(|&g| g > 0)
        .map_or(0.0, f64::from)
}

fn ndcg(ranking: &[&str], judged: &HashMap<String, i32>, k: usize) -> f64 {
    let discount = |i: usize| (i as f64 + 2.0).log2();
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| gain(judged, d) / discount(i))
        .sum();
    let mut ideal: Vec<f64> = judged
        .values()
        .filter(|&&g| g > 0)
        .map(|&g| f64::from(g))
        .collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| g / discount(i))
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

fn ap_and_recall(
    ranking: &[&str],
    judged: &HashMap<String, i32>,
    relevant: usize,
    k: usize,
) -> (f64, f64) {
    let mut found = 0usize;
    let mut precision_sum = 0.0;
    for (i, d) in ranking.iter().take(k).enumerate() {
        if gain(judged, d) > 0.0 {
            found += 1;
            precision_sum += found as f64 / (i + 1) as f64;
        }
    }
    (
        precision_sum / relevant as f64,
        found as f64 / relevant as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qrels(entries: &[(&str, &str, i32)]) -> Qrels {
        let mut q: Qrels = HashMap::new();
        for (qid, d, g) in entries {
            q.entry((*qid).into()).or_default().insert((*d).into(), *g);
        }
        q
    }

    fn run(entries: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        entries
            .iter()
            .map(|(q, ds)| ((*q).into(), ds.iter().map(|d| (*d).into()).collect()))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn binary_case_by_hand() {
        // Relevant: a, c, e (3). Ranking: a x c y.
        let qr = qrels(&[("1", "a", 1), ("1", "c", 1), ("1", "e", 1), ("1", "z", 0)]);
        let m = evaluate(&run(&[("1", &["a", "x", "c", "y"])]), &qr);
        // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4).
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(m.ndcg_at_10, 1.5 / idcg), "{m:?}");
        // AP = (1/1 + 2/3) / 3.
        assert!(close(m.map_at_100, (1.0 + 2.0 / 3.0) / 3.0));
        assert!(close(m.recall_at_100, 2.0 / 3.0));
        assert_eq!(m.queries, 1);
    }

    #[test]
    fn graded_gains_are_linear() {
        // Grades: b=2, a=1. Ranking a, b (the worse order).
        let qr = qrels(&[("q", "a", 1), ("q", "b", 2)]);
        let m = evaluate(&run(&[("q", &["a", "b"])]), &qr);
        let dcg = 1.0 + 2.0 / 3f64.log2();
        let idcg = 2.0 + 1.0 / 3f64.log2();
        assert!(close(m.ndcg_at_10, dcg / idcg));
        let perfect = evaluate(&run(&[("q", &["b", "a"])]), &qr);
        assert!(close(perfect.ndcg_at_10, 1.0));
        assert!(close(perfect.map_at_100, 1.0));
    }

    #[test]
    fn cut_offs_duplicates_and_missing_queries() {
        // The relevant document at rank 11 counts for MAP/recall, not nDCG@10.
        let qr = qrels(&[("q", "r", 1), ("p", "s", 1), ("n", "t", 0)]);
        let mut ranking: Vec<&str> = (0..10).map(|_| "x").collect();
        // Duplicates collapse: x counts once, so r is at rank 2.
        ranking.push("r");
        let m = evaluate(&run(&[("q", &ranking)]), &qr);
        assert_eq!(m.queries, 2, "q and p; n has no relevant document");
        assert!(close(m.ndcg_at_10, (1.0 / 3f64.log2()) / 2.0));
        assert!(close(m.map_at_100, 0.5 / 2.0));
        assert!(close(m.recall_at_100, 0.5));

        let ranks: Vec<String> = (0..100)
            .map(|i| format!("d{i}"))
            .chain(["r".into()])
            .collect();
        let m = evaluate(
            &HashMap::from([("q".to_string(), ranks)]),
            &qrels(&[("q", "r", 1)]),
        );
        assert!(
            close(m.ndcg_at_10, 0.0) && close(m.map_at_100, 0.0) && close(m.recall_at_100, 0.0)
        );
    }
}
