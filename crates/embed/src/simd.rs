//! The matrix-multiply kernels, and the one place in the crate that uses
//! `unsafe`.
//!
//! Owns the packed weight layouts ([`PackedF32`], [`PackedI8`]), the two GEMM
//! entry points ([`gemm_f32`], [`gemm_u8i8`]) and the choice of instruction
//! set, made once per process from what the CPU reports.
//!
//! Why `unsafe` is allowed here: the int8 path is only fast with AVX-512 VNNI
//! (`vpdpbusd`: 64 multiply-adds per instruction, four times the f32 FMA
//! rate), which safe Rust cannot reach without compiling the whole program for
//! one CPU. Measured on one core of the 2-vCPU Xeon this project is
//! benchmarked on (m = 512 tokens, k = 384, n = 1536): the int8 tile below
//! does about 650 G multiply-add ops/s, the f32 tile about 180 GFLOP/s, and
//! the portable loops 8 and 40. The `unsafe` is limited to (a) calling
//! `#[target_feature]` functions after `is_x86_feature_detected!` has
//! confirmed the features, and (b) unaligned loads and stores in the tiles,
//! whose bounds are asserted at the safe entry points before any pointer is
//! formed. Everything else in the crate is safe code. CPUs without AVX-512
//! VNNI get the portable loops (compiled for AVX2 where available), which
//! compute the same thing; `DAILYPAPERS_EMBED_PORTABLE=1` forces them.
#![allow(unsafe_code)]

use std::sync::OnceLock;

/// Columns per panel: one AVX-512 register of f32 or i32 lanes.
pub(crate) const PANEL: usize = 16;

/// The instruction set the kernels use on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// AVX-512 F/BW/VL with VNNI: explicit register-blocked kernels.
    Avx512Vnni,
    /// AVX2 and FMA: the portable loops, compiled for AVX2.
    Avx2,
    /// Whatever the target baseline offers.
    Portable,
}

/// The instruction set chosen for this process (detected once).
pub(crate) fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(detect)
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::env::var_os("DAILYPAPERS_EMBED_PORTABLE").is_some() {
            return Isa::Portable;
        }
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512vnni")
            && is_x86_feature_detected!("fma")
        {
            return Isa::Avx512Vnni;
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// Defines, for each listed `#[inline(always)]` body, a function of the same
/// signature that runs the body compiled for the detected instruction set:
/// the body is inlined into one `#[target_feature]` copy per instruction set,
/// so its loops are vectorised for AVX-512 or AVX2 without compiling the
/// whole program for one CPU.
macro_rules! multiversion {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $body:path; )*) => { $(
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn on_avx512($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn on_avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
                match isa() {
                    // SAFETY: `isa()` returns these only after
                    // `is_x86_feature_detected!` confirmed every feature
                    // enabled.
                    Isa::Avx512Vnni => unsafe { on_avx512($($arg),*) },
                    Isa::Avx2 => unsafe { on_avx2($($arg),*) },
                    Isa::Portable => $body($($arg),*),
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            $body($($arg),*)
        }
    )* };
}

multiversion! {
    /// Layer norm of each `width`-long row, in place.
    fn layer_norm(x: &mut [f32], width: usize, gamma: &[f32], beta: &[f32], eps: f32)
        => crate::math::layer_norm;
    /// GELU, in place.
    fn gelu(x: &mut [f32]) => crate::math::gelu;
    /// Softmax of each `width`-long row, in place.
    fn softmax_rows(x: &mut [f32], width: usize) => crate::math::softmax_rows;
    /// Per-row int8 quantisation (see `math::quantize_rows`).
    fn quantize_rows(
        x: &[f32],
        k: usize,
        out: &mut [u8],
        kp: usize,
        scales: &mut [f32],
        zeros: &mut [f32],
    )
        => crate::math::quantize_rows;
    fn portable_gemm_f32_mv(m: usize, a: &[f32], lda: usize, w: &PackedF32, c: &mut [f32], ldc: usize, ep: Epilogue<'_>)
        => portable_gemm_f32;
    fn portable_gemm_u8i8_mv(m: usize, a: &[u8], lda: usize, a_scale: &[f32], a_zero: &[f32], w: &PackedI8, c: &mut [f32], ldc: usize, ep: Epilogue<'_>)
        => portable_gemm_u8i8;
}

/// A weight matrix `W` (`n` outputs × `k` inputs, as stored in the
/// checkpoint) packed for `x · Wᵀ`: panels of 16 output columns, each panel
/// `k` rows of 16 contiguous values.
pub(crate) struct PackedF32 {
    pub n: usize,
    pub k: usize,
    data: Vec<f32>,
}

impl PackedF32 {
    /// Packs row-major `w` (`n × k`, row `j` holds output `j`'s weights).
    pub fn from_rows(w: &[f32], n: usize, k: usize) -> Self {
        Self::from_fn(n, k, |j, kk| w[j * k + kk])
    }

    /// Packs the matrix whose element (output `j`, input `kk`) is `f(j, kk)`.
    pub fn from_fn(n: usize, k: usize, f: impl Fn(usize, usize) -> f32) -> Self {
        let mut p = Self::empty();
        p.repack(n, k, f);
        p
    }

    /// An empty matrix, to be filled by [`PackedF32::repack`].
    pub fn empty() -> Self {
        PackedF32 {
            n: 0,
            k: 0,
            data: Vec::new(),
        }
    }

    /// Refills this matrix in place, reusing its allocation.
    pub fn repack(&mut self, n: usize, k: usize, f: impl Fn(usize, usize) -> f32) {
        let panels = n.div_ceil(PANEL);
        self.n = n;
        self.k = k;
        self.data.clear();
        self.data.resize(panels * k * PANEL, 0.0);
        for p in 0..panels {
            let base = p * k * PANEL;
            let cols = (n - p * PANEL).min(PANEL);
            for kk in 0..k {
                let row = &mut self.data[base + kk * PANEL..base + kk * PANEL + cols];
                for (c, v) in row.iter_mut().enumerate() {
                    *v = f(p * PANEL + c, kk);
                }
            }
        }
    }
}

/// A weight matrix quantised to int8 per output column (symmetric, scale =
/// max |w| / 127), packed for `vpdpbusd`: panels of 16 output columns, each
/// panel `k/4` groups of 16 columns × 4 consecutive inputs.
pub(crate) struct PackedI8 {
    pub n: usize,
    pub k: usize,
    /// `k` rounded up to a multiple of 4.
    pub kp: usize,
    data: Vec<i8>,
    /// Per column: Σ_k w (quantised), for the activations' zero points.
    /// Padded to whole panels.
    col_sum: Vec<f32>,
    /// Per column dequantisation scale. Padded to whole panels.
    scale: Vec<f32>,
}

impl PackedI8 {
    /// Quantises and packs row-major `w` (`n × k`).
    pub fn from_rows(w: &[f32], n: usize, k: usize) -> Self {
        let panels = n.div_ceil(PANEL);
        let kp = k.div_ceil(4) * 4;
        let mut data = vec![0i8; panels * kp * PANEL];
        let mut col_sum = vec![0f32; panels * PANEL];
        let mut scale = vec![0f32; panels * PANEL];
        for j in 0..n {
            let row = &w[j * k..(j + 1) * k];
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let s = if max > 0.0 { max / 127.0 } else { 1.0 };
            scale[j] = s;
            let (p, c) = (j / PANEL, j % PANEL);
            let mut sum = 0i32;
            for (kk, v) in row.iter().enumerate() {
                let q = (v / s).round().clamp(-127.0, 127.0) as i8;
                sum += i32::from(q);
                data[p * kp * PANEL + (kk / 4) * 64 + c * 4 + kk % 4] = q;
            }
            col_sum[j] = sum as f32;
        }
        PackedI8 {
            n,
            k,
            kp,
            data,
            col_sum,
            scale,
        }
    }
}

/// What the GEMM does with each result before storing it:
/// `c = alpha · (a · wᵀ) + bias (+ c if accumulate)`.
#[derive(Clone, Copy)]
pub(crate) struct Epilogue<'a> {
    pub alpha: f32,
    /// One value per output column (length ≥ n), or none.
    pub bias: Option<&'a [f32]>,
    /// Add the result to what `c` holds (a fused residual connection).
    pub accumulate: bool,
}

impl Epilogue<'_> {
    pub const PLAIN: Epilogue<'static> = Epilogue {
        alpha: 1.0,
        bias: None,
        accumulate: false,
    };
}

/// `c[i][j] (m × n, row stride ldc) = epilogue(Σ_k a[i][k] · w[j][k])`,
/// with `a` row-major `m × w.k`, row stride `lda`.
pub(crate) fn gemm_f32(
    m: usize,
    a: &[f32],
    lda: usize,
    w: &PackedF32,
    c: &mut [f32],
    ldc: usize,
    ep: Epilogue<'_>,
) {
    let (n, k) = (w.n, w.k);
    if m == 0 || n == 0 {
        return;
    }
    assert!(lda >= k && ldc >= n, "gemm_f32: strides too small");
    assert!(a.len() >= (m - 1) * lda + k, "gemm_f32: a too short");
    assert!(c.len() >= (m - 1) * ldc + n, "gemm_f32: c too short");
    assert!(w.data.len() >= n.div_ceil(PANEL) * k * PANEL);
    if let Some(b) = ep.bias {
        assert!(b.len() >= n, "gemm_f32: bias too short");
    }
    #[cfg(target_arch = "x86_64")]
    if isa() == Isa::Avx512Vnni {
        // SAFETY: the features were detected; bounds were asserted above and
        // the tiles below stay within them.
        unsafe { avx512::gemm_f32(m, a, lda, w, c, ldc, ep) };
        return;
    }
    portable_gemm_f32_mv(m, a, lda, w, c, ldc, ep)
}

#[inline(always)]
fn portable_gemm_f32(
    m: usize,
    a: &[f32],
    lda: usize,
    w: &PackedF32,
    c: &mut [f32],
    ldc: usize,
    ep: Epilogue<'_>,
) {
    let (n, k) = (w.n, w.k);
    for p in 0..n.div_ceil(PANEL) {
        let panel = &w.data[p * k * PANEL..(p + 1) * k * PANEL];
        let cols = (n - p * PANEL).min(PANEL);
        for i in 0..m {
            let arow = &a[i * lda..i * lda + k];
            let mut acc = [0f32; PANEL];
            for (av, wrow) in arow.iter().zip(panel.chunks_exact(PANEL)) {
                for (x, wv) in acc.iter_mut().zip(wrow) {
                    *x += av * wv;
                }
            }
            let out = &mut c[i * ldc + p * PANEL..i * ldc + p * PANEL + cols];
            for (jj, o) in out.iter_mut().enumerate() {
                let mut y = ep.alpha * acc[jj];
                if let Some(b) = ep.bias {
                    y += b[p * PANEL + jj];
                }
                *o = if ep.accumulate { *o + y } else { y };
            }
        }
    }
}

/// `c[i][j] = epilogue(w.scale[j] · Σ_k (a_scale[i] · a[i][k] + a_zero[i]) · w[j][k])`:
/// `a` holds activations quantised per row to 0..=255 (row-major
/// `m × w.kp`, row stride `lda`; values past `k` are ignored as the weights
/// there are zero); `alpha` in the epilogue is ignored.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_u8i8(
    m: usize,
    a: &[u8],
    lda: usize,
    a_scale: &[f32],
    a_zero: &[f32],
    w: &PackedI8,
    c: &mut [f32],
    ldc: usize,
    ep: Epilogue<'_>,
) {
    let (n, kp) = (w.n, w.kp);
    if m == 0 || n == 0 {
        return;
    }
    assert!(lda >= kp && ldc >= n, "gemm_u8i8: strides too small");
    assert!(a.len() >= (m - 1) * lda + kp, "gemm_u8i8: a too short");
    assert!(
        a_scale.len() >= m && a_zero.len() >= m,
        "gemm_u8i8: a_scale or a_zero too short"
    );
    assert!(c.len() >= (m - 1) * ldc + n, "gemm_u8i8: c too short");
    assert!(w.data.len() >= n.div_ceil(PANEL) * kp * PANEL);
    assert!(w.scale.len() >= n.div_ceil(PANEL) * PANEL);
    if let Some(b) = ep.bias {
        assert!(b.len() >= n, "gemm_u8i8: bias too short");
    }
    #[cfg(target_arch = "x86_64")]
    if isa() == Isa::Avx512Vnni {
        // SAFETY: the features were detected; bounds were asserted above and
        // the tiles below stay within them.
        unsafe { avx512::gemm_u8i8(m, a, lda, a_scale, a_zero, w, c, ldc, ep) };
        return;
    }
    portable_gemm_u8i8_mv(m, a, lda, a_scale, a_zero, w, c, ldc, ep)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn portable_gemm_u8i8(
    m: usize,
    a: &[u8],
    lda: usize,
    a_scale: &[f32],
    a_zero: &[f32],
    w: &PackedI8,
    c: &mut [f32],
    ldc: usize,
    ep: Epilogue<'_>,
) {
    let (n, kp) = (w.n, w.kp);
    for p in 0..n.div_ceil(PANEL) {
        let panel = &w.data[p * kp * PANEL..(p + 1) * kp * PANEL];
        let cols = (n - p * PANEL).min(PANEL);
        for i in 0..m {
            let arow = &a[i * lda..i * lda + kp];
            let mut acc = [0i32; PANEL];
            for (a4, w4) in arow.chunks_exact(4).zip(panel.chunks_exact(64)) {
                for (jj, x) in acc.iter_mut().enumerate() {
                    let wv = &w4[jj * 4..jj * 4 + 4];
                    *x += i32::from(a4[0]) * i32::from(wv[0])
                        + i32::from(a4[1]) * i32::from(wv[1])
                        + i32::from(a4[2]) * i32::from(wv[2])
                        + i32::from(a4[3]) * i32::from(wv[3]);
                }
            }
            let out = &mut c[i * ldc + p * PANEL..i * ldc + p * PANEL + cols];
            for (jj, o) in out.iter_mut().enumerate() {
                let j = p * PANEL + jj;
                let mut y = w.scale[j] * (acc[jj] as f32 * a_scale[i] + w.col_sum[j] * a_zero[i]);
                if let Some(b) = ep.bias {
                    y += b[j];
                }
                *o = if ep.accumulate { *o + y } else { y };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! Register-blocked AVX-512 tiles: up to 6 rows × 4 panels (64 columns)
    //! of accumulators live in registers for the whole `k` loop.

    use super::{Epilogue, PANEL, PackedF32, PackedI8};
    use std::arch::x86_64::*;

    /// Rows per tile.
    const MR: usize = 6;
    /// Panels per tile.
    const NP: usize = 4;

    fn mask(cols: usize) -> __mmask16 {
        if cols >= 16 {
            0xffff
        } else {
            ((1u32 << cols) - 1) as __mmask16
        }
    }

    /// Stores one 16-column piece of result row, applying the epilogue.
    /// `bias` points at the piece's first column (or is null).
    #[inline(always)]
    unsafe fn store(dst: *mut f32, y: __m512, bias: *const f32, accumulate: bool, cols: usize) {
        unsafe {
            let m = mask(cols);
            let mut y = y;
            if !bias.is_null() {
                y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, bias));
            }
            if accumulate {
                y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, dst));
            }
            _mm512_mask_storeu_ps(dst, m, y);
        }
    }

    /// # Safety
    /// AVX-512 F/BW/VL/VNNI available; bounds checked by the caller.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,fma")]
    pub(super) unsafe fn gemm_f32(
        m: usize,
        a: &[f32],
        lda: usize,
        w: &PackedF32,
        c: &mut [f32],
        ldc: usize,
        ep: Epilogue<'_>,
    ) {
        let (n, k) = (w.n, w.k);
        let panels = n.div_ceil(PANEL);
        let mut p = 0;
        while p < panels {
            let np = (panels - p).min(NP);
            let cols = (n - p * PANEL).min(np * PANEL);
            let mut i = 0;
            while i < m {
                let mr = (m - i).min(MR);
                let t = TileF32 {
                    k,
                    a: a[i * lda..].as_ptr(),
                    lda,
                    w: w.data[p * k * PANEL..].as_ptr(),
                    panel_stride: k * PANEL,
                    c: c[i * ldc + p * PANEL..].as_mut_ptr(),
                    ldc,
                    cols,
                    alpha: ep.alpha,
                    bias: ep
                        .bias
                        .map_or(std::ptr::null(), |b| b[p * PANEL..].as_ptr()),
                    accumulate: ep.accumulate,
                };
                unsafe {
                    match (mr, np) {
                        (6, 4) => tile_f32::<6, 4>(&t),
                        (6, 3) => tile_f32::<6, 3>(&t),
                        (6, 2) => tile_f32::<6, 2>(&t),
                        (6, 1) => tile_f32::<6, 1>(&t),
                        (r, 4) => tile_rows_f32::<4>(&t, r),
                        (r, 3) => tile_rows_f32::<3>(&t, r),
                        (r, 2) => tile_rows_f32::<2>(&t, r),
                        (r, _) => tile_rows_f32::<1>(&t, r),
                    }
                }
                i += mr;
            }
            p += np;
        }
    }

    struct TileF32 {
        k: usize,
        a: *const f32,
        lda: usize,
        w: *const f32,
        panel_stride: usize,
        c: *mut f32,
        ldc: usize,
        cols: usize,
        alpha: f32,
        bias: *const f32,
        accumulate: bool,
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,fma")]
    unsafe fn tile_rows_f32<const P: usize>(t: &TileF32, rows: usize) {
        unsafe {
            match rows {
                5 => tile_f32::<5, P>(t),
                4 => tile_f32::<4, P>(t),
                3 => tile_f32::<3, P>(t),
                2 => tile_f32::<2, P>(t),
                _ => tile_f32::<1, P>(t),
            }
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,fma")]
    unsafe fn tile_f32<const R: usize, const P: usize>(t: &TileF32) {
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); P]; R];
            for kk in 0..t.k {
                let mut wv = [_mm512_setzero_ps(); P];
                for (p, v) in wv.iter_mut().enumerate() {
                    *v = _mm512_loadu_ps(t.w.add(p * t.panel_stride + kk * PANEL));
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*t.a.add(r * t.lda + kk));
                    for (x, wp) in row.iter_mut().zip(&wv) {
                        *x = _mm512_fmadd_ps(av, *wp, *x);
                    }
                }
            }
            let alpha = _mm512_set1_ps(t.alpha);
            for (r, row) in acc.iter().enumerate() {
                for (p, x) in row.iter().enumerate() {
                    let cols = t.cols.saturating_sub(p * PANEL).min(PANEL);
                    let bias = if t.bias.is_null() {
                        t.bias
                    } else {
                        t.bias.add(p * PANEL)
                    };
                    store(
                        t.c.add(r * t.ldc + p * PANEL),
                        _mm512_mul_ps(*x, alpha),
                        bias,
                        t.accumulate,
                        cols,
                    );
                }
            }
        }
    }

    /// # Safety
    /// AVX-512 F/BW/VL/VNNI available; bounds checked by the caller.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm_u8i8(
        m: usize,
        a: &[u8],
        lda: usize,
        a_scale: &[f32],
        a_zero: &[f32],
        w: &PackedI8,
        c: &mut [f32],
        ldc: usize,
        ep: Epilogue<'_>,
    ) {
        let (n, kp) = (w.n, w.kp);
        let panels = n.div_ceil(PANEL);
        let mut p = 0;
        while p < panels {
            let np = (panels - p).min(NP);
            let cols = (n - p * PANEL).min(np * PANEL);
            let mut i = 0;
            while i < m {
                let mr = (m - i).min(MR);
                let t = TileI8 {
                    k4: kp / 4,
                    a: a[i * lda..].as_ptr(),
                    lda,
                    a_scale: a_scale[i..].as_ptr(),
                    w: w.data[p * kp * PANEL..].as_ptr(),
                    panel_stride: kp * PANEL,
                    col_sum: w.col_sum[p * PANEL..].as_ptr(),
                    a_zero: a_zero[i..].as_ptr(),
                    w_scale: w.scale[p * PANEL..].as_ptr(),
                    c: c[i * ldc + p * PANEL..].as_mut_ptr(),
                    ldc,
                    cols,
                    bias: ep
                        .bias
                        .map_or(std::ptr::null(), |b| b[p * PANEL..].as_ptr()),
                    accumulate: ep.accumulate,
                };
                unsafe {
                    match (mr, np) {
                        (6, 4) => tile_i8::<6, 4>(&t),
                        (6, 3) => tile_i8::<6, 3>(&t),
                        (6, 2) => tile_i8::<6, 2>(&t),
                        (6, 1) => tile_i8::<6, 1>(&t),
                        (r, 4) => tile_rows_i8::<4>(&t, r),
                        (r, 3) => tile_rows_i8::<3>(&t, r),
                        (r, 2) => tile_rows_i8::<2>(&t, r),
                        (r, _) => tile_rows_i8::<1>(&t, r),
                    }
                }
                i += mr;
            }
            p += np;
        }
    }

    struct TileI8 {
        k4: usize,
        a: *const u8,
        lda: usize,
        a_scale: *const f32,
        w: *const i8,
        panel_stride: usize,
        col_sum: *const f32,
        a_zero: *const f32,
        w_scale: *const f32,
        c: *mut f32,
        ldc: usize,
        cols: usize,
        bias: *const f32,
        accumulate: bool,
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,fma")]
    unsafe fn tile_rows_i8<const P: usize>(t: &TileI8, rows: usize) {
        unsafe {
            match rows {
                5 => tile_i8::<5, P>(t),
                4 => tile_i8::<4, P>(t),
                3 => tile_i8::<3, P>(t),
                2 => tile_i8::<2, P>(t),
                _ => tile_i8::<1, P>(t),
            }
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,fma")]
    unsafe fn tile_i8<const R: usize, const P: usize>(t: &TileI8) {
        unsafe {
            let mut acc = [[_mm512_setzero_si512(); P]; R];
            for q in 0..t.k4 {
                let mut wv = [_mm512_setzero_si512(); P];
                for (p, v) in wv.iter_mut().enumerate() {
                    *v = _mm512_loadu_si512(t.w.add(p * t.panel_stride + q * 64).cast());
                }
                for (r, row) in acc.iter_mut().enumerate() {
                    let a4 = t.a.add(r * t.lda + q * 4).cast::<i32>().read_unaligned();
                    let av = _mm512_set1_epi32(a4);
                    for (x, wp) in row.iter_mut().zip(&wv) {
                        *x = _mm512_dpbusd_epi32(*x, av, *wp);
                    }
                }
            }
            let mut cs = [_mm512_setzero_ps(); P];
            let mut ws = [_mm512_setzero_ps(); P];
            for (p, (c, w)) in cs.iter_mut().zip(ws.iter_mut()).enumerate() {
                *c = _mm512_loadu_ps(t.col_sum.add(p * PANEL));
                *w = _mm512_loadu_ps(t.w_scale.add(p * PANEL));
            }
            for (r, row) in acc.iter().enumerate() {
                let a_scale = _mm512_set1_ps(*t.a_scale.add(r));
                let a_zero = _mm512_set1_ps(*t.a_zero.add(r));
                for (p, x) in row.iter().enumerate() {
                    let cols = t.cols.saturating_sub(p * PANEL).min(PANEL);
                    let bias = if t.bias.is_null() {
                        t.bias
                    } else {
                        t.bias.add(p * PANEL)
                    };
                    let v = _mm512_cvtepi32_ps(*x);
                    let y = _mm512_fmadd_ps(v, a_scale, _mm512_mul_ps(cs[p], a_zero));
                    store(
                        t.c.add(r * t.ldc + p * PANEL),
                        _mm512_mul_ps(y, ws[p]),
                        bias,
                        t.accumulate,
                        cols,
                    );
                }
            }
        }
    }
}
