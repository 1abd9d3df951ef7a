//! Element-wise and row-wise numerics of the forward pass: layer norm, GELU,
//! softmax, per-row int8 quantisation, and the branch-free `exp`/`erf` they
//! use. Written as plain `#[inline(always)]` loops that the compiler
//! vectorises; [`crate::simd`] compiles one copy of each per instruction set
//! and is what the forward pass calls.

/// Layer norm of each `width`-long row of `x`, in place.
#[inline(always)]
pub(crate) fn layer_norm(x: &mut [f32], width: usize, gamma: &[f32], beta: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(width) {
        layer_norm_row(row, gamma, beta, eps);
    }
}

#[inline(always)]
fn layer_norm_row(row: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    let var = row
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .fold(0.0, |a, b| a + b)
        / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv * g + b;
    }
}

/// A sum split over 16 lanes, so that it vectorises.
#[inline(always)]
fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

#[inline(always)]
fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a = if *v > *a { *v } else { *a };
        }
    }
    let m = acc
        .iter()
        .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a });
    chunks
        .remainder()
        .iter()
        .fold(m, |a, &b| if b > a { b } else { a })
}

#[inline(always)]
fn min(x: &[f32]) -> f32 {
    let mut acc = [f32::INFINITY; 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = if v < *a { v } else { *a };
        }
    }
    let m = acc
        .iter()
        .fold(f32::INFINITY, |a, &b| if b < a { b } else { a });
    chunks
        .remainder()
        .iter()
        .fold(m, |a, &b| if b < a { b } else { a })
}

/// GELU (the exact, erf-based one BERT uses), in place.
#[inline(always)]
pub(crate) fn gelu(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Softmax of each `width`-long row of `x`, in place.
#[inline(always)]
pub(crate) fn softmax_rows(x: &mut [f32], width: usize) {
    for row in x.chunks_exact_mut(width) {
        let m = max(row);
        for v in row.iter_mut() {
            *v = exp(*v - m);
        }
        let inv = 1.0 / sum(row);
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
}

/// Quantises each `k`-long row of `x` (row stride `k`) to 0..=255 over the row's own range: `v ≈ scale · q + zero`, with
/// `zero` the row's minimum and `scale` its range / 255. Writes `q` into
/// `out` (row stride `kp`, columns past `k` set to 0) and each row's scale
/// and zero into `scales` and `zeros`.
#[inline(always)]
pub(crate) fn quantize_rows(
    x: &[f32],
    k: usize,
    out: &mut [u8],
    kp: usize,
    scales: &mut [f32],
    zeros: &mut [f32],
) {
    let rows = x.chunks_exact(k).zip(out.chunks_exact_mut(kp));
    for ((row, q), (s, z)) in rows.zip(scales.iter_mut().zip(zeros.iter_mut())) {
        let (lo, hi) = (min(row), max(row));
        let (scale, inv) = if hi > lo {
            ((hi - lo) / 255.0, 255.0 / (hi - lo))
        } else {
            (1.0, 0.0)
        };
        *s = scale;
        *z = lo;
        for (o, v) in q.iter_mut().zip(row) {
            // (v − lo) · inv is within 0..=255. Adding 1.5 · 2^23 rounds it
            // to the nearest integer and leaves that integer in the sum's low
            // mantissa bits: integer-only, so it vectorises.
            let t = (v - lo) * inv + ROUND_MAGIC;
            *o = t.to_bits() as u8;
        }
        q[k..].fill(0);
    }
}

/// 1.5 · 2^23: `x + ROUND_MAGIC` rounds `x` (|x| < 2^22) to an integer,
/// which the sum's low mantissa bits hold in two's complement.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x` for f32, branch-free (relative error about 2e-7 on the range that
/// does not overflow; 0 below -87).
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n from n's bits in t: (n + 127) << 23.
    let bits = t
        .to_bits()
        .wrapping_sub(ROUND_MAGIC.to_bits())
        .wrapping_add(127)
        << 23;
    p * f32::from_bits(bits)
}

/// The error function for f32: a rational approximation on [-4, 4]
/// (outside, ±1 to f32 precision), absolute error below 1e-6.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906e-4;
    p = p * x2 + -2.954_6e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329e-3;
    q = q * x2 + -1.426_474e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{quantize_rows, softmax_rows};

    fn erf_ref(x: f64) -> f64 {
        // Maclaurin series; converges (in f64) well enough on [-4, 4].
        let mut term = x;
        let mut total = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            total += term / (2 * n + 1) as f64;
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_accurate() {
        let mut worst = 0f64;
        for i in -6000..=6000 {
            let x = i as f64 / 1000.0;
            // erf(4) = 1 - 1.5e-8: beyond, ±1 is exact enough.
            let want = if x.abs() > 4.0 {
                x.signum()
            } else {
                erf_ref(x)
            };
            worst = worst.max((erf(x as f32) as f64 - want).abs());
        }
        assert!(worst < 2e-6, "erf error {worst}");
    }

    #[test]
    fn exp_is_accurate() {
        let mut worst = 0f64;
        for i in -8000..=8000 {
            let x = i as f32 / 100.0;
            let want = (x as f64).exp();
            let rel = (exp(x) as f64 - want).abs() / want;
            worst = worst.max(rel);
        }
        assert!(worst < 1e-6, "exp relative error {worst}");
        assert_eq!(exp(-1000.0).min(1e-30), exp(-1000.0));
    }

    #[test]
    fn softmax_rows_sum_to_one() {
        let mut x = vec![1.0, 2.0, 3.0, -1e4, 0.5, 0.5, 0.5, 0.5];
        softmax_rows(&mut x, 4);
        assert!((x[..4].iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(x[3] < 1e-30);
        assert!(x[4..].iter().all(|v| (v - 0.25).abs() < 1e-6));
    }

    #[test]
    fn quantize_rows_round_trips() {
        let x: Vec<f32> = (0..10).map(|i| i as f32 * 0.7 - 2.5).collect();
        let mut q = vec![7u8; 2 * 8];
        let (mut s, mut z) = (vec![0f32; 2], vec![0f32; 2]);
        quantize_rows(&x, 5, &mut q, 8, &mut s, &mut z);
        for r in 0..2 {
            for c in 0..5 {
                let back = q[r * 8 + c] as f32 * s[r] + z[r];
                assert!((back - x[r * 5 + c]).abs() <= s[r] / 2.0 + 1e-6);
            }
            assert_eq!(q[r * 8], 0);
            assert_eq!(q[r * 8 + 4], 255);
            assert!(q[r * 8 + 5..r * 8 + 8].iter().all(|&v| v == 0));
        }
    }
}
