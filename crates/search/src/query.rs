//! Parsing and checking what people type into the search box.
//!
//! [`SearchQuery::parse`] turns free text into a structured query: loose
//! words, quoted phrases and arXiv ids. Nothing the user types is ever handed
//! to a query language: characters that mean something to tantivy's query
//! syntax (`+ - : ( ) [ ] ^ ~ * \ /` …) are plain text here, and the indexes
//! build their queries from the parts. The only errors are an input with
//! nothing searchable in it and an input that is too long.

use dailypapers_domain::ArxivId;

/// The longest query accepted, in characters, after cleaning.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Why a query cannot be searched. The messages are meant for the person who
/// typed it (the API returns them with a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing searchable is left once spaces, punctuation and control
    /// characters are taken out.
    #[error("the search query is empty: type at least one word, phrase or arXiv id")]
    Empty,
    /// The query is longer than `max` characters.
    #[error("the search query is too long: at most {max} characters are accepted")]
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
}

/// How to read the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Search-as-you-type: the last word, when the input does not end with a
    /// space or a closing quote, may be the beginning of a longer word.
    pub prefix: bool,
}

/// A parsed search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    terms: Vec<String>,
    phrases: Vec<String>,
    ids: Vec<ArxivId>,
    prefix: Option<String>,
}

impl SearchQuery {
    /// Parses user input; see the module documentation.
    ///
    /// Control characters become spaces and runs of whitespace one space.
    /// Text between double quotes is a phrase; a quote left open runs to
    /// the end of the input. Words are split on whitespace and lose the
    /// punctuation around them (`-foo`, `bar:` and `(baz)` are `foo`, `bar`
    /// and `baz`) but keep what is inside (`gpt-4`, `cs.CL`). A word that is
    /// an arXiv id (`2511.22699`, `2511.22699v2`, `hep-th/9901001`,
    /// `arXiv:…`, an arxiv.org URL) is taken as an id, not as a word.
    pub fn parse(input: &str, opts: ParseOptions) -> Result<SearchQuery, QueryError> {
        let (text, trailing_space) = clean(input)?;
        let mut terms = Vec::new();
        let mut phrases = Vec::new();
        let mut ids = Vec::new();
        let mut last_is_open_word = false;

        let mut rest = text.as_str();
        let mut in_phrase = false;
        while !rest.is_empty() {
            let (chunk, after, closed) = match rest.find('"') {
                Some(i) => (&rest[..i], &rest[i + 1..], true),
                None => (rest, "", false),
            };
            if in_phrase {
                let phrase = phrase_text(chunk);
                if !phrase.is_empty() {
                    phrases.push(phrase);
                }
                last_is_open_word = false;
            } else {
                for raw in chunk.split_whitespace() {
                    if let Some(id) = arxiv_id(raw) {
                        ids.push(id);
                        continue;
                    }
                    let word = trim_punctuation(raw);
                    if !word.is_empty() {
                        terms.push(word.to_owned());
                    }
                }
                // The last word is still being typed only if nothing follows it.
                last_is_open_word = !closed
                    && after.is_empty()
                    && !trailing_space
                    && !chunk.ends_with(' ')
                    && chunk
                        .split_whitespace()
                        .last()
                        .is_some_and(|w| arxiv_id(w).is_none() && !trim_punctuation(w).is_empty());
            }
            if closed {
                in_phrase = !in_phrase;
            }
            rest = after;
        }

        if terms.is_empty() && phrases.is_empty() && ids.is_empty() {
            return Err(QueryError::Empty);
        }
        let prefix = (opts.prefix && last_is_open_word)
            .then(|| terms.last().cloned())
            .flatten();
        Ok(SearchQuery {
            text: text
                .replace('"', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            terms,
            phrases,
            ids,
            prefix,
        })
    }

    /// The cleaned text, without quote marks: what a semantic model reads.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The words outside phrases, in order, without surrounding punctuation.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The quoted phrases, in order, whitespace collapsed.
    pub fn phrases(&self) -> &[String] {
        &self.phrases
    }

    /// The arXiv ids found in the input (canonical, without version).
    pub fn arxiv_ids(&self) -> &[ArxivId] {
        &self.ids
    }

    /// With [`ParseOptions::prefix`], the last word when it may be
    /// incomplete; it is also the last of [`terms`](Self::terms).
    pub fn prefix_term(&self) -> Option<&str> {
        self.prefix.as_deref()
    }
}

/// Control characters out, whitespace collapsed, length checked; also says
/// whether the input ended with whitespace. Stops reading as soon as the
/// limit is passed, so a huge input costs little.
fn clean(input: &str) -> Result<(String, bool), QueryError> {
    let mut out = String::with_capacity(input.len().min(4 * MAX_QUERY_CHARS));
    let mut chars = 0usize;
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() || c.is_control() || is_invisible(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong {
                max: MAX_QUERY_CHARS,
            });
        }
    }
    Ok((out, pending_space))
}

/// Zero-width and direction marks, which render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

fn phrase_text(chunk: &str) -> String {
    if !chunk.chars().any(char::is_alphanumeric) {
        return String::new();
    }
    chunk.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn trim_punctuation(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

/// An arXiv id written as one word; only words with a digit are tried.
fn arxiv_id(word: &str) -> Option<ArxivId> {
    let word = word.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ',' | ';'));
    if !word.bytes().any(|b| b.is_ascii_digit()) || word.len() > 200 {
        return None;
    }
    ArxivId::parse(word)
        .ok()
        .or_else(|| ArxivId::parse(word.trim_end_matches('.')).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SearchQuery, QueryError> {
        SearchQuery::parse(s, ParseOptions::default())
    }

    #[test]
    fn words_phrases_and_ids() {
        let q = parse(r#"  "token   merging" for  ViT 2511.22699v2 hep-th/9901001 "#).unwrap();
        assert_eq!(q.terms(), ["for", "ViT"]);
        assert_eq!(q.phrases(), ["token merging"]);
        let ids: Vec<&str> = q.arxiv_ids().iter().map(|i| i.as_str()).collect();
        assert_eq!(ids, ["2511.22699", "hep-th/9901001"]);
        assert_eq!(
            q.text(),
            "token merging for ViT 2511.22699v2 hep-th/9901001"
        );
    }

    #[test]
    fn syntax_characters_are_plain_text() {
        let q = parse("+a -b c:d (e) [f] g^2 h~ i* \\j /k gpt-4 cs.CL").unwrap();
        assert_eq!(
            q.terms(),
            [
                "a", "b", "c:d", "e", "f", "g^2", "h", "i", "j", "k", "gpt-4", "cs.CL"
            ]
        );
    }

    #[test]
    fn an_open_quote_runs_to_the_end() {
        let q = parse(r#"vision "token merging"#).unwrap();
        assert_eq!(q.terms(), ["vision"]);
        assert_eq!(q.phrases(), ["token merging"]);
        let q = parse(r#"vision ""#).unwrap();
        assert_eq!(q.terms(), ["vision"]);
        assert!(q.phrases().is_empty());
    }

    #[test]
    fn nothing_searchable_is_empty() {
        for s in [
            "",
            "   ",
            "\u{0}\u{7}\t\n",
            "-",
            ":",
            "*",
            "\"",
            "\"\"",
            "- : * ( ) \" ~",
            "\u{200B}",
        ] {
            let e = parse(s).unwrap_err();
            assert_eq!(e, QueryError::Empty, "{s:?}");
        }
        assert!(QueryError::Empty.to_string().contains("empty"));
    }

    #[test]
    fn too_long_is_refused_quickly() {
        let long = "word ".repeat(2048);
        let start = std::time::Instant::now();
        assert_eq!(parse(&long).unwrap_err(), QueryError::TooLong { max: 1000 });
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
        assert!(parse(&"a".repeat(1000)).is_ok());
        assert!(
            QueryError::TooLong { max: 1000 }
                .to_string()
                .contains("1000")
        );
        // Whitespace does not count until it separates words.
        let spaced = format!("{}x{}", " ".repeat(5000), " ".repeat(5000));
        assert_eq!(parse(&spaced).unwrap().terms(), ["x"]);
    }

    #[test]
    fn control_characters_separate_words() {
        let q = parse("token\u{0}merging\u{1b}[31m").unwrap();
        assert_eq!(q.terms(), ["token", "merging", "31m"]);
        assert_eq!(q.text(), "token merging [31m");
    }

    #[test]
    fn prefix_is_the_last_word_being_typed() {
        let on = ParseOptions { prefix: true };
        assert_eq!(
            SearchQuery::parse("vision transf", on)
                .unwrap()
                .prefix_term(),
            Some("transf")
        );
        assert_eq!(
            SearchQuery::parse("vision transf ", on)
                .unwrap()
                .prefix_term(),
            None
        );
        assert_eq!(
            SearchQuery::parse("\"vision transf\"", on)
                .unwrap()
                .prefix_term(),
            None
        );
        assert_eq!(
            SearchQuery::parse("vision transf", ParseOptions::default())
                .unwrap()
                .prefix_term(),
            None
        );
        assert_eq!(
            SearchQuery::parse("transf 2511.22699", on)
                .unwrap()
                .prefix_term(),
            None
        );
    }
}
