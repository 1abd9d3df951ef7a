//! A minimal XML tree: elements by local name (namespace prefixes dropped),
//! attributes, and text. The arXiv documents are small (a few MB at most)
//! and regular, so reading them whole keeps the parsers simple.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::SourceError;

#[derive(Debug)]
pub struct Element {
    /// Local name, without namespace prefix.
    pub name: String,
    /// Attributes by local name (namespace declarations left out).
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
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
pub fn parse(input: &str, expected: &str) -> Result<Element, SourceError> {
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
pub fn malformed(input: &str, position: usize, message: String) -> SourceError {
    let (line, column) = line_column(input, position);
    SourceError::Malformed {
        format: "XML",
        line,
        column,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(input: &str, position: usize) -> (u64, u64) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(super::line_column("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(super::line_column("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(super::line_column("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(super::line_column("ab", 99), (1, 3));
    }
}
