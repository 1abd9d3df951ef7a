//! A seeded synthetic corpus for the search benchmark: papers (title,
//! abstract, authors, a category, upvotes) and keyword queries, with the
//! word statistics of real text.

use std::collections::HashSet;

use dailypapers_domain::{Author, Paper};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Seeded synthetic papers: each is about one or two of 2,000 topics; words
/// come from the topic's own vocabulary (Zipf-ranked), from a general
/// scientific vocabulary and from function words, so posting lists have the
/// skew of real text. Queries are two to four words of one topic.
pub struct Corpus {
    rng: StdRng,
    vocabulary: Vec<String>,
    topics: Vec<Vec<u32>>,
}

const FUNCTION_WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "we",
    "for",
    "is",
    "that",
    "on",
    "with",
    "this",
    "as",
    "by",
    "are",
    "our",
    "from",
    "an",
    "which",
    "be",
    "can",
    "results",
    "show",
    "method",
    "model",
    "approach",
    "paper",
    "propose",
    "based",
    "using",
    "performance",
    "data",
    "new",
    "two",
];
const TOPICS: usize = 2000;
const TOPIC_WORDS: usize = 60;
const VOCABULARY: usize = 60_000;

impl Corpus {
    /// The corpus of `seed`: its vocabulary and topics.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        const SYLLABLES: &[&str] = &[
            "ta", "ren", "sor", "lin", "ka", "mo", "vec", "tra", "net", "gra", "di", "ent", "qua",
            "ti", "za", "tion", "pro", "ba", "bil", "ity", "spec", "tral", "den", "sity", "neu",
            "ral", "op", "tim", "al", "ma", "trix", "fac", "tor", "ker", "nel", "lat", "ent",
            "graph", "flow", "field", "wave", "spin", "bo", "son", "fer", "mi", "on",
        ];
        let mut vocabulary = Vec::with_capacity(VOCABULARY);
        let mut seen = HashSet::new();
        while vocabulary.len() < VOCABULARY {
            let n = rng.gen_range(2..5);
            let w: String = (0..n)
                .map(|_| *SYLLABLES.choose(&mut rng).expect("non-empty"))
                .collect();
            if seen.insert(w.clone()) {
                vocabulary.push(w);
            }
        }
        let topics = (0..TOPICS)
            .map(|_| {
                (0..TOPIC_WORDS)
                    .map(|_| zipf(&mut rng, VOCABULARY) as u32)
                    .collect()
            })
            .collect();
        Corpus {
            rng,
            vocabulary,
            topics,
        }
    }

    fn word(&mut self, topic: usize) -> &str {
        let r: f64 = self.rng.r#gen();
        if r < 0.45 {
            FUNCTION_WORDS.choose(&mut self.rng).expect("non-empty")
        } else if r < 0.85 {
            let i = zipf(&mut self.rng, TOPIC_WORDS);
            &self.vocabulary[self.topics[topic][i] as usize]
        } else {
            let i = zipf(&mut self.rng, VOCABULARY);
            &self.vocabulary[i]
        }
    }

    fn text(&mut self, topic: usize, words: usize) -> String {
        let mut s = String::with_capacity(words * 8);
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            let w = self.word(topic).to_owned();
            s.push_str(&w);
        }
        s
    }

    /// The next paper, numbered `i` (which fixes its arXiv id).
    pub fn paper(&mut self, i: usize) -> Paper {
        let topic = zipf(&mut self.rng, TOPICS);
        // yymm.nnnnn (five digits since 2015): 99,999 papers a month from January 2015.
        let month = i / 99_999;
        let id = format!(
            "{:02}{:02}.{:05}",
            15 + month / 12,
            1 + month % 12,
            i % 99_999 + 1
        );
        let n = self.rng.gen_range(6..14);
        let title = self.text(topic, n);
        let n = self.rng.gen_range(120..220);
        let summary = self.text(topic, n);
        let mut paper = Paper::new(id.parse().expect("a valid new-style id"), &title, &summary);
        paper.authors = (0..self.rng.gen_range(1..8))
            .map(|_| {
                let name = format!(
                    "{} {}",
                    self.vocabulary[self.rng.gen_range(0..VOCABULARY)],
                    self.vocabulary[self.rng.gen_range(0..VOCABULARY)]
                );
                Author::named(name)
            })
            .collect();
        paper.categories = vec![["cs.CL", "cs.LG", "cs.CV", "stat.ML", "hep-th"][topic % 5].into()];
        paper.upvotes = Some(self.rng.gen_range(0..200));
        paper
    }

    /// The next query: two to four words of one topic.
    pub fn query(&mut self) -> String {
        let topic = zipf(&mut self.rng, TOPICS);
        let n = self.rng.gen_range(2..5);
        (0..n)
            .map(|_| {
                let i = zipf(&mut self.rng, TOPIC_WORDS / 2);
                self.vocabulary[self.topics[topic][i] as usize].clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A Zipf(1)-distributed rank in `0..n`.
fn zipf(rng: &mut StdRng, n: usize) -> usize {
    // Inverse of the continuous approximation of the harmonic CDF.
    let u: f64 = rng.r#gen();
    let x = ((n as f64 + 1.0).ln() * u).exp() - 1.0;
    (x as usize).min(n - 1)
}
