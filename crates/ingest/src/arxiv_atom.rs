//! The arXiv API's Atom feeds (`export.arxiv.org/api/query`, by id list or by
//! search query): one [`Listing`] per `<entry>`, plus the OpenSearch paging
//! numbers. The XML itself is read with [`crate::xml`], one entry at a time,
//! so [`AtomReader`] reads a file of any size in bounded memory; an entry
//! over a size limit of [`dailypapers_domain::limits`] is rejected.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use dailypapers_domain::limits::{ABSTRACT_CHARS, TITLE_CHARS};
use dailypapers_domain::paper::collapse_whitespace;
use dailypapers_domain::{ArxivId, Author, Listing, Paper};

use crate::limit::within_limits;
use crate::snapshot::detex;
use crate::{Rejected, SourceError};

use crate::xml::{self, Element, Records, Split, XmlStream};

const EXPECTED: &str = "an Atom <feed> from the arXiv API";

/// One page of arXiv API results.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomFeed {
    /// `opensearch:totalResults`: how many entries match the whole query.
    pub total_results: Option<u64>,
    /// `opensearch:startIndex`: the 0-based index of this page's first entry.
    pub start_index: Option<u64>,
    /// `opensearch:itemsPerPage`: the page size asked for.
    pub items_per_page: Option<u64>,
    /// One item per `<entry>`, in document order.
    pub listings: Vec<Result<Listing, Rejected>>,
}

/// Parses an arXiv API Atom response.
///
/// The API answers errors (a malformed id, a bad query) with a single entry
/// whose id is under `arxiv.org/api/errors`; that is reported as
/// [`SourceError::Service`] with the error's text.
pub fn parse(xml: &str) -> Result<AtomFeed, SourceError> {
    let (listings, mut feed) = AtomReader::new(xml.as_bytes()).read_all()?;
    feed.listings = listings;
    Ok(feed)
}

/// Reads an Atom feed one entry at a time, from any [`BufRead`]: memory
/// stays bounded whatever the size of the document.
///
/// Entries come out as they are read, so a document found unreadable at its
/// end ([`SourceError`]) has already given some; a caller that must store
/// nothing from such a document reads it once to check it
/// ([`AtomReader::check`]) and again to import it.
pub struct AtomReader<R: BufRead> {
    stream: XmlStream<R>,
    index: usize,
}

impl<R: BufRead> AtomReader<R> {
    pub fn new(input: R) -> Self {
        let split = Split {
            name: "entry",
            depth: 1,
        };
        AtomReader {
            stream: XmlStream::new(input, EXPECTED, Some(split)),
            index: 0,
        }
    }

    /// Bytes of the input read so far.
    pub fn bytes_read(&self) -> u64 {
        self.stream.bytes_read()
    }

    /// The next entry, or `None` after the last one.
    pub fn next_entry(&mut self) -> Result<Option<Result<Listing, Rejected>>, SourceError> {
        let Some(entry) = self.stream.next_split()? else {
            return Ok(None);
        };
        xml::check_root(EXPECTED, "feed", self.stream.root_name())?;
        self.index += 1;
        entry_listing(&entry, self.index).map(Some)
    }

    /// Reads to the end of the document and returns its paging numbers
    /// (with no listings).
    pub fn finish(self) -> Result<AtomFeed, SourceError> {
        let root = self.stream.finish()?;
        xml::check_root(EXPECTED, "feed", Some(&root.name))?;
        let number = |name: &str| {
            root.child_text(name)
                .and_then(|t| t.trim().parse::<u64>().ok())
        };
        Ok(AtomFeed {
            total_results: number("totalResults"),
            start_index: number("startIndex"),
            items_per_page: number("itemsPerPage"),
            listings: Vec::new(),
        })
    }

    /// Reads the whole document, keeping nothing, and says whether it can be
    /// read: the number of entries, or why not.
    pub fn check(self) -> Result<u64, SourceError> {
        self.count_all()
    }
}

impl<R: BufRead> Records for AtomReader<R> {
    type End = AtomFeed;

    fn next_record(&mut self) -> Result<Option<Result<Listing, Rejected>>, SourceError> {
        self.next_entry()
    }

    fn end(self) -> Result<AtomFeed, SourceError> {
        self.finish()
    }
}

/// One `<entry>` (the `index`-th, 1-based) as a listing, or why not.
fn entry_listing(entry: &Element, index: usize) -> Result<Result<Listing, Rejected>, SourceError> {
    let raw_id = entry.child_text("id").map(|t| t.trim().to_string());
    if let Some(id) = raw_id
        .as_deref()
        .filter(|id| id.contains("arxiv.org/api/errors"))
    {
        let message = entry
            .child_text("summary")
            .map(|s| collapse_whitespace(&s))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| id.to_string());
        return Err(SourceError::Service(message));
    }
    let location = match raw_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => format!("entry {index} (id {})", short_id(id)),
        None => format!("entry {index}"),
    };
    let listing = xml::refuse_oversized(
        entry,
        "entry",
        Some(entry),
        &[("title", TITLE_CHARS), ("summary", ABSTRACT_CHARS)],
    )
    .and_then(|()| entry_to_paper(entry, raw_id.as_deref()))
    .and_then(|paper| {
        within_limits(Listing::paper_only(paper), &location).map_err(|e| e.to_string())
    });
    Ok(listing.map_err(|reason| Rejected { location, reason }))
}

/// `http://arxiv.org/abs/2104.12255v1` → `2104.12255v1`, for locations.
fn short_id(id: &str) -> &str {
    ["http://arxiv.org/abs/", "https://arxiv.org/abs/"]
        .iter()
        .find_map(|p| id.strip_prefix(p))
        .unwrap_or(id)
}

fn entry_to_paper(entry: &Element, raw_id: Option<&str>) -> Result<Paper, String> {
    let raw_id = raw_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| "missing <id>: expected the paper's arxiv.org/abs/… URL".to_string())?;
    let id = ArxivId::parse(raw_id).map_err(|e| format!("invalid <id>: {e}"))?;
    let title = entry
        .child_text("title")
        .map(|t| collapse_whitespace(&t))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "missing <title>: expected the paper's title".to_string())?;
    let summary = entry.child_text("summary").unwrap_or_default();
    let mut paper = Paper::new(id, &detex(&title), &summary);

    paper.authors = entry
        .children_named("author")
        .filter_map(|a| {
            let name = collapse_whitespace(&detex(&a.child_text("name")?));
            if name.is_empty() {
                return None;
            }
            let affiliations: Vec<String> = a
                .children_named("affiliation")
                .map(|x| collapse_whitespace(&x.text()))
                .filter(|x| !x.is_empty())
                .collect();
            Some(Author {
                affiliation: (!affiliations.is_empty()).then(|| affiliations.join("; ")),
                ..Author::named(name)
            })
        })
        .collect();

    let primary = entry.child("primary_category").and_then(|c| c.attr("term"));
    let others = entry
        .children_named("category")
        .filter_map(|c| c.attr("term"));
    for term in primary.into_iter().chain(others) {
        let term = term.trim();
        if !term.is_empty() && !paper.categories.iter().any(|c| c == term) {
            paper.categories.push(term.to_string());
        }
    }

    paper.published_at = timestamp(entry, "published")?;
    paper.updated_at = timestamp(entry, "updated")?;
    paper.doi = optional_text(entry, "doi");
    paper.journal_ref = optional_text(entry, "journal_ref");
    paper.comments = optional_text(entry, "comment");
    paper.license = optional_text(entry, "license");
    Ok(paper)
}

fn optional_text(entry: &Element, name: &str) -> Option<String> {
    entry
        .child_text(name)
        .map(|t| collapse_whitespace(&t))
        .filter(|t| !t.is_empty())
}

fn timestamp(entry: &Element, name: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(text) = entry.child_text(name) else {
        return Ok(None);
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            format!("invalid <{name}> {text:?}: expected an RFC 3339 timestamp like 2021-04-20T16:07:14Z ({e})")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/arxiv-api/",
                $name
            ))
        };
    }

    fn papers(feed: &AtomFeed) -> Vec<&Paper> {
        feed.listings
            .iter()
            .map(|l| &l.as_ref().expect("every fixture entry parses").paper)
            .collect()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_single_id_lookup_gives_the_paper_with_its_version() {
        let feed = parse(fixture!("id_2104.12255v1_s0_m100_6ae69987ffe1.xml")).unwrap();
        assert_eq!(feed.total_results, Some(1));
        assert_eq!(feed.start_index, Some(0));
        assert_eq!(feed.items_per_page, Some(100));
        let [paper] = papers(&feed)[..] else {
            panic!("one entry")
        };
        assert_eq!(paper.id.as_str(), "2104.12255");
        assert_eq!(paper.version, Some(1));
        // The title of this paper really is "0".
        assert_eq!(paper.title, "0");
        assert!(
            paper
                .summary
                .starts_with("What is the funniest number in cryptography? 0.")
        );
        assert!(
            paper
                .summary
                .ends_with("$35,000 in total for the reported bugs.")
        );
        assert_eq!(paper.authors, vec![Author::named("Quan Thoi Minh Nguyen")]);
        assert_eq!(paper.categories, vec!["cs.CR"]);
        assert_eq!(paper.published_at, Some(utc("2021-04-20T16:07:14Z")));
        assert_eq!(paper.updated_at, Some(utc("2021-04-20T16:07:14Z")));
        assert_eq!(paper.doi, None);
        assert_eq!(paper.comments, None);
        assert!(feed.listings[0].as_ref().unwrap().entry.is_none());
    }

    #[test]
    fn old_style_ids_affiliations_journal_ref_and_comment() {
        let feed = parse(fixture!("id_astro-ph_0601001_s0_m100_3150dca9dc76.xml")).unwrap();
        let [paper] = papers(&feed)[..] else {
            panic!("one entry")
        };
        assert_eq!(paper.id.as_str(), "astro-ph/0601001");
        assert_eq!(paper.version, Some(1));
        assert!(
            paper
                .title
                .starts_with("Frequency of Hot Jupiters and Very Hot Jupiters")
        );
        // Entities are decoded and leading white space dropped.
        assert!(
            paper
                .summary
                .starts_with("We derive the frequencies of hot Jupiters")
        );
        assert!(paper.summary.contains("Gould & Morgan (2003)"));
        assert!(paper.summary.contains("V_max<17.5"));
        let names: Vec<_> = paper.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Andrew Gould",
                "Susan Dorsher",
                "B. Scott Gaudi",
                "Andrzej Udalski"
            ]
        );
        assert_eq!(paper.authors[2].affiliation.as_deref(), Some("CfA"));
        assert_eq!(
            paper.authors[3].affiliation.as_deref(),
            Some("Warsaw University Observatory")
        );
        assert_eq!(paper.categories, vec!["astro-ph"]);
        assert_eq!(
            paper.journal_ref.as_deref(),
            Some("ActaAstron.56:1-50,2006")
        );
        assert!(
            paper
                .comments
                .as_deref()
                .unwrap()
                .starts_with("62 pages including 16 figures")
        );
    }

    #[test]
    fn primary_category_comes_first_without_duplicates() {
        let feed = parse(fixture!("id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml")).unwrap();
        let paper = papers(&feed)[0];
        assert_eq!(paper.id.as_str(), "quant-ph/0201082");
        assert_eq!(paper.categories, vec!["quant-ph", "cs.PL"]);
        assert_eq!(paper.primary_category(), Some("quant-ph"));
        assert_eq!(paper.comments.as_deref(), Some("32 pages"));

        let feed = parse(fixture!("id_1605.08386_s0_m100_199195aa31ad.xml")).unwrap();
        let paper = papers(&feed)[0];
        assert_eq!(paper.title, "Heat-bath random walks with Markov bases");
        assert_eq!(paper.categories, vec!["math.CO", "math.ST"]);
        assert_eq!(paper.authors.len(), 2);
    }

    #[test]
    fn a_many_author_paper_keeps_every_author_in_order() {
        let feed = parse(fixture!("id_1707.08567_s0_m100_6a1afebfc6a3.xml")).unwrap();
        let paper = papers(&feed)[0];
        assert_eq!(paper.id.as_str(), "1707.08567");
        assert_eq!(paper.authors.len(), 34);
        assert_eq!(paper.authors[0].name, "Kees A. Schouhamer Immink");
        assert_eq!(paper.authors[32].name, "Dirk Wübben");
        assert_eq!(paper.authors[33].name, "Hirosuke Yamamoto");
    }

    #[test]
    fn a_search_page_has_every_entry_and_the_paging_numbers() {
        let feed = parse(fixture!("q_testing_s0_m100_cfe7536492ca.xml")).unwrap();
        assert_eq!(feed.total_results, Some(214881));
        assert_eq!(feed.start_index, Some(0));
        assert_eq!(feed.items_per_page, Some(100));
        let papers = papers(&feed);
        assert_eq!(papers.len(), 100);
        let first = papers[0];
        assert_eq!(first.id.as_str(), "2202.12139");
        assert_eq!(
            first.title,
            "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
        );
        assert_eq!(first.doi.as_deref(), Some("10.1109/ICSTW55395.2022.00035"));
        assert_eq!(first.categories, vec!["cs.SE", "cs.LG"]);
        assert!(
            first
                .journal_ref
                .as_deref()
                .unwrap()
                .starts_with("Artificial Intelligence in Software Testing")
        );
        assert_eq!(papers[1].authors[0].name, "Aurora Ramírez");
        assert_eq!(papers[2].version, Some(2));
        assert!(
            papers
                .iter()
                .all(|p| !p.title.contains('\n') && !p.title.contains("  "))
        );
        assert!(
            papers
                .iter()
                .all(|p| !p.authors.is_empty() && !p.categories.is_empty())
        );
        assert!(
            papers
                .iter()
                .all(|p| p.published_at.is_some() && p.updated_at.is_some())
        );
    }

    #[test]
    fn a_later_window_reports_its_start_index() {
        let feed = parse(fixture!("q_testing_s20_m10_348a237fecab.xml")).unwrap();
        assert_eq!(feed.start_index, Some(20));
        assert_eq!(feed.items_per_page, Some(10));
        assert_eq!(papers(&feed).len(), 10);
    }

    #[test]
    fn a_missing_id_is_an_empty_feed() {
        let feed = parse(fixture!("id_0000.0000_s0_m100_8b51d9633a68.xml")).unwrap();
        assert_eq!(feed.total_results, Some(0));
        assert!(feed.listings.is_empty());
        let feed = parse(fixture!("id_0808.05394_s0_m100_7b0c7d0a7cdd.xml")).unwrap();
        assert_eq!(feed.total_results, Some(0));
        assert!(feed.listings.is_empty());
    }

    #[test]
    fn of_two_ids_only_the_existing_one_comes_back() {
        let feed = parse(fixture!(
            "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.xml"
        ))
        .unwrap();
        let papers = papers(&feed);
        assert_eq!(papers.len(), 1);
        assert_eq!(papers[0].id.as_str(), "1707.08567");
    }

    #[test]
    fn read_from_a_stream_in_tiny_pieces_every_fixture_gives_the_same_feed() {
        for xml in [
            fixture!("q_testing_s0_m100_cfe7536492ca.xml"),
            fixture!("id_astro-ph_0601001_s0_m100_3150dca9dc76.xml"),
            fixture!("id_1707.08567_s0_m100_6a1afebfc6a3.xml"),
        ] {
            let whole = parse(xml).unwrap();
            let input = std::io::BufReader::with_capacity(7, xml.as_bytes());
            let mut reader = AtomReader::new(input);
            let mut listings = Vec::new();
            while let Some(listing) = reader.next_entry().unwrap() {
                listings.push(listing);
            }
            assert_eq!(reader.bytes_read(), xml.len() as u64);
            let mut streamed = reader.finish().unwrap();
            streamed.listings = listings;
            assert_eq!(streamed, whole);
            let checked = AtomReader::new(xml.as_bytes()).check().unwrap();
            assert_eq!(checked, whole.listings.len() as u64);
        }
    }

    #[test]
    fn an_entry_over_a_limit_is_rejected_by_id_and_field_and_the_others_kept() {
        let xml = fixture!("q_testing_s20_m10_348a237fecab.xml");
        let mut entries: Vec<String> = xml.split("<summary>").map(str::to_string).collect();
        // The first entry's abstract is 1 MB: cut while reading, rejected by size.
        entries[1].insert_str(0, &"a".repeat(1 << 20));
        // The second's is 20,000 characters: read whole, rejected by the limit.
        entries[2].insert_str(0, &"word ".repeat(4_000));
        let xml = entries.join("<summary>");
        let feed = parse(&xml).unwrap();
        assert_eq!(feed.listings.len(), 10);
        let first = feed.listings[0].as_ref().unwrap_err();
        assert!(first.location.starts_with("entry 1 (id "), "{first}");
        assert!(first.reason.starts_with("<summary> is 1,04"), "{first}");
        assert!(
            first
                .reason
                .ends_with("bytes long, over the limit of 10,000 characters"),
            "{first}"
        );
        let second = feed.listings[1].as_ref().unwrap_err();
        assert!(second.reason.starts_with("abstract is 2"), "{second}");
        assert!(feed.listings[2..].iter().all(Result::is_ok));
    }

    #[test]
    fn an_unreadable_end_is_found_by_check_before_anything_is_kept() {
        let xml = fixture!("q_testing_s0_m100_cfe7536492ca.xml");
        let cut = &xml[..xml.len() - 20];
        assert!(matches!(
            AtomReader::new(cut.as_bytes()).check(),
            Err(SourceError::Malformed { .. })
        ));
    }

    #[test]
    fn the_api_error_entry_is_a_service_error() {
        let err = parse(fixture!("id_abc_s0_m100_b79c8dcf6bc3.xml")).unwrap_err();
        assert_eq!(
            err,
            SourceError::Service("incorrect id format for abc".into())
        );
    }

    #[test]
    fn a_bad_entry_is_rejected_and_the_others_still_parse() {
        let xml = fixture!("id_1605.08386_s0_m100_199195aa31ad.xml");
        let bad_id = xml.replacen(
            "<entry>",
            "<entry><id>http://arxiv.org/abs/not-an-id</id><title>T</title></entry><entry>",
            1,
        );
        let feed = parse(&bad_id).unwrap();
        assert_eq!(feed.listings.len(), 2);
        let rejected = feed.listings[0].as_ref().unwrap_err();
        assert_eq!(rejected.location, "entry 1 (id not-an-id)");
        assert!(rejected.reason.starts_with("invalid <id>"), "{rejected}");
        assert!(
            rejected.reason.contains("2104.12255"),
            "says what an id looks like: {rejected}"
        );
        assert_eq!(
            feed.listings[1].as_ref().unwrap().paper.id.as_str(),
            "1605.08386"
        );

        let no_title = xml.replace(
            "<title>Heat-bath random walks with Markov bases</title>",
            "",
        );
        let feed = parse(&no_title).unwrap();
        let rejected = feed.listings[0].as_ref().unwrap_err();
        assert_eq!(rejected.location, "entry 1 (id 1605.08386v1)");
        assert!(rejected.reason.contains("missing <title>"), "{rejected}");

        let bad_date = xml.replace("<published>2016-05-26T17:59:46Z", "<published>yesterday");
        let rejected = parse(&bad_date).unwrap().listings.remove(0).unwrap_err();
        assert!(
            rejected.reason.contains("<published> \"yesterday\""),
            "{rejected}"
        );
    }

    #[test]
    fn truncated_xml_is_malformed_with_a_position() {
        let xml = fixture!("id_2104.12255v1_s0_m100_6ae69987ffe1.xml");
        let cut = &xml[..xml.find("<category").unwrap() + 12];
        match parse(cut).unwrap_err() {
            SourceError::Malformed {
                format,
                line,
                column,
                message,
            } => {
                assert_eq!(format, "XML");
                assert_eq!(line, 17, "{message}");
                assert_eq!(column, 5, "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Cut between elements: every tag is complete but the feed is not closed.
        let cut = &xml[..xml.find("</entry>").unwrap()];
        match parse(cut).unwrap_err() {
            SourceError::Malformed { line, message, .. } => {
                assert!(message.contains("truncated"), "{message}");
                assert!(message.contains("<entry>"), "{message}");
                assert_eq!(line, 23);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mismatched_tags_are_malformed() {
        let err = parse("<feed>\n  <entry><title>x</summary></entry>\n</feed>").unwrap_err();
        match err {
            SourceError::Malformed {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((line, column), (2, 18), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("<feed>&nbsp;</feed>"),
            Err(SourceError::Malformed { .. })
        ));
    }

    #[test]
    fn other_documents_are_unexpected() {
        let err = parse("<?xml version='1.0'?><OAI-PMH><x/></OAI-PMH>").unwrap_err();
        assert_eq!(
            err,
            SourceError::Unexpected(
                "expected an Atom <feed> from the arXiv API, found <OAI-PMH>".into()
            )
        );
        let err = parse("Rate exceeded.").unwrap_err();
        assert!(
            matches!(&err, SourceError::Unexpected(m) if m.contains("Rate exceeded.")),
            "{err}"
        );
        let err = parse("").unwrap_err();
        assert!(
            matches!(&err, SourceError::Unexpected(m) if m.contains("empty")),
            "{err}"
        );
    }
}
