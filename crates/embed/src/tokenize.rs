//! Turning text into token ids: the model's `tokenizer.json`, with its
//! truncation replaced by the model's real limit and its padding removed
//! (sequences are packed, never padded). The text is cut to
//! [`CHARS_PER_TOKEN`] characters per token kept before it reaches the
//! tokenizer, so a text of any length costs what its head costs.

use std::path::Path;

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::EmbedError;

/// Characters looked at per token kept. A WordPiece token of English covers
/// 4–5 characters on average and a word of more than 100 characters is one
/// `[UNK]`, so 16 leaves every real text its full count of tokens.
pub const CHARS_PER_TOKEN: usize = 16;

/// The head of `text` the tokenizer sees when `max_tokens` are kept: at most
/// `max_tokens × CHARS_PER_TOKEN` characters, cut at a character boundary.
pub(crate) fn head_for_tokens(text: &str, max_tokens: usize) -> &str {
    let max_chars = max_tokens.saturating_mul(CHARS_PER_TOKEN);
    if text.len() <= max_chars {
        return text;
    }
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

pub(crate) struct TextTokenizer {
    inner: Tokenizer,
    max_tokens: usize,
}

impl TextTokenizer {
    /// Loads `path`, truncating to `max_tokens` (special tokens included).
    pub fn load(path: &Path, max_tokens: usize) -> Result<Self, EmbedError> {
        let inner = Tokenizer::from_file(path)
            .map_err(|e| EmbedError::invalid(path, "tokenizer file", e))?;
        Self::new(inner, max_tokens).map_err(|e| EmbedError::invalid(path, "tokenizer file", e))
    }

    /// `inner` without padding, truncating to `max_tokens`.
    fn new(mut inner: Tokenizer, max_tokens: usize) -> tokenizers::Result<Self> {
        inner.with_padding(None);
        inner.with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
            direction: TruncationDirection::Right,
        }))?;
        Ok(TextTokenizer { inner, max_tokens })
    }

    /// The ids of `text`, with `[CLS]`/`[SEP]` and truncation applied.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let enc = self
            .inner
            .encode(head_for_tokens(text, self.max_tokens), true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let mut ids = enc.get_ids().to_vec();
        // The truncation above already holds; this keeps the forward pass
        // within its position table whatever the tokenizer file says.
        ids.truncate(self.max_tokens);
        Ok(ids)
    }

    /// Ids of many texts, encoded in parallel.
    pub fn encode_all(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        use rayon::prelude::*;
        texts.par_iter().map(|t| self.encode(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A WordPiece tokenizer over a few words, set up as the model's is.
    fn tokenizer(max_tokens: usize) -> TextTokenizer {
        let json = r###"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
            "normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,
            "decoder":null,"model":{"type":"WordPiece","unk_token":"[UNK]",
            "continuing_subword_prefix":"##","max_input_chars_per_word":100,
            "vocab":{"[UNK]":0,"graph":1,"neural":2,"network":3,"##s":4}}}"###;
        let inner: Tokenizer = json.parse().unwrap();
        TextTokenizer::new(inner, max_tokens).unwrap()
    }

    #[test]
    fn the_head_is_cut_at_a_character_boundary() {
        assert_eq!(head_for_tokens("short", 256), "short");
        let text = "é".repeat(100);
        assert_eq!(head_for_tokens(&text, 2), "é".repeat(32));
    }

    #[test]
    fn a_huge_text_costs_what_its_head_costs_and_gives_the_same_ids() {
        let t = tokenizer(256);
        let huge = "graph neural networks ".repeat(10_000_000); // 220 MB
        let head = head_for_tokens(&huge, 256);
        assert_eq!(head.len(), 256 * CHARS_PER_TOKEN);
        let start = Instant::now();
        let ids = t.encode(&huge).unwrap();
        let took = start.elapsed();
        assert_eq!(ids.len(), 256);
        assert_eq!(ids, t.encode(head).unwrap());
        // Tokenising 220 MB whole takes many seconds; the head takes
        // milliseconds.
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }
}
