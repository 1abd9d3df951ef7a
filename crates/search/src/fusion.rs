//! Fusing the keyword and the semantic ranking into one.
//!
//! Two methods: reciprocal-rank fusion (RRF, rank only) and a convex
//! combination of scores normalised within each list. Measured on the CACM
//! dev queries (`dailypapers bench relevance --sweep`), RRF scored nDCG@10
//! 0.512–0.523 for every k from 10 to 100, while the convex combination
//! ranged from 0.458 to 0.521 with its weight, peaking at one value; RRF is
//! as good and has no weight to fit to a few queries, so it is the default,
//! with the customary k = 60.

use std::collections::HashMap;

/// A document and its score in one ranking, best first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    pub doc: u64,
    pub score: f32,
}

/// How to fuse two rankings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fusion {
    /// Σ 1 / (k + rank), rank from 1.
    Rrf { k: f32 },
    /// w · keyword + (1 − w) · semantic, each min-max normalised over its
    /// list; a document missing from a list scores 0 there.
    Convex { keyword_weight: f32 },
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Rrf { k: 60.0 }
    }
}

/// Fuses two rankings; ties are broken by document number, so the result
/// is deterministic.
pub fn fuse(keyword: &[Ranked], semantic: &[Ranked], how: Fusion) -> Vec<Ranked> {
    let mut scores: HashMap<u64, f32> = HashMap::with_capacity(keyword.len() + semantic.len());
    match how {
        Fusion::Rrf { k } => {
            for list in [keyword, semantic] {
                for (i, r) in list.iter().enumerate() {
                    *scores.entry(r.doc).or_default() += 1.0 / (k + i as f32 + 1.0);
                }
            }
        }
        Fusion::Convex { keyword_weight } => {
            for (list, weight) in [(keyword, keyword_weight), (semantic, 1.0 - keyword_weight)] {
                for (doc, s) in normalised(list) {
                    *scores.entry(doc).or_default() += weight * s;
                }
            }
        }
    }
    let mut fused: Vec<Ranked> = scores
        .into_iter()
        .map(|(doc, score)| Ranked { doc, score })
        .collect();
    fused.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    fused
}

/// Scores mapped onto [0, 1] by the list's own minimum and maximum.
fn normalised(list: &[Ranked]) -> impl Iterator<Item = (u64, f32)> + '_ {
    let max = list
        .iter()
        .map(|r| r.score)
        .fold(f32::NEG_INFINITY, f32::max);
    let min = list.iter().map(|r| r.score).fold(f32::INFINITY, f32::min);
    let span = max - min;
    list.iter().map(move |r| {
        let s = if span > f32::EPSILON {
            (r.score - min) / span
        } else {
            1.0
        };
        (r.doc, s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(docs: &[(u64, f32)]) -> Vec<Ranked> {
        docs.iter()
            .map(|&(doc, score)| Ranked { doc, score })
            .collect()
    }

    #[test]
    fn rrf_rewards_agreement() {
        let k = ranked(&[(1, 9.0), (2, 8.0), (3, 7.0)]);
        let s = ranked(&[(3, 0.9), (4, 0.8), (1, 0.7)]);
        let fused = fuse(&k, &s, Fusion::Rrf { k: 60.0 });
        let order: Vec<u64> = fused.iter().map(|r| r.doc).collect();
        assert_eq!(order, vec![1, 3, 2, 4]);
    }

    #[test]
    fn convex_keeps_a_clear_winner_ahead() {
        // Keyword has one outstanding hit, which semantic ranks second.
        let k = ranked(&[(1, 30.0), (2, 5.0), (3, 4.9)]);
        let s = ranked(&[(2, 0.9), (1, 0.89), (3, 0.2)]);
        let fused = fuse(
            &k,
            &s,
            Fusion::Convex {
                keyword_weight: 0.5,
            },
        );
        assert_eq!(fused[0].doc, 1);
        // RRF sees only ranks: first and second on both sides is a tie,
        // broken by document number.
        let rrf = fuse(&k, &s, Fusion::Rrf { k: 60.0 });
        assert_eq!((rrf[0].doc, rrf[1].doc), (1, 2));
        assert_eq!(rrf[0].score, rrf[1].score);
        // Weight 0 is the semantic ranking alone, weight 1 the keyword one.
        let only_s = fuse(
            &k,
            &s,
            Fusion::Convex {
                keyword_weight: 0.0,
            },
        );
        assert_eq!(
            only_s.iter().map(|r| r.doc).collect::<Vec<_>>(),
            vec![2, 1, 3]
        );
        let only_k = fuse(
            &k,
            &s,
            Fusion::Convex {
                keyword_weight: 1.0,
            },
        );
        assert_eq!(
            only_k.iter().map(|r| r.doc).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn one_empty_side_gives_the_other() {
        let s = ranked(&[(7, 0.5), (8, 0.4)]);
        for how in [Fusion::Rrf { k: 60.0 }, Fusion::default()] {
            let fused = fuse(&[], &s, how);
            assert_eq!(fused.iter().map(|r| r.doc).collect::<Vec<_>>(), vec![7, 8]);
        }
        assert!(fuse(&[], &[], Fusion::default()).is_empty());
    }
}
