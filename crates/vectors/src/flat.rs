//! The flat store: every vector of the index as f16 rows beside its key, the
//! key-to-row map, and exact (brute-force) scoring over all rows or a subset.
//!
//! This store is the source of truth of the index. The approximate graph only
//! proposes candidates; their final scores always come from these rows.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

use crate::Neighbour;
use crate::topk::TopK;

/// Rows scored by one thread before the work is split across threads.
const PARALLEL_ROWS: usize = 32 * 1024;

/// A cheap hasher for u64 keys (a multiply-rotate mix); document numbers are
/// dense and sequential, which the mix spreads over the table.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
}

pub(crate) type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Vectors stored as f16 rows, addressed by key.
pub(crate) struct FlatStore {
    dim: usize,
    keys: Vec<u64>,
    data: Vec<f16>,
    rows: KeyMap<u32>,
}

impl FlatStore {
    pub(crate) fn new(dim: usize) -> Self {
        FlatStore {
            dim,
            keys: Vec::new(),
            data: Vec::new(),
            rows: KeyMap::default(),
        }
    }

    /// Builds a store from parallel key and f16 row arrays; `None` if a key repeats.
    pub(crate) fn from_parts(dim: usize, keys: Vec<u64>, data: Vec<f16>) -> Option<Self> {
        debug_assert_eq!(keys.len() * dim, data.len());
        let mut rows = KeyMap::default();
        rows.reserve(keys.len());
        for (i, &k) in keys.iter().enumerate() {
            if rows.insert(k, i as u32).is_some() {
                return None;
            }
        }
        Some(FlatStore {
            dim,
            keys,
            data,
            rows,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn keys(&self) -> &[u64] {
        &self.keys
    }

    pub(crate) fn data(&self) -> &[f16] {
        &self.data
    }

    pub(crate) fn contains(&self, key: u64) -> bool {
        self.rows.contains_key(&key)
    }

    /// Makes room for `additional` more rows. Growth is by an eighth rather
    /// than doubling: the rows are most of the index's memory.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let len = self.keys.len();
        if len + additional > self.keys.capacity() {
            let extra = additional.max(len / 8).max(64);
            self.keys.reserve_exact(extra);
            self.data.reserve_exact(extra * self.dim);
        }
        self.rows.reserve(additional);
    }

    pub(crate) fn row(&self, i: usize) -> &[f16] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The stored vector of `key`, widened to f32.
    pub(crate) fn get(&self, key: u64) -> Option<Vec<f32>> {
        let &row = self.rows.get(&key)?;
        let mut out = vec![0.0; self.dim];
        self.row(row as usize).convert_to_f32_slice(&mut out);
        Some(out)
    }

    /// Inserts or replaces; returns true if the key was already present.
    pub(crate) fn upsert(&mut self, key: u64, v: &[f32]) -> bool {
        debug_assert_eq!(v.len(), self.dim);
        if let Some(&row) = self.rows.get(&key) {
            let row = row as usize;
            self.data[row * self.dim..(row + 1) * self.dim].convert_from_f32_slice(v);
            true
        } else {
            let row = self.keys.len();
            self.reserve(1);
            self.keys.push(key);
            self.data.resize((row + 1) * self.dim, f16::ZERO);
            self.data[row * self.dim..].convert_from_f32_slice(v);
            self.rows.insert(key, row as u32);
            false
        }
    }

    /// Removes `key` by moving the last row into its place.
    pub(crate) fn remove(&mut self, key: u64) -> bool {
        let Some(row) = self.rows.remove(&key) else {
            return false;
        };
        let row = row as usize;
        let last = self.keys.len() - 1;
        if row != last {
            let moved = self.keys[last];
            self.keys[row] = moved;
            self.data
                .copy_within(last * self.dim..(last + 1) * self.dim, row * self.dim);
            self.rows.insert(moved, row as u32);
        }
        self.keys.pop();
        self.data.truncate(last * self.dim);
        true
    }

    /// The exact score of the stored vector of `key` against `q`.
    pub(crate) fn score_key(&self, q: &Query, key: u64, buf: &mut [f32]) -> Option<f32> {
        let &row = self.rows.get(&key)?;
        Some(q.score(self.row(row as usize), buf))
    }

    /// Exact top-`k` over every row passing `filter`.
    pub(crate) fn search(
        &self,
        q: &[f32],
        k: usize,
        filter: Option<&(dyn Fn(u64) -> bool + Sync)>,
    ) -> Vec<Neighbour> {
        if k == 0 || self.keys.is_empty() {
            return Vec::new();
        }
        let n = self.keys.len();
        let q = &Query::new(q);
        let scan = |start: usize, end: usize| {
            let mut top = TopK::new(k);
            let mut buf = vec![0.0f32; self.dim];
            for i in start..end {
                let key = self.keys[i];
                if filter.is_some_and(|f| !f(key)) {
                    continue;
                }
                top.push(key, q.score(self.row(i), &mut buf));
            }
            top
        };
        if n < PARALLEL_ROWS {
            return scan(0, n).into_sorted();
        }
        let parts = rayon::current_num_threads().max(1) * 4;
        let step = n.div_ceil(parts);
        (0..parts)
            .into_par_iter()
            .map(|p| scan((p * step).min(n), ((p + 1) * step).min(n)))
            .reduce(|| TopK::new(k), TopK::merge)
            .into_sorted()
    }

    /// Exact top-`k` over the given keys (unknown keys are skipped, repeats counted once).
    pub(crate) fn search_among(&self, q: &[f32], k: usize, keys: &[u64]) -> Vec<Neighbour> {
        let q = Query::new(q);
        let mut top = TopK::new(k);
        let mut buf = vec![0.0f32; self.dim];
        let mut seen = KeyMap::<()>::default();
        for &key in keys {
            if seen.insert(key, ()).is_some() {
                continue;
            }
            if let Some(s) = self.score_key(&q, key, &mut buf) {
                top.push(key, s);
            }
        }
        top.into_sorted()
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.keys.capacity() * size_of::<u64>()
            + self.data.capacity() * size_of::<f16>()
            // hashbrown: one control byte plus the entry per bucket.
            + self.rows.capacity() * 8 / 7 * (size_of::<(u64, u32)>() + 1)
    }
}

/// A query prepared for scoring against f16 rows without a conversion pass.
///
/// An f16 bit pattern shifted into an f32's exponent and mantissa fields
/// (sign moved to bit 31) is the f16's value times 2^-112, exactly, for normal
/// and subnormal values alike (the store holds no infinities or NaNs). The
/// 2^112 is folded into the query once, so each row costs only integer shifts
/// and a multiply-add per component, which the compiler vectorises.
pub(crate) struct Query {
    /// `q × 2^112`, or `None` when that would overflow (|q_i| ≥ 2^15) and
    /// rows are widened with `half` instead.
    scaled: Option<Vec<f32>>,
    plain: Vec<f32>,
}

/// 2^112 as an f32.
const TWO_POW_112: f32 = 5.192_297e33;

impl Query {
    pub(crate) fn new(q: &[f32]) -> Self {
        let fits = q.iter().all(|x| x.abs() < 32_768.0);
        Query {
            scaled: fits.then(|| q.iter().map(|x| x * TWO_POW_112).collect()),
            plain: q.to_vec(),
        }
    }

    /// The dot product of the query with an f16 row.
    pub(crate) fn score(&self, row: &[f16], buf: &mut [f32]) -> f32 {
        match &self.scaled {
            Some(scaled) => dot_f16_bits(scaled, row),
            None => {
                row.convert_to_f32_slice(buf);
                dot(&self.plain, buf)
            }
        }
    }
}

#[inline]
fn f16_bits_scaled(h: f16) -> f32 {
    let h = u32::from(h.to_bits());
    f32::from_bits(((h & 0x8000) << 16) | ((h & 0x7fff) << 13))
}

fn dot_f16_bits(scaled: &[f32], row: &[f16]) -> f32 {
    let mut acc = [0.0f32; 16];
    let ca = scaled.chunks_exact(16);
    let cb = row.chunks_exact(16);
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, &y)| x * f16_bits_scaled(y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * f16_bits_scaled(y[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Dot product written so the compiler vectorises it (16 independent lanes).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let ca = a.chunks_exact(16);
    let cb = b.chunks_exact(16);
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_trick_equals_widening() {
        let mut values: Vec<f16> = (0..=u16::MAX)
            .map(f16::from_bits)
            .filter(|x| x.is_finite())
            .collect();
        values.extend([f16::MIN_POSITIVE_SUBNORMAL, -f16::MIN_POSITIVE_SUBNORMAL]);
        for v in values {
            assert_eq!(f16_bits_scaled(v) * TWO_POW_112, f32::from(v), "{v}");
        }
        let q: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) / 40.0).collect();
        let row: Vec<f16> = (0..37)
            .map(|i| f16::from_f32((i as f32).sin() / 3.0))
            .collect();
        let mut buf = vec![0.0; 37];
        let wide: Vec<f32> = row.iter().map(|x| f32::from(*x)).collect();
        let fast = Query::new(&q).score(&row, &mut buf);
        assert!((fast - dot(&q, &wide)).abs() < 1e-5);
        let big: Vec<f32> = q.iter().map(|x| x * 1e6).collect();
        let slow = Query::new(&big).score(&row, &mut buf);
        assert!((slow - dot(&big, &wide)).abs() < 1.0);
    }
}
