//! Searching the keyword index: from a [`SearchQuery`] to tantivy queries,
//! then the page of hits and the count.
//!
//! The common query (loose words, no filter) is one disjunction of term
//! queries, one per (field, word), weighted by the field boosts: BM25 summed
//! over fields, which tantivy answers with block-max WAND, scoring only the
//! documents that can still enter the top k. A phrase adds a required
//! clause (the phrase in any text field); filters add required clauses that
//! do not score; an arXiv id adds a term on the id field weighted far above
//! any text match, so that paper comes first.

use std::ops::Bound;

use tantivy::columnar::ColumnValues;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, TERMINATED, Term};

use super::analysis::{AnalysedToken, KeywordSettings, analyse};
use super::collect::TopCollector;
use super::index::date_value;
use super::{Filters, KeywordHit, KeywordIndex, KeywordPage, SearchError, Sort};
use crate::query::SearchQuery;

/// Counting stops after this many matches in a segment, and the segment's
/// total is extrapolated from how far into the segment that was (matches
/// are spread evenly over a segment, so the estimate is close). Below it the
/// count is exact. It bounds the cost of counting a query that matches most
/// of the index.
pub const COUNT_CAP_PER_SEGMENT: usize = 2_000;

/// Weight of an arXiv id match: far above any sum of text matches.
const ID_BOOST: f32 = 1000.0;
/// At most this many index terms stand for an incomplete last word (the
/// most frequent ones).
const MAX_PREFIX_EXPANSIONS: usize = 8;
/// Prefixes shorter than this (in bytes) are not expanded.
const MIN_PREFIX_BYTES: usize = 2;

impl KeywordIndex {
    /// One page of the papers matching `q` under `filters`, in `sort` order:
    /// hits `offset..offset + limit`, and how many match in all.
    pub fn search(
        &self,
        q: &SearchQuery,
        filters: &Filters,
        sort: Sort,
        offset: usize,
        limit: usize,
    ) -> Result<KeywordPage, SearchError> {
        let searcher = self.reader.searcher();
        let Some(query) = self.build_query(&searcher, q, filters)? else {
            return Ok(KeywordPage {
                total: 0,
                total_is_exact: true,
                hits: Vec::new(),
            });
        };
        let k = offset.saturating_add(limit);
        let entries = searcher.search(&*query, &TopCollector { k, sort })?;
        let hits = entries
            .into_iter()
            .skip(offset)
            .map(|e| KeywordHit {
                doc: e.doc,
                score: e.score,
            })
            .collect();
        let (total, total_is_exact) = count(&searcher, &*query)?;
        Ok(KeywordPage {
            total,
            total_is_exact,
            hits,
        })
    }

    /// The document numbers of every paper the filters let through,
    /// whatever the words (the candidates of a filtered semantic search).
    /// Empty filters let everything through; use [`Filters::is_empty`] first.
    pub fn matching_docs(&self, filters: &Filters) -> Result<Vec<u64>, SearchError> {
        let searcher = self.reader.searcher();
        let clauses: Vec<(Occur, Box<dyn Query>)> = self
            .filter_queries(filters)
            .into_iter()
            .map(|q| (Occur::Must, q))
            .collect();
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(tantivy::query::AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher))?;
        let mut docs = Vec::new();
        for segment in searcher.segment_readers() {
            let numbers = segment
                .fast_fields()
                .u64(super::index::F_DOC)?
                .first_or_default_col(0);
            let alive = segment.alive_bitset();
            let mut scorer = weight.scorer(segment, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    docs.push(numbers.get_val(doc));
                }
                doc = scorer.advance();
            }
        }
        docs.sort_unstable();
        Ok(docs)
    }

    /// The tantivy query for `q` and `filters`; `None` when nothing of the
    /// query survives analysis (only stop words, say), so nothing matches.
    fn build_query(
        &self,
        searcher: &Searcher,
        q: &SearchQuery,
        filters: &Filters,
    ) -> Result<Option<Box<dyn Query>>, SearchError> {
        let f = self.fields;
        let boosts = self.settings.boosts;
        let mut text = self.index.tokenizer_for_field(f.title)?;
        let mut names = KeywordSettings::name_analyzer();

        let mut should: Vec<Box<dyn Query>> = Vec::new();
        for word in q.terms() {
            for t in analyse(&mut text, word) {
                should.push(term_query(f.title, &t.term, boosts.title));
                should.push(term_query(f.summary, &t.term, boosts.summary));
            }
            for t in analyse(&mut names, word) {
                should.push(term_query(f.authors, &t.term, boosts.authors));
            }
            if word.contains(['.', '-']) {
                should.push(term_query(
                    f.categories,
                    &word.to_lowercase(),
                    boosts.categories,
                ));
            }
        }
        if let Some(prefix) = q.prefix_term() {
            for term in self.prefix_expansions(searcher, &mut names, &mut text, prefix)? {
                should.push(term_query(f.title, &term, boosts.title));
                should.push(term_query(f.summary, &term, boosts.summary));
            }
        }
        for id in q.arxiv_ids() {
            should.push(term_query(f.id, id.as_str(), ID_BOOST));
        }

        let mut must: Vec<Box<dyn Query>> = Vec::new();
        for phrase in q.phrases() {
            let mut any: Vec<Box<dyn Query>> = Vec::new();
            let toks = analyse(&mut text, phrase);
            for (field, boost) in [(f.title, boosts.title), (f.summary, boosts.summary)] {
                if let Some(query) = phrase_query(field, &toks, boost) {
                    any.push(query);
                }
            }
            if let Some(query) =
                phrase_query(f.authors, &analyse(&mut names, phrase), boosts.authors)
            {
                any.push(query);
            }
            if !any.is_empty() {
                must.push(union(any));
            }
        }

        if should.is_empty() && must.is_empty() {
            return Ok(None);
        }
        let matching: Box<dyn Query> = if must.is_empty() {
            union(should)
        } else {
            let clauses = must
                .into_iter()
                .map(|m| (Occur::Must, m))
                .chain(should.into_iter().map(|s| (Occur::Should, s)))
                .collect();
            Box::new(BooleanQuery::new(clauses))
        };
        if filters.is_empty() {
            return Ok(Some(matching));
        }
        let mut clauses = vec![(Occur::Must, matching)];
        for filter in self.filter_queries(filters) {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(filter, 0.0)) as Box<dyn Query>,
            ));
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    fn filter_queries(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let f = self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if filters.from.is_some() || filters.to.is_some() {
            let bound = |d: Option<chrono::NaiveDate>| match d {
                Some(d) => Bound::Included(Term::from_field_date(f.published, date_value(d))),
                None => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(
                bound(filters.from),
                bound(filters.to),
            )));
        }
        if !filters.categories.is_empty() {
            let any = filters
                .categories
                .iter()
                .map(|c| term_query(f.categories, &c.trim().to_lowercase(), 1.0))
                .collect();
            out.push(union(any));
        }
        if let Some(org) = &filters.organization {
            out.push(term_query(f.organization, &org.trim().to_lowercase(), 1.0));
        }
        out
    }

    /// Index terms (of titles and abstracts) that begin with the word being
    /// typed, the most frequent first, besides the word's own analysed form.
    fn prefix_expansions(
        &self,
        searcher: &Searcher,
        names: &mut tantivy::tokenizer::TextAnalyzer,
        text: &mut tantivy::tokenizer::TextAnalyzer,
        prefix: &str,
    ) -> Result<Vec<String>, SearchError> {
        // Lower-cased and folded like the index, but not stemmed.
        let folded = analyse(names, prefix);
        let Some(last) = folded.last() else {
            return Ok(Vec::new());
        };
        let prefix = last.term.as_str();
        if prefix.len() < MIN_PREFIX_BYTES {
            return Ok(Vec::new());
        }
        let own: Vec<String> = analyse(text, prefix).into_iter().map(|t| t.term).collect();
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xff);
        let mut found: std::collections::HashMap<Vec<u8>, u64> = std::collections::HashMap::new();
        for segment in searcher.segment_readers() {
            for field in [self.fields.title, self.fields.summary] {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted
                    .terms()
                    .range()
                    .ge(prefix.as_bytes())
                    .lt(&upper)
                    .into_stream()
                    .map_err(|e| SearchError::Index(e.into()))?;
                while stream.advance() {
                    *found.entry(stream.key().to_vec()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
        let mut terms: Vec<(String, u64)> = found
            .into_iter()
            .filter_map(|(k, n)| String::from_utf8(k).ok().map(|s| (s, n)))
            .filter(|(s, _)| !own.contains(s))
            .collect();
        terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        terms.truncate(MAX_PREFIX_EXPANSIONS);
        Ok(terms.into_iter().map(|(s, _)| s).collect())
    }
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    boosted(Box::new(q), boost)
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

/// The phrase in one field: a phrase query with the analysed positions (so
/// a removed stop word leaves its gap), or a term query for a one-word phrase.
fn phrase_query(field: Field, toks: &[AnalysedToken], boost: f32) -> Option<Box<dyn Query>> {
    match toks {
        [] => None,
        [one] => Some(term_query(field, &one.term, boost)),
        [first, ..] => {
            let terms = toks
                .iter()
                .map(|t| {
                    (
                        t.position - first.position,
                        Term::from_field_text(field, &t.term),
                    )
                })
                .collect();
            Some(boosted(
                Box::new(PhraseQuery::new_with_offset(terms)),
                boost,
            ))
        }
    }
}

fn union(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|c| (Occur::Should, c)).collect(),
    ))
}

/// Matches of `query`, exact up to [`COUNT_CAP_PER_SEGMENT`] per segment,
/// extrapolated beyond.
fn count(searcher: &Searcher, query: &dyn Query) -> Result<(usize, bool), SearchError> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut total = 0usize;
    let mut exact = true;
    for segment in searcher.segment_readers() {
        let alive = segment.alive_bitset();
        let mut scorer = weight.scorer(segment, 1.0)?;
        let mut n = 0usize;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n >= COUNT_CAP_PER_SEGMENT {
                    break;
                }
            }
            doc = scorer.advance();
        }
        if doc != TERMINATED && scorer.advance() != TERMINATED {
            // Stopped early at `doc`: scale by the share of the segment seen.
            exact = false;
            let seen = u64::from(doc) + 1;
            let estimate = (n as u64).saturating_mul(u64::from(segment.max_doc())) / seen;
            total += (estimate as usize).min(segment.num_docs() as usize);
        } else {
            total += n;
        }
    }
    Ok((total, exact))
}
