//! The arXiv API's Atom feeds (`export.arxiv.org/api/query`, by id list or by
//! search query): one [`Listing`] per `<entry>`, plus the OpenSearch paging
//! numbers. Also home of the small XML tree reader the OAI-PMH parser shares.

use chrono::{DateTime, Utc};
use dailypapers_domain::paper::collapse_whitespace;
use dailypapers_domain::{ArxivId, Author, Listing, Paper};

use crate::snapshot::detex;
use crate::{Rejected, SourceError};

use xml::Element;

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
    const EXPECTED: &str = "an Atom <feed> from the arXiv API";
    let root = xml::parse(xml, EXPECTED)?;
    if root.name != "feed" {
        return Err(SourceError::Unexpected(format!(
            "expected {EXPECTED}, found <{}>",
            root.name
        )));
    }
    let number = |name: &str| {
        root.child_text(name)
            .and_then(|t| t.trim().parse::<u64>().ok())
    };
    let mut feed = AtomFeed {
        total_results: number("totalResults"),
        start_index: number("startIndex"),
        items_per_page: number("itemsPerPage"),
        listings: Vec::new(),
    };
    for (index, entry) in root.children_named("entry").enumerate() {
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
            Some(id) => format!("entry {} (id {})", index + 1, short_id(id)),
            None => format!("entry {}", index + 1),
        };
        feed.listings.push(
            entry_to_paper(entry, raw_id.as_deref())
                .map(Listing::paper_only)
                .map_err(|reason| Rejected { location, reason }),
        );
    }
    Ok(feed)
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

/// A minimal XML tree: elements by local name (namespace prefixes dropped),
/// attributes, and text. The arXiv documents are small (a few MB at most)
/// and regular, so reading them whole keeps the parsers simple.
pub(crate) mod xml {
    use quick_xml::Reader;
    use quick_xml::events::{BytesStart, Event};

    use crate::SourceError;

    #[derive(Debug)]
    pub(crate) struct Element {
        /// Local name, without namespace prefix.
        pub name: String,
        /// Attributes by local name (namespace declarations left out).
        pub attrs: Vec<(String, String)>,
        pub children: Vec<Node>,
    }

    #[derive(Debug)]
    pub(crate) enum Node {
        Element(Element),
        Text(String),
    }

    impl Element {
        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }

        pub fn elements(&self) -> impl Iterator<Item = &Element> {
            self.children.iter().filter_map(|n| match n {
                Node::Element(e) => Some(e),
                Node::Text(_) => None,
            })
        }

        pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
            self.elements().filter(move |e| e.name == name)
        }

        pub fn child(&self, name: &str) -> Option<&Element> {
            self.elements().find(|e| e.name == name)
        }

        /// All text inside, in document order.
        pub fn text(&self) -> String {
            let mut out = String::new();
            self.push_text(&mut out);
            out
        }

        fn push_text(&self, out: &mut String) {
            for node in &self.children {
                match node {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(e) => e.push_text(out),
                }
            }
        }

        /// The text of the first child element with that name.
        pub fn child_text(&self, name: &str) -> Option<String> {
            self.child(name).map(Element::text)
        }
    }

    /// Reads a whole document and returns its root element.
    ///
    /// `expected` describes the document wanted ("an Atom <feed> from the
    /// arXiv API") for the error given when there is no root element at all.
    pub(crate) fn parse(input: &str, expected: &str) -> Result<Element, SourceError> {
        let mut reader = Reader::from_str(input);
        let mut stack: Vec<Element> = Vec::new();
        let mut root: Option<Element> = None;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| malformed(input, reader.error_position() as usize, e.to_string()))?;
            let position = reader.buffer_position() as usize;
            match event {
                Event::Start(start) => {
                    check_single_root(input, &root, position)?;
                    stack.push(element(input, &start, position)?);
                }
                Event::Empty(start) => {
                    check_single_root(input, &root, position)?;
                    let el = element(input, &start, position)?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                }
                Event::End(_) => {
                    // quick-xml has checked that the names match.
                    if let Some(el) = stack.pop() {
                        match stack.last_mut() {
                            Some(parent) => parent.children.push(Node::Element(el)),
                            None => root = Some(el),
                        }
                    }
                }
                Event::Text(text) => {
                    let text = text
                        .unescape()
                        .map_err(|e| malformed(input, position, e.to_string()))?;
                    match stack.last_mut() {
                        Some(parent) => {
                            if !text.trim().is_empty() || has_text_sibling(parent) {
                                parent.children.push(Node::Text(text.into_owned()));
                            }
                        }
                        None if text.trim().is_empty() => {}
                        None if root.is_some() => {
                            return Err(malformed(
                                input,
                                position,
                                "text after the end of the root element".to_string(),
                            ));
                        }
                        None => {
                            return Err(SourceError::Unexpected(format!(
                                "expected {expected}, found text {:?}",
                                clip(text.trim())
                            )));
                        }
                    }
                }
                Event::CData(data) => {
                    let text = String::from_utf8_lossy(&data.into_inner()).into_owned();
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(Node::Text(text));
                    }
                }
                Event::Eof => break,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
        if let Some(open) = stack.last() {
            return Err(malformed(
                input,
                input.len(),
                format!(
                    "the document ends before <{}> is closed: it looks truncated",
                    open.name
                ),
            ));
        }
        root.ok_or_else(|| {
            SourceError::Unexpected(format!("expected {expected}, found an empty document"))
        })
    }

    /// Keeps white space that sits next to real text (mixed content), drops
    /// the indentation between elements.
    fn has_text_sibling(parent: &Element) -> bool {
        matches!(parent.children.last(), Some(Node::Text(_)))
    }

    fn check_single_root(
        input: &str,
        root: &Option<Element>,
        position: usize,
    ) -> Result<(), SourceError> {
        if root.is_some() {
            Err(malformed(
                input,
                position,
                "a second root element after the end of the first".to_string(),
            ))
        } else {
            Ok(())
        }
    }

    fn element(input: &str, start: &BytesStart, position: usize) -> Result<Element, SourceError> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut attrs = Vec::new();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| malformed(input, position, e.to_string()))?;
            let key = attr.key;
            if key.as_ref() == b"xmlns" || key.prefix().is_some_and(|p| p.as_ref() == b"xmlns") {
                continue;
            }
            let value = attr
                .unescape_value()
                .map_err(|e| malformed(input, position, e.to_string()))?;
            attrs.push((
                String::from_utf8_lossy(key.local_name().as_ref()).into_owned(),
                value.into_owned(),
            ));
        }
        Ok(Element {
            name,
            attrs,
            children: Vec::new(),
        })
    }

    fn clip(s: &str) -> String {
        let mut out: String = s.chars().take(80).collect();
        if out.len() < s.len() {
            out.push('…');
        }
        out
    }

    /// A [`SourceError::Malformed`] for XML, with the 1-based line and column
    /// (in characters) of byte offset `position`.
    pub(crate) fn malformed(input: &str, position: usize, message: String) -> SourceError {
        let (line, column) = line_column(input, position);
        SourceError::Malformed {
            format: "XML",
            line,
            column,
            message,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_column(input: &str, position: usize) -> (u64, u64) {
        let mut position = position.min(input.len());
        while !input.is_char_boundary(position) {
            position -= 1;
        }
        let before = &input[..position];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line as u64, column as u64)
    }
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

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(xml::line_column("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(xml::line_column("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(xml::line_column("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(xml::line_column("ab", 99), (1, 3));
    }
}
