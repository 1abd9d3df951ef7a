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

    /// How recent this record's bibliographic data is: its last update,
    /// then its arXiv version (OAI-PMH records carry dates but no version).
    /// A record that says neither (a community feed) is the least recent.
    fn freshness(&self) -> (Option<DateTime<Utc>>, Option<u32>) {
        (self.updated_at, self.version)
    }

    /// Combines what `incoming` says about this paper with what is already known.
    ///
    /// Each field has an owner, so that the result does not depend on the
    /// order the sources arrive in:
    /// - bibliographic fields (version, title, abstract, categories, update
    ///   date, DOI, journal reference, comments, licence) come from the more
    ///   recent record, by update date and then arXiv version; a less recent
    ///   record only fills gaps (a community feed, which has neither, never
    ///   overrides arXiv);
    /// - community fields (code and project links, stars, organisation,
    ///   discussion, AI summary and keywords) come from whichever record
    ///   has them, the incoming one first;
    /// - upvotes only grow: the larger count wins, so replaying an old
    ///   recording does not take votes away;
    /// - the publication time is the earliest day, at its most precise time;
    /// - authors come from the more recent record, and when both lists are
    ///   matched by name (or, failing that, by position in lists of the same
    ///   length) each author keeps the community id and affiliation either
    ///   record gave.
    pub fn merge(&self, incoming: &Paper) -> Paper {
        debug_assert_eq!(self.id, incoming.id);
        let incoming_wins = incoming.freshness() >= self.freshness();
        let (fresh, stale) = if incoming_wins {
            (incoming, self)
        } else {
            (self, incoming)
        };
        let text = |a: &String, b: &String| if a.is_empty() { b.clone() } else { a.clone() };
        let list =
            |a: &Vec<String>, b: &Vec<String>| if a.is_empty() { b.clone() } else { a.clone() };
        Paper {
            id: self.id.clone(),
            version: fresh.version.or(stale.version),
            title: text(&fresh.title, &stale.title),
            summary: text(&fresh.summary, &stale.summary),
            authors: merge_authors(&fresh.authors, &stale.authors),
            categories: list(&fresh.categories, &stale.categories),
            published_at: earliest(self.published_at, incoming.published_at),
            updated_at: fresh.updated_at.or(stale.updated_at),
            doi: fresh.doi.clone().or_else(|| stale.doi.clone()),
            journal_ref: fresh
                .journal_ref
                .clone()
                .or_else(|| stale.journal_ref.clone()),
            comments: fresh.comments.clone().or_else(|| stale.comments.clone()),
            license: fresh.license.clone().or_else(|| stale.license.clone()),
            github_repo: incoming
                .github_repo
                .clone()
                .or_else(|| self.github_repo.clone()),
            github_stars: incoming.github_stars.or(self.github_stars),
            project_page: incoming
                .project_page
                .clone()
                .or_else(|| self.project_page.clone()),
            upvotes: self.upvotes.max(incoming.upvotes),
            organization: incoming
                .organization
                .clone()
                .or_else(|| self.organization.clone()),
            discussion_id: incoming
                .discussion_id
                .clone()
                .or_else(|| self.discussion_id.clone()),
            ai_summary: incoming
                .ai_summary
                .clone()
                .or_else(|| self.ai_summary.clone()),
            ai_keywords: list(&incoming.ai_keywords, &self.ai_keywords),
        }
    }
}

/// The earlier of two publication times; on the same day, the one that
/// knows the time of day (OAI-PMH gives only dates, the arXiv API seconds).
fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
            let midnight = |t: DateTime<Utc>| t.time() == chrono::NaiveTime::MIN;
            Some(if midnight(a) && !midnight(b) {
                b
            } else if midnight(b) {
                a
            } else {
                a.min(b)
            })
        }
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The fresher record's authors, completed author by author from the other
/// list: from the author at the same place when both lists are as long and
/// it has the same name, else from the one author of that name, else (same
/// lengths) from the author at the same place. A list merged with itself is
/// itself, also when two authors share a name.
fn merge_authors(fresh: &[Author], stale: &[Author]) -> Vec<Author> {
    if fresh.is_empty() {
        return stale.to_vec();
    }
    let key = |a: &Author| -> String {
        a.name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    // Each name with how many authors of the stale list carry it.
    let mut by_name: std::collections::HashMap<String, (usize, &Author)> =
        std::collections::HashMap::new();
    for a in stale {
        by_name.entry(key(a)).or_insert((0, a)).0 += 1;
    }
    let same_length = fresh.len() == stale.len();
    let mut out = fresh.to_vec();
    for (i, a) in out.iter_mut().enumerate() {
        let name = key(a);
        let other = if same_length && key(&stale[i]) == name {
            Some(&stale[i])
        } else {
            match by_name.get(&name) {
                Some(&(1, b)) => Some(b),
                _ => same_length.then(|| &stale[i]),
            }
        };
        let Some(b) = other else { continue };
        if a.hf_id.is_none() {
            a.hf_id = b.hf_id.clone();
            a.hidden = b.hidden;
        }
        if a.affiliation.is_none() {
            a.affiliation = b.affiliation.clone();
        }
    }
    out
}

/// Collapses runs of white space (arXiv wraps titles and abstracts) into one space.
pub fn collapse_whitespace(s: &str) -> String {
    if !s.is_ascii() {
        return s.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    // ASCII: the hot path of bulk imports. Words are copied whole (a
    // memcpy each) between scans for the next whitespace byte.
    let mut out = Vec::with_capacity(s.len());
    // As `char::is_whitespace` on ASCII: `u8::is_ascii_whitespace` leaves
    // out the vertical tab.
    for word in s
        .as_bytes()
        .split(|b| b.is_ascii_whitespace() || *b == 0x0b)
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
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

    fn arxiv_v1() -> Paper {
        let mut p = Paper::new(id("2405.15738v1"), "ConvLLaVA", "Abstract from arXiv");
        p.categories = vec!["cs.CV".into()];
        p.doi = Some("10.1/x".into());
        p.published_at = Some("2024-05-24T17:34:15Z".parse().unwrap());
        p.updated_at = p.published_at;
        p.authors = vec![
            Author {
                affiliation: Some("Tsinghua".into()),
                ..Author::named("Chunjiang Ge")
            },
            Author::named("Sijie Cheng"),
        ];
        p
    }

    fn community() -> Paper {
        let mut p = Paper::new(
            id("2405.15738"),
            "ConvLLaVA (feed title)",
            "Abstract from the feed",
        );
        p.upvotes = Some(32);
        p.github_repo = Some("https://github.com/x/y".into());
        p.published_at = Some("2024-05-24T17:34:15Z".parse().unwrap());
        p.authors = vec![
            Author {
                hf_id: Some("66540321d200a2ecdf784ffe".into()),
                ..Author::named("Chunjiang Ge")
            },
            Author {
                hf_id: Some("66540321d200a2ecdf784fff".into()),
                ..Author::named("Sijie Cheng")
            },
        ];
        p
    }

    #[test]
    fn arxiv_owns_the_bibliography_and_the_feed_owns_the_rest_in_either_order() {
        let one = arxiv_v1().merge(&community());
        let other = community().merge(&arxiv_v1());
        assert_eq!(one, other, "the order sources arrive in does not matter");
        assert_eq!(one.title, "ConvLLaVA");
        assert_eq!(one.summary, "Abstract from arXiv");
        assert_eq!(one.version, Some(1));
        assert_eq!(one.doi.as_deref(), Some("10.1/x"));
        assert_eq!(one.categories, vec!["cs.CV".to_string()]);
        assert_eq!(one.upvotes, Some(32));
        assert_eq!(one.github_repo.as_deref(), Some("https://github.com/x/y"));
        assert_eq!(
            one.authors[0].hf_id.as_deref(),
            Some("66540321d200a2ecdf784ffe")
        );
        assert_eq!(one.authors[0].affiliation.as_deref(), Some("Tsinghua"));
        assert_eq!(
            one.authors[1].hf_id.as_deref(),
            Some("66540321d200a2ecdf784fff")
        );
        // Replaying either source again changes nothing.
        assert_eq!(one.merge(&community()), one);
        assert_eq!(one.merge(&arxiv_v1()), one);
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
        assert_eq!(v1.merge(&v2), merged);
    }

    #[test]
    fn the_later_update_wins_even_without_a_version() {
        let mut stored = Paper::new(id("1412.8544v2"), "Title v2", "S");
        stored.updated_at = Some("2015-01-02T00:00:00Z".parse().unwrap());
        let mut oai = Paper::new(id("1412.8544"), "Title as harvested later", "S");
        oai.updated_at = Some("2015-03-01T00:00:00Z".parse().unwrap());
        // A harvest of later changes updates what the API or snapshot gave...
        let merged = stored.merge(&oai);
        assert_eq!(merged.title, "Title as harvested later");
        assert_eq!(merged.version, Some(2), "the version stays known");
        // ...in either order.
        assert_eq!(oai.merge(&stored), merged);
        // A record with no date at all (the community feed) only fills gaps.
        let feed = Paper::new(id("1412.8544"), "Feed title", "S");
        assert_eq!(stored.merge(&feed).title, "Title v2");
    }

    #[test]
    fn authors_are_matched_by_name_when_the_lists_differ() {
        let mut v2 = arxiv_v1();
        v2.version = Some(2);
        v2.updated_at = Some("2024-06-01T00:00:00Z".parse().unwrap());
        v2.authors.insert(1, Author::named("New Coauthor"));
        let merged = v2.merge(&community());
        assert_eq!(merged.authors.len(), 3);
        assert_eq!(
            merged.authors[0].hf_id.as_deref(),
            Some("66540321d200a2ecdf784ffe")
        );
        assert_eq!(merged.authors[1].hf_id, None);
        assert_eq!(
            merged.authors[2].hf_id.as_deref(),
            Some("66540321d200a2ecdf784fff")
        );
    }

    #[test]
    fn upvotes_only_grow_and_the_precise_publication_time_is_kept() {
        let mut newer = community();
        newer.upvotes = Some(40);
        assert_eq!(newer.merge(&community()).upvotes, Some(40));
        let mut oai = arxiv_v1();
        oai.published_at = Some("2024-05-24T00:00:00Z".parse().unwrap());
        let atom = arxiv_v1();
        let t = atom.published_at;
        assert_eq!(oai.merge(&atom).published_at, t);
        assert_eq!(atom.merge(&oai).published_at, t);
        let mut earlier = arxiv_v1();
        earlier.published_at = Some("2024-05-20T00:00:00Z".parse().unwrap());
        assert_eq!(atom.merge(&earlier).published_at, earlier.published_at);
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
            ("v\x0btab", "v tab"),
            ("\r\n\x0c a \x0b", "a"),
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
        // Two authors of one name, only the second known to the community
        // feed: each keeps what it has.
        let author = |hf_id: Option<&str>, affiliation: Option<&str>| Author {
            name: "Yang Liu".into(),
            hf_id: hf_id.map(Into::into),
            hidden: hf_id.is_some(),
            affiliation: affiliation.map(Into::into),
        };
        p.authors = vec![author(None, None), author(Some("x"), Some("MIT"))];
        assert_eq!(p.merge(&p), p);
    }

    #[test]
    fn a_shared_name_completes_an_author_only_from_the_same_place() {
        let named = |name: &str, hf_id: Option<&str>| Author {
            name: name.into(),
            hf_id: hf_id.map(Into::into),
            hidden: false,
            affiliation: None,
        };
        let fresh = [named("Yang Liu", None), named("Ana Ruiz", None)];
        let stale = [
            named("Ana Ruiz", Some("ana")),
            named("Yang Liu", Some("y1")),
            named("Yang Liu", Some("y2")),
        ];
        let merged = merge_authors(&fresh, &stale);
        // Lists of other lengths: the one Ana Ruiz is matched by name;
        // which of the two Yang Lius this one is cannot be told.
        assert_eq!(merged[1].hf_id.as_deref(), Some("ana"));
        assert_eq!(merged[0].hf_id, None);
        // Same lengths: the author at the same place, when the name agrees.
        let fresh = [named("Yang Liu", None), named("Yang Liu", None)];
        let stale = [named("Yang Liu", Some("y1")), named("Yang Liu", Some("y2"))];
        let merged = merge_authors(&fresh, &stale);
        assert_eq!(merged[0].hf_id.as_deref(), Some("y1"));
        assert_eq!(merged[1].hf_id.as_deref(), Some("y2"));
    }
}
