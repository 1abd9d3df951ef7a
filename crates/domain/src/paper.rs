//! Papers, their authors and organisations, and how records of one paper from
//! several sources merge into one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ArxivId;

/// One research paper, identified by its canonical arXiv id.
///
/// Optional fields are `None` when no source has said anything about them;
/// [`Paper::merge`] combines what several sources say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    /// Canonical id, without version.
    pub id: ArxivId,
    /// Latest arXiv version known (1 for `v1`).
    pub version: Option<u32>,
    /// Title, whitespace collapsed.
    pub title: String,
    /// Abstract, whitespace collapsed.
    pub summary: String,
    /// Authors in the order of the paper.
    pub authors: Vec<Author>,
    /// arXiv categories, the primary one first.
    pub categories: Vec<String>,
    /// First publication on arXiv.
    pub published_at: Option<DateTime<Utc>>,
    /// Last update on arXiv.
    pub updated_at: Option<DateTime<Utc>>,
    pub doi: Option<String>,
    pub journal_ref: Option<String>,
    /// The authors' comments field ("12 pages, 3 figures").
    pub comments: Option<String>,
    /// Licence URL.
    pub license: Option<String>,
    pub github_repo: Option<String>,
    pub github_stars: Option<u32>,
    pub project_page: Option<String>,
    /// Upvote count as last reported by the community feed it came from.
    pub upvotes: Option<u32>,
    /// Organisation the paper is attributed to (the badge on the card).
    pub organization: Option<Organization>,
    /// Hugging Face discussion id, kept so clients can link back.
    pub discussion_id: Option<String>,
    pub ai_summary: Option<String>,
    pub ai_keywords: Vec<String>,
}

/// One author of a paper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
    /// Stable author id from the community feed (`_id`), when it gave one.
    pub hf_id: Option<String>,
    /// Hidden by the author on the community feed.
    #[serde(default)]
    pub hidden: bool,
    pub affiliation: Option<String>,
}

impl Author {
    /// An author known only by name.
    pub fn named(name: impl AsRef<str>) -> Self {
        Author {
            name: collapse_whitespace(name.as_ref()),
            hf_id: None,
            hidden: false,
            affiliation: None,
        }
    }
}

/// An organisation (lab, company, university) papers are attributed to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Short handle, unique: `nvidia`, `ByteDance-Seed`.
    pub name: String,
    /// Display name: `NVIDIA`, `ByteDance Seed`.
    pub fullname: String,
    /// Upstream id (`_id`), when known.
    pub hf_id: Option<String>,
    /// Avatar image URL.
    pub avatar: Option<String>,
}

impl Paper {
    /// A paper with only an id, title and abstract; the rest unknown.
    pub fn new(id: ArxivId, title: &str, summary: &str) -> Self {
        Paper {
            version: id.version(),
            id: id.without_version(),
            title: collapse_whitespace(title),
            summary: collapse_whitespace(summary),
            authors: Vec::new(),
            categories: Vec::new(),
            published_at: None,
            updated_at: None,
            doi: None,
            journal_ref: None,
            comments: None,
            license: None,
            github_repo: None,
            github_stars: None,
            project_page: None,
            upvotes: None,
            organization: None,
            discussion_id: None,
            ai_summary: None,
            ai_keywords: Vec::new(),
        }
    }

    /// The primary arXiv category, if known.
    pub fn primary_category(&self) -> Option<&str> {
        self.categories.first().map(String::as_str)
    }

    /// Combines what `newer` says about this paper with what is already known.
    ///
    /// The rule: a field the incoming record carries replaces the stored one;
    /// a field it lacks keeps the stored value. Two exceptions keep the best
    /// data: a record of an *older* arXiv version only fills gaps, and an
    /// author list without community author ids does not replace one with them.
    pub fn merge(&self, newer: &Paper) -> Paper {
        debug_assert_eq!(self.id, newer.id);
        let older_version = matches!((self.version, newer.version), (Some(a), Some(b)) if b < a);
        let mut out = self.clone();
        macro_rules! take {
            ($field:ident) => {
                if newer.$field.is_some() && (!older_version || out.$field.is_none()) {
                    out.$field = newer.$field.clone();
                }
            };
        }
        macro_rules! take_text {
            ($field:ident) => {
                if !newer.$field.is_empty() && (!older_version || out.$field.is_empty()) {
                    out.$field = newer.$field.clone();
                }
            };
        }
        take!(version);
        take_text!(title);
        take_text!(summary);
        take_text!(categories);
        take_text!(ai_keywords);
        take!(updated_at);
        take!(doi);
        take!(journal_ref);
        take!(comments);
        take!(license);
        take!(github_repo);
        take!(github_stars);
        take!(project_page);
        take!(organization);
        take!(discussion_id);
        take!(ai_summary);
        // Counts and first publication are not versioned: the latest report wins.
        if newer.upvotes.is_some() {
            out.upvotes = newer.upvotes;
        }
        out.published_at = match (self.published_at, newer.published_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let has_ids = |a: &[Author]| a.iter().any(|x| x.hf_id.is_some());
        if !newer.authors.is_empty()
            && (!older_version || out.authors.is_empty())
            && (has_ids(&newer.authors) || !has_ids(&out.authors))
        {
            out.authors = newer.authors.clone();
        }
        out
    }
}

/// Collapses runs of white space (arXiv wraps titles and abstracts) into one space.
pub fn collapse_whitespace(s: &str) -> String {
    if !s.is_ascii() {
        return s.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    // ASCII: one pass over the bytes, the hot path of bulk imports.
    let mut out = Vec::with_capacity(s.len());
    let mut gap = false;
    for &b in s.as_bytes() {
        if b.is_ascii_whitespace() {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(b' ');
                gap = false;
            }
            out.push(b);
        }
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ArxivId {
        s.parse().unwrap()
    }

    #[test]
    fn new_collapses_wrapped_text_and_drops_the_version_from_the_id() {
        let p = Paper::new(
            id("2405.15738v2"),
            "ConvLLaVA: Large Multimodal\n  Models",
            " a\n b ",
        );
        assert_eq!(p.id.as_str(), "2405.15738");
        assert_eq!(p.id.version(), None);
        assert_eq!(p.version, Some(2));
        assert_eq!(p.title, "ConvLLaVA: Large Multimodal Models");
        assert_eq!(p.summary, "a b");
    }

    #[test]
    fn merge_keeps_known_fields_and_takes_new_ones() {
        let mut arxiv = Paper::new(id("2405.15738v1"), "Title", "Abstract");
        arxiv.categories = vec!["cs.CV".into()];
        arxiv.doi = Some("10.1/x".into());
        arxiv.authors = vec![Author::named("A B")];
        let mut hf = Paper::new(id("2405.15738"), "Title", "Abstract");
        hf.upvotes = Some(32);
        hf.github_repo = Some("https://github.com/x/y".into());
        hf.authors = vec![Author {
            hf_id: Some("66540321d200a2ecdf784ffe".into()),
            ..Author::named("A B")
        }];
        let merged = arxiv.merge(&hf);
        assert_eq!(merged.version, Some(1));
        assert_eq!(merged.doi.as_deref(), Some("10.1/x"));
        assert_eq!(merged.categories, vec!["cs.CV".to_string()]);
        assert_eq!(merged.upvotes, Some(32));
        assert_eq!(
            merged.github_repo.as_deref(),
            Some("https://github.com/x/y")
        );
        assert!(merged.authors[0].hf_id.is_some());
        // And the other way round: arXiv data does not drop community ids.
        let merged = hf.merge(&arxiv);
        assert!(merged.authors[0].hf_id.is_some());
        assert_eq!(merged.upvotes, Some(32));
        assert_eq!(merged.doi.as_deref(), Some("10.1/x"));
    }

    #[test]
    fn an_older_version_only_fills_gaps() {
        let mut v2 = Paper::new(id("2104.12255v2"), "New title", "New abstract");
        v2.comments = None;
        let mut v1 = Paper::new(id("2104.12255v1"), "Old title", "Old abstract");
        v1.comments = Some("10 pages".into());
        let merged = v2.merge(&v1);
        assert_eq!(merged.title, "New title");
        assert_eq!(merged.version, Some(2));
        assert_eq!(merged.comments.as_deref(), Some("10 pages"));
        let merged = v1.merge(&v2);
        assert_eq!(merged.title, "New title");
        assert_eq!(merged.version, Some(2));
    }

    #[test]
    fn whitespace_is_collapsed_in_every_shape() {
        for (input, want) in [
            ("plain text", "plain text"),
            ("", ""),
            ("  lead", "lead"),
            ("trail\n", "trail"),
            ("a\n  b", "a b"),
            ("a\tb", "a b"),
            ("a  b", "a b"),
            ("Gr\u{f6}bner\u{a0} bases", "Gr\u{f6}bner bases"),
            ("x\ny", "x y"),
        ] {
            assert_eq!(collapse_whitespace(input), want, "{input:?}");
        }
    }

    #[test]
    fn merging_the_same_record_changes_nothing() {
        let mut p = Paper::new(id("2104.12255v2"), "T", "S");
        p.upvotes = Some(3);
        p.categories = vec!["cs.CR".into()];
        assert_eq!(p.merge(&p), p);
    }
}
