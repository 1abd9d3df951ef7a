//! What of a paper each index sees: the keyword document, the text the
//! embedding model reads, and the hash that tells when that text changed.

use dailypapers_domain::Paper;

use crate::keyword::KeywordDoc;

/// The text a paper's embedding is made from: its title and abstract, the
/// way sentence-transformers models are usually fed documents.
pub fn embedding_text(paper: &Paper) -> String {
    embedding_text_of(&paper.title, &paper.summary)
}

/// [`embedding_text`] from a title and an abstract.
pub fn embedding_text_of(title: &str, summary: &str) -> String {
    let title = title.trim();
    let summary = summary.trim();
    match (title.is_empty(), summary.is_empty()) {
        (_, true) => title.to_owned(),
        (true, false) => summary.to_owned(),
        (false, false) => {
            let stop = if title.ends_with(['.', '?', '!']) {
                ""
            } else {
                "."
            };
            format!("{title}{stop} {summary}")
        }
    }
}

/// A stable 64-bit hash of the embedded text (FNV-1a): stored beside the
/// vector so that a paper whose text did not change keeps its vector.
pub fn text_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The keyword index's view of a paper.
pub fn keyword_doc(doc: u64, paper: &Paper) -> KeywordDoc {
    KeywordDoc {
        doc,
        arxiv_id: paper.id.as_str().to_owned(),
        title: paper.title.clone(),
        summary: paper.summary.clone(),
        authors: paper.authors.iter().map(|a| a.name.clone()).collect(),
        categories: paper.categories.clone(),
        organization: paper.organization.as_ref().map(|o| o.name.clone()),
        published: paper.published_at.map(|t| t.date_naive()),
        upvotes: paper.upvotes.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_text_is_title_then_abstract() {
        let p = Paper::new(
            "2501.00001".parse().unwrap(),
            "Token Merging",
            "We merge tokens.",
        );
        assert_eq!(embedding_text(&p), "Token Merging. We merge tokens.");
        let p = Paper::new("2501.00001".parse().unwrap(), "Why merge?", "Because.");
        assert_eq!(embedding_text(&p), "Why merge? Because.");
        let p = Paper::new("2501.00001".parse().unwrap(), "Only a title", "");
        assert_eq!(embedding_text(&p), "Only a title");
    }

    #[test]
    fn the_hash_changes_with_the_text_only() {
        assert_eq!(text_hash("a b"), text_hash("a b"));
        assert_ne!(text_hash("a b"), text_hash("a c"));
        // Pinned: stored hashes must stay valid across releases.
        assert_eq!(text_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(text_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
