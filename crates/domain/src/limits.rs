//! Size limits of every field of a paper and of a feed listing, in one place,
//! and what happens to a record over them. No I/O: the sources apply these
//! numbers while reading, and the pages apply them again when rendering.
//!
//! A real abstract is under 2 KB and a real title under 300 characters, so the
//! limits sit far above anything real and far below anything that could hurt
//! the server (memory while embedding, the size of a page):
//!
//! | field | limit | over it |
//! |---|---|---|
//! | title | 1,000 characters | the record is **rejected** |
//! | abstract | 10,000 characters | the record is **rejected** |
//! | authors | 5,000 names | the list is **cut** to the first 5,000 |
//! | author name | 300 characters | **cut**, ending with `…` |
//! | affiliation | 500 characters | **cut**, ending with `…` |
//! | comments | 1,000 characters | **cut**, ending with `…` |
//! | journal reference | 500 characters | **cut**, ending with `…` |
//! | AI summary | 2,000 characters | **cut**, ending with `…` |
//! | organisation or submitter display name | 200 characters | **cut**, ending with `…` |
//! | categories | 50, each up to 64 characters | longer ones **dropped**, the list **cut** |
//! | AI keywords | 50, each up to 100 characters | longer ones **dropped**, the list **cut** |
//! | media URLs | 20 | the list **cut** |
//! | identifiers (DOI, community ids, handles) | 300 characters | the value is **dropped** |
//! | links (code, project page, licence, thumbnail, avatar, media) | 2,000 characters | the link is **dropped** |
//!
//! An absurd title or abstract says the record is not a paper, so it is
//! rejected with a message naming the field, its size and the limit. Every
//! other field is secondary: what is over its limit is cut (text ends with
//! `…`, so a reader sees it was cut) or dropped, each cut is reported as a
//! [`Cut`], and the record is kept. Sizes are counted in characters after
//! white space is collapsed.
//!
//! What members write has limits too, refused with a 400 naming the field
//! rather than cut: a collection's title ([`COLLECTION_TITLE_CHARS`]),
//! description and note, the papers in a collection and the collections of
//! a member.
//!
//! Whole inputs have limits too: a snapshot line is at most
//! [`RECORD_LINE_BYTES`] (1 MiB; a longer line is skipped without being held
//! and rejected), a JSON document or HTTP response read whole at most
//! [`DOCUMENT_BYTES`] (64 MiB), and an XML text node is kept up to
//! [`XML_TEXT_BYTES`] (256 KiB) while the rest of it is skipped unread, and
//! an XML record (an Atom entry, an OAI-PMH record) keeps at most
//! [`XML_RECORD_BYTES`] (4 MiB) of text in [`XML_RECORD_NODES`] (100,000)
//! nodes, else it is rejected; so that no input, whatever its size, is held
//! in memory.

use std::fmt;

use crate::{Author, FeedEntry, Listing, Organization, Paper};

/// Longest title, in characters; over it the record is rejected.
pub const TITLE_CHARS: usize = 1_000;
/// Longest abstract, in characters; over it the record is rejected.
pub const ABSTRACT_CHARS: usize = 10_000;
/// Most authors kept; the rest of a longer list is cut.
pub const AUTHORS: usize = 5_000;
/// Longest author name, in characters (cut).
pub const AUTHOR_NAME_CHARS: usize = 300;
/// Longest affiliation, in characters (cut).
pub const AFFILIATION_CHARS: usize = 500;
/// Longest comments field ("12 pages, 3 figures"), in characters (cut).
pub const COMMENTS_CHARS: usize = 1_000;
/// Longest journal reference, in characters (cut).
pub const JOURNAL_REF_CHARS: usize = 500;
/// Longest AI summary, in characters (cut).
pub const AI_SUMMARY_CHARS: usize = 2_000;
/// Longest display name of an organisation or a submitter, in characters (cut).
pub const DISPLAY_NAME_CHARS: usize = 200;
/// Most categories kept.
pub const CATEGORIES: usize = 50;
/// Longest category (`physics.atom-ph`), in characters; longer ones are dropped.
pub const CATEGORY_CHARS: usize = 64;
/// Most AI keywords kept.
pub const AI_KEYWORDS: usize = 50;
/// Longest AI keyword, in characters; longer ones are dropped.
pub const AI_KEYWORD_CHARS: usize = 100;
/// Most media URLs kept.
pub const MEDIA_URLS: usize = 20;
/// Longest identifier (DOI, community ids, user and organisation handles), in
/// characters; a longer one is dropped, since a cut identifier is wrong.
pub const IDENTIFIER_CHARS: usize = 300;
/// Longest link, in characters; a longer one is dropped.
pub const URL_CHARS: usize = 2_000;

/// Longest collection title, in characters: a title is a line, not a
/// paragraph (refused with a 400 naming `title`).
pub const COLLECTION_TITLE_CHARS: usize = 150;
/// Longest collection description, in characters (upstream's limit).
pub const COLLECTION_DESCRIPTION_CHARS: usize = 150;
/// Longest note on a paper in a collection, in characters (upstream's limit).
pub const COLLECTION_NOTE_CHARS: usize = 500;
/// Most papers in one collection: its page lists them all, so it stays a
/// page of a few megabytes at the most.
pub const COLLECTION_ITEMS: usize = 1_000;
/// Most collections one member keeps: their list is one page.
pub const COLLECTIONS_PER_MEMBER: usize = 500;

/// Longest line of a snapshot (one record), in bytes, newline excluded.
pub const RECORD_LINE_BYTES: usize = 1 << 20;
/// Largest document read whole (a JSON file, an HTTP response body), in bytes.
pub const DOCUMENT_BYTES: usize = 64 << 20;
/// Longest XML text node kept, in bytes; the rest is skipped while reading.
pub const XML_TEXT_BYTES: usize = 256 << 10;
/// Longest XML tag (with its attributes), in bytes; a longer one makes the
/// document unreadable.
pub const XML_TAG_BYTES: usize = 64 << 10;
/// Most text, in bytes, kept of one XML record (an Atom entry, an OAI-PMH
/// record); a record over it is rejected.
pub const XML_RECORD_BYTES: usize = 4 << 20;
/// Most elements and text nodes kept of one XML record; a record over it is
/// rejected.
pub const XML_RECORD_NODES: usize = 100_000;

/// What a size is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Characters,
    Bytes,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Characters => "characters",
            Unit::Bytes => "bytes",
        }
    }
}

/// A field over a limit that rejects the record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{field} is {} {} long, over the limit of {} {}",
    thousands(*.size), .size_unit.name(), thousands(*.limit), .limit_unit.name()
)]
pub struct Oversize {
    /// The field, named as in the source ("abstract", "title").
    pub field: String,
    pub size: u64,
    pub size_unit: Unit,
    pub limit: u64,
    pub limit_unit: Unit,
}

impl Oversize {
    /// A text field over a limit in characters.
    pub fn chars(field: impl Into<String>, size: usize, limit: usize) -> Self {
        Oversize {
            field: field.into(),
            size: size as u64,
            size_unit: Unit::Characters,
            limit: limit as u64,
            limit_unit: Unit::Characters,
        }
    }

    /// A text field whose size is known only in bytes (read in part: the rest
    /// was skipped), over a limit in characters.
    pub fn bytes_of_chars(field: impl Into<String>, bytes: u64, limit: usize) -> Self {
        Oversize {
            field: field.into(),
            size: bytes,
            size_unit: Unit::Bytes,
            limit: limit as u64,
            limit_unit: Unit::Characters,
        }
    }

    /// The field under the source's own name (`paper.summary`, `<summary>`).
    pub fn named(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

/// A field that was over its limit and was cut or dropped; the record was kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    pub field: &'static str,
    /// Its size before (characters, or items for a list).
    pub size: usize,
    pub limit: usize,
    /// True when the value was dropped rather than cut.
    pub dropped: bool,
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (size, limit) = (thousands(self.size as u64), thousands(self.limit as u64));
        if self.dropped {
            write!(
                f,
                "{} dropped: {size} long, over the limit of {limit}",
                self.field
            )
        } else {
            write!(f, "{} cut from {size} to {limit}", self.field)
        }
    }
}

/// `52428800` → `52,428,800`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Checks raw text (before white space is collapsed) against a limit in
/// characters, without copying it: only what the limit needs is looked at,
/// and the size reported is the raw text's.
pub fn check_text(field: &str, raw: &str, limit: usize) -> Result<(), Oversize> {
    if raw.len() <= limit {
        return Ok(());
    }
    // Collapsed, the text has at most this many characters; stop counting
    // as soon as it is over.
    let mut count = 0usize;
    let mut gap = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            gap = count > 0;
        } else {
            count += 1 + usize::from(gap);
            gap = false;
            if count > limit {
                return Err(Oversize::chars(field, raw.chars().count(), limit));
            }
        }
    }
    Ok(())
}

/// `text` cut to at most `limit` characters at a character boundary, the last
/// of which is `…` when something was cut. `None` when it fits.
pub fn cut_text(text: &str, limit: usize) -> Option<String> {
    if text.len() <= limit {
        return None;
    }
    let (end, _) = text.char_indices().nth(limit)?;
    let keep = text[..end]
        .char_indices()
        .nth(limit.saturating_sub(1))
        .map_or(end, |(i, _)| i);
    let mut out = String::with_capacity(keep + 3);
    out.push_str(text[..keep].trim_end());
    out.push('…');
    Some(out)
}

/// A text that may be shown: `text` itself when within `limit`, else cut.
pub fn shown(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    match cut_text(text, limit) {
        Some(cut) => std::borrow::Cow::Owned(cut),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// About how many bytes a listing takes in memory, for batches bounded in
/// size as well as in count.
pub fn approx_bytes(listing: &Listing) -> usize {
    let p = &listing.paper;
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let authors: usize = p
        .authors
        .iter()
        .map(|a| 64 + a.name.len() + text(&a.affiliation) + text(&a.hf_id))
        .sum();
    let lists: usize = p
        .categories
        .iter()
        .chain(&p.ai_keywords)
        .map(|s| 24 + s.len())
        .sum();
    let entry = listing.entry.as_ref().map_or(0, |e| {
        512 + text(&e.thumbnail) + e.media_urls.iter().map(String::len).sum::<usize>()
    });
    512 + p.title.len()
        + p.summary.len()
        + authors
        + lists
        + text(&p.comments)
        + text(&p.journal_ref)
        + text(&p.ai_summary)
        + entry
}

/// Applies every limit to a listing: rejects it when its title or abstract is
/// over the limit, else cuts or drops what is over, and says what it cut.
pub fn enforce(listing: &mut Listing) -> Result<Vec<Cut>, Oversize> {
    let mut cuts = Vec::new();
    enforce_paper(&mut listing.paper, &mut cuts)?;
    if let Some(entry) = &mut listing.entry {
        enforce_entry(entry, &mut cuts);
    }
    Ok(cuts)
}

/// [`enforce`] for a paper alone.
pub fn enforce_paper(paper: &mut Paper, cuts: &mut Vec<Cut>) -> Result<(), Oversize> {
    for (field, text, limit) in [
        ("title", &paper.title, TITLE_CHARS),
        ("abstract", &paper.summary, ABSTRACT_CHARS),
    ] {
        let size = text.chars().count();
        if size > limit {
            return Err(Oversize::chars(field, size, limit));
        }
    }
    let mut c = Cutter(cuts);
    c.list("authors", &mut paper.authors, AUTHORS);
    for author in &mut paper.authors {
        c.author(author);
    }
    c.items(
        "categories",
        &mut paper.categories,
        CATEGORIES,
        CATEGORY_CHARS,
    );
    c.items(
        "AI keywords",
        &mut paper.ai_keywords,
        AI_KEYWORDS,
        AI_KEYWORD_CHARS,
    );
    c.text("comments", &mut paper.comments, COMMENTS_CHARS);
    c.text(
        "journal reference",
        &mut paper.journal_ref,
        JOURNAL_REF_CHARS,
    );
    c.text("AI summary", &mut paper.ai_summary, AI_SUMMARY_CHARS);
    c.drop_long("DOI", &mut paper.doi, IDENTIFIER_CHARS);
    c.drop_long("discussion id", &mut paper.discussion_id, IDENTIFIER_CHARS);
    c.drop_long("licence", &mut paper.license, URL_CHARS);
    c.drop_long("GitHub link", &mut paper.github_repo, URL_CHARS);
    c.drop_long("project page", &mut paper.project_page, URL_CHARS);
    c.organization(&mut paper.organization);
    Ok(())
}

fn enforce_entry(entry: &mut FeedEntry, cuts: &mut Vec<Cut>) {
    let mut c = Cutter(cuts);
    c.drop_long("thumbnail", &mut entry.thumbnail, URL_CHARS);
    c.list("media URLs", &mut entry.media_urls, MEDIA_URLS);
    let before = entry.media_urls.len();
    entry.media_urls.retain(|u| u.chars().count() <= URL_CHARS);
    if entry.media_urls.len() < before {
        c.0.push(Cut {
            field: "media URL",
            size: before - entry.media_urls.len(),
            limit: URL_CHARS,
            dropped: true,
        });
    }
    c.organization(&mut entry.organization);
    c.organization(&mut entry.submitter_organization);
    if let Some(s) = &mut entry.submitted_by {
        if s.user.chars().count() > IDENTIFIER_CHARS {
            c.0.push(Cut {
                field: "submitter",
                size: s.user.chars().count(),
                limit: IDENTIFIER_CHARS,
                dropped: true,
            });
            entry.submitted_by = None;
        } else {
            c.text("submitter name", &mut s.fullname, DISPLAY_NAME_CHARS);
            c.drop_long("submitter id", &mut s.hf_id, IDENTIFIER_CHARS);
            c.drop_long("submitter avatar", &mut s.avatar_url, URL_CHARS);
        }
    }
}

/// Applies cuts and records them.
struct Cutter<'a>(&'a mut Vec<Cut>);

impl Cutter<'_> {
    fn list<T>(&mut self, field: &'static str, list: &mut Vec<T>, limit: usize) {
        if list.len() > limit {
            self.0.push(Cut {
                field,
                size: list.len(),
                limit,
                dropped: false,
            });
            list.truncate(limit);
        }
    }

    /// A list of short strings: longer ones dropped, then the list cut.
    fn items(&mut self, field: &'static str, list: &mut Vec<String>, limit: usize, chars: usize) {
        let before = list.len();
        list.retain(|s| s.chars().count() <= chars);
        if list.len() < before {
            self.0.push(Cut {
                field,
                size: before - list.len(),
                limit: chars,
                dropped: true,
            });
        }
        self.list(field, list, limit);
    }

    fn text_in(&mut self, field: &'static str, text: &mut String, limit: usize) {
        if let Some(cut) = cut_text(text, limit) {
            self.0.push(Cut {
                field,
                size: text.chars().count(),
                limit,
                dropped: false,
            });
            *text = cut;
        }
    }

    fn text(&mut self, field: &'static str, text: &mut Option<String>, limit: usize) {
        if let Some(t) = text {
            self.text_in(field, t, limit);
        }
    }

    fn drop_long(&mut self, field: &'static str, value: &mut Option<String>, limit: usize) {
        let size = value.as_deref().map_or(0, |v| v.chars().count());
        if size > limit {
            self.0.push(Cut {
                field,
                size,
                limit,
                dropped: true,
            });
            *value = None;
        }
    }

    fn author(&mut self, author: &mut Author) {
        self.text_in("author name", &mut author.name, AUTHOR_NAME_CHARS);
        self.text("affiliation", &mut author.affiliation, AFFILIATION_CHARS);
        self.drop_long("author id", &mut author.hf_id, IDENTIFIER_CHARS);
    }

    fn organization(&mut self, org: &mut Option<Organization>) {
        let Some(o) = org else { return };
        let size = o.name.chars().count();
        if size > IDENTIFIER_CHARS {
            self.0.push(Cut {
                field: "organisation",
                size,
                limit: IDENTIFIER_CHARS,
                dropped: true,
            });
            *org = None;
            return;
        }
        self.text_in("organisation name", &mut o.fullname, DISPLAY_NAME_CHARS);
        self.drop_long("organisation id", &mut o.hf_id, IDENTIFIER_CHARS);
        self.drop_long("organisation avatar", &mut o.avatar, URL_CHARS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArxivId;

    fn paper() -> Paper {
        let id: ArxivId = "2104.12255".parse().unwrap();
        Paper::new(id, "A title", "An abstract")
    }

    #[test]
    fn a_title_or_abstract_over_the_limit_rejects_the_record() {
        let mut p = paper();
        p.summary = "x".repeat(ABSTRACT_CHARS);
        assert_eq!(enforce(&mut Listing::paper_only(p.clone())), Ok(vec![]));
        p.summary.push('y');
        let err = enforce(&mut Listing::paper_only(p)).unwrap_err();
        assert_eq!(
            err,
            Oversize::chars("abstract", ABSTRACT_CHARS + 1, ABSTRACT_CHARS)
        );
        assert_eq!(
            err.to_string(),
            "abstract is 10,001 characters long, over the limit of 10,000 characters"
        );
        let mut p = paper();
        p.title = "é".repeat(TITLE_CHARS + 5);
        let err = enforce(&mut Listing::paper_only(p)).unwrap_err();
        assert_eq!(err.field, "title");
        assert_eq!(err.size, 1_005);
    }

    #[test]
    fn secondary_fields_are_cut_or_dropped_and_the_record_kept() {
        let mut p = paper();
        p.authors = (0..AUTHORS + 10)
            .map(|i| Author::named(format!("A{i}")))
            .collect();
        p.authors[0].name = "n".repeat(1_000);
        p.comments = Some("c".repeat(5_000));
        p.doi = Some("d".repeat(IDENTIFIER_CHARS + 1));
        p.categories = vec!["cs.CL".into(), "x".repeat(100)];
        let mut listing = Listing::paper_only(p);
        let cuts = enforce(&mut listing).unwrap();
        let p = &listing.paper;
        assert_eq!(p.authors.len(), AUTHORS);
        assert_eq!(p.authors[0].name.chars().count(), AUTHOR_NAME_CHARS);
        assert!(p.authors[0].name.ends_with('…'));
        let comments = p.comments.as_deref().unwrap();
        assert_eq!(comments.chars().count(), COMMENTS_CHARS);
        assert!(comments.ends_with('…'));
        assert_eq!(p.doi, None);
        assert_eq!(p.categories, vec!["cs.CL"]);
        let said: Vec<String> = cuts.iter().map(Cut::to_string).collect();
        assert!(
            said.contains(&"authors cut from 5,010 to 5,000".to_string()),
            "{said:?}"
        );
        assert!(
            said.contains(&"comments cut from 5,000 to 1,000".to_string()),
            "{said:?}"
        );
        assert!(
            said.iter().any(|s| s.starts_with("DOI dropped")),
            "{said:?}"
        );
        // Enforcing again changes nothing: what was cut fits.
        let again = listing.clone();
        assert_eq!(enforce(&mut listing).unwrap(), vec![]);
        assert_eq!(listing, again);
    }

    #[test]
    fn raw_text_is_checked_as_it_will_be_stored() {
        // White space collapses, so wrapped text under the limit passes.
        let wrapped = format!("{}\n", "word    ".repeat(2_000));
        assert!(wrapped.len() > ABSTRACT_CHARS);
        assert_eq!(check_text("abstract", &wrapped, ABSTRACT_CHARS), Ok(()));
        let huge = "word ".repeat(10_000);
        let err = check_text("paper.summary", &huge, ABSTRACT_CHARS).unwrap_err();
        assert_eq!(err.field, "paper.summary");
        assert_eq!(err.size, 50_000);
    }

    #[test]
    fn cut_text_keeps_characters_whole() {
        assert_eq!(cut_text("short", 10), None);
        assert_eq!(cut_text("ééééé", 5), None);
        assert_eq!(cut_text("éééééé", 5).as_deref(), Some("éééé…"));
        assert_eq!(cut_text("abc def ghi", 5).as_deref(), Some("abc…"));
        assert_eq!(shown("fits", 10), "fits");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(209_715_200), "209,715,200");
    }
}
