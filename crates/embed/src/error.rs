//! The crate's one error type, [`EmbedError`].

use std::path::PathBuf;

/// Why a model could not be loaded or a text could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model directory does not exist (or is not a directory).
    #[error(
        "model directory {} does not exist; fetch the default model with `make model`",
        dir.display()
    )]
    MissingDir {
        /// The directory asked for.
        dir: PathBuf,
    },

    /// Files the model needs are absent from its directory.
    #[error(
        "model directory {} is missing {}; fetch the default model with `make model`",
        dir.display(),
        files.join(", ")
    )]
    MissingFiles {
        /// The model directory.
        dir: PathBuf,
        /// Each missing file, relative to `dir`.
        files: Vec<String>,
    },

    /// A model file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },

    /// A model file was read but its content is not what it should be:
    /// malformed JSON, a corrupt safetensors file, a tensor missing or of
    /// the wrong shape.
    #[error("{} is not a valid {what}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the file should have been ("BERT config", "safetensors file", …).
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The model is valid but uses something this crate does not implement
    /// (another architecture, activation, or pooling mode).
    #[error("{} describes an unsupported model: {reason}", path.display())]
    Unsupported {
        /// The file that says so.
        path: PathBuf,
        /// What is unsupported.
        reason: String,
    },

    /// The worker thread pool asked for in the options could not be started.
    #[error("cannot start the embedding worker threads: {0}")]
    Threads(String),

    /// The tokenizer rejected a text.
    #[error("cannot tokenize text: {0}")]
    Tokenize(String),
}

impl EmbedError {
    pub(crate) fn invalid(
        path: impl Into<PathBuf>,
        what: &'static str,
        reason: impl ToString,
    ) -> Self {
        EmbedError::Invalid {
            path: path.into(),
            what,
            reason: reason.to_string(),
        }
    }
}
