//! The Daily Papers domain: what a paper, an arXiv id, an organisation and a
//! feed entry are, how feed periods (day, ISO week, month) are computed,
//! what members and their comments are, what they contribute (submissions,
//! authorship claims, organisations), and how trending papers are ranked.
//!
//! Every field has a size limit, documented and applied in [`limits`].
//!
//! This crate does no I/O. Raw input is parsed into these types once, at the
//! edge (ingestion, HTTP parameters), and everything inside works with them.
//!
//! ```
//! use dailypapers_domain::ArxivId;
//! let id: ArxivId = "https://arxiv.org/abs/2104.12255v3".parse().unwrap();
//! assert_eq!(id.as_str(), "2104.12255");
//! assert_eq!(id.version(), Some(3));
//! ```

pub mod arxiv_id;
pub mod collection;
pub mod community;
pub mod contribution;
pub mod feed;
pub mod limits;
pub mod member;
pub mod paper;
pub mod trending;

pub use arxiv_id::{ArxivId, ArxivIdError};
pub use collection::{CollectionError, CollectionTitle};
pub use community::{CommentBody, CommentError, Engagement};
pub use contribution::{ClaimStatus, ContributionError, OrganizationName};
pub use feed::{FeedEntry, FeedSort, FeedTimeZone, Listing, Period, PeriodError, Submitter};
pub use member::{Email, MemberError, Role, Username};
pub use paper::{Author, Organization, Paper};
