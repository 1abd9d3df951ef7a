//! Every recorded response in `fixtures/` through the public parsers: each
//! document reads as what it is, and no real record is rejected.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use dailypapers_domain::{Listing, Paper};
use dailypapers_ingest::hf_daily::{self, HfOptions};
use dailypapers_ingest::snapshot::SnapshotReader;
use dailypapers_ingest::{Rejected, SourceError, arxiv_atom, oai};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn all_ok(path: &Path, listings: Vec<Result<Listing, Rejected>>) -> Vec<Listing> {
    listings
        .into_iter()
        .map(|l| l.unwrap_or_else(|r| panic!("{}: {r}", name(path))))
        .collect()
}

fn ids(papers: &[Paper]) -> Vec<String> {
    papers.iter().map(|p| p.id.to_string()).collect()
}

#[test]
fn every_arxiv_api_response_parses_or_is_the_documented_error() {
    let mut entries = 0;
    for path in fixtures("arxiv-api") {
        let xml = fs::read_to_string(&path).unwrap();
        match arxiv_atom::parse(&xml) {
            Ok(feed) => {
                let listings = all_ok(&path, feed.listings);
                entries += listings.len();
                assert!(feed.total_results.is_some(), "{}", name(&path));
                for l in &listings {
                    assert!(l.entry.is_none());
                    assert!(!l.paper.title.is_empty() && !l.paper.authors.is_empty());
                    assert!(l.paper.version.is_some(), "the API always gives a version");
                    assert!(!l.paper.categories.is_empty());
                }
            }
            Err(SourceError::Service(message)) => {
                assert!(name(&path).starts_with("id_abc_"), "{}", name(&path));
                assert_eq!(message, "incorrect id format for abc");
            }
            Err(other) => panic!("{}: {other}", name(&path)),
        }
    }
    // 6 id look-ups that found something, 100 + 7 × 10 + 3 × 15 search results.
    assert_eq!(entries, 6 + 100 + 70 + 45);
}

#[test]
fn search_windows_are_slices_of_the_same_ordering() {
    let page = |file: &str| -> Vec<Paper> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/arxiv-api")
            .join(file);
        let feed = arxiv_atom::parse(&fs::read_to_string(&path).unwrap()).unwrap();
        all_ok(&path, feed.listings)
            .into_iter()
            .map(|l| l.paper)
            .collect()
    };
    let hundred = ids(&page("q_testing_s0_m100_cfe7536492ca.xml"));
    for (file, start) in [
        ("q_testing_s0_m10_bc5a6c384fe9.xml", 0),
        ("q_testing_s5_m10_c0e94a259d4a.xml", 5),
        ("q_testing_s10_m10_34e56e15aaac.xml", 10),
        ("q_testing_s0_m15_80c242b59d59.xml", 0),
        ("q_testing_s5_m15_bbcf6b23085b.xml", 5),
        ("q_testing_s9_m15_0b78d4b4d476.xml", 9),
    ] {
        let window = ids(&page(file));
        assert_eq!(window[..], hundred[start..start + window.len()], "{file}");
    }
    // An old-style id shows up in the search results too.
    let fifty = page("q_testing_s50_m10_7f488ab8598c.xml");
    assert_eq!(fifty[1].id.as_str(), "cs/0503050");
}

#[test]
fn every_oai_response_is_a_page_or_a_clear_refusal() {
    let mut records = 0;
    for path in fixtures("arxiv-oai") {
        let file = name(&path);
        let text = fs::read_to_string(&path).unwrap();
        if file.ends_with(".json") {
            continue; // the nock recording, read in oai's unit tests
        }
        match oai::parse(&text) {
            Ok(page) => {
                assert!(!file.starts_with("paperhive_oaipmh-list") || file.contains("listrecords"));
                records += all_ok(&path, page.listings).len();
            }
            Err(SourceError::Unexpected(message)) => {
                assert!(file.starts_with("paperhive_"), "{file}: {message}");
                assert!(message.contains("ListRecords or GetRecord"), "{message}");
            }
            Err(other) => panic!("{file}: {other}"),
        }
    }
    // paperhive 2, oai_dc 5, hepcrawl functional 3 + 3 + 1, unit 12 + 11 × 1.
    assert_eq!(records, 2 + 5 + 7 + 23);
}

#[test]
fn the_snapshot_streams_from_a_file() {
    let path = &fixtures("arxiv-snapshot")[0];
    let file = fs::File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    let mut reader = SnapshotReader::new(BufReader::new(file));
    let papers: Vec<Paper> = reader.by_ref().map(|l| l.unwrap().paper).collect();
    assert_eq!(papers.len(), 200);
    assert_eq!(reader.line(), 200);
    assert_eq!(reader.bytes_read(), size);
    assert_eq!(papers[1].title, "Sparsity-certifying Graph Decompositions");
    assert_eq!(ids(&papers[..3]), ["0704.0001", "0704.0002", "0704.0003"]);
}

#[test]
fn every_hf_day_parses_onto_its_own_day() {
    let mut items = 0;
    for path in fixtures("hf-daily-papers") {
        let date = name(&path).trim_end_matches(".json").parse().unwrap();
        let options = HfOptions {
            fallback_day: Some(date),
            ..HfOptions::default()
        };
        let listings = hf_daily::parse(&fs::read_to_string(&path).unwrap(), &options).unwrap();
        for l in all_ok(&path, listings) {
            let entry = l.entry.expect("every daily paper has a feed entry");
            assert_eq!(entry.feed_day, date, "{}", name(&path));
            assert_eq!(entry.paper_id, l.paper.id);
            items += 1;
        }
    }
    assert_eq!(items, 267);
}
