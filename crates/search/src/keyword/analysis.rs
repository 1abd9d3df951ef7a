//! How text becomes index terms: the analyzers of the keyword index and the
//! settings that choose them (stemming, stop words, field boosts).
//!
//! The same analyzer reads documents when they are indexed and queries when
//! they are searched, and also finds the words to highlight in snippets, so a
//! query word matches every form that shares its stem.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name under which the analyzer of titles and abstracts is registered.
pub(crate) const TEXT_ANALYZER: &str = "dp_text";
/// Name under which the analyzer of author names is registered.
pub(crate) const NAME_ANALYZER: &str = "dp_name";

/// Tokens longer than this (in bytes) are dropped: they are noise (base64,
/// long URLs) and would bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 40;

/// Which stemmer reduces words to a common form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stemming {
    /// Words are only lower-cased and folded to ASCII.
    None,
    /// Harman's "S" stemmer: plurals only (`models` → `model`, `queries` → `query`).
    Plural,
    /// The Snowball English (Porter 2) stemmer.
    Snowball,
}

/// Which common words are left out of the index and of queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopWords {
    /// Every word is indexed.
    None,
    /// Lucene's English list (33 words: articles, a few prepositions and
    /// forms of "be").
    Lucene,
    /// A longer general-English list (pronouns, auxiliaries, prepositions,
    /// conjunctions; about 170 words).
    Extended,
}

/// The weight of each field in the relevance score (multiplies BM25).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldBoosts {
    /// The title.
    pub title: f32,
    /// The abstract.
    pub summary: f32,
    /// Author names.
    pub authors: f32,
    /// Category codes (`cs.CL`), matched whole.
    pub categories: f32,
}

/// How the keyword index analyses and weighs text.
///
/// An index on disk must always be opened with the settings it was built
/// with; [`KeywordIndex::open_or_create`](super::KeywordIndex::open_or_create)
/// uses [`KeywordSettings::default`]. Other settings are for measuring
/// (`KeywordIndex::in_ram_with`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeywordSettings {
    /// The stemmer.
    pub stemming: Stemming,
    /// The stop-word list.
    pub stop_words: StopWords,
    /// The field weights.
    pub boosts: FieldBoosts,
}

impl Default for KeywordSettings {
    /// The settings measured best on the relevance benchmark (see
    /// `crates/bench/examples/relevance_keyword.rs`): Snowball stemming, the
    /// extended stop-word list, titles weighted twice an abstract.
    fn default() -> Self {
        KeywordSettings {
            stemming: Stemming::Snowball,
            stop_words: StopWords::Extended,
            boosts: FieldBoosts {
                title: 2.0,
                summary: 1.0,
                authors: 1.0,
                categories: 1.0,
            },
        }
    }
}

impl KeywordSettings {
    /// The analyzer for titles and abstracts.
    pub(crate) fn text_analyzer(&self) -> TextAnalyzer {
        let base = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .dynamic();
        let base = match self.stop_words {
            StopWords::None => base,
            StopWords::Lucene => base.filter_dynamic(
                StopWordFilter::new(Language::English).unwrap_or_else(|| stop_filter(LUCENE)),
            ),
            StopWords::Extended => base.filter_dynamic(stop_filter(EXTENDED)),
        };
        let base = match self.stemming {
            Stemming::None => base,
            Stemming::Plural => base.filter_dynamic(PluralStemmer),
            Stemming::Snowball => base.filter_dynamic(Stemmer::new(Language::English)),
        };
        base.build()
    }

    /// The analyzer for author names: words lower-cased and folded, nothing
    /// removed, nothing stemmed.
    pub(crate) fn name_analyzer() -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build()
    }
}

/// One analysed token: its index term, its position, and where it is in the
/// text (byte range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnalysedToken {
    pub term: String,
    pub position: usize,
    pub from: usize,
    pub to: usize,
}

/// Runs an analyzer over `text`.
pub(crate) fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<AnalysedToken> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(AnalysedToken {
            term: t.text.clone(),
            position: t.position,
            from: t.offset_from,
            to: t.offset_to,
        });
    }
    out
}

fn stop_filter(words: &[&str]) -> StopWordFilter {
    StopWordFilter::remove(words.iter().map(|w| (*w).to_owned()))
}

const LUCENE: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// General English function words (close to the NLTK list, without the
/// contractions' fragments).
const EXTENDED: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "also",
    "may",
    "might",
    "must",
    "shall",
    "us",
    "via",
    "whether",
    "within",
    "without",
    "upon",
    "yet",
    "either",
    "neither",
    "whose",
    "etc",
    "ie",
    "eg",
    "per",
    "among",
    "amongst",
    "therefore",
    "thus",
    "hence",
    "however",
    "although",
    "though",
    "onto",
    "toward",
    "towards",
    "across",
    "along",
    "around",
    "behind",
    "beside",
    "besides",
    "beyond",
    "despite",
    "inside",
    "near",
    "since",
    "unlike",
    "whereas",
    "whatever",
    "whichever",
    "whoever",
    "every",
];

/// Harman's "S" stemmer as a token filter.
#[derive(Clone, Copy)]
struct PluralStemmer;

impl TokenFilter for PluralStemmer {
    type Tokenizer<T: Tokenizer> = PluralStemmerTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        PluralStemmerTokenizer(tokenizer)
    }
}

#[derive(Clone)]
struct PluralStemmerTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for PluralStemmerTokenizer<T> {
    type TokenStream<'a> = PluralStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        PluralStemmerStream(self.0.token_stream(text))
    }
}

struct PluralStemmerStream<S>(S);

impl<S: TokenStream> TokenStream for PluralStemmerStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let text = &mut self.0.token_mut().text;
        if let Some(stem) = plural_stem(text) {
            *text = stem;
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// Harman (1991): `-ies` → `-y` (not `-eies`, `-aies`); `-es` → `-e` (not
/// `-aes`, `-ees`, `-oes`); `-s` → `` (not `-us`, `-ss`).
fn plural_stem(w: &str) -> Option<String> {
    if w.len() <= 3 {
        return None;
    }
    if w.ends_with("ies") && !w.ends_with("eies") && !w.ends_with("aies") {
        return Some(format!("{}y", &w[..w.len() - 3]));
    }
    if w.ends_with("es") && !w.ends_with("aes") && !w.ends_with("ees") && !w.ends_with("oes") {
        return Some(w[..w.len() - 1].to_owned());
    }
    if w.ends_with('s') && !w.ends_with("us") && !w.ends_with("ss") {
        return Some(w[..w.len() - 1].to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(settings: KeywordSettings, text: &str) -> Vec<String> {
        analyse(&mut settings.text_analyzer(), text)
            .into_iter()
            .map(|t| t.term)
            .collect()
    }

    #[test]
    fn snowball_stems_and_drops_stop_words() {
        let s = KeywordSettings::default();
        assert_eq!(
            terms(s, "The Transformers are merging Tokens"),
            ["transform", "merg", "token"]
        );
    }

    #[test]
    fn plural_stemmer() {
        assert_eq!(plural_stem("queries").as_deref(), Some("query"));
        assert_eq!(plural_stem("models").as_deref(), Some("model"));
        assert_eq!(plural_stem("processes").as_deref(), Some("processe"));
        assert_eq!(plural_stem("class"), None);
        assert_eq!(plural_stem("corpus"), None);
        let s = KeywordSettings {
            stemming: Stemming::Plural,
            stop_words: StopWords::None,
            ..KeywordSettings::default()
        };
        assert_eq!(terms(s, "The Models"), ["the", "model"]);
    }

    #[test]
    fn positions_survive_stop_words() {
        let toks = analyse(
            &mut KeywordSettings::default().text_analyzer(),
            "state of the art",
        );
        let pos: Vec<usize> = toks.iter().map(|t| t.position).collect();
        assert_eq!(pos, [0, 3]);
    }
}
