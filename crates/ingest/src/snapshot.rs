//! The Kaggle arXiv metadata snapshot (`arxiv-metadata-oai-snapshot.json`):
//! one JSON object per line, read as a stream with one reused buffer so that
//! memory does not grow with the file. A line is read up to
//! [`RECORD_LINE_BYTES`] (1 MiB): the rest of a longer one is skipped without
//! being kept, and the line is rejected. Also home of [`detex`], the small
//! LaTeX-accent decoder the arXiv parsers share.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::limits::{RECORD_LINE_BYTES, thousands};
use dailypapers_domain::paper::collapse_whitespace;
use dailypapers_domain::{ArxivId, Author, Listing, Paper};
use serde::Deserialize;

use crate::Rejected;
use crate::limit::within_limits;

/// Streams [`Listing`]s out of the snapshot, one line at a time.
///
/// Blank lines are skipped; a line that cannot be read, or is longer than
/// [`RECORD_LINE_BYTES`], yields a [`Rejected`] located by its line number
/// and iteration goes on. A read error yields one [`Rejected`] and ends the
/// iteration.
pub struct SnapshotReader<R: BufRead> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
    bytes_read: u64,
    done: bool,
}

impl<R: BufRead> SnapshotReader<R> {
    pub fn new(reader: R) -> Self {
        SnapshotReader {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            line: 0,
            bytes_read: 0,
            done: false,
        }
    }

    /// The last line read, 1-based (0 before the first).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Bytes consumed so far (for progress against the file size).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

impl<R: BufRead> Iterator for SnapshotReader<R> {
    type Item = Result<Listing, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            // One byte more than a line may hold, to see whether it is longer.
            let mut head = (&mut self.reader).take(RECORD_LINE_BYTES as u64 + 1);
            match head.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(n) => {
                    self.line += 1;
                    self.bytes_read += n as u64;
                    let ends_with_newline = self.buf.last() == Some(&b'\n');
                    if !ends_with_newline && self.buf.len() > RECORD_LINE_BYTES {
                        return Some(self.skip_long_line());
                    }
                    if self.buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(parse_line(&self.buf, ends_with_newline, self.line));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.line += 1;
                    self.done = true;
                    return Some(Err(self.read_error(&e)));
                }
            }
        }
        None
    }
}

impl<R: BufRead> SnapshotReader<R> {
    /// Skips the rest of a line over the limit without keeping it, and
    /// rejects the line, naming its id and the field it was in at the limit
    /// when the part read says.
    fn skip_long_line(&mut self) -> Result<Listing, Rejected> {
        let mut length = self.buf.len() as u64;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Err(self.read_error(&e));
                }
            };
            if available.is_empty() {
                break;
            }
            match memchr::memchr(b'\n', available) {
                Some(end) => {
                    length += end as u64;
                    self.bytes_read += end as u64 + 1;
                    self.reader.consume(end + 1);
                    break;
                }
                None => {
                    let n = available.len();
                    length += n as u64;
                    self.bytes_read += n as u64;
                    self.reader.consume(n);
                }
            }
        }
        let (id, field) = peek_long_line(&self.buf);
        let location = match id {
            Some(id) => format!("line {} ({id})", self.line),
            None => format!("line {}", self.line),
        };
        let field = field.map_or(String::new(), |f| {
            format!(" (at the limit it is in \"{f}\")")
        });
        Err(Rejected {
            location,
            reason: format!(
                "the record is {} bytes long, over the limit of {} bytes for one line{field}; \
                 it was skipped without being read",
                thousands(length),
                thousands(RECORD_LINE_BYTES as u64),
            ),
        })
    }

    fn read_error(&self, e: &std::io::Error) -> Rejected {
        Rejected {
            location: format!("line {}", self.line),
            reason: format!("could not read the file: {e}"),
        }
    }
}

/// What the first bytes of an over-long line say: the record's `"id"`, and
/// the top-level key whose value runs past them.
fn peek_long_line(head: &[u8]) -> (Option<String>, Option<String>) {
    let text = |b: &[u8]| -> String { String::from_utf8_lossy(b).chars().take(40).collect() };
    let (mut id, mut key, mut pending) = (None, None::<&[u8]>, None::<&[u8]>);
    let mut in_value = false;
    let mut depth = 0u32;
    let mut i = 0;
    while i < head.len() {
        match head[i] {
            b'"' => {
                let start = i + 1;
                let mut end = start;
                while end < head.len() && head[end] != b'"' {
                    end += if head[end] == b'\\' { 2 } else { 1 };
                }
                let string = &head[start..end.min(head.len())];
                if depth == 1 && in_value && key == Some(b"id".as_slice()) {
                    id = Some(text(string));
                } else if depth == 1 && !in_value {
                    pending = Some(string);
                }
                i = end;
            }
            b':' if depth == 1 => {
                key = pending.take();
                in_value = true;
            }
            b',' if depth == 1 => in_value = false,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    (id, key.map(text))
}

/// One snapshot line; strings borrow from the line when they have no escapes.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    authors: Option<Cow<'a, str>>,
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    comments: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "journal-ref")]
    journal_ref: Option<Cow<'a, str>>,
    #[serde(borrow)]
    doi: Option<Cow<'a, str>>,
    #[serde(borrow)]
    categories: Option<Cow<'a, str>>,
    #[serde(borrow)]
    license: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "abstract")]
    summary: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    versions: Option<Vec<Version<'a>>>,
    #[serde(borrow)]
    update_date: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    authors_parsed: Option<Vec<Vec<Cow<'a, str>>>>,
}

#[derive(Deserialize)]
struct Version<'a> {
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created: Option<Cow<'a, str>>,
}

fn parse_line(line: &[u8], ends_with_newline: bool, number: u64) -> Result<Listing, Rejected> {
    let location = format!("line {number}");
    let paper = read_record(line, ends_with_newline).map_err(|reason| Rejected {
        location: location.clone(),
        reason,
    })?;
    let location = format!("{location} ({})", paper.id);
    within_limits(Listing::paper_only(paper), &location).map_err(|e| Rejected {
        location,
        reason: e.to_string(),
    })
}

fn read_record(line: &[u8], ends_with_newline: bool) -> Result<Paper, String> {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let rest = &line[start..];
    if rest.first() != Some(&b'{') {
        return Err(format!(
            "expected a JSON object (one record per line), found {}",
            json_kind(rest)
        ));
    }
    let record: Record = serde_json::from_slice(line).map_err(|e| {
        if e.is_eof() {
            let cut = if ends_with_newline {
                ""
            } else {
                " (the file may have been cut off)"
            };
            format!("the JSON object is not closed: the line looks truncated{cut}")
        } else {
            format!("not a valid snapshot record: {e}")
        }
    })?;
    record_to_listing(record)
}

/// What a line that does not start with `{` starts with.
fn json_kind(rest: &[u8]) -> &'static str {
    let word_ends =
        |w: &[u8]| rest.starts_with(w) && !rest.get(w.len()).is_some_and(u8::is_ascii_alphanumeric);
    match rest.first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'-' | b'0'..=b'9') => "a number",
        _ if word_ends(b"true") || word_ends(b"false") => "a boolean",
        _ if word_ends(b"null") => "null",
        _ => "text that is not JSON",
    }
}

fn record_to_listing(r: Record<'_>) -> Result<Paper, String> {
    let raw_id =
        r.id.as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or("missing \"id\": expected an arXiv id such as 0704.0001")?;
    let id = ArxivId::parse(raw_id).map_err(|e| format!("invalid \"id\": {e}"))?;
    let title = r
        .title
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("missing \"title\" for {id}"))?;
    let mut paper = Paper::new(id, &detex(title), r.summary.as_deref().unwrap_or(""));

    if let Some(versions) = &r.versions {
        paper.version = versions
            .iter()
            .filter_map(|v| v.version.as_deref()?.strip_prefix('v')?.parse::<u32>().ok())
            .max()
            .or(paper.version);
        if let Some(created) = versions.first().and_then(|v| v.created.as_deref()) {
            let at = DateTime::parse_from_rfc2822(created.trim()).map_err(|e| {
                format!(
                    "invalid \"versions[0].created\" {created:?}: expected an RFC 2822 date like \
                     \"Mon, 2 Apr 2007 19:18:42 GMT\" ({e})"
                )
            })?;
            paper.published_at = Some(at.with_timezone(&Utc));
        }
    }
    if let Some(day) = r.update_date.as_deref().filter(|s| !s.trim().is_empty()) {
        let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| {
            format!("invalid \"update_date\" {day:?}: expected YYYY-MM-DD, e.g. 2008-11-13")
        })?;
        paper.updated_at = Some(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }

    if let Some(categories) = &r.categories {
        for c in categories.split_ascii_whitespace() {
            if !paper.categories.iter().any(|x| x == c) {
                paper.categories.push(c.to_string());
            }
        }
    }

    paper.authors = match &r.authors_parsed {
        Some(parsed) if !parsed.is_empty() => {
            parsed.iter().filter_map(|p| parsed_author(p)).collect()
        }
        _ => r.authors.as_deref().map(split_authors).unwrap_or_default(),
    };

    paper.comments = text(&r.comments);
    paper.journal_ref = text(&r.journal_ref);
    paper.doi = text(&r.doi);
    paper.license = text(&r.license);
    Ok(paper)
}

fn text(s: &Option<Cow<'_, str>>) -> Option<String> {
    s.as_deref()
        .map(collapse_whitespace)
        .filter(|s| !s.is_empty())
}

/// `[last, first, suffix, affiliation?]` → "First Last Suffix".
fn parsed_author(parts: &[Cow<'_, str>]) -> Option<Author> {
    let part = |i: usize| parts.get(i).map(|s| s.trim()).unwrap_or("");
    let (last, first, suffix) = (part(0), part(1), part(2));
    let mut name = String::with_capacity(first.len() + last.len() + suffix.len() + 2);
    for piece in [first, last, suffix] {
        if !piece.is_empty() {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(piece);
        }
    }
    if name.is_empty() {
        return None;
    }
    let mut author = Author::named(detex(&name));
    author.affiliation = parts
        .get(3)
        .map(|a| collapse_whitespace(a))
        .filter(|a| is_affiliation(a));
    Some(author)
}

/// Footnote markers such as "1 and 2" are not affiliations.
fn is_affiliation(s: &str) -> bool {
    s.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.chars().any(char::is_alphabetic) && w != "and")
}

/// Fallback when `authors_parsed` is absent: "A, B and C" → [A, B, C],
/// a trailing "(…)" on a name kept as its affiliation.
fn split_authors(authors: &str) -> Vec<Author> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = authors.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth -= 1,
            b',' if depth <= 0 => {
                push_author(&mut out, &authors[start..i]);
                start = i + 1;
            }
            b' ' if depth <= 0 && authors[i..].starts_with(" and ") => {
                push_author(&mut out, &authors[start..i]);
                i += " and".len();
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    push_author(&mut out, &authors[start..]);
    out
}

fn push_author(out: &mut Vec<Author>, raw: &str) {
    let raw = raw.trim();
    let raw = raw.strip_prefix("and ").unwrap_or(raw).trim();
    let (name, affiliation) = match raw.find('(') {
        Some(open) if raw.ends_with(')') => {
            (raw[..open].trim(), Some(&raw[open + 1..raw.len() - 1]))
        }
        _ => (raw, None),
    };
    if name.is_empty() {
        return;
    }
    let mut author = Author::named(detex(name));
    author.affiliation = affiliation
        .map(collapse_whitespace)
        .filter(|a| is_affiliation(a));
    out.push(author);
}

/// Converts the common LaTeX accents to Unicode: `\'a`, `\'{a}`, `{\'a}` → á,
/// `\"o` → ö, `` \`e `` → è, `\^o` → ô, `\~n` → ñ, `\c{c}` → ç, `\v{s}` → š,
/// `\H{o}` → ő, and letters such as `\o`, `\ss`, `\l`. Anything else (math,
/// other commands) is left as it is. Text without a backslash is returned
/// borrowed.
pub(crate) fn detex(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(['\\', '{']) {
        let (before, at) = rest.split_at(pos);
        out.push_str(before);
        match decode_at(at) {
            Some((c, used)) => {
                out.push(c);
                rest = &at[used..];
            }
            None => {
                out.push_str(&at[..1]);
                rest = &at[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes an accent or special letter at the start of `s` (which starts with
/// `\` or `{`): the character and the number of bytes it used.
fn decode_at(s: &str) -> Option<(char, usize)> {
    if let Some(inner) = s.strip_prefix('{') {
        // `{\'a}`: a braced group holding exactly one accented letter.
        if !inner.starts_with('\\') {
            return None;
        }
        let (c, used) = decode_command(inner)?;
        return inner[used..].starts_with('}').then_some((c, used + 2));
    }
    decode_command(s)
}

/// `s` starts with `\`.
fn decode_command(s: &str) -> Option<(char, usize)> {
    let bytes = s.as_bytes();
    let accent = *bytes.get(1)?;
    if b"'`\"^~=.".contains(&accent) {
        let (base, used) = accent_base(&s[2..], true)?;
        return Some((compose(accent, base)?, 2 + used));
    }
    if b"cvHukr".contains(&accent) && !bytes.get(2).is_some_and(u8::is_ascii_alphabetic) {
        // Letter accents need `{x}` or a space: `\c{c}`, `\v s`.
        let (base, used) = accent_base(&s[2..], false)?;
        return Some((compose(accent, base)?, 2 + used));
    }
    // Special letters: `\o`, `\ss`, `\aa`, … ending the control word.
    let word_len = bytes[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let c = match &s[1..1 + word_len] {
        "o" => 'ø',
        "O" => 'Ø',
        "l" => 'ł',
        "L" => 'Ł',
        "ss" => 'ß',
        "aa" => 'å',
        "AA" => 'Å',
        "ae" => 'æ',
        "AE" => 'Æ',
        "oe" => 'œ',
        "OE" => 'Œ',
        "i" => 'ı',
        _ => return None,
    };
    let mut used = 1 + word_len;
    // A control word swallows one following space, or an empty group.
    if s[used..].starts_with("{}") {
        used += 2;
    } else if s[used..].starts_with(' ') && s[used + 1..].starts_with(|c: char| c.is_alphabetic()) {
        used += 1;
    }
    Some((c, used))
}

/// The letter an accent applies to: `a`, `{a}`, `\i`, `{\i}`, or (for letter
/// accents) ` a`. Returns the letter and the bytes used.
fn accent_base(s: &str, bare_allowed: bool) -> Option<(char, usize)> {
    let b = s.as_bytes();
    match b.first()? {
        b'{' => {
            if s[1..].starts_with("\\i}") || s[1..].starts_with("\\j}") {
                return Some((if b[2] == b'i' { 'i' } else { 'j' }, 4));
            }
            let c = *b.get(1)?;
            (c.is_ascii_alphabetic() && b.get(2) == Some(&b'}')).then_some((c as char, 3))
        }
        b'\\' if bare_allowed => {
            let c = *b.get(1)?;
            if (c != b'i' && c != b'j') || b.get(2).is_some_and(u8::is_ascii_alphabetic) {
                return None;
            }
            // `\'\i nez`: the control word swallows the space after it.
            let space = b.get(2) == Some(&b' ') && b.get(3).is_some_and(u8::is_ascii_alphabetic);
            Some((c as char, 2 + usize::from(space)))
        }
        b' ' if !bare_allowed => {
            let c = *b.get(1)?;
            c.is_ascii_alphabetic().then_some((c as char, 2))
        }
        &c if bare_allowed && c.is_ascii_alphabetic() => Some((c as char, 1)),
        _ => None,
    }
}

fn compose(accent: u8, base: char) -> Option<char> {
    let (from, to): (&str, &str) = match accent {
        b'\'' => ("aeiouyAEIOUYcnszCNSZlrLRgG", "áéíóúýÁÉÍÓÚÝćńśźĆŃŚŹĺŕĹŔǵǴ"),
        b'`' => ("aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
        b'"' => ("aeiouyAEIOUY", "äëïöüÿÄËÏÖÜŸ"),
        b'^' => ("aeiouAEIOUcgshjwyCGSHJWY", "âêîôûÂÊÎÔÛĉĝŝĥĵŵŷĈĜŜĤĴŴŶ"),
        b'~' => ("anoANO", "ãñõÃÑÕ"),
        b'=' => ("aeiouAEIOU", "āēīōūĀĒĪŌŪ"),
        b'.' => ("zZeEIgG", "żŻėĖİġĠ"),
        b'c' => ("cCsStTgG", "çÇşŞţŢģĢ"),
        b'v' => ("cCsSzZrReEnNdDtT", "čČšŠžŽřŘěĚňŇďĎťŤ"),
        b'H' => ("oOuU", "őŐűŰ"),
        b'u' => ("aAgGuU", "ăĂğĞŭŬ"),
        b'k' => ("aAeE", "ąĄęĘ"),
        b'r' => ("aAuU", "åÅůŮ"),
        _ => return None,
    };
    let i = from.chars().position(|c| c == base)?;
    to.chars().nth(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor, Read};

    const SNAPSHOT: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl"
    ));

    fn read_all(input: &str) -> Vec<Result<Listing, Rejected>> {
        SnapshotReader::new(Cursor::new(input.as_bytes())).collect()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn every_line_of_the_real_snapshot_parses() {
        let mut reader = SnapshotReader::new(Cursor::new(SNAPSHOT.as_bytes()));
        let listings: Vec<_> = reader
            .by_ref()
            .map(|l| l.expect("fixture line parses"))
            .collect();
        assert_eq!(listings.len(), 200);
        assert_eq!(reader.line(), 200);
        assert_eq!(reader.bytes_read(), SNAPSHOT.len() as u64);
        assert_eq!(listings[0].paper.id.as_str(), "0704.0001");
        assert_eq!(listings[199].paper.id.as_str(), "0704.0200");
        assert!(listings.iter().all(|l| l.entry.is_none()));
        assert!(listings.iter().all(|l| !l.paper.authors.is_empty()));
        assert!(listings.iter().all(|l| l.paper.published_at.is_some()));
    }

    #[test]
    fn the_first_record_has_every_field() {
        let first = read_all(SNAPSHOT).remove(0).unwrap().paper;
        assert_eq!(first.id.as_str(), "0704.0001");
        assert_eq!(first.version, Some(2));
        assert_eq!(
            first.title,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
        );
        assert!(
            first
                .summary
                .starts_with("A fully differential calculation in perturbative")
        );
        let names: Vec<_> = first.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
        );
        assert_eq!(first.categories, vec!["hep-ph"]);
        assert_eq!(first.published_at, Some(utc("2007-04-02T19:18:42Z")));
        assert_eq!(first.updated_at, Some(utc("2008-11-26T00:00:00Z")));
        assert_eq!(
            first.comments.as_deref(),
            Some("37 pages, 15 figures; published version")
        );
        assert_eq!(
            first.journal_ref.as_deref(),
            Some("Phys.Rev.D76:013009,2007")
        );
        assert_eq!(first.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
        assert_eq!(first.license, None);
    }

    #[test]
    fn versions_categories_suffixes_and_affiliations() {
        let all: Vec<Paper> = read_all(SNAPSHOT)
            .into_iter()
            .map(|l| l.unwrap().paper)
            .collect();
        let by_id = |id: &str| all.iter().find(|p| p.id.as_str() == id).unwrap();

        let p = by_id("0704.0002");
        assert_eq!(p.categories, vec!["math.CO", "cs.CG"]);
        assert_eq!(p.primary_category(), Some("math.CO"));
        assert_eq!(
            p.license.as_deref(),
            Some("http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
        );
        assert_eq!(p.published_at, Some(utc("2007-03-31T02:26:18Z")));
        assert_eq!(p.updated_at, Some(utc("2008-12-13T00:00:00Z")));

        assert_eq!(by_id("0704.0003").version, Some(3));
        // A suffix goes after the surname.
        assert!(
            by_id("0704.0009")
                .authors
                .iter()
                .any(|a| a.name == "Neal J. Evans II")
        );
        // The fourth element of authors_parsed is the affiliation.
        let p = by_id("0704.0163");
        assert_eq!(p.authors[0].name, "Peter Brommer");
        assert_eq!(
            p.authors[0].affiliation.as_deref(),
            Some("Institut für Theoretische und Angewandte Physik, Universität Stuttgart")
        );
        assert_eq!(p.authors[1].name, "Franz Gähler");
        // …but footnote markers are not.
        assert!(
            by_id("0704.0025")
                .authors
                .iter()
                .all(|a| a.affiliation.is_none())
        );
        assert_eq!(by_id("0704.0155").authors[0].name, "Floris van der Tak");
    }

    #[test]
    fn latex_accents_in_titles_become_unicode_and_math_stays() {
        let all: Vec<Paper> = read_all(SNAPSHOT)
            .into_iter()
            .map(|l| l.unwrap().paper)
            .collect();
        let title = |id: &str| {
            all.iter()
                .find(|p| p.id.as_str() == id)
                .unwrap()
                .title
                .clone()
        };
        assert_eq!(
            title("0704.0019"),
            "Approximation for extinction probability of the contact process based on the Gröbner basis"
        );
        assert_eq!(
            title("0704.0073"),
            "A transcendental approach to Kollár's injectivity theorem"
        );
        assert_eq!(
            title("0704.0005"),
            "From dyadic $\\Lambda_{\\alpha}$ to $\\Lambda_{\\alpha}$"
        );
    }

    #[test]
    fn detex_table() {
        for (tex, text) in [
            ("Bal\\'azs", "Balázs"),
            ("Bal\\'{a}zs", "Balázs"),
            ("Bal{\\'a}zs", "Balázs"),
            ("Bal{\\'{a}}zs", "Balázs"),
            ("Schr\\\"odinger", "Schrödinger"),
            ("G{\\\"o}del", "Gödel"),
            ("Cr\\`eme br\\^ul\\'ee", "Crème brûlée"),
            ("Espa\\~na", "España"),
            ("Fran\\c{c}ois", "François"),
            ("Fran\\c cois", "François"),
            ("\\v{S}koda", "Škoda"),
            ("Erd\\H{o}s", "Erdős"),
            ("{\\O}rsted and \\o{}re", "Ørsted and øre"),
            ("Stra\\ss e", "Straße"),
            ("\\L{}ukasz", "Łukasz"),
            ("Mart\\'{\\i}nez", "Martínez"),
            ("Mart\\'\\i nez", "Martínez"),
            (
                "$\\omega$ and $\\alpha_{\\lambda}$",
                "$\\omega$ and $\\alpha_{\\lambda}$",
            ),
            ("\\'", "\\'"),
            ("{\\em x}", "{\\em x}"),
            ("\\cite{x}", "\\cite{x}"),
            ("plain", "plain"),
        ] {
            assert_eq!(detex(tex), text, "{tex}");
        }
        assert!(matches!(detex("no accents"), Cow::Borrowed(_)));
    }

    #[test]
    fn authors_fall_back_to_the_authors_string() {
        let line = r#"{"id":"0704.0001","title":"T","abstract":"A","authors":"C. Bal\\'azs, E. L. Berger (ANL), P. M. Nadolsky and C.-P. Yuan","categories":"hep-ph"}"#;
        let paper = read_all(line).remove(0).unwrap().paper;
        let names: Vec<_> = paper.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
        );
        assert_eq!(paper.authors[1].affiliation.as_deref(), Some("ANL"));
        assert_eq!(paper.version, None);
        assert_eq!(paper.published_at, None);
    }

    #[test]
    fn blank_lines_are_skipped_and_bad_lines_rejected_with_their_number() {
        let good = SNAPSHOT.lines().next().unwrap();
        let input = format!(
            "{good}\n\n   \n[1,2]\nnot json\n{{\"title\":\"no id\"}}\n{{\"id\":\"0704.0001\"}}\n\
             {{\"id\":\"abc\",\"title\":\"T\"}}\n{{\"id\":\"0704.0002\",\"title\":5}}\n\
             {{\"id\":\"0704.0002\",\"title\":\"T\",\"update_date\":\"13/11/2008\"}}\n{good}\n"
        );
        let items = read_all(&input);
        assert_eq!(items.len(), 9);
        assert!(items[0].is_ok() && items[8].is_ok());
        let rejected: Vec<&Rejected> = items[1..8]
            .iter()
            .map(|r| r.as_ref().unwrap_err())
            .collect();
        let locations: Vec<_> = rejected.iter().map(|r| r.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10"
            ]
        );
        assert_eq!(
            rejected[0].reason,
            "expected a JSON object (one record per line), found an array"
        );
        assert!(rejected[1].reason.contains("not JSON"), "{}", rejected[1]);
        assert!(
            rejected[2].reason.contains("missing \"id\""),
            "{}",
            rejected[2]
        );
        assert!(
            rejected[3].reason.contains("missing \"title\""),
            "{}",
            rejected[3]
        );
        assert!(
            rejected[4].reason.contains("invalid \"id\""),
            "{}",
            rejected[4]
        );
        assert!(rejected[4].reason.contains("\"abc\""), "{}", rejected[4]);
        assert!(
            rejected[5].reason.contains("invalid type: integer"),
            "{}",
            rejected[5]
        );
        assert!(
            rejected[6].reason.contains("update_date"),
            "{}",
            rejected[6]
        );
    }

    #[test]
    fn a_truncated_last_line_is_rejected_as_truncated() {
        let cut = &SNAPSHOT[..SNAPSHOT.len() - 700];
        let items = read_all(cut);
        assert_eq!(items.len(), 200);
        assert!(items[..199].iter().all(Result::is_ok));
        let last = items[199].as_ref().unwrap_err();
        assert_eq!(last.location, "line 200");
        assert!(last.reason.contains("truncated"), "{last}");
        assert!(last.reason.contains("cut off"), "{last}");
    }

    #[test]
    fn invalid_utf8_rejects_the_line_only() {
        let good = SNAPSHOT.lines().next().unwrap();
        let mut input = Vec::new();
        input.extend_from_slice(b"{\"id\":\"0704.0001\",\"title\":\"\xff\"}\n");
        input.extend_from_slice(good.as_bytes());
        let items: Vec<_> = SnapshotReader::new(Cursor::new(input)).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_ref().unwrap_err().location, "line 1");
        assert!(items[1].is_ok());
    }

    #[test]
    fn a_read_error_is_reported_once_and_ends_the_stream() {
        struct Failing<'a>(&'a [u8]);
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let two_lines: String = SNAPSHOT.lines().take(2).map(|l| format!("{l}\n")).collect();
        let reader = BufReader::with_capacity(64, Failing(two_lines.as_bytes()));
        let items: Vec<_> = SnapshotReader::new(reader).collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[1].is_ok());
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.location, "line 3");
        assert!(err.reason.contains("disk on fire"), "{err}");
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_unread_and_rejected_with_its_id_and_field() {
        let good = SNAPSHOT.lines().next().unwrap();
        let huge = "x".repeat(3 * RECORD_LINE_BYTES);
        let long = format!(
            r#"{{"id":"0704.0002","authors_parsed":[["A","B",""]],"abstract":"{huge}","title":"T"}}"#
        );
        let input = format!("{good}\n{long}\n{good}\n");
        let mut reader = SnapshotReader::new(BufReader::with_capacity(4096, input.as_bytes()));
        let items: Vec<_> = reader.by_ref().collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[2].is_ok());
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.location, "line 2 (0704.0002)");
        assert_eq!(
            err.reason,
            format!(
                "the record is {} bytes long, over the limit of 1,048,576 bytes for one line \
                 (at the limit it is in \"abstract\"); it was skipped without being read",
                thousands(long.len() as u64)
            )
        );
        assert_eq!(reader.line(), 3);
        assert_eq!(reader.bytes_read(), input.len() as u64);
        // The buffer never held more than the limit.
        assert!(reader.buf.capacity() <= 2 * RECORD_LINE_BYTES + 1);
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() {
        let prefix = r#"{"id":"0704.0002","title":"T","comments":""#;
        let suffix = r#""}"#;
        let fill = "c".repeat(RECORD_LINE_BYTES - prefix.len() - suffix.len());
        let line = format!("{prefix}{fill}{suffix}");
        assert_eq!(line.len(), RECORD_LINE_BYTES);
        for input in [format!("{line}\n"), line.clone()] {
            let items = read_all(&input);
            let paper = &items[0].as_ref().unwrap().paper;
            assert!(paper.comments.as_deref().unwrap().ends_with('…'));
        }
        let over = read_all(&format!("{line} \n"));
        assert!(
            over[0]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("over the limit")
        );
    }

    #[test]
    fn an_absurd_abstract_or_title_rejects_the_record_and_long_comments_are_cut() {
        let abstract_ = "word ".repeat(4_000);
        let title = "t".repeat(2_000);
        let comments = "c".repeat(3_000);
        let input = format!(
            "{{\"id\":\"0704.0001\",\"title\":\"T\",\"abstract\":\"{abstract_}\"}}\n\
             {{\"id\":\"0704.0002\",\"title\":\"{title}\"}}\n\
             {{\"id\":\"0704.0003\",\"title\":\"T\",\"comments\":\"{comments}\"}}\n"
        );
        let items = read_all(&input);
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.location, "line 1 (0704.0001)");
        assert_eq!(
            err.reason,
            "abstract is 19,999 characters long, over the limit of 10,000 characters"
        );
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(err.location, "line 2 (0704.0002)");
        assert!(err.reason.starts_with("title is 2,000 characters"), "{err}");
        let kept = &items[2].as_ref().unwrap().paper;
        assert_eq!(kept.comments.as_deref().unwrap().chars().count(), 1_000);
    }

    /// `cargo test --release -p dailypapers-ingest -- --ignored --nocapture snapshot_parse_speed`
    #[test]
    #[ignore = "timing, run in release"]
    fn snapshot_parse_speed() {
        let input = SNAPSHOT.repeat(500);
        let start = std::time::Instant::now();
        let n = SnapshotReader::new(Cursor::new(input.as_bytes()))
            .filter(Result::is_ok)
            .count();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{n} records in {secs:.3}s: {:.0} records/s",
            n as f64 / secs
        );
        assert_eq!(n, 100_000);
    }
}
