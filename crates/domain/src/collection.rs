//! What a collection is made of: a member's named, ordered list of papers,
//! each with an optional note. Titles, descriptions and notes are plain
//! text (pages escape them; nothing in them is markup), checked here
//! against [`crate::limits`]; every refusal names the field it is about,
//! as the API's 400 repeats it.
//!
//! A collection is addressed as Hugging Face addresses one, by a slug
//! `owner/title-words-<24 hex id>` ([`slug`]): the id at the end finds it,
//! so a slug made before a rename still works.

use crate::limits::{COLLECTION_DESCRIPTION_CHARS, COLLECTION_NOTE_CHARS, COLLECTION_TITLE_CHARS};

/// The themes a collection may have (upstream's colours).
pub const THEMES: &[&str] = &["orange", "blue", "green", "purple", "pink", "indigo"];

/// The theme of a collection made without one.
pub const DEFAULT_THEME: &str = "orange";

/// The most title words a slug keeps, in characters.
const SLUG_WORDS_CHARS: usize = 60;

/// Why a collection's field was refused; the message starts with the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CollectionError {
    /// The title is blank.
    #[error("title: a collection needs a title")]
    EmptyTitle,
    /// The title is over [`COLLECTION_TITLE_CHARS`].
    #[error("title: at most {COLLECTION_TITLE_CHARS} characters (got {0})")]
    TitleTooLong(usize),
    /// The description is over [`COLLECTION_DESCRIPTION_CHARS`].
    #[error("description: at most {COLLECTION_DESCRIPTION_CHARS} characters (got {0})")]
    DescriptionTooLong(usize),
    /// The note is over [`COLLECTION_NOTE_CHARS`].
    #[error("note: at most {COLLECTION_NOTE_CHARS} characters (got {0})")]
    NoteTooLong(usize),
    /// The theme is not one of [`THEMES`].
    #[error("theme: expected one of orange, blue, green, purple, pink, indigo (got {0:?})")]
    UnknownTheme(String),
}

/// A collection's title: one line, white space collapsed, not blank, at
/// most [`COLLECTION_TITLE_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionTitle(String);

impl CollectionTitle {
    pub fn parse(raw: &str) -> Result<Self, CollectionError> {
        let title = one_line(raw);
        if title.is_empty() {
            return Err(CollectionError::EmptyTitle);
        }
        let n = title.chars().count();
        if n > COLLECTION_TITLE_CHARS {
            return Err(CollectionError::TitleTooLong(n));
        }
        Ok(CollectionTitle(title))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What makes two titles of one owner the same: the title in lower case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A description: one line, white space collapsed, at most
/// [`COLLECTION_DESCRIPTION_CHARS`] characters; blank is none.
pub fn parse_description(raw: &str) -> Result<Option<String>, CollectionError> {
    let text = one_line(raw);
    let n = text.chars().count();
    if n > COLLECTION_DESCRIPTION_CHARS {
        return Err(CollectionError::DescriptionTooLong(n));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// An item's note: line ends normalised to `\n`, other control characters
/// dropped, trimmed, at most [`COLLECTION_NOTE_CHARS`] characters; blank
/// is none.
pub fn parse_note(raw: &str) -> Result<Option<String>, CollectionError> {
    let text: String = raw
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    let text = text.trim();
    let n = text.chars().count();
    if n > COLLECTION_NOTE_CHARS {
        return Err(CollectionError::NoteTooLong(n));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// A theme, if it is one of [`THEMES`] (any case).
pub fn parse_theme(raw: &str) -> Result<&'static str, CollectionError> {
    let lower = raw.trim().to_ascii_lowercase();
    THEMES
        .iter()
        .find(|t| **t == lower)
        .copied()
        .ok_or_else(|| CollectionError::UnknownTheme(raw.chars().take(40).collect()))
}

/// Text on one line: control characters and runs of white space become
/// one space, and the ends are trimmed.
fn one_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A collection's slug: `owner/title-words-id`, the title's ASCII letters
/// and digits in lower case, words joined by `-` (at most
/// [`SLUG_WORDS_CHARS`] characters of them), then the id; `owner/id` for
/// a title without any.
pub fn slug(owner: &str, title: &str, id: &str) -> String {
    let mut words = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if words.len() + word.len() + 1 > SLUG_WORDS_CHARS {
            break;
        }
        if !words.is_empty() {
            words.push('-');
        }
        words.push_str(&word.to_ascii_lowercase());
    }
    if words.is_empty() {
        format!("{owner}/{id}")
    } else {
        format!("{owner}/{words}-{id}")
    }
}

/// Whether `s` is an object id: 24 hexadecimal digits.
pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The id at the end of a slug's last part (`title-words-<id>` or `<id>`),
/// in lower case; `None` when it does not end in one.
pub fn id_of_slug(tail: &str) -> Option<String> {
    let id = tail.rsplit('-').next()?;
    is_object_id(id).then(|| id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_and_limited() {
        let t = CollectionTitle::parse("  Speculative\n decoding\t <b>!</b> ").unwrap();
        assert_eq!(t.as_str(), "Speculative decoding <b>!</b>");
        assert_eq!(t.key(), "speculative decoding <b>!</b>");
        assert_eq!(
            CollectionTitle::parse(" \n "),
            Err(CollectionError::EmptyTitle)
        );
        let long = "é".repeat(COLLECTION_TITLE_CHARS + 1);
        let err = CollectionTitle::parse(&long).unwrap_err();
        assert!(err.to_string().starts_with("title: at most 150"), "{err}");
    }

    #[test]
    fn descriptions_notes_and_themes() {
        assert_eq!(parse_description("  "), Ok(None));
        assert_eq!(parse_description(" a\nb "), Ok(Some("a b".into())));
        assert!(
            parse_description(&"x".repeat(151))
                .unwrap_err()
                .to_string()
                .starts_with("description:")
        );
        assert_eq!(parse_note(" a\r\nb\u{7} "), Ok(Some("a\nb".into())));
        assert_eq!(parse_note(""), Ok(None));
        assert!(
            parse_note(&"x".repeat(501))
                .unwrap_err()
                .to_string()
                .starts_with("note: at most 500")
        );
        assert_eq!(parse_theme("Pink"), Ok("pink"));
        assert!(
            parse_theme("mauve")
                .unwrap_err()
                .to_string()
                .starts_with("theme:")
        );
    }

    #[test]
    fn slugs_end_in_the_id() {
        let id = "65f0a1b2c3d4e5f601234567";
        assert_eq!(
            slug("ada", "Recent models: LLMs & more!", id),
            format!("ada/recent-models-llms-more-{id}")
        );
        assert_eq!(slug("ada", "日本語", id), format!("ada/{id}"));
        let long = slug("ada", &"word ".repeat(40), id);
        assert!(long.len() <= "ada/".len() + SLUG_WORDS_CHARS + 25, "{long}");
        assert_eq!(id_of_slug(&format!("stale-title-{id}")), Some(id.into()));
        assert_eq!(id_of_slug(id), Some(id.into()));
        assert_eq!(
            id_of_slug("65F0A1B2C3D4E5F601234567").as_deref(),
            Some("65f0a1b2c3d4e5f601234567")
        );
        assert_eq!(id_of_slug("title-12345"), None);
        assert_eq!(id_of_slug("title-zzzzzzzzzzzzzzzzzzzzzzzz"), None);
    }
}
