//! Deterministic synthetic sentence-embedding-like vectors, for benchmarks and
//! tests of the index when no real embeddings are at hand.
//!
//! What the generator models (real sentence embeddings are neither uniform
//! on the sphere nor isotropic, and uniform random vectors in 384-d are both
//! unrealistically hard for an approximate index and unlike real data):
//!
//! - **A shared direction.** Every vector leans on one common mean direction,
//!   as real embedding spaces do (unrelated texts still have cosine ≈ 0.05–0.2).
//! - **Fields → topics → sub-topics.** A few dozen broad fields; a few hundred
//!   to a few thousand topic centroids drawn around them; 1–8 sub-topics per
//!   topic drawn around their topic.
//! - **Zipf-sized topics.** A vector's topic is drawn with probability
//!   ∝ 1/rank^0.9, so a few topics are huge and most are small.
//! - **Anisotropic noise.** Each topic has 4 directions of its own along which
//!   its documents vary most, plus background noise whose variance decays
//!   across dimensions (a power-law spectrum over a random permutation of the
//!   axes), giving the space an effective dimension of a few dozen rather than 384.
//!
//! With the default weights, a document's cosine to its sub-topic centre is
//! about 0.8, to documents of the same sub-topic about 0.6–0.7, and to random
//! documents about 0.1. Queries come from the same model (topic drawn by the
//! same Zipf law) with more noise, from a different random stream, so they are
//! near the corpus without being copies of corpus vectors.
//!
//! Everything is a pure function of `(corpus size, dim, seed)` (and the
//! query seed for queries): the same arguments give the same vectors on every
//! platform.

use std::sync::Arc;

/// Relative weight of the sub-topic centre in a document.
const W_CENTRE: f32 = 1.0;
/// Weight of the topic's own noise directions.
const W_TOPIC_NOISE: f32 = 0.35;
/// Weight of the background noise for documents and for queries.
const W_NOISE_DOC: f32 = 0.55;
const W_NOISE_QUERY: f32 = 0.75;
/// Weight of the shared direction.
const W_SHARED: f32 = 0.3;
/// Noise directions per topic.
const TOPIC_DIRS: usize = 4;

/// The topic model behind a synthetic corpus.
pub struct Model {
    dim: usize,
    seed: u64,
    shared: Vec<f32>,
    /// Standard deviation of background noise per dimension.
    spectrum: Vec<f32>,
    topics: Vec<Topic>,
    /// Cumulative Zipf weights of the topics.
    cdf: Vec<f64>,
}

struct Topic {
    subs: Vec<Vec<f32>>,
    dirs: Vec<Vec<f32>>,
}

impl Model {
    /// The model of a corpus of about `n` vectors of `dim` dimensions.
    pub fn new(n: usize, dim: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x5EED_0F70_71C5);
        let spectrum = {
            let mut order: Vec<usize> = (0..dim).collect();
            for i in (1..dim).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut s = vec![0.0f32; dim];
            for (rank, &axis) in order.iter().enumerate() {
                s[axis] = (1.0 + rank as f32).powf(-0.5);
            }
            let norm = s.iter().map(|x| x * x).sum::<f32>().sqrt();
            s.iter_mut().for_each(|x| *x /= norm.max(f32::MIN_POSITIVE));
            s
        };
        let shared = rng.unit(dim, &spectrum);
        let n_topics = (n / 250).clamp(16, 4000);
        let n_fields = (n_topics / 50).clamp(8, 64);
        let fields: Vec<Vec<f32>> = (0..n_fields).map(|_| rng.unit(dim, &spectrum)).collect();
        let topics = (0..n_topics)
            .map(|_| {
                let field = &fields[rng.below(n_fields as u64) as usize];
                let own = rng.unit(dim, &spectrum);
                let centre = normalized(mix(&[(field, 0.7), (&own, 1.0)]));
                let n_subs = 1 + rng.below(8) as usize;
                let subs = (0..n_subs)
                    .map(|_| {
                        let off = rng.unit(dim, &spectrum);
                        normalized(mix(&[(&centre, 1.0), (&off, 0.5)]))
                    })
                    .collect();
                let dirs = (0..TOPIC_DIRS).map(|_| rng.unit(dim, &spectrum)).collect();
                Topic { subs, dirs }
            })
            .collect();
        let mut acc = 0.0f64;
        let mut cdf: Vec<f64> = (0..n_topics)
            .map(|r| {
                acc += 1.0 / (1.0 + r as f64).powf(0.9);
                acc
            })
            .collect();
        cdf.iter_mut().for_each(|c| *c /= acc);
        Model {
            dim,
            seed,
            shared,
            spectrum,
            topics,
            cdf,
        }
    }

    /// `n` corpus vectors.
    pub fn corpus(self: &Arc<Self>, n: usize) -> Stream {
        Stream {
            model: Arc::clone(self),
            rng: Rng::new(self.seed ^ 0x00C0_4B05),
            remaining: n,
            noise: W_NOISE_DOC,
        }
    }

    /// `n` query vectors, drawn with `seed` from a stream distinct from the corpus.
    pub fn queries(self: &Arc<Self>, n: usize, seed: u64) -> Stream {
        Stream {
            model: Arc::clone(self),
            rng: Rng::new(self.seed.rotate_left(17) ^ seed ^ 0x9E4E_5EED),
            remaining: n,
            noise: W_NOISE_QUERY,
        }
    }

    fn sample(&self, rng: &mut Rng, noise: f32) -> Vec<f32> {
        let u = rng.f64();
        let t = self
            .cdf
            .partition_point(|&c| c < u)
            .min(self.topics.len() - 1);
        let topic = &self.topics[t];
        let sub = &topic.subs[rng.below(topic.subs.len() as u64) as usize];
        let mut v: Vec<f32> = sub
            .iter()
            .zip(&self.shared)
            .map(|(c, s)| W_CENTRE * c + W_SHARED * s)
            .collect();
        let tn = W_TOPIC_NOISE / (TOPIC_DIRS as f32).sqrt();
        for d in &topic.dirs {
            let g = rng.gauss() * tn;
            v.iter_mut().zip(d).for_each(|(x, y)| *x += g * y);
        }
        for (x, s) in v.iter_mut().zip(&self.spectrum) {
            *x += noise * s * rng.gauss();
        }
        debug_assert_eq!(v.len(), self.dim);
        normalized(v)
    }
}

/// An iterator over synthetic unit vectors.
pub struct Stream {
    model: Arc<Model>,
    rng: Rng,
    remaining: usize,
    noise: f32,
}

impl Iterator for Stream {
    type Item = Vec<f32>;
    fn next(&mut self) -> Option<Vec<f32>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(self.model.sample(&mut self.rng, self.noise))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Stream {}

/// `n` corpus vectors of `dim` dimensions (unit length) for `seed`.
pub fn vectors(n: usize, dim: usize, seed: u64) -> Stream {
    Arc::new(Model::new(n, dim, seed)).corpus(n)
}

/// `count` queries for the corpus `vectors(corpus_n, dim, seed)`: vectors
/// from the same topics, noisier, and not copies of corpus vectors.
pub fn queries(count: usize, corpus_n: usize, dim: usize, seed: u64) -> Stream {
    Arc::new(Model::new(corpus_n, dim, seed)).queries(count, 1)
}

fn mix(parts: &[(&Vec<f32>, f32)]) -> Vec<f32> {
    let mut out = vec![0.0f32; parts[0].0.len()];
    for (v, w) in parts {
        out.iter_mut().zip(v.iter()).for_each(|(o, x)| *o += w * x);
    }
    out
}

fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

/// xoshiro256++ seeded through splitmix64: small, fast and stable.
struct Rng {
    s: [u64; 4],
    spare: Option<f32>,
}

impl Rng {
    fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    fn u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// Standard normal (Box–Muller).
    fn gauss(&mut self) -> f32 {
        if let Some(g) = self.spare.take() {
            return g;
        }
        let u1 = self.f64().max(f64::MIN_POSITIVE);
        let u2 = self.f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some((r * s) as f32);
        (r * c) as f32
    }

    /// A random unit vector shaped by the noise spectrum.
    fn unit(&mut self, dim: usize, spectrum: &[f32]) -> Vec<f32> {
        normalized((0..dim).map(|i| self.gauss() * spectrum[i]).collect())
    }
}
