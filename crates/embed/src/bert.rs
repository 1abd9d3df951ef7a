//! The BERT encoder's forward pass over packed sequences, with masked mean
//! pooling and L2 normalisation: the weights (f32 or int8 linear layers) and
//! the per-chunk computation.
//!
//! A chunk is several sequences laid end to end, without padding: the
//! linear layers see one `tokens × hidden` matrix, and attention runs per
//! sequence and head, so no token ever attends to another sequence or to
//! padding.

use crate::model_dir::{BertConfig, Tensors};
use crate::simd::{
    Epilogue, PackedF32, PackedI8, gelu, gemm_f32, gemm_u8i8, layer_norm, quantize_rows,
    softmax_rows,
};
use crate::{EmbedError, Precision};

/// A dense layer `y = x · Wᵀ + b`.
enum Linear {
    F32 {
        w: PackedF32,
        b: Vec<f32>,
    },
    /// Weights quantised per output column, inputs per row (token).
    Int8 {
        w: PackedI8,
        b: Vec<f32>,
    },
}

impl Linear {
    fn new(w: &[f32], b: Vec<f32>, n: usize, k: usize, precision: Precision) -> Self {
        match precision {
            Precision::F32 => Linear::F32 {
                w: PackedF32::from_rows(w, n, k),
                b,
            },
            Precision::Int8 => Linear::Int8 {
                w: PackedI8::from_rows(w, n, k),
                b,
            },
        }
    }

    fn out_features(&self) -> usize {
        match self {
            Linear::F32 { w, .. } => w.n,
            Linear::Int8 { w, .. } => w.n,
        }
    }

    /// `out (m × n) = x (m × k) · Wᵀ + b`, or `out += …` when `residual`.
    fn forward(&self, x: &[f32], m: usize, out: &mut [f32], residual: bool, q: &mut QuantBuf) {
        match self {
            Linear::F32 { w, b } => {
                let ep = Epilogue {
                    alpha: 1.0,
                    bias: Some(b),
                    accumulate: residual,
                };
                gemm_f32(m, x, w.k, w, out, w.n, ep);
            }
            Linear::Int8 { w, b } => {
                q.data.resize(m * w.kp, 0);
                q.scales.resize(m, 0.0);
                q.zeros.resize(m, 0.0);
                quantize_rows(
                    &x[..m * w.k],
                    w.k,
                    &mut q.data,
                    w.kp,
                    &mut q.scales,
                    &mut q.zeros,
                );
                let ep = Epilogue {
                    alpha: 1.0,
                    bias: Some(b),
                    accumulate: residual,
                };
                gemm_u8i8(m, &q.data, w.kp, &q.scales, &q.zeros, w, out, w.n, ep);
            }
        }
    }
}

/// Reused storage for quantised activations.
#[derive(Default)]
struct QuantBuf {
    data: Vec<u8>,
    scales: Vec<f32>,
    zeros: Vec<f32>,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// Query, key and value projections fused into one `3·hidden` output.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    ffn_in: Linear,
    ffn_out: Linear,
    ffn_norm: Norm,
}

/// The encoder's weights.
pub(crate) struct Bert {
    hidden: usize,
    heads: usize,
    intermediate: usize,
    eps: f32,
    max_positions: usize,
    vocab: usize,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Builds the encoder from a checkpoint, quantising the linear layers
    /// when `precision` says so.
    pub fn load(t: &Tensors, c: &BertConfig, precision: Precision) -> Result<Self, EmbedError> {
        let h = c.hidden_size;
        let i = c.intermediate_size;
        let norm = |prefix: &str| -> Result<Norm, EmbedError> {
            Ok(Norm {
                gamma: t.get(&format!("{prefix}.weight"), &[h])?.to_vec(),
                beta: t.get(&format!("{prefix}.bias"), &[h])?.to_vec(),
            })
        };
        let linear = |prefix: &str, n: usize, k: usize| -> Result<Linear, EmbedError> {
            let w = t.get(&format!("{prefix}.weight"), &[n, k])?;
            let b = t.get(&format!("{prefix}.bias"), &[n])?.to_vec();
            Ok(Linear::new(w, b, n, k, precision))
        };
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for l in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            let mut w = Vec::with_capacity(3 * h * h);
            let mut b = Vec::with_capacity(3 * h);
            for part in ["query", "key", "value"] {
                w.extend_from_slice(t.get(&format!("{p}.attention.self.{part}.weight"), &[h, h])?);
                b.extend_from_slice(t.get(&format!("{p}.attention.self.{part}.bias"), &[h])?);
            }
            layers.push(Layer {
                qkv: Linear::new(&w, b, 3 * h, h, precision),
                attn_out: linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                ffn_in: linear(&format!("{p}.intermediate.dense"), i, h)?,
                ffn_out: linear(&format!("{p}.output.dense"), h, i)?,
                ffn_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        let token_type = t.get(
            "embeddings.token_type_embeddings.weight",
            &[c.type_vocab_size, h],
        )?;
        Ok(Bert {
            hidden: h,
            heads: c.num_attention_heads,
            intermediate: i,
            eps: c.layer_norm_eps as f32,
            max_positions: c.max_position_embeddings,
            vocab: c.vocab_size,
            word: t
                .get("embeddings.word_embeddings.weight", &[c.vocab_size, h])?
                .to_vec(),
            position: t
                .get(
                    "embeddings.position_embeddings.weight",
                    &[c.max_position_embeddings, h],
                )?
                .to_vec(),
            token_type0: token_type[..h].to_vec(),
            emb_norm: norm("embeddings.LayerNorm")?,
            layers,
        })
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// Embeds each sequence of `seqs` (token ids, each at most
    /// `max_positions` long): mean of the last hidden states over the
    /// sequence's tokens, scaled to unit length.
    pub fn embed_chunk(&self, seqs: &[&[u32]]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let m: usize = seqs.iter().map(|s| s.len()).sum();
        let mut x = vec![0f32; m * h];
        let mut row = 0;
        for s in seqs {
            for (pos, &id) in s.iter().enumerate() {
                let id = (id as usize).min(self.vocab - 1);
                let dst = &mut x[row * h..(row + 1) * h];
                let word = &self.word[id * h..(id + 1) * h];
                let position = &self.position[pos * h..(pos + 1) * h];
                for (((d, w), p), t) in dst
                    .iter_mut()
                    .zip(word)
                    .zip(position)
                    .zip(&self.token_type0)
                {
                    *d = w + p + t;
                }
                row += 1;
            }
        }
        layer_norm(
            &mut x,
            h,
            &self.emb_norm.gamma,
            &self.emb_norm.beta,
            self.eps,
        );

        let mut s = Scratch::default();
        for layer in &self.layers {
            self.layer_forward(layer, &mut x, m, seqs, &mut s);
        }

        let mut out = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for sq in seqs {
            let mut v = vec![0f32; h];
            for r in start..start + sq.len() {
                for (a, b) in v.iter_mut().zip(&x[r * h..(r + 1) * h]) {
                    *a += b;
                }
            }
            start += sq.len();
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|a| *a /= norm);
            }
            out.push(v);
        }
        out
    }

    fn layer_forward(&self, l: &Layer, x: &mut [f32], m: usize, seqs: &[&[u32]], s: &mut Scratch) {
        let h = self.hidden;
        let qkv_n = l.qkv.out_features();
        s.qkv.resize(m * qkv_n, 0.0);
        l.qkv.forward(x, m, &mut s.qkv, false, &mut s.quant);

        s.ctx.resize(m * h, 0.0);
        self.attention(&s.qkv, seqs, &mut s.ctx, &mut s.attn);

        l.attn_out.forward(&s.ctx, m, x, true, &mut s.quant);
        layer_norm(x, h, &l.attn_norm.gamma, &l.attn_norm.beta, self.eps);

        s.ffn.resize(m * self.intermediate, 0.0);
        l.ffn_in.forward(x, m, &mut s.ffn, false, &mut s.quant);
        gelu(&mut s.ffn);
        l.ffn_out.forward(&s.ffn, m, x, true, &mut s.quant);
        layer_norm(x, h, &l.ffn_norm.gamma, &l.ffn_norm.beta, self.eps);
    }

    /// Scaled dot-product attention of every head of every sequence, in f32.
    fn attention(&self, qkv: &[f32], seqs: &[&[u32]], ctx: &mut [f32], a: &mut AttnBuf) {
        let h = self.hidden;
        let dh = h / self.heads;
        let stride = 3 * h;
        let alpha = 1.0 / (dh as f32).sqrt();
        let mut start = 0;
        for sq in seqs {
            let n = sq.len();
            let rows = &qkv[start * stride..(start + n) * stride];
            a.scores.resize(n * n, 0.0);
            for head in 0..self.heads {
                let (qo, ko, vo) = (head * dh, h + head * dh, 2 * h + head * dh);
                // scores = alpha · Q Kᵀ: the "weights" are the keys.
                a.keys.repack(n, dh, |j, d| rows[j * stride + ko + d]);
                let ep = Epilogue {
                    alpha,
                    ..Epilogue::PLAIN
                };
                gemm_f32(n, &rows[qo..], stride, &a.keys, &mut a.scores, n, ep);
                softmax_rows(&mut a.scores, n);
                // ctx = P V: the "weights" are the values, transposed.
                a.values.repack(dh, n, |j, t| rows[t * stride + vo + j]);
                let out = &mut ctx[start * h + head * dh..];
                gemm_f32(n, &a.scores, n, &a.values, out, h, Epilogue::PLAIN);
            }
            start += n;
        }
    }
}

#[derive(Default)]
struct Scratch {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    ffn: Vec<f32>,
    quant: QuantBuf,
    attn: AttnBuf,
}

struct AttnBuf {
    scores: Vec<f32>,
    keys: PackedF32,
    values: PackedF32,
}

impl Default for AttnBuf {
    fn default() -> Self {
        AttnBuf {
            scores: Vec::new(),
            keys: PackedF32::empty(),
            values: PackedF32::empty(),
        }
    }
}
