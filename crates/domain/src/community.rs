//! What the community adds to a paper: members' upvotes and comments
//! ([`Engagement`], counted by the store beside the imported upvote count),
//! and what a valid comment is ([`CommentBody`]).

use serde::{Deserialize, Serialize};

/// The longest comment accepted, in characters of Markdown.
pub const COMMENT_MAX_CHARS: usize = 10_000;

/// Members' activity on one paper, as the store counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    /// Upvotes cast by members of this instance (on top of the count
    /// imported from Hugging Face, which stays in `Paper::upvotes`).
    pub member_upvotes: u32,
    /// Visible comments: not deleted, not hidden.
    pub comments: u32,
}

impl Engagement {
    /// The count a card shows: the imported base plus members' votes.
    pub fn total_upvotes(&self, paper: &crate::Paper) -> u32 {
        paper
            .upvotes
            .unwrap_or(0)
            .saturating_add(self.member_upvotes)
    }
}

/// A comment's Markdown: not blank, at most [`COMMENT_MAX_CHARS`]
/// characters, line ends normalised to `\n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentBody(String);

/// Why a comment was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("body: a comment cannot be empty")]
    Empty,
    #[error("body: a comment is at most {COMMENT_MAX_CHARS} characters (got {0})")]
    TooLong(usize),
}

impl CommentBody {
    pub fn parse(raw: &str) -> Result<Self, CommentError> {
        let text = raw.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(CommentError::Empty);
        }
        let n = text.chars().count();
        if n > COMMENT_MAX_CHARS {
            return Err(CommentError::TooLong(n));
        }
        Ok(CommentBody(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_bodies() {
        assert_eq!(CommentBody::parse(" a\r\nb ").unwrap().as_str(), "a\nb");
        assert_eq!(CommentBody::parse(" \n\t"), Err(CommentError::Empty));
        assert_eq!(
            CommentBody::parse(&"x".repeat(10_001)),
            Err(CommentError::TooLong(10_001))
        );
    }

    #[test]
    fn members_votes_add_to_the_imported_count() {
        let mut paper = crate::Paper::new("2501.00001".parse().unwrap(), "T", "S");
        paper.upvotes = Some(40);
        let e = Engagement {
            member_upvotes: 2,
            comments: 0,
        };
        assert_eq!(e.total_upvotes(&paper), 42);
    }
}
