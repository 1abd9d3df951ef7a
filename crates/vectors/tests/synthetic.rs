//! The synthetic generator: deterministic, unit-length, clustered, and with
//! queries that are near the corpus without being copies of it.

use dailypapers_vectors::synthetic;

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn deterministic_unit_vectors() {
    let a: Vec<Vec<f32>> = synthetic::vectors(300, 64, 9).collect();
    let b: Vec<Vec<f32>> = synthetic::vectors(300, 64, 9).collect();
    let c: Vec<Vec<f32>> = synthetic::vectors(300, 64, 10).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.len(), 300);
    for v in &a {
        assert_eq!(v.len(), 64);
        assert!((dot(v, v) - 1.0).abs() < 1e-4);
    }
    assert_eq!(synthetic::vectors(5, 8, 1).len(), 5);
}

#[test]
fn clustered_not_uniform_and_queries_are_not_copies() {
    let dim = 384;
    let corpus: Vec<Vec<f32>> = synthetic::vectors(2_000, dim, 3).collect();
    let queries: Vec<Vec<f32>> = synthetic::queries(50, 2_000, dim, 3).collect();
    // Random pairs are weakly similar, as in real embedding spaces.
    let random: f32 = (0..500)
        .map(|i| dot(&corpus[i], &corpus[(i * 7 + 1_000) % 2_000]))
        .sum::<f32>()
        / 500.0;
    assert!((0.0..0.4).contains(&random), "mean random cosine {random}");
    for q in &queries {
        let best = corpus.iter().map(|v| dot(q, v)).fold(f32::MIN, f32::max);
        assert!(best > 0.5, "a query has a close corpus neighbour ({best})");
        assert!(best < 0.999, "a query is not a copy of a corpus vector");
    }
}
