//! The keyword index end to end: matching, ids, prefixes, filters, sorts,
//! snippets, commits and the writer lock.

use chrono::NaiveDate;
use dailypapers_search::keyword::{Filters, KeywordDoc, KeywordIndex, SearchError, Sort};
use dailypapers_search::query::{ParseOptions, SearchQuery};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn paper(doc: u64, id: &str, title: &str, summary: &str) -> KeywordDoc {
    KeywordDoc {
        doc,
        arxiv_id: id.into(),
        title: title.into(),
        summary: summary.into(),
        ..KeywordDoc::default()
    }
}

fn corpus() -> Vec<KeywordDoc> {
    vec![
        KeywordDoc {
            categories: vec!["cs.CV".into()],
            organization: Some("ByteDance Seed".into()),
            published: Some(day("2025-01-10")),
            upvotes: 40,
            authors: vec!["Ada Lovelace".into()],
            ..paper(
                1,
                "2501.00001",
                "Token Merging for Vision Transformers",
                "We merge similar tokens to speed up vision transformers.",
            )
        },
        KeywordDoc {
            categories: vec!["cs.CL".into()],
            organization: Some("Meta".into()),
            published: Some(day("2025-02-20")),
            upvotes: 5,
            ..paper(
                2,
                "2502.00002",
                "Merging models by weight averaging",
                "A study of token budgets. Model merging averages weights of fine-tuned models.",
            )
        },
        KeywordDoc {
            categories: vec!["cs.CL".into(), "cs.LG".into()],
            published: Some(day("2025-03-05")),
            upvotes: 90,
            ..paper(
                3,
                "2503.00003",
                "Attention is all you need, again",
                "Transformers with attention; we cite 2501.00001 in passing.",
            )
        },
        KeywordDoc {
            categories: vec!["hep-th".into()],
            upvotes: 5,
            ..paper(
                4,
                "hep-th/9901001",
                "Strings and branes",
                "An old-style paper about string theory.",
            )
        },
    ]
}

fn index_with(docs: &[KeywordDoc]) -> KeywordIndex {
    let index = KeywordIndex::in_ram().unwrap();
    let mut w = index.writer().unwrap();
    for d in docs {
        w.upsert(d).unwrap();
    }
    w.commit(1).unwrap();
    index
}

fn q(s: &str) -> SearchQuery {
    SearchQuery::parse(s, ParseOptions::default()).unwrap()
}

fn docs(index: &KeywordIndex, query: &SearchQuery, filters: &Filters, sort: Sort) -> Vec<u64> {
    index
        .search(query, filters, sort, 0, 10)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.doc)
        .collect()
}

fn relevance(index: &KeywordIndex, s: &str) -> Vec<u64> {
    docs(index, &q(s), &Filters::default(), Sort::Relevance)
}

#[test]
fn words_match_by_stem_and_titles_weigh_more() {
    let index = index_with(&corpus());
    // "merging" in the title of 1 and 2; 2's abstract says it again.
    let hits = relevance(&index, "merged");
    assert_eq!(hits.len(), 2);
    assert!(hits.contains(&1) && hits.contains(&2));
    assert_eq!(relevance(&index, "transformer")[..2], [1, 3]);
    assert!(relevance(&index, "nonexistentword").is_empty());
    // Only stop words: nothing to match, and no error.
    assert!(relevance(&index, "the of and").is_empty());
}

#[test]
fn a_phrase_needs_the_words_together() {
    let index = index_with(&corpus());
    // Paper 2 has "token" and "merging" apart; paper 1 has "Token Merging".
    assert_eq!(relevance(&index, "\"token merging\""), [1]);
    let scattered = relevance(&index, "token merging");
    assert!(scattered.contains(&1) && scattered.contains(&2));
    // A phrase plus a word: the phrase is required, the word ranks.
    assert_eq!(relevance(&index, "\"token merging\" models"), [1]);
    // Stop words inside a phrase keep their place.
    let index = index_with(&[
        paper(1, "", "State of the art parsing", ""),
        paper(2, "", "The art of state machines", ""),
    ]);
    assert_eq!(relevance(&index, "\"state of the art\""), [1]);
}

#[test]
fn prefix_matching_only_when_asked() {
    let index = index_with(&corpus());
    let on = SearchQuery::parse("vision transf", ParseOptions { prefix: true }).unwrap();
    let off = SearchQuery::parse("transf", ParseOptions::default()).unwrap();
    let hits = docs(&index, &on, &Filters::default(), Sort::Relevance);
    assert_eq!(hits[0], 1);
    assert!(hits.contains(&3), "transformers in 3's abstract: {hits:?}");
    assert!(docs(&index, &off, &Filters::default(), Sort::Relevance).is_empty());
    let only_prefix = SearchQuery::parse("transf", ParseOptions { prefix: true }).unwrap();
    let hits = docs(&index, &only_prefix, &Filters::default(), Sort::Relevance);
    assert!(hits.contains(&1) && hits.contains(&3));
}

#[test]
fn an_arxiv_id_puts_its_paper_first() {
    let index = index_with(&corpus());
    // Paper 3 mentions the id in its abstract; the paper itself comes first.
    assert_eq!(relevance(&index, "2501.00001")[0], 1);
    assert_eq!(relevance(&index, "2501.00001v3")[0], 1);
    assert_eq!(relevance(&index, "arXiv:2501.00001 attention")[0], 1);
    assert_eq!(relevance(&index, "hep-th/9901001")[0], 4);
    assert_eq!(
        relevance(&index, "https://arxiv.org/abs/2502.00002v1")[0],
        2
    );
}

#[test]
fn filters_restrict_and_combine() {
    let index = index_with(&corpus());
    let all = q("transformers merging models attention strings");
    let with = |f: Filters| {
        let mut d = docs(&index, &all, &f, Sort::Relevance);
        d.sort();
        d
    };
    assert_eq!(with(Filters::default()), [1, 2, 3, 4]);
    let range = Filters {
        from: Some(day("2025-02-20")),
        to: Some(day("2025-03-05")),
        ..Filters::default()
    };
    assert_eq!(with(range), [2, 3], "both ends inclusive");
    let from = Filters {
        from: Some(day("2025-02-21")),
        ..Filters::default()
    };
    assert_eq!(with(from), [3]);
    let to = Filters {
        to: Some(day("2025-01-10")),
        ..Filters::default()
    };
    assert_eq!(with(to), [1]);
    let cats = Filters {
        categories: vec!["CS.cv".into(), "cs.LG".into()],
        ..Filters::default()
    };
    assert_eq!(with(cats), [1, 3], "any of, case-insensitive");
    let org = Filters {
        organization: Some("bytedance seed".into()),
        ..Filters::default()
    };
    assert_eq!(with(org), [1]);
    let none = Filters {
        organization: Some("ByteDance".into()),
        ..Filters::default()
    };
    assert!(with(none).is_empty(), "the exact name, not a part");
    let both = Filters {
        categories: vec!["cs.CL".into()],
        from: Some(day("2025-03-01")),
        ..Filters::default()
    };
    assert_eq!(with(both), [3]);
    let page = index
        .search(
            &all,
            &Filters {
                categories: vec!["cs.cl".into()],
                ..Filters::default()
            },
            Sort::Relevance,
            0,
            10,
        )
        .unwrap();
    assert_eq!(page.total, 2);
    assert!(page.total_is_exact);
}

#[test]
fn sorts_and_pages() {
    let index = index_with(&corpus());
    let all = q("transformers merging models attention strings");
    let f = Filters::default();
    assert_eq!(
        docs(&index, &all, &f, Sort::Newest),
        [3, 2, 1, 4],
        "undated last"
    );
    // 2 and 4 tie on upvotes: the lower doc first.
    assert_eq!(docs(&index, &all, &f, Sort::Upvotes), [3, 1, 2, 4]);
    let page = index.search(&all, &f, Sort::Upvotes, 1, 2).unwrap();
    assert_eq!(page.hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(page.total, 4);
    assert!(
        index
            .search(&all, &f, Sort::Relevance, 10, 10)
            .unwrap()
            .hits
            .is_empty()
    );
    assert!(
        index
            .search(&all, &f, Sort::Relevance, 0, 0)
            .unwrap()
            .hits
            .is_empty()
    );
}

#[test]
fn equal_scores_are_ordered_by_doc_whatever_the_insertion_order() {
    let same = |doc| paper(doc, "", "identical title", "identical abstract");
    let forward = index_with(&[same(5), same(9), same(2), same(7)]);
    // Separate commits give separate segments.
    let split = KeywordIndex::in_ram().unwrap();
    let mut w = split.writer().unwrap();
    for (i, doc) in [7, 2, 9, 5].into_iter().enumerate() {
        w.upsert(&same(doc)).unwrap();
        w.commit(i as u64 + 1).unwrap();
    }
    for index in [&forward, &split] {
        let page = index
            .search(&q("identical"), &Filters::default(), Sort::Relevance, 0, 3)
            .unwrap();
        assert_eq!(
            page.hits.iter().map(|h| h.doc).collect::<Vec<_>>(),
            [2, 5, 7]
        );
        assert_eq!(page.total, 4);
    }
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let index = index_with(&corpus());
    let mut w = index.writer().unwrap();
    w.upsert(&paper(
        1,
        "2501.00001",
        "Completely different",
        "Nothing here",
    ))
    .unwrap();
    w.delete(3);
    w.commit(2).unwrap();
    assert_eq!(index.num_docs(), 3);
    assert!(relevance(&index, "\"token merging\"").is_empty());
    assert_eq!(relevance(&index, "completely"), [1]);
    assert!(relevance(&index, "attention").is_empty());
}

#[test]
fn snippets_highlight_stemmed_matches() {
    let index = index_with(&[]);
    let text = "We study how transformers merge tokens. Merging is cheap.";
    let s = index.snippet(&q("merged token"), text, 200);
    assert_eq!(s.text, text);
    let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
    assert_eq!(marked, ["merge", "tokens", "Merging"]);
    assert_eq!(
        s.to_html(),
        "We study how transformers <mark>merge</mark> <mark>tokens</mark>. <mark>Merging</mark> is cheap."
    );

    // A long text is cut around the matches, at word boundaries.
    let long = format!(
        "{} the key result is token merging. {}",
        "filler ".repeat(50),
        "tail ".repeat(50)
    );
    let s = index.snippet(&q("token merging"), &long, 60);
    assert!(s.text.starts_with('…') && s.text.ends_with('…'), "{s:?}");
    assert!(s.text.chars().count() <= 62);
    let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
    assert_eq!(marked, ["token", "merging"]);

    // Prefix: the word being typed is highlighted too.
    let typing = SearchQuery::parse("vision transf", ParseOptions { prefix: true }).unwrap();
    let s = index.snippet(&typing, "Vision Transformers <b>rock</b>", 100);
    let marked: Vec<&str> = s.highlights.iter().map(|r| &s.text[r.clone()]).collect();
    assert_eq!(marked, ["Vision", "Transformers"]);
    assert_eq!(
        s.to_html(),
        "<mark>Vision</mark> <mark>Transformers</mark> &lt;b&gt;rock&lt;/b&gt;"
    );

    // No match: the beginning.
    let s = index.snippet(&q("absent"), &long, 20);
    assert!(s.text.starts_with("filler") && s.highlights.is_empty());
}

#[test]
fn odd_input_never_breaks_the_search() {
    let index = index_with(&corpus());
    for s in [
        "-",
        ":",
        "*",
        "\"",
        "\"token",
        "token\"",
        "a:b",
        "(x",
        "[y]",
        "^2",
        "~",
        "\\",
        "/",
        "+-+",
        "title:token",
        "token AND merging",
        "NOT token",
        "**",
        "\u{0}token\u{7}",
        "\"\"token\"\"",
        "ünïcödé",
        "日本語",
        "x".repeat(300).as_str(),
    ] {
        match SearchQuery::parse(s, ParseOptions { prefix: true }) {
            Ok(query) => {
                index
                    .search(&query, &Filters::default(), Sort::Relevance, 0, 10)
                    .unwrap_or_else(|e| panic!("{s:?}: {e}"));
                index.snippet(&query, "Token merging for transformers.", 50);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    let long = "token ".repeat(2000);
    assert!(SearchQuery::parse(&long, ParseOptions::default()).is_err());
}

#[test]
fn commit_sequence_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = KeywordIndex::open_or_create(dir.path()).unwrap();
        assert_eq!(index.committed_seq().unwrap(), 0);
        assert_eq!(index.num_docs(), 0);
        let mut w = index.writer().unwrap();
        for d in corpus() {
            w.upsert(&d).unwrap();
        }
        w.commit(41).unwrap();
        w.delete(4);
        w.commit(42).unwrap();
        assert_eq!(index.committed_seq().unwrap(), 42);
    }
    let index = KeywordIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.committed_seq().unwrap(), 42);
    assert_eq!(index.num_docs(), 3);
    assert_eq!(relevance(&index, "\"token merging\""), [1]);
}

#[test]
fn a_second_writer_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = KeywordIndex::open_or_create(dir.path()).unwrap();
    let first = index.writer().unwrap();
    // Another handle on the same directory, as another process would have.
    let other = KeywordIndex::open_or_create(dir.path()).unwrap();
    let err = other.writer().unwrap_err();
    assert!(matches!(err, SearchError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("locked by another writer"),
        "{err}"
    );
    drop(first);
    assert!(other.writer().is_ok(), "the lock goes with the writer");
}
