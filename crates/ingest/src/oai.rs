//! arXiv OAI-PMH `ListRecords` and `GetRecord` responses, in the `arXiv` and
//! `oai_dc` metadata formats (detected per record), with the resumption token
//! that pages through a harvest. Records are read one at a time
//! ([`OaiReader`]), so memory stays bounded whatever the size of the page,
//! and a record over a size limit of [`dailypapers_domain::limits`] is
//! rejected.

use std::io::BufRead;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use dailypapers_domain::limits::{ABSTRACT_CHARS, TITLE_CHARS};
use dailypapers_domain::paper::collapse_whitespace;
use dailypapers_domain::{ArxivId, Author, Listing, Paper};

use crate::limit::within_limits;
use crate::snapshot::detex;
use crate::xml::{self, Element, Records, Split, XmlStream};
use crate::{Rejected, SourceError};

/// One page of an OAI-PMH harvest.
#[derive(Debug, Clone, PartialEq)]
pub struct OaiPage {
    /// One item per record that is not deleted, in document order.
    pub listings: Vec<Result<Listing, Rejected>>,
    /// Token for the next page; `None` when the list is complete.
    pub resumption_token: Option<String>,
    /// `completeListSize`: records in the whole harvest, when the server says.
    pub complete_list_size: Option<u64>,
    /// `cursor`: 0-based position of this page's first record in the harvest.
    pub cursor: Option<u64>,
}

const EXPECTED: &str = "an OAI-PMH ListRecords or GetRecord response";

/// Parses an OAI-PMH `ListRecords` or `GetRecord` response.
///
/// `noRecordsMatch` is an empty, complete page; any other OAI-PMH `<error>` is
/// [`SourceError::Service`]; other verbs (`Identify`, `ListSets`, …) are
/// [`SourceError::Unexpected`]. Deleted records are skipped.
pub fn parse(input: &str) -> Result<OaiPage, SourceError> {
    let (listings, mut page) = OaiReader::new(input.as_bytes()).read_all()?;
    page.listings = listings;
    Ok(page)
}

/// Reads an OAI-PMH response one record at a time, from any [`BufRead`], so
/// memory stays bounded whatever its size. As with
/// [`AtomReader`](crate::arxiv_atom::AtomReader), records come out before
/// the end of the document is checked: [`OaiReader::check`] reads it whole
/// first when nothing may be stored from a document that cannot be read.
pub struct OaiReader<R: BufRead> {
    stream: XmlStream<R>,
    index: usize,
}

impl<R: BufRead> OaiReader<R> {
    pub fn new(input: R) -> Self {
        let split = Split {
            name: "record",
            depth: 2,
        };
        OaiReader {
            stream: XmlStream::new(input, EXPECTED, Some(split)),
            index: 0,
        }
    }

    /// Bytes of the input read so far.
    pub fn bytes_read(&self) -> u64 {
        self.stream.bytes_read()
    }

    /// The next record that is not deleted, or `None` after the last one.
    pub fn next_record(&mut self) -> Result<Option<Result<Listing, Rejected>>, SourceError> {
        while let Some(record) = self.stream.next_split()? {
            xml::check_root(EXPECTED, "OAI-PMH", self.stream.root_name())?;
            self.index += 1;
            if let Some(listing) = record_listing(&record, self.index) {
                return Ok(Some(listing));
            }
        }
        Ok(None)
    }

    /// Reads the whole document, keeping nothing, and says whether it can be
    /// read: the number of records, or why not.
    pub fn check(self) -> Result<u64, SourceError> {
        self.count_all()
    }

    /// Reads to the end of the document and returns its resumption token
    /// and counts (with no listings), or the error the service reported.
    pub fn finish(self) -> Result<OaiPage, SourceError> {
        let root = self.stream.finish()?;
        xml::check_root(EXPECTED, "OAI-PMH", Some(&root.name))?;
        let mut page = OaiPage {
            listings: Vec::new(),
            resumption_token: None,
            complete_list_size: None,
            cursor: None,
        };

        let errors: Vec<(String, String)> = root
            .children_named("error")
            .map(|e| {
                let code = e.attr("code").unwrap_or("unknown").to_string();
                (code, collapse_whitespace(&e.text()))
            })
            .collect();
        if !errors.is_empty() {
            if errors.iter().all(|(code, _)| code == "noRecordsMatch") {
                return Ok(page);
            }
            let messages: Vec<String> = errors
                .iter()
                .map(|(code, msg)| {
                    if msg.is_empty() {
                        code.clone()
                    } else {
                        format!("{code}: {msg}")
                    }
                })
                .collect();
            return Err(SourceError::Service(messages.join("; ")));
        }

        let body = root
            .elements()
            .find(|e| !matches!(e.name.as_str(), "responseDate" | "request"));
        let body = match body {
            Some(b) if b.name == "ListRecords" || b.name == "GetRecord" => b,
            other => {
                let verb = other
                    .map(|b| b.name.as_str())
                    .or_else(|| root.child("request").and_then(|r| r.attr("verb")))
                    .unwrap_or("none");
                return Err(SourceError::Unexpected(format!(
                    "expected {EXPECTED}, found verb {verb}"
                )));
            }
        };

        if let Some(token) = body.child("resumptionToken") {
            let text = token.text();
            let text = text.trim();
            page.resumption_token = (!text.is_empty()).then(|| text.to_string());
            page.complete_list_size = token
                .attr("completeListSize")
                .and_then(|n| n.trim().parse().ok());
            page.cursor = token.attr("cursor").and_then(|n| n.trim().parse().ok());
        }
        Ok(page)
    }
}

impl<R: BufRead> Records for OaiReader<R> {
    type End = OaiPage;

    fn next_record(&mut self) -> Result<Option<Result<Listing, Rejected>>, SourceError> {
        OaiReader::next_record(self)
    }

    fn end(self) -> Result<OaiPage, SourceError> {
        self.finish()
    }
}

/// One `<record>` (the `index`-th, 1-based) as a listing; `None` when deleted.
fn record_listing(record: &Element, index: usize) -> Option<Result<Listing, Rejected>> {
    let header = record.child("header");
    if header.and_then(|h| h.attr("status")) == Some("deleted") {
        return None;
    }
    let identifier = header
        .and_then(|h| h.child_text("identifier"))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let location = match &identifier {
        Some(id) => format!("record {index} ({id})"),
        None => format!("record {index}"),
    };
    let metadata = record.child("metadata").and_then(|m| m.elements().next());
    let limits = [
        ("title", TITLE_CHARS),
        ("abstract", ABSTRACT_CHARS),
        ("description", ABSTRACT_CHARS),
    ];
    let listing = xml::refuse_oversized(record, "record", metadata, &limits)
        .and_then(|()| record_to_paper(record, identifier.as_deref()))
        .and_then(|paper| {
            within_limits(Listing::paper_only(paper), &location).map_err(|e| e.to_string())
        });
    Some(listing.map_err(|reason| Rejected { location, reason }))
}

fn record_to_paper(record: &Element, identifier: Option<&str>) -> Result<Paper, String> {
    let metadata = record
        .child("metadata")
        .and_then(|m| m.elements().next())
        .ok_or("no <metadata>: expected arXiv or oai_dc metadata in the record")?;
    match metadata.name.as_str() {
        "arXiv" => arxiv_format(metadata, identifier),
        "dc" => dublin_core(metadata, identifier),
        other => Err(format!(
            "unsupported metadata format <{other}>: expected metadataPrefix arXiv or oai_dc"
        )),
    }
}

/// The header identifier `oai:arXiv.org:1303.2033` as an id.
fn header_id(identifier: Option<&str>) -> Option<Result<ArxivId, String>> {
    let raw = identifier?;
    let raw = raw.strip_prefix("oai:arXiv.org:").unwrap_or(raw);
    Some(ArxivId::parse(raw).map_err(|e| format!("invalid header <identifier>: {e}")))
}

/// metadataPrefix `arXiv`.
fn arxiv_format(m: &Element, identifier: Option<&str>) -> Result<Paper, String> {
    let id = match text(m, "id") {
        Some(raw) => ArxivId::parse(&raw).map_err(|e| format!("invalid <id>: {e}"))?,
        None => header_id(identifier)
            .ok_or("missing <id>: expected an arXiv id such as 1412.8544")??,
    };
    let title = text(m, "title").ok_or("missing <title>: expected the paper's title")?;
    let summary = m.child_text("abstract").unwrap_or_default();
    let mut paper = Paper::new(id, &detex(&title), &summary);

    if let Some(authors) = m.child("authors") {
        paper.authors = authors
            .children_named("author")
            .filter_map(|a| {
                let keyname = joined(a, "keyname", " ");
                let name = [
                    joined(a, "forenames", " "),
                    keyname,
                    joined(a, "suffix", " "),
                ]
                .iter()
                .filter(|s| !s.is_empty())
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" ");
                if name.is_empty() {
                    return None;
                }
                let affiliation = joined(a, "affiliation", "; ");
                Some(Author {
                    affiliation: (!affiliation.is_empty()).then_some(affiliation),
                    ..Author::named(detex(&name))
                })
            })
            .collect();
    }
    if let Some(categories) = text(m, "categories") {
        for c in categories.split_whitespace() {
            if !paper.categories.iter().any(|x| x == c) {
                paper.categories.push(c.to_string());
            }
        }
    }
    paper.published_at = date(m, "created")?;
    paper.updated_at = date(m, "updated")?;
    paper.comments = text(m, "comments");
    paper.journal_ref = text(m, "journal-ref");
    paper.doi = text(m, "doi");
    paper.license = text(m, "license");
    Ok(paper)
}

/// metadataPrefix `oai_dc`: Dublin Core as arXiv fills it. Its subjects are
/// display names ("Computer Science - Data Structures and Algorithms"), not
/// category codes, so categories stay empty.
fn dublin_core(m: &Element, identifier: Option<&str>) -> Result<Paper, String> {
    let identifiers: Vec<String> = m
        .children_named("identifier")
        .map(|e| e.text().trim().to_string())
        .collect();
    let from_url = identifiers
        .iter()
        .filter(|i| i.contains("arxiv.org/abs/"))
        .find_map(|i| ArxivId::parse(i).ok());
    let id = match from_url {
        Some(id) => id,
        None => header_id(identifier).ok_or(
            "no arXiv id: expected a <dc:identifier> with an arxiv.org/abs/ URL or a header <identifier>",
        )??,
    };
    let title = text(m, "title").ok_or("missing <dc:title>: expected the paper's title")?;

    let mut descriptions = m.children_named("description").map(|d| d.text());
    let summary = descriptions.next().unwrap_or_default();
    let comments: Vec<String> = descriptions
        .filter_map(|d| {
            let d = collapse_whitespace(&d);
            d.strip_prefix("Comment:").map(|c| c.trim().to_string())
        })
        .filter(|c| !c.is_empty())
        .collect();

    let mut paper = Paper::new(id, &detex(&title), &summary);
    paper.authors = m
        .children_named("creator")
        .filter_map(|c| {
            let raw = collapse_whitespace(&c.text());
            let name = match raw.split_once(", ") {
                // "Keyname, Forenames[, Suffix]" → "Forenames Keyname[ Suffix]"
                Some((keyname, rest)) => match rest.split_once(", ") {
                    Some((forenames, suffix)) => format!("{forenames} {keyname} {suffix}"),
                    None => format!("{rest} {keyname}"),
                },
                None => raw,
            };
            (!name.trim().is_empty()).then(|| Author::named(detex(&name)))
        })
        .collect();

    let dates: Vec<String> = m
        .children_named("date")
        .map(|d| d.text().trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    if let Some(first) = dates.first() {
        paper.published_at = Some(parse_day(first, "<dc:date>")?);
    }
    if let Some(last) = dates.get(1..).and_then(<[String]>::last) {
        paper.updated_at = Some(parse_day(last, "<dc:date>")?);
    }
    paper.comments = (!comments.is_empty()).then(|| comments.join("; "));
    paper.doi = identifiers
        .iter()
        .find_map(|i| i.strip_prefix("doi:").map(|d| d.trim().to_string()));
    paper.license = text(m, "rights");
    Ok(paper)
}

/// The collapsed text of the first child with that name, if not empty.
fn text(m: &Element, name: &str) -> Option<String> {
    m.child_text(name)
        .map(|t| collapse_whitespace(&t))
        .filter(|t| !t.is_empty())
}

/// The texts of every child with that name, joined.
fn joined(m: &Element, name: &str, separator: &str) -> String {
    m.children_named(name)
        .map(|e| collapse_whitespace(&e.text()))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

fn date(m: &Element, name: &str) -> Result<Option<DateTime<Utc>>, String> {
    text(m, name)
        .map(|d| parse_day(&d, &format!("<{name}>")))
        .transpose()
}

/// `2014-12-29` → midnight UTC that day.
fn parse_day(s: &str, field: &str) -> Result<DateTime<Utc>, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .map_err(|_| format!("invalid {field} {s:?}: expected YYYY-MM-DD, e.g. 2014-12-29"))
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/arxiv-oai/",
                $name
            ))
        };
    }

    fn papers(page: &OaiPage) -> Vec<&Paper> {
        page.listings
            .iter()
            .map(|l| &l.as_ref().expect("fixture record parses").paper)
            .collect()
    }

    fn day(s: &str) -> DateTime<Utc> {
        format!("{s}T00:00:00Z").parse().unwrap()
    }

    #[test]
    fn a_record_over_a_limit_is_rejected_by_identifier_and_field() {
        let xml = fixture!("oai_dc-cs-listrecords-5-with-resumption.xml");
        let huge = xml.replacen(
            "<dc:description> This summary",
            &format!("<dc:description>{} This summary", "x".repeat(1 << 20)),
            1,
        );
        let page = parse(&huge).unwrap();
        let err = page.listings[0].as_ref().unwrap_err();
        assert!(
            err.location.starts_with("record 1 (oai:arXiv.org:"),
            "{err}"
        );
        assert!(err.reason.starts_with("<description> is 1,0"), "{err}");
        assert!(page.listings[1..].iter().all(Result::is_ok));
        assert!(page.resumption_token.is_some());
        // Streamed in tiny pieces, the same page.
        let mut reader = OaiReader::new(std::io::BufReader::with_capacity(5, huge.as_bytes()));
        let mut listings = Vec::new();
        while let Some(l) = reader.next_record().unwrap() {
            listings.push(l);
        }
        let mut streamed = reader.finish().unwrap();
        streamed.listings = listings;
        assert_eq!(streamed, page);
    }

    #[test]
    fn list_records_in_arxiv_format() {
        let page = parse(fixture!(
            "paperhive_oaipmh-listrecords---should-list-identifiers-from-arxiv_1.xml"
        ))
        .unwrap();
        assert_eq!(page.resumption_token, None);
        let papers = papers(&page);
        assert_eq!(papers.len(), 2);

        let p = papers[0];
        assert_eq!(p.id.as_str(), "1412.8544");
        assert_eq!(p.version, None);
        assert_eq!(
            p.title,
            "A Kochen-Specker system has at least 22 vectors (extended abstract)"
        );
        assert!(
            p.summary
                .starts_with("At the heart of the Conway-Kochen Free Will theorem")
        );
        assert!(p.summary.ends_with("improve the lower bound to 22."));
        assert_eq!(p.authors.len(), 2);
        assert_eq!(p.authors[0].name, "Sander Uijlen");
        assert_eq!(
            p.authors[0].affiliation.as_deref(),
            Some("Radboud Universiteit")
        );
        assert_eq!(p.authors[1].name, "Bas Westerbaan");
        assert_eq!(p.categories, vec!["cs.DM"]);
        assert_eq!(p.published_at, Some(day("2014-12-29")));
        assert_eq!(p.updated_at, None);
        assert_eq!(
            p.comments.as_deref(),
            Some("In Proceedings QPL 2014, arXiv:1412.8102")
        );
        assert_eq!(
            p.journal_ref.as_deref(),
            Some("EPTCS 172, 2014, pp. 154-164")
        );
        assert_eq!(p.doi.as_deref(), Some("10.4204/EPTCS.172.11"));
        assert_eq!(
            p.license.as_deref(),
            Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
        );

        let p = papers[1];
        assert_eq!(p.id.as_str(), "hep-th/9504118");
        assert_eq!(p.authors[0].name, "M. Requardt");
        assert_eq!(p.categories, vec!["hep-th"]);
        assert!(p.summary.contains("the \"strength\" of the bonds"));
    }

    #[test]
    fn the_200_body_of_the_recorded_exchange_is_the_same_page() {
        let recording: serde_json::Value =
            serde_json::from_str(fixture!("listrecords-with-503-retry-after.nock.json")).unwrap();
        let exchanges = recording.as_array().unwrap();
        assert_eq!(exchanges[0]["status"], 503);
        // The 503 body is HTML, not an OAI-PMH document.
        let html = exchanges[0]["response"].as_str().unwrap();
        assert!(matches!(parse(html), Err(SourceError::Unexpected(m)) if m.contains("<html>")));
        assert_eq!(exchanges[1]["status"], 200);
        let page = parse(exchanges[1]["response"].as_str().unwrap()).unwrap();
        let ids: Vec<_> = papers(&page).iter().map(|p| p.id.to_string()).collect();
        assert_eq!(ids, ["1412.8544", "hep-th/9504118"]);
    }

    #[test]
    fn oai_dc_with_a_resumption_token() {
        let page = parse(fixture!("oai_dc-cs-listrecords-5-with-resumption.xml")).unwrap();
        assert_eq!(page.resumption_token.as_deref(), Some("6960524|1001"));
        assert_eq!(page.complete_list_size, Some(1162));
        assert_eq!(page.cursor, Some(0));
        let papers = papers(&page);
        let ids: Vec<_> = papers.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(
            ids,
            [
                "1303.2033",
                "2401.14034",
                "2401.14036",
                "2401.14038",
                "2401.14040"
            ]
        );

        let p = papers[0];
        assert_eq!(p.title, "Extended Fourier analysis of signals");
        assert_eq!(p.authors, vec![Author::named("Vilnis Liepins")]);
        assert!(p.summary.starts_with("This summary of the doctoral thesis"));
        assert_eq!(p.comments.as_deref(), Some("32 pages, 9 figures"));
        assert_eq!(p.published_at, Some(day("2013-03-08")));
        assert_eq!(p.updated_at, Some(day("2024-01-23")));
        // dc:subject holds display names, not codes: no invented categories.
        assert!(p.categories.is_empty());

        let p = papers[1];
        let names: Vec<_> = p.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Chuankun Li",
                "Shuai Li",
                "Yanbo Gao",
                "Ping Chen",
                "Jian Li",
                "Wanqing Li"
            ]
        );
        assert_eq!(p.published_at, Some(day("2024-01-25")));
        assert_eq!(p.updated_at, None);
        assert_eq!(p.comments, None);

        assert_eq!(
            papers[4].title,
            "(Chat)GPT v BERT: Dawn of Justice for Semantic Change Detection"
        );
        assert_eq!(
            papers[4].comments.as_deref(),
            Some("Accepted to the Findings of EACL 2024")
        );
        assert_eq!(papers[3].authors[0].name, "Hai-Xin Zhang");
    }

    #[test]
    fn get_record_with_updated_date_and_many_categories() {
        let page = parse(fixture!(
            "functional__arxiv__fixtures__http_server__records__arxiv-single.xml"
        ))
        .unwrap();
        let [p] = papers(&page)[..] else {
            panic!("one record")
        };
        assert_eq!(p.id.as_str(), "1401.2122");
        assert_eq!(
            p.title,
            "New integrable (3+1)-dimensional systems and contact geometry"
        );
        assert_eq!(p.authors, vec![Author::named("A. Sergyeyev")]);
        assert_eq!(
            p.categories,
            vec![
                "math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI"
            ]
        );
        assert_eq!(p.published_at, Some(day("2014-01-09")));
        assert_eq!(p.updated_at, Some(day("2017-10-23")));
        assert_eq!(p.doi.as_deref(), Some("10.1007/s11005-017-1013-4"));
        assert!(
            p.comments
                .as_deref()
                .unwrap()
                .contains("in this version (v5) the typos")
        );
    }

    #[test]
    fn hepcrawl_list_records() {
        let page = parse(fixture!(
            "functional__arxiv__fixtures__http_server__records__arxiv-physics-hep-th.xml"
        ))
        .unwrap();
        let papers = papers(&page);
        let ids: Vec<_> = papers.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(ids, ["1412.8323", "1507.07790", "1607.01710"]);
        assert_eq!(
            papers[0].title,
            "Toolbox for reconstructing quantum theory from rules on information acquisition"
        );
        assert_eq!(
            papers[0].license.as_deref(),
            Some("http://creativecommons.org/licenses/by/4.0/")
        );
        assert_eq!(papers[2].authors.len(), 5);
        assert_eq!(papers[2].authors[3].name, "A. de Souza Dutra");

        let page = parse(fixture!(
            "functional__arxiv__fixtures__http_server__records__arxiv-physics-hep-ex.xml"
        ))
        .unwrap();
        assert_eq!(page.listings.len(), 3);
        assert!(page.listings.iter().all(Result::is_ok));
    }

    #[test]
    fn hepcrawl_unit_samples_all_parse() {
        let samples = [
            fixture!("unit__responses__arxiv__sample_arxiv_record0.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record1.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record2.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record3.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record4.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record5.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record6.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record7.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record8.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record9.xml"),
            fixture!("unit__responses__arxiv__sample_arxiv_record10.xml"),
        ];
        for (i, xml) in samples.iter().enumerate() {
            let page = parse(xml).unwrap_or_else(|e| panic!("record{i}: {e}"));
            assert_eq!(papers(&page).len(), 1, "record{i}");
        }
        // record0: <arXiv> without namespace declarations, a collaboration
        // as keyname only, and a doi field holding three DOIs.
        let p = papers(&parse(samples[0]).unwrap())[0].clone();
        assert_eq!(p.id.as_str(), "1601.03238");
        assert_eq!(p.authors[0].name, "Planck Collaboration");
        assert_eq!(p.authors[1].name, "Jieci Wang");
        assert_eq!(p.categories[0], "quant-ph");
        assert_eq!(
            p.journal_ref.as_deref(),
            Some("Phys.Rev. D93 (2015) 016005")
        );
        // record5: non-ASCII forenames and affiliations.
        let p = papers(&parse(samples[5]).unwrap())[0].clone();
        assert_eq!(p.authors[0].name, "Günter Burigana");
        assert_eq!(
            p.authors[0].affiliation.as_deref(),
            Some("on behalf of Planck Collaboration")
        );
        // record7: an author with two keynames and two affiliations.
        let p = papers(&parse(samples[7]).unwrap())[0].clone();
        assert_eq!(p.authors[0].name, "Curtis J. Saxton Walton");
        assert_eq!(p.authors[0].affiliation.as_deref(), Some("Technion; DESY"));
        assert_eq!(p.authors.len(), 3);
    }

    #[test]
    fn a_hand_merged_get_record_with_twelve_records() {
        let page = parse(fixture!("unit__responses__arxiv__sample_arxiv_record.xml")).unwrap();
        let papers = papers(&page);
        assert_eq!(papers.len(), 12);
        assert_eq!(papers[0].id.as_str(), "1601.03238");
        assert_eq!(papers[1].id.as_str(), "1512.07978");
    }

    #[test]
    fn other_verbs_are_unexpected() {
        for (xml, verb) in [
            (
                fixture!("paperhive_oaipmh-identify---should-identify-arxiv_0.xml"),
                "Identify",
            ),
            (
                fixture!("paperhive_oaipmh-listsets---should-list-arxiv-sets_0.xml"),
                "ListSets",
            ),
            (
                fixture!(
                    "paperhive_oaipmh-listidentifiers---should-list-identifiers-from-arxiv_0.xml"
                ),
                "ListIdentifiers",
            ),
            (
                fixture!(
                    "paperhive_oaipmh-listmetadataformats---should-list-metadata-formats-for-arxiv_0.xml"
                ),
                "ListMetadataFormats",
            ),
        ] {
            let err = parse(xml).unwrap_err();
            assert_eq!(
                err,
                SourceError::Unexpected(format!(
                    "expected an OAI-PMH ListRecords or GetRecord response, found verb {verb}"
                ))
            );
        }
        let err = parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/arxiv-api/id_1605.08386_s0_m100_199195aa31ad.xml"
        )))
        .unwrap_err();
        assert!(
            matches!(&err, SourceError::Unexpected(m) if m.ends_with("found <feed>")),
            "{err}"
        );
    }

    const ERROR_TEMPLATE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-01-27T17:53:42Z</responseDate>
<request verb="ListRecords">http://export.arxiv.org/oai2</request>
ERROR
</OAI-PMH>"#;

    #[test]
    fn no_records_match_is_an_empty_complete_page() {
        let xml = ERROR_TEMPLATE.replace(
            "ERROR",
            r#"<error code="noRecordsMatch">No records match</error>"#,
        );
        let page = parse(&xml).unwrap();
        assert!(page.listings.is_empty());
        assert_eq!(page.resumption_token, None);
    }

    #[test]
    fn other_oai_errors_are_service_errors() {
        let xml = ERROR_TEMPLATE.replace(
            "ERROR",
            r#"<error code="badResumptionToken">The value of the resumptionToken argument is invalid or expired.</error>"#,
        );
        assert_eq!(
            parse(&xml).unwrap_err(),
            SourceError::Service(
                "badResumptionToken: The value of the resumptionToken argument is invalid or expired.".into()
            )
        );
    }

    #[test]
    fn deleted_records_are_skipped_and_an_empty_token_ends_the_list() {
        let xml = fixture!("oai_dc-cs-listrecords-5-with-resumption.xml")
            .replacen(
                "<record>",
                "<record><header status=\"deleted\"><identifier>oai:arXiv.org:1111.1111</identifier></header></record><record>",
                1,
            )
            .replace(
                r#"<resumptionToken cursor="0" completeListSize="1162">6960524|1001</resumptionToken>"#,
                r#"<resumptionToken cursor="1001" completeListSize="1162"/>"#,
            );
        let page = parse(&xml).unwrap();
        assert_eq!(page.listings.len(), 5);
        assert!(page.listings.iter().all(Result::is_ok));
        assert_eq!(page.resumption_token, None);
        assert_eq!(page.cursor, Some(1001));
        assert_eq!(page.complete_list_size, Some(1162));
    }

    #[test]
    fn a_bad_record_is_rejected_and_the_others_still_parse() {
        let xml =
            fixture!("paperhive_oaipmh-listrecords---should-list-identifiers-from-arxiv_1.xml");
        let bad = xml.replace("<id>1412.8544</id>", "<id>1412.85440</id>");
        let page = parse(&bad).unwrap();
        let rejected = page.listings[0].as_ref().unwrap_err();
        assert_eq!(rejected.location, "record 1 (oai:arXiv.org:1412.8544)");
        assert!(rejected.reason.starts_with("invalid <id>"), "{rejected}");
        assert!(page.listings[1].is_ok());

        let bad = xml.replace(
            "<created>2014-12-29</created>",
            "<created>29/12/2014</created>",
        );
        let rejected = parse(&bad).unwrap().listings.remove(0).unwrap_err();
        assert!(
            rejected.reason.contains("<created> \"29/12/2014\""),
            "{rejected}"
        );

        let bad = xml
            .replacen("<arXiv ", "<arXivRaw ", 1)
            .replacen("</arXiv>", "</arXivRaw>", 1);
        let rejected = parse(&bad).unwrap().listings.remove(0).unwrap_err();
        assert!(
            rejected
                .reason
                .contains("unsupported metadata format <arXivRaw>"),
            "{rejected}"
        );
    }

    #[test]
    fn truncated_pages_are_malformed() {
        let xml = fixture!("oai_dc-cs-listrecords-5-with-resumption.xml");
        let cut = &xml[..xml.len() / 2];
        assert!(matches!(
            parse(cut),
            Err(SourceError::Malformed { format: "XML", line, .. }) if line > 1
        ));
    }
}
