//! Sentence embeddings computed in process from a sentence-transformers
//! model directory (BERT encoder, mean pooling, unit length), by default
//! `all-MiniLM-L6-v2`.
//!
//! Owns the public API ([`Embedder`], [`EmbedOptions`], [`Precision`],
//! [`EmbedError`]) and the batching: texts are tokenised, sorted by token
//! count, and packed end to end into chunks of about
//! [`EmbedOptions::chunk_tokens`] tokens with no padding; chunks run in
//! parallel on a rayon pool. The forward pass is in `bert`, its numerics in
//! `math`, the matrix kernels in `simd`.
//!
//! [`Precision::Int8`] (the default) quantises the linear layers' weights
//! per output column (symmetric) and their inputs per token (over each
//! token's min..max range), multiplies in int8 with i32 sums (AVX-512 VNNI
//! where the CPU has it), and keeps attention, layer norms, GELU and pooling
//! in f32. Its vectors are interchangeable with [`Precision::F32`]'s (cosine
//! about 0.999 on real abstracts, above 0.99 even for an empty text), so
//! both report the same [`Embedder::model_id`].

mod bert;
mod error;
mod math;
mod model_dir;
mod simd;
mod tokenize;

use std::path::Path;

pub use error::EmbedError;

/// How the linear layers are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// Full f32: the reference.
    F32,
    /// Int8 weights and activations with i32 sums: about twice as fast as
    /// [`Precision::F32`] end to end on CPUs with AVX-512 VNNI (the linear
    /// layers alone about 3.5 times).
    #[default]
    Int8,
}

/// How an [`Embedder`] is set up.
#[derive(Clone, Debug)]
pub struct EmbedOptions {
    /// Tokens kept per text, `[CLS]` and `[SEP]` included. `None` takes
    /// `max_seq_length` from `sentence_bert_config.json` (256 for the
    /// default model), capped by the model's position table.
    pub max_tokens: Option<usize>,
    /// Arithmetic of the linear layers.
    pub precision: Precision,
    /// Worker threads. `None` uses rayon's global pool (one thread per
    /// core); `Some(n)` gives this embedder its own pool of `n` threads.
    pub threads: Option<usize>,
    /// Tokens per packed chunk, the unit of parallel work.
    pub chunk_tokens: usize,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            max_tokens: None,
            precision: Precision::default(),
            threads: None,
            chunk_tokens: 1024,
        }
    }
}

/// A loaded model, ready to embed texts. `Send + Sync`: share it behind an
/// `Arc` and call it from many threads.
pub struct Embedder {
    model: bert::Bert,
    tokenizer: tokenize::TextTokenizer,
    model_id: String,
    max_tokens: usize,
    chunk_tokens: usize,
    pool: Option<rayon::ThreadPool>,
}

/// `max_seq_length` of a sentence-transformers directory lacking one.
const DEFAULT_MAX_TOKENS: usize = 256;

impl Embedder {
    /// Loads the model in `dir` with the default options.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with(dir, EmbedOptions::default())
    }

    /// Loads the model in `dir`.
    pub fn load_with(dir: &Path, opts: EmbedOptions) -> Result<Embedder, EmbedError> {
        let files = model_dir::read(dir)?;
        let limit = files.config.max_position_embeddings;
        let default_max = files
            .max_seq_length
            .unwrap_or(DEFAULT_MAX_TOKENS)
            .min(limit);
        let max_tokens = opts.max_tokens.unwrap_or(default_max).clamp(2, limit);
        let tokenizer = tokenize::TextTokenizer::load(&files.tokenizer_path, max_tokens)?;
        let model = bert::Bert::load(&files.tensors, &files.config, opts.precision)?;
        debug_assert!(max_tokens <= model.max_positions());
        let model_id = if max_tokens == default_max {
            files.weights_id
        } else {
            // Vectors of texts cut at another length are not the same.
            format!("{}+max{max_tokens}", files.weights_id)
        };
        let pool = match opts.threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .thread_name(|i| format!("embed-{i}"))
                    .build()
                    .map_err(|e| EmbedError::Threads(e.to_string()))?,
            ),
            None => None,
        };
        tracing::debug!(
            model_id,
            max_tokens,
            precision = ?opts.precision,
            isa = ?simd::isa(),
            "embedding model loaded from {}",
            dir.display()
        );
        Ok(Embedder {
            model,
            tokenizer,
            model_id,
            max_tokens,
            chunk_tokens: opts.chunk_tokens.max(1),
            pool,
        })
    }

    /// The identity of the weights (and of the truncation, when it is not
    /// the model's own): `all-MiniLM-L6-v2@<12 hex digits of the SHA-256 of
    /// model.safetensors>`. The same for both precisions, whose vectors are
    /// interchangeable. Vectors stored under another id must be recomputed.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Length of every vector (384 for the default model).
    pub fn dim(&self) -> usize {
        self.model.hidden()
    }

    /// Tokens kept per text, special tokens included.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Embeds `texts`: one unit-length vector per text, in order.
    pub fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        match &self.pool {
            Some(pool) => pool.install(|| self.embed_all(texts)),
            None => self.embed_all(texts),
        }
    }

    /// Embeds one text (a search query).
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let ids = self.tokenizer.encode(text)?;
        Ok(self.model.embed_chunk(&[&ids]).remove(0))
    }

    /// Tokens `text` is embedded from, after truncation, special tokens
    /// included (so never more than [`Embedder::max_tokens`]).
    pub fn count_tokens(&self, text: &str) -> usize {
        self.tokenizer.encode(text).map_or(0, |ids| ids.len())
    }

    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        use rayon::prelude::*;

        let ids = self.tokenizer.encode_all(texts)?;
        // Longest first, so that chunks hold texts of similar length and the
        // longest work starts first.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let total: usize = ids.iter().map(Vec::len).sum();
        // Enough chunks to keep every thread busy, none bigger than asked.
        let threads = rayon::current_num_threads().max(1);
        let target = self.chunk_tokens.min(total.div_ceil(2 * threads)).max(1);
        let mut chunks: Vec<Vec<usize>> = Vec::new();
        let mut current = Vec::new();
        let mut tokens = 0;
        for i in order {
            if !current.is_empty() && tokens + ids[i].len() > target {
                chunks.push(std::mem::take(&mut current));
                tokens = 0;
            }
            tokens += ids[i].len();
            current.push(i);
        }
        if !current.is_empty() {
            chunks.push(current);
        }

        let done: Vec<(Vec<usize>, Vec<Vec<f32>>)> = chunks
            .into_par_iter()
            .map(|chunk| {
                let seqs: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
                let vectors = self.model.embed_chunk(&seqs);
                (chunk, vectors)
            })
            .collect();
        let mut out = vec![Vec::new(); texts.len()];
        for (chunk, vectors) in done {
            for (i, v) in chunk.into_iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedder_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Embedder>();
    }
}
