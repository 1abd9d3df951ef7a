//! Reading a sentence-transformers model directory: which files must be
//! there, the BERT and pooling configuration, the safetensors weights, and
//! the identity of those weights.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::EmbedError;

/// Files without which a directory is not a model, relative to it.
pub(crate) const REQUIRED_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// SHA-256 of the default model's weights, and the name it goes by.
const KNOWN_WEIGHTS: [(&str, &str); 1] = [(
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "all-MiniLM-L6-v2",
)];

/// The parts of a Hugging Face BERT `config.json` the forward pass needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BertConfig {
    #[serde(default)]
    pub model_type: Option<String>,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_act() -> String {
    "gelu".to_owned()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

#[derive(Debug, Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

/// Everything read from a model directory.
pub(crate) struct ModelFiles {
    pub config: BertConfig,
    /// `max_seq_length` from `sentence_bert_config.json`, when present.
    pub max_seq_length: Option<usize>,
    pub tokenizer_path: PathBuf,
    pub tensors: Tensors,
    /// `<name>@<first 12 hex digits of sha256(model.safetensors)>`.
    pub weights_id: String,
}

/// The checkpoint's tensors as f32, by name.
pub(crate) struct Tensors {
    path: PathBuf,
    map: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl Tensors {
    /// The tensor `name`, checked to have `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&[f32], EmbedError> {
        let (got, data) = self.map.get(name).ok_or_else(|| {
            EmbedError::invalid(
                &self.path,
                "BERT checkpoint",
                format!("tensor {name} is missing"),
            )
        })?;
        if got != shape {
            return Err(EmbedError::invalid(
                &self.path,
                "BERT checkpoint",
                format!("tensor {name} has shape {got:?}, expected {shape:?}"),
            ));
        }
        Ok(data)
    }
}

/// Checks `dir` and reads the model in it.
pub(crate) fn read(dir: &Path) -> Result<ModelFiles, EmbedError> {
    if !dir.is_dir() {
        return Err(EmbedError::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    let missing: Vec<String> = REQUIRED_FILES
        .iter()
        .filter(|f| !dir.join(f).is_file())
        .map(|f| (*f).to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(EmbedError::MissingFiles {
            dir: dir.to_path_buf(),
            files: missing,
        });
    }

    let config_path = dir.join("config.json");
    let config: BertConfig = read_json(&config_path, "BERT config")?;
    check_config(&config, &config_path)?;

    let sbert_path = dir.join("sentence_bert_config.json");
    let max_seq_length = if sbert_path.is_file() {
        read_json::<SentenceBertConfig>(&sbert_path, "sentence-transformers config")?.max_seq_length
    } else {
        None
    };

    let pooling_path = dir.join("1_Pooling").join("config.json");
    if pooling_path.is_file() {
        let p: PoolingConfig = read_json(&pooling_path, "pooling config")?;
        if !p.pooling_mode_mean_tokens
            || p.pooling_mode_cls_token
            || p.pooling_mode_max_tokens
            || p.pooling_mode_mean_sqrt_len_tokens
        {
            return Err(EmbedError::Unsupported {
                path: pooling_path,
                reason: "only mean pooling (pooling_mode_mean_tokens alone) is implemented"
                    .to_owned(),
            });
        }
    }

    let weights_path = dir.join("model.safetensors");
    let bytes = std::fs::read(&weights_path).map_err(|source| EmbedError::Read {
        path: weights_path.clone(),
        source,
    })?;
    let digest = hex(&Sha256::digest(&bytes));
    let name = KNOWN_WEIGHTS
        .iter()
        .find(|(sha, _)| *sha == digest)
        .map(|(_, name)| (*name).to_owned())
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "model".to_owned());
    let weights_id = format!("{name}@{}", &digest[..12]);
    let tensors = parse_safetensors(&bytes, &weights_path)?;

    Ok(ModelFiles {
        config,
        max_seq_length,
        tokenizer_path: dir.join("tokenizer.json"),
        tensors,
        weights_id,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
) -> Result<T, EmbedError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmbedError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| EmbedError::invalid(path, what, e))
}

fn check_config(c: &BertConfig, path: &Path) -> Result<(), EmbedError> {
    let unsupported = |reason: String| EmbedError::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    if let Some(t) = &c.model_type
        && t != "bert"
    {
        return Err(unsupported(format!(
            "model_type is {t:?}; only \"bert\" is implemented"
        )));
    }
    if !matches!(
        c.hidden_act.as_str(),
        "gelu" | "gelu_new" | "gelu_pytorch_tanh"
    ) {
        return Err(unsupported(format!(
            "hidden_act is {:?}; only GELU is implemented",
            c.hidden_act
        )));
    }
    if let Some(p) = &c.position_embedding_type
        && p != "absolute"
    {
        return Err(unsupported(format!(
            "position_embedding_type is {p:?}; only \"absolute\" is implemented"
        )));
    }
    if c.num_attention_heads == 0 || !c.hidden_size.is_multiple_of(c.num_attention_heads) {
        return Err(EmbedError::invalid(
            path,
            "BERT config",
            format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                c.hidden_size, c.num_attention_heads
            ),
        ));
    }
    if c.hidden_size == 0 || c.intermediate_size == 0 || c.max_position_embeddings < 2 {
        return Err(EmbedError::invalid(
            path,
            "BERT config",
            "a dimension is zero",
        ));
    }
    Ok(())
}

fn parse_safetensors(bytes: &[u8], path: &Path) -> Result<Tensors, EmbedError> {
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| EmbedError::invalid(path, "safetensors file", e))?;
    let mut map = HashMap::new();
    for (name, view) in st.tensors() {
        let data = match view.dtype() {
            safetensors::Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            safetensors::Dtype::BF16 => view
                .data()
                .chunks_exact(2)
                .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16))
                .collect(),
            // Integer tensors (position ids) and other types are not weights
            // the forward pass reads; a weight stored so is reported as
            // missing by `Tensors::get`.
            _ => continue,
        };
        // Some checkpoints prefix every name with the architecture.
        let name = name.strip_prefix("bert.").unwrap_or(&name).to_owned();
        map.insert(name, (view.shape().to_vec(), data));
    }
    Ok(Tensors {
        path: path.to_path_buf(),
        map,
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
