//! A minimal XML tree: elements by local name (namespace prefixes dropped),
//! attributes, and text, read as a stream with bounded memory.
//!
//! The arXiv documents are regular, so the sources work on small trees:
//! [`XmlStream`] hands out the repeated elements (an Atom `<entry>`, an
//! OAI-PMH `<record>`) one at a time, complete, and keeps the rest of the
//! document (the root with its headers) as a tree. Between the bytes and
//! quick-xml sits [`Capped`], which keeps each text node up to
//! [`XML_TEXT_BYTES`] and skips the rest of it unread (the element says how
//! long the text really was), and refuses a tag longer than
//! [`XML_TAG_BYTES`]; so a document of any size, even one 200 MB
//! `<summary>`, is read in bounded memory. A cut inside a CDATA section or
//! a comment makes the document unreadable.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use dailypapers_domain::limits::{
    XML_RECORD_BYTES, XML_RECORD_NODES, XML_TAG_BYTES, XML_TEXT_BYTES, thousands,
};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, BytesText, Event};

use dailypapers_domain::Listing;
use dailypapers_domain::limits::Oversize;

use crate::{Rejected, SourceError};

#[derive(Debug)]
pub struct Element {
    /// Local name, without namespace prefix.
    pub name: String,
    /// Attributes by local name (namespace declarations left out).
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// The real size in bytes of a text node of this element that was cut
    /// at [`XML_TEXT_BYTES`] while reading (its start is in `children`).
    pub cut: Option<u64>,
    /// A split element over [`XML_RECORD_BYTES`] or [`XML_RECORD_NODES`]:
    /// what did not fit was left out.
    pub overflow: bool,
}
#[derive(Debug)]
pub enum Node {
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
pub fn parse(input: &str, expected: &'static str) -> Result<Element, SourceError> {
    let mut stream = XmlStream::new(input.as_bytes(), expected, None);
    while stream.next_split()?.is_some() {}
    stream.finish()
}

/// What a source yields for each record.
pub(crate) type Record = Result<Listing, Rejected>;

/// One XML format's records, read one at a time from a [`XmlStream`].
pub(crate) trait Records: Sized {
    /// What the rest of the document says (paging numbers, a token).
    type End;

    /// The next record, or `None` after the last one.
    fn next_record(&mut self) -> Result<Option<Record>, SourceError>;

    /// Reads to the end of the document.
    fn end(self) -> Result<Self::End, SourceError>;

    /// Every record, then the end.
    fn read_all(mut self) -> Result<(Vec<Record>, Self::End), SourceError> {
        let mut records = Vec::new();
        while let Some(record) = self.next_record()? {
            records.push(record);
        }
        Ok((records, self.end()?))
    }

    /// Reads the whole document, keeping nothing: how many records it has,
    /// or why it cannot be read.
    fn count_all(mut self) -> Result<u64, SourceError> {
        let mut count = 0;
        while self.next_record()?.is_some() {
            count += 1;
        }
        self.end()?;
        Ok(count)
    }
}

/// Refuses a root element other than `want`.
pub(crate) fn check_root(
    expected: &str,
    want: &str,
    found: Option<&str>,
) -> Result<(), SourceError> {
    match found {
        Some(name) if name != want => Err(SourceError::Unexpected(format!(
            "expected {expected}, found <{name}>"
        ))),
        _ => Ok(()),
    }
}

/// Refuses a record (`what`: "entry", "record") that did not fit a record's
/// budget, or whose title or abstract, children of `fields` named as in
/// `limits`, was cut while reading.
pub(crate) fn refuse_oversized(
    record: &Element,
    what: &str,
    fields: Option<&Element>,
    limits: &[(&str, usize)],
) -> Result<(), String> {
    if record.overflow {
        return Err(format!(
            "the {what} holds more than {} bytes of text or {} elements, the limits for one {what}",
            thousands(XML_RECORD_BYTES as u64),
            thousands(XML_RECORD_NODES as u64)
        ));
    }
    let Some(fields) = fields else { return Ok(()) };
    for &(name, limit) in limits {
        if let Some(size) = fields.children_named(name).find_map(|e| e.cut) {
            return Err(Oversize::bytes_of_chars(format!("<{name}>"), size, limit).to_string());
        }
    }
    Ok(())
}

/// Which repeated element a [`XmlStream`] hands out one at a time: its local
/// name and its depth (the root is at depth 0).
#[derive(Clone, Copy, Debug)]
pub struct Split {
    pub name: &'static str,
    pub depth: usize,
}

/// A document read as a stream: the elements named by [`Split`] come out of
/// [`XmlStream::next_split`] one by one, complete; everything else is kept
/// as a tree, returned by [`XmlStream::finish`] once the document is read.
pub struct XmlStream<R: BufRead> {
    reader: Reader<Capped<R>>,
    buf: Vec<u8>,
    stack: Vec<Element>,
    root: Option<Element>,
    expected: &'static str,
    split: Option<Split>,
    done: bool,
    budget: Budget,
}

/// Nodes and text bytes kept since the last split element.
#[derive(Default)]
struct Budget {
    nodes: usize,
    bytes: usize,
    overflow: bool,
}

impl Budget {
    /// Whether one more node of `bytes` of text still fits a record.
    fn keep(&mut self, bytes: usize) -> bool {
        self.nodes += 1;
        self.bytes += bytes;
        if self.nodes > XML_RECORD_NODES || self.bytes > XML_RECORD_BYTES {
            self.overflow = true;
        }
        !self.overflow
    }
}

impl<R: BufRead> XmlStream<R> {
    pub fn new(input: R, expected: &'static str, split: Option<Split>) -> Self {
        XmlStream {
            reader: Reader::from_reader(Capped::new(input)),
            buf: Vec::new(),
            stack: Vec::new(),
            root: None,
            expected,
            split,
            done: false,
            budget: Budget::default(),
        }
    }

    /// The root element's local name, once its start tag is read.
    pub fn root_name(&self) -> Option<&str> {
        self.stack
            .first()
            .or(self.root.as_ref())
            .map(|e| e.name.as_str())
    }

    /// Bytes of the input read so far (skipped text included).
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().read
    }

    /// The next split element, or `None` at the end of the document.
    pub fn next_split(&mut self) -> Result<Option<Element>, SourceError> {
        while !self.done {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => {
                    let at = self.reader.error_position();
                    return Err(malformed(self.reader.get_ref(), at, e.to_string()));
                }
            };
            let position = self.reader.buffer_position();
            let capped = self.reader.get_mut();
            match event {
                Event::Start(start) => {
                    check_single_root(capped, &self.root, position)?;
                    self.stack.push(element(capped, &start, position)?);
                }
                Event::Empty(start) => {
                    check_single_root(capped, &self.root, position)?;
                    let el = element(capped, &start, position)?;
                    if let Some(el) = self.close(el) {
                        return Ok(Some(el));
                    }
                }
                Event::End(_) => {
                    // quick-xml has checked that the names match.
                    if let Some(el) = self.stack.pop()
                        && let Some(el) = self.close(el)
                    {
                        return Ok(Some(el));
                    }
                }
                Event::Text(text) => {
                    let cut = capped.take_cut();
                    let text = match cut {
                        Some(_) => cut_text(&text),
                        None => text
                            .unescape()
                            .map_err(|e| malformed(capped, position, e.to_string()))?
                            .into_owned(),
                    };
                    let fits = self.stack.is_empty() || self.budget.keep(text.len());
                    match self.stack.last_mut() {
                        Some(parent) => {
                            if cut.is_some() {
                                parent.cut = cut;
                            }
                            let kept = !text.trim().is_empty() || has_text_sibling(parent);
                            if kept && fits {
                                parent.children.push(Node::Text(text));
                            }
                        }
                        None if text.trim().is_empty() => {}
                        None if self.root.is_some() => {
                            return Err(malformed(
                                capped,
                                position,
                                "text after the end of the root element".to_string(),
                            ));
                        }
                        None => {
                            return Err(SourceError::Unexpected(format!(
                                "expected {}, found text {:?}",
                                self.expected,
                                clip(text.trim())
                            )));
                        }
                    }
                }
                Event::CData(data) => {
                    let text = String::from_utf8_lossy(&data.into_inner()).into_owned();
                    if !self.stack.is_empty() && self.budget.keep(text.len()) {
                        let parent = self.stack.last_mut().expect("not empty");
                        parent.children.push(Node::Text(text));
                    }
                }
                Event::Eof => self.done = true,
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
        Ok(None)
    }

    /// Attaches a complete element to its parent, or hands it out when it
    /// is a split element.
    fn close(&mut self, mut el: Element) -> Option<Element> {
        if let Some(split) = self.split
            && self.stack.len() == split.depth
            && el.name == split.name
        {
            el.overflow = std::mem::take(&mut self.budget).overflow;
            return Some(el);
        }
        if self.stack.is_empty() {
            el.overflow = self.budget.overflow;
            self.root = Some(el);
        } else if self.budget.keep(0) {
            let parent = self.stack.last_mut().expect("not empty");
            parent.children.push(Node::Element(el));
        }
        None
    }

    /// The root element, without the split elements, once the whole
    /// document is read.
    pub fn finish(mut self) -> Result<Element, SourceError> {
        while self.next_split()?.is_some() {}
        let capped = self.reader.get_ref();
        if let Some(open) = self.stack.last() {
            return Err(malformed(
                capped,
                capped.passed(),
                format!(
                    "the document ends before <{}> is closed: it looks truncated",
                    open.name
                ),
            ));
        }
        self.root.ok_or_else(|| {
            SourceError::Unexpected(format!(
                "expected {}, found an empty document",
                self.expected
            ))
        })
    }
}

/// A text node that was cut: its start, decoded as well as a cut allows
/// (a character or an entity cut in half is left out).
fn cut_text(text: &BytesText) -> String {
    let raw: &[u8] = text;
    let raw = match memchr::memrchr(b'&', raw) {
        Some(amp) if !raw[amp..].contains(&b';') => &raw[..amp],
        _ => raw,
    };
    let lossy = String::from_utf8_lossy(raw);
    let lossy = lossy.trim_end_matches('\u{fffd}');
    quick_xml::escape::unescape(lossy)
        .map(|t| t.into_owned())
        .unwrap_or_else(|_| lossy.to_string())
}

/// Keeps white space that sits next to real text (mixed content), drops
/// the indentation between elements.
fn has_text_sibling(parent: &Element) -> bool {
    matches!(parent.children.last(), Some(Node::Text(_)))
}

fn check_single_root<R>(
    at: &Capped<R>,
    root: &Option<Element>,
    position: u64,
) -> Result<(), SourceError> {
    if root.is_some() {
        Err(malformed(
            at,
            position,
            "a second root element after the end of the first".to_string(),
        ))
    } else {
        Ok(())
    }
}

fn element<R>(at: &Capped<R>, start: &BytesStart, position: u64) -> Result<Element, SourceError> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(at, position, e.to_string()))?;
        let key = attr.key;
        if key.as_ref() == b"xmlns" || key.prefix().is_some_and(|p| p.as_ref() == b"xmlns") {
            continue;
        }
        let value = attr
            .unescape_value()
            .map_err(|e| malformed(at, position, e.to_string()))?;
        attrs.push((
            String::from_utf8_lossy(key.local_name().as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        cut: None,
        overflow: false,
    })
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// A [`SourceError::Malformed`] for XML at `position` (a byte offset in
/// what the XML reader was given), with its 1-based line and column.
fn malformed<R>(at: &Capped<R>, position: u64, message: String) -> SourceError {
    let (line, column) = at.locate(position);
    SourceError::Malformed {
        format: "XML",
        line,
        column,
        message,
    }
}

/// What [`Capped`] is reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between `>` and `<`.
    Text,
    /// From `<` to `>`.
    Markup,
}

/// Tag starts remembered to place errors exactly.
const CHECKPOINTS: usize = 64;

/// The bytes between a source and quick-xml: passes tags whole (up to
/// [`XML_TAG_BYTES`], else a read error), and text nodes up to
/// [`XML_TEXT_BYTES`] each, skipping the rest of a longer one without
/// keeping it and remembering its real size. It also counts lines and
/// columns, so errors can say where they are.
pub struct Capped<R> {
    inner: R,
    state: State,
    /// Bytes passed of the current text node or tag.
    run: usize,
    /// Bytes skipped of the current text node.
    skipped: u64,
    /// Length of the region last returned by `fill_buf`, and whether it ends
    /// the current text node or tag.
    region: usize,
    region_ends: bool,
    /// The real size of the text node just ended, when it was cut.
    cut: Option<u64>,
    /// Bytes of the input read, passed or skipped.
    read: u64,
    at: Tracker,
}

/// Where the reading is: lines and columns, and recent tag starts.
struct Tracker {
    /// Bytes passed on (quick-xml's positions count these).
    passed: u64,
    /// Line and column of the next byte.
    line: u64,
    column: u64,
    /// (position, line, column) of recent `<`.
    checkpoints: VecDeque<(u64, u64, u64)>,
}

impl Tracker {
    /// Counts lines and columns over bytes passed on (`passed`) or skipped.
    fn track(&mut self, bytes: &[u8], passed: bool) {
        if !passed {
            // Skipped text: only its lines matter, and it can be long.
            match memchr::memrchr(b'\n', bytes) {
                Some(last) => {
                    self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
                    self.column = 1 + (bytes.len() - last - 1) as u64;
                }
                None => self.column += bytes.len() as u64,
            }
            return;
        }
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if (b as i8) >= -0x40 {
                // Not a UTF-8 continuation byte: a character starts here.
                if b == b'<' {
                    if self.checkpoints.len() == CHECKPOINTS {
                        self.checkpoints.pop_front();
                    }
                    let at = self.passed + i as u64;
                    self.checkpoints.push_back((at, self.line, self.column));
                }
                self.column += 1;
            }
        }
        self.passed += bytes.len() as u64;
    }

    /// 1-based line and column (in characters) of a position quick-xml gave:
    /// exact at the start of a recent tag and at the current position, else
    /// counted in bytes from the tag before it.
    fn locate(&self, position: u64) -> (u64, u64) {
        if position >= self.passed {
            return (self.line, self.column);
        }
        match self.checkpoints.iter().rev().find(|c| c.0 <= position) {
            Some(&(at, line, column)) => (line, column + (position - at)),
            None => self
                .checkpoints
                .front()
                .map_or((self.line, self.column), |c| (c.1, c.2)),
        }
    }
}

impl<R> Capped<R> {
    pub fn new(inner: R) -> Self {
        Capped {
            inner,
            state: State::Text,
            run: 0,
            skipped: 0,
            region: 0,
            region_ends: false,
            cut: None,
            read: 0,
            at: Tracker {
                passed: 0,
                line: 1,
                column: 1,
                checkpoints: VecDeque::with_capacity(CHECKPOINTS),
            },
        }
    }

    /// The real size of the text node quick-xml just read, if it was cut.
    fn take_cut(&mut self) -> Option<u64> {
        self.cut.take()
    }

    fn locate(&self, position: u64) -> (u64, u64) {
        self.at.locate(position)
    }

    /// Bytes passed on to quick-xml.
    fn passed(&self) -> u64 {
        self.at.passed
    }

    /// A text node ended after `text` bytes passed on.
    fn end_text(&mut self, text: usize) {
        if self.skipped > 0 {
            self.cut = Some(text as u64 + self.skipped);
        }
        self.run = 0;
        self.skipped = 0;
    }
}

impl<R: BufRead> io::Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                self.region = 0;
                self.region_ends = false;
                if self.state == State::Text {
                    self.end_text(self.run);
                }
                break;
            }
            match self.state {
                State::Markup => {
                    let (len, ends) = match memchr::memchr(b'>', available) {
                        Some(i) => (i + 1, true),
                        None => (available.len(), false),
                    };
                    if self.run + len > XML_TAG_BYTES {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "a tag is longer than {} bytes, the limit for one tag",
                                thousands(XML_TAG_BYTES as u64)
                            ),
                        ));
                    }
                    self.region = len;
                    self.region_ends = ends;
                    break;
                }
                State::Text => {
                    let lt = memchr::memchr(b'<', available);
                    let room = XML_TEXT_BYTES.saturating_sub(self.run);
                    match lt {
                        Some(i) if i < room || i == 0 => {
                            self.region = i + 1;
                            self.region_ends = true;
                            break;
                        }
                        _ if room > 0 => {
                            self.region = room.min(available.len());
                            self.region_ends = false;
                            break;
                        }
                        _ => {
                            // Over the limit: skip up to the next tag, unkept.
                            let skip = lt.unwrap_or(available.len());
                            self.at.track(&available[..skip], false);
                            self.skipped += skip as u64;
                            self.read += skip as u64;
                            self.inner.consume(skip);
                        }
                    }
                }
            }
        }
        let available = self.inner.fill_buf()?;
        Ok(&available[..self.region.min(available.len())])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.region);
        if amt == 0 {
            return;
        }
        if let Ok(available) = self.inner.fill_buf() {
            self.at.track(&available[..amt.min(available.len())], true);
        }
        self.inner.consume(amt);
        self.read += amt as u64;
        self.run += amt;
        self.region -= amt;
        if self.region == 0 && self.region_ends {
            self.region_ends = false;
            match self.state {
                State::Text => {
                    // The last byte passed is the next tag's `<`.
                    self.end_text(self.run - 1);
                    self.state = State::Markup;
                    self.run = 1;
                }
                State::Markup => {
                    self.state = State::Text;
                    self.run = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(input: &str) -> (u64, u64, String) {
        match parse(input, "a document").unwrap_err() {
            SourceError::Malformed {
                line,
                column,
                message,
                ..
            } => (line, column, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_say_the_line_and_column_in_characters() {
        let (line, column, _) = located("<a>\n  <bé>é</c>\n</a>");
        assert_eq!((line, column), (2, 8));
        let (line, _, message) = located("<a>\n<b>\n</b>\n");
        assert_eq!(line, 4);
        assert!(message.contains("<a> is closed"), "{message}");
    }

    #[test]
    fn a_long_text_is_cut_while_reading_and_says_how_long_it_was() {
        let long = "é&amp;x".repeat(XML_TEXT_BYTES);
        let input = format!("<a><s>{long}</s><t>after</t>\n<u a='1'>x</u></a>");
        let root = parse(&input, "a document").unwrap();
        let s = root.child("s").unwrap();
        assert_eq!(s.cut, Some(long.len() as u64));
        let text = s.text();
        assert!(text.len() <= XML_TEXT_BYTES, "{}", text.len());
        assert!(text.starts_with("é&xé&x"));
        assert_eq!(root.child_text("t").as_deref(), Some("after"));
        assert_eq!(root.child("t").unwrap().cut, None);
        assert_eq!(root.child("u").unwrap().attr("a"), Some("1"));
        // Lines are still counted across what was skipped.
        let bad = input.replace("</u>", "</v>");
        let (line, column, _) = located(&bad);
        assert_eq!((line, column), (2, 11));
    }

    #[test]
    fn a_text_of_exactly_the_limit_is_whole() {
        let text = "x".repeat(XML_TEXT_BYTES);
        let root = parse(&format!("<a>{text}</a>"), "a document").unwrap();
        assert_eq!(root.cut, None);
        assert_eq!(root.text(), text);
        let root = parse(&format!("<a>{text}y</a>"), "a document").unwrap();
        assert_eq!(root.cut, Some(XML_TEXT_BYTES as u64 + 1));
        assert_eq!(root.text(), text);
    }

    #[test]
    fn a_huge_tag_makes_the_document_unreadable() {
        let input = format!("<a b=\"{}\"/>", "x".repeat(XML_TAG_BYTES));
        let (_, _, message) = located(&input);
        assert!(message.contains("longer than 65,536 bytes"), "{message}");
    }

    #[test]
    fn a_record_over_its_budget_says_so_and_the_next_is_whole() {
        let many = "<author><name>A</name></author>".repeat(XML_RECORD_NODES);
        let input = format!(
            "<feed><entry>{many}<summary>S</summary></entry><entry><id>2</id></entry></feed>"
        );
        let split = Split {
            name: "entry",
            depth: 1,
        };
        let mut stream = XmlStream::new(input.as_bytes(), "a feed", Some(split));
        let big = stream.next_split().unwrap().unwrap();
        assert!(big.overflow);
        assert!(big.children.len() <= XML_RECORD_NODES);
        let next = stream.next_split().unwrap().unwrap();
        assert!(!next.overflow);
        assert_eq!(next.child_text("id").as_deref(), Some("2"));
    }

    #[test]
    fn split_elements_come_out_one_by_one() {
        let input = "<feed><n>3</n><entry><id>1</id></entry><entry/><x><entry/></x></feed>";
        let split = Split {
            name: "entry",
            depth: 1,
        };
        let mut stream = XmlStream::new(input.as_bytes(), "a feed", Some(split));
        let first = stream.next_split().unwrap().unwrap();
        assert_eq!(first.child_text("id").as_deref(), Some("1"));
        assert_eq!(stream.root_name(), Some("feed"));
        assert!(stream.next_split().unwrap().is_some());
        assert!(stream.next_split().unwrap().is_none());
        let root = stream.finish().unwrap();
        assert_eq!(root.child_text("n").as_deref(), Some("3"));
        assert_eq!(root.children_named("entry").count(), 0);
        assert_eq!(root.child("x").unwrap().children_named("entry").count(), 1);
    }
}
