//! Turning text into token ids: the model's `tokenizer.json`, with its
//! truncation replaced by the model's real limit and its padding removed
//! (sequences are packed, never padded).

use std::path::Path;

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::EmbedError;

pub(crate) struct TextTokenizer {
    inner: Tokenizer,
    max_tokens: usize,
}

impl TextTokenizer {
    /// Loads `path`, truncating to `max_tokens` (special tokens included).
    pub fn load(path: &Path, max_tokens: usize) -> Result<Self, EmbedError> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| EmbedError::invalid(path, "tokenizer file", e))?;
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| EmbedError::invalid(path, "tokenizer file", e))?;
        Ok(TextTokenizer { inner, max_tokens })
    }

    /// The ids of `text`, with `[CLS]`/`[SEP]` and truncation applied.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let enc = self
            .inner
            .encode(text, true)
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
