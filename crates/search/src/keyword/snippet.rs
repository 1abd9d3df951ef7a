//! Snippets: the part of a text (an abstract, a title) where the query words
//! are densest, with every word that matches a query word (by stem, as the
//! index matches) marked.

use std::collections::HashSet;
use std::ops::Range;

use super::analysis::{KeywordSettings, analyse};
use super::{KeywordIndex, Snippet};
use crate::query::SearchQuery;

/// Share of the excerpt given to text before the first match.
const LEAD_IN_SHARE: usize = 5;
/// Only this many matches are considered when choosing the excerpt.
const MAX_MATCHES: usize = 256;

impl KeywordIndex {
    /// An excerpt of `text` of at most `max_chars` characters (plus `…`
    /// where it was cut) around the query words, with them highlighted.
    /// A text without any match gives its beginning.
    pub fn snippet(&self, q: &SearchQuery, text: &str, max_chars: usize) -> Snippet {
        let mut analyzer = self
            .index
            .tokenizer_for_field(self.fields.title)
            .unwrap_or_else(|_| self.settings.text_analyzer());
        let mut names = KeywordSettings::name_analyzer();
        let mut wanted: HashSet<String> = HashSet::new();
        for word in q.terms().iter().chain(q.phrases()) {
            wanted.extend(analyse(&mut analyzer, word).into_iter().map(|t| t.term));
        }
        let prefix = q
            .prefix_term()
            .and_then(|p| analyse(&mut names, p).pop())
            .map(|t| t.term);

        let mut matches: Vec<(Range<usize>, String)> = Vec::new();
        for tok in analyse(&mut analyzer, text) {
            let hit = wanted.contains(&tok.term)
                || prefix.as_deref().is_some_and(|p| {
                    tok.term.starts_with(p) || text[tok.from..tok.to].to_lowercase().starts_with(p)
                });
            if hit {
                matches.push((tok.from..tok.to, tok.term));
                if matches.len() >= MAX_MATCHES {
                    break;
                }
            }
        }
        excerpt(text, &matches, max_chars)
    }
}

/// Chooses the window of at most `max_chars` characters holding the most
/// distinct matched terms (then the most matches), starts it a little before
/// its first match, and cuts at word boundaries.
fn excerpt(text: &str, matches: &[(Range<usize>, String)], max_chars: usize) -> Snippet {
    let total_chars = text.chars().count();
    let (start, end) = if total_chars <= max_chars {
        (0, text.len())
    } else {
        let mut best = (0usize, 0usize, 0usize); // (distinct, count, start byte)
        for (i, (first, _)) in matches.iter().enumerate() {
            let limit = byte_after_chars(text, first.start, max_chars);
            let inside = matches[i..].iter().take_while(|(r, _)| r.end <= limit);
            let count = inside.clone().count();
            let distinct = inside.map(|(_, t)| t).collect::<HashSet<_>>().len();
            if (distinct, count) > (best.0, best.1) {
                best = (distinct, count, first.start);
            }
        }
        let lead = if best.1 == 0 {
            0
        } else {
            let room = max_chars / LEAD_IN_SHARE;
            word_start(text, byte_before_chars(text, best.2, room), best.2)
        };
        let end = byte_after_chars(text, lead, max_chars);
        let end = if end < text.len() {
            word_end(text, lead, end)
        } else {
            end
        };
        (lead, end)
    };

    let mut out = String::new();
    let mut shift = 0isize;
    if start > 0 {
        out.push('…');
        shift = '…'.len_utf8() as isize - start as isize;
    }
    out.push_str(text[start..end].trim_end());
    let body_end = start + text[start..end].trim_end().len();
    if end < text.len() {
        out.push('…');
    }
    let highlights = matches
        .iter()
        .filter(|(r, _)| r.start >= start && r.end <= body_end)
        .map(|(r, _)| ((r.start as isize + shift) as usize)..((r.end as isize + shift) as usize))
        .collect();
    Snippet {
        text: out,
        highlights,
    }
}

/// The byte index `n` characters after `from` (or the end).
fn byte_after_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

/// The byte index `n` characters before `to` (or 0).
fn byte_before_chars(text: &str, to: usize, n: usize) -> usize {
    if n == 0 {
        return to;
    }
    text[..to]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}

/// Moves `at` forward to the beginning of a word, not past `limit`.
fn word_start(text: &str, at: usize, limit: usize) -> usize {
    if at == 0 || text[..at].ends_with(char::is_whitespace) {
        return at;
    }
    match text[at..limit].find(char::is_whitespace) {
        Some(i) => {
            let ws = at + i;
            ws + text[ws..]
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(0, |(j, _)| j)
        }
        None => limit,
    }
}

/// Moves `end` back to the end of a word, not before `start` (then keeps it).
fn word_end(text: &str, start: usize, end: usize) -> usize {
    match text[start..end].rfind(char::is_whitespace) {
        Some(i) if i > 0 => start + i,
        _ => end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutting_keeps_char_boundaries() {
        let text = "αβγ δεζ ηθι κλμ νξο πρσ";
        let m = vec![(
            text.find("κλμ").unwrap()..text.find("κλμ").unwrap() + "κλμ".len(),
            "κλμ".to_string(),
        )];
        let s = excerpt(text, &m, 9);
        assert!(s.text.contains("κλμ"), "{s:?}");
        for r in &s.highlights {
            assert_eq!(&s.text[r.clone()], "κλμ");
        }
    }
}
