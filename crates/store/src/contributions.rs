//! What members contribute beyond votes and comments: papers submitted by
//! arXiv id, claims to be one of a paper's authors, and organisations (the
//! papers an admin links to one, and its members). [`Contributions`] is part
//! of every store (reached by [`crate::Store::contributions`]), kept in both
//! backends with the same tables (SQLite migration 0007, PostgreSQL 0006)
//! and checked by the same tests (`tests/contributions.rs`).
//!
//! # Contract
//!
//! - **A submission is an import.** [`Contributions::submit_paper`] merges
//!   the paper and its listing as [`crate::Store::import`] does, in the same
//!   transaction as the check that the paper is not on the feed yet and the
//!   record of who submitted it: two members submitting one paper at once
//!   get one listing, and the second is told the day it is on.
//! - **One open claim per author and per member.** A pending or approved
//!   claim holds its (paper, author) place and its (paper, member) place:
//!   the database refuses a second one (unique indexes over the open
//!   claims), however requests race. A claim leaves pending once: approved
//!   or rejected by an admin, or withdrawn by its claimant, never twice.
//! - **An admin's organisation link outranks the sources.** A paper linked
//!   to an organisation (or unlinked from the one its source gave) keeps
//!   that decision in `paper_organizations`, a table no import writes; every
//!   listing read (one paper, the feed, search results) carries it beside
//!   the paper (`Listing::organization_link`, which the badge and the API
//!   follow), and the changes the search index follows carry it as the
//!   paper's organisation ([`lay_organization`]). Re-importing from Hugging
//!   Face therefore never undoes it, the stored paper keeps what its
//!   sources said (so removing the link shows that again), and nothing
//!   read from a listing writes the link into a paper (`copy --merge`
//!   imports listings). A link changes the paper's sequence number, so the
//!   search index sees it.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::{ArxivId, ClaimStatus, Listing, Organization, Paper, Username};

use crate::community::{Comment, Member};
use crate::merge::Incoming;
use crate::{ImportOutcome, StoreError};

/// A claim to be one of a paper's authors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: u64,
    pub paper: ArxivId,
    /// The paper's title, for lists of claims.
    pub paper_title: String,
    /// The author's name as the paper spells it.
    pub author: String,
    pub member_id: u64,
    pub username: Username,
    pub display_name: Option<String>,
    pub status: ClaimStatus,
    pub created_at: DateTime<Utc>,
    /// When it left pending (decided or withdrawn).
    pub decided_at: Option<DateTime<Utc>>,
    /// The admin who decided it.
    pub decided_by: Option<u64>,
}

/// A claim to store: `author` as the paper spells it (see
/// `dailypapers_domain::contribution::find_author`).
#[derive(Clone, Debug)]
pub struct NewClaim {
    pub paper: ArxivId,
    pub author: String,
    pub member_id: u64,
    pub now: DateTime<Utc>,
}

/// Why a claim was not stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    NoSuchPaper,
    /// Someone (maybe the claimant) holds an open claim on this author.
    AuthorTaken(Claim),
    /// The claimant holds an open claim on another author of this paper.
    AlreadyClaimed(Claim),
}

/// Why a claim could not leave pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimChangeRefusal {
    NoSuchClaim,
    /// Only its claimant may withdraw a claim.
    NotYours,
    /// It was decided or withdrawn already (as it stands now).
    NotPending(Claim),
}

/// Why an organisation link or membership was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    NoSuchOrganization,
    NoSuchPaper,
    NoSuchMember,
}

/// An approved claim with its paper: a paper on its author's page.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthoredPaper {
    /// The author's name as the paper spells it.
    pub author: String,
    pub listing: Listing,
}

/// A visible comment with its paper's title, for a member's page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentOnPaper {
    pub comment: Comment,
    pub paper_title: String,
}

/// Submissions, authorship claims and organisations (see the module docs
/// for the contract).
#[async_trait]
pub trait Contributions: Send + Sync {
    /// Puts `listing` (a paper and its feed entry) on the feed as submitted
    /// by `member_id`: merged as an import, in one transaction with the
    /// check that the paper has no listing yet; `Err(day)` (nothing
    /// written) when it is on the feed already, on `day`.
    async fn submit_paper(
        &self,
        listing: Listing,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<ImportOutcome, NaiveDate>, StoreError>;

    /// The papers `member_id` submitted, newest first.
    async fn member_submissions(
        &self,
        member_id: u64,
        limit: u64,
    ) -> Result<Vec<Listing>, StoreError>;

    /// Stores a pending claim.
    async fn claim_authorship(
        &self,
        new: &NewClaim,
    ) -> Result<Result<Claim, ClaimRefusal>, StoreError>;

    async fn claim(&self, id: u64) -> Result<Option<Claim>, StoreError>;

    /// Approves or rejects a pending claim, by the admin `by`.
    async fn decide_claim(
        &self,
        id: u64,
        approve: bool,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<Claim, ClaimChangeRefusal>, StoreError>;

    /// Withdraws a pending claim of `member_id`'s.
    async fn withdraw_claim(
        &self,
        id: u64,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<Claim, ClaimChangeRefusal>, StoreError>;

    /// Claims in `status`, oldest first (the admins' queue).
    async fn claims_in(&self, status: ClaimStatus, limit: u64) -> Result<Vec<Claim>, StoreError>;

    /// A paper's open (pending and approved) claims, oldest first.
    async fn paper_claims(&self, paper: &ArxivId) -> Result<Vec<Claim>, StoreError>;

    /// A member's claims of every status, newest first.
    async fn member_claims(&self, member_id: u64, limit: u64) -> Result<Vec<Claim>, StoreError>;

    /// The papers a member is a verified author of, most recently approved first.
    async fn member_papers(
        &self,
        member_id: u64,
        limit: u64,
    ) -> Result<Vec<AuthoredPaper>, StoreError>;

    /// A member's visible comments (not deleted, not hidden), newest first.
    async fn member_comments(
        &self,
        member_id: u64,
        limit: u64,
    ) -> Result<Vec<CommentOnPaper>, StoreError>;

    /// Stores an organisation; false (nothing written) when one of that
    /// name, in any case, exists.
    async fn create_organization(&self, org: &Organization) -> Result<bool, StoreError>;

    /// Every stored organisation, by name.
    async fn organizations(&self, limit: u64) -> Result<Vec<Organization>, StoreError>;

    /// The papers whose badge is the organisation `name` (an admin's link,
    /// else what the sources said), newest feed day first, then newest
    /// publication; papers not on the feed after those that are.
    async fn organization_papers(
        &self,
        name: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Listing>, StoreError>;

    /// Links `paper` to the organisation `name` (an admin's decision, kept
    /// over what any source says), by `by`.
    async fn link_paper(
        &self,
        name: &str,
        paper: &ArxivId,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<(), LinkRefusal>, StoreError>;

    /// Takes `paper` away from the organisation `name`: removes an admin's
    /// link to it, or, when its sources give it that organisation, records
    /// that it shows none. False (nothing written) when the paper's badge
    /// is not that organisation.
    async fn unlink_paper(
        &self,
        name: &str,
        paper: &ArxivId,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Makes `member_id` a member of the organisation `name`; `Ok(false)`
    /// when they already were.
    async fn add_organization_member(
        &self,
        name: &str,
        member_id: u64,
        now: DateTime<Utc>,
    ) -> Result<Result<bool, LinkRefusal>, StoreError>;

    /// Ends a membership; false when there was none.
    async fn remove_organization_member(
        &self,
        name: &str,
        member_id: u64,
    ) -> Result<bool, StoreError>;

    /// An organisation's members, by username.
    async fn organization_members(&self, name: &str) -> Result<Vec<Member>, StoreError>;

    /// The organisations a member belongs to, by name.
    async fn member_organizations(&self, member_id: u64) -> Result<Vec<Organization>, StoreError>;
}

/// An admin's decision about a paper's organisation, as a listing query
/// reads it (the `org_link` column): `None` when there is none, else the
/// JSON of the organisation, or `null` for "no organisation".
pub(crate) type LinkColumn = Option<String>;

/// The `org_link` column every listing query selects (`p` is the paper):
/// see [`LinkColumn`]. A subquery, so the queries keep their joins; a
/// macro, so the backends' column lists stay constants (`concat!`).
macro_rules! org_link_column {
    () => {
        "(SELECT coalesce(o.data, 'null') \
         FROM paper_organizations po LEFT JOIN organizations o ON o.name = po.organization \
         WHERE po.paper_id = p.id) AS org_link"
    };
}
pub(crate) use org_link_column;

/// Lays an admin's organisation decision over a paper as the search index
/// sees it (the organisation filter): the linked organisation, or none.
pub fn lay_organization(paper: &mut Paper, link: Option<Option<Organization>>) {
    if let Some(link) = link {
        paper.organization = link;
    }
}

/// Reads the [`LinkColumn`] of a row.
pub(crate) fn link_of(column: LinkColumn) -> Result<Option<Option<Organization>>, StoreError> {
    column
        .map(|text| crate::codec::from_json("organisation link", &text))
        .transpose()
}

/// Reads a changed paper (`doc`, `seq`, `data` and `org_link`, any
/// backend), the admin's organisation laid over it.
pub(crate) fn paper_change_from_row<R>(row: &R) -> Result<crate::PaperChange, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    let mut paper: Paper = crate::codec::from_json("paper", &data)?;
    lay_organization(&mut paper, link_of(row.try_get("org_link")?)?);
    Ok(crate::PaperChange {
        doc: crate::codec::to_u64(row.try_get("doc")?),
        seq: crate::codec::to_u64(row.try_get("seq")?),
        paper,
    })
}

/// The organisation a paper's sources give its badge (no admin decision
/// counted): from the stored paper's and listing's JSON.
pub(crate) fn source_organization(
    paper: &str,
    entry: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let listing = Listing::new(
        crate::codec::from_json("paper", paper)?,
        entry
            .map(|e| crate::codec::from_json("listing", e))
            .transpose()?,
    );
    Ok(listing.organization().map(|o| o.name.clone()))
}

/// What a submission imports: the listing as an import batch, its paper's
/// id and its feed day.
pub(crate) fn submission(listing: Listing) -> Result<(Incoming, String, NaiveDate), StoreError> {
    let paper = listing.paper.id.as_str().to_string();
    let day = listing
        .entry
        .as_ref()
        .map(|e| e.feed_day)
        .ok_or_else(|| StoreError::Corrupt("a submission without a feed entry".into()))?;
    Ok((Incoming::new(vec![listing]), paper, day))
}

/// Reads an organisation's stored JSON (the `data` column, any backend).
pub(crate) fn organization_from_row<R>(row: &R) -> Result<Organization, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let data: String = row.try_get("data")?;
    crate::codec::from_json("organization", &data)
}

/// Reads a comment ([`crate::community::COMMENT_COLUMNS`]) and its paper's
/// `paper_title` (any backend).
pub(crate) fn comment_on_paper_from_row<R>(row: &R) -> Result<CommentOnPaper, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(CommentOnPaper {
        comment: crate::community::comment_from_row(row)?,
        paper_title: row
            .try_get::<Option<String>, _>("paper_title")?
            .unwrap_or_default(),
    })
}

/// The organisation memberships table's key: one row per member and organisation.
pub fn membership_key(member_id: u64, organization: &str) -> String {
    format!("{member_id} {organization}")
}

/// A value bound to a query's parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// The claim columns every backend selects, with `{title}` standing for
/// its expression of the paper's title (`a` claims, `m` members, `p` papers).
pub(crate) fn claim_select(title: &str) -> String {
    format!(
        "SELECT a.id, a.paper_id, {title} AS paper_title, a.author, a.member_id, m.username, \
         m.display_name, a.status, a.created_at, a.decided_at, a.decided_by \
         FROM authorship_claims a JOIN members m ON m.id = a.member_id \
         JOIN papers p ON p.id = a.paper_id"
    )
}

fn ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Reads the columns of [`claim_select`] (any backend).
pub(crate) fn claim_from_row<R>(row: &R) -> Result<Claim, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let paper: String = row.try_get("paper_id")?;
    let username: String = row.try_get("username")?;
    let status: String = row.try_get("status")?;
    Ok(Claim {
        id: crate::codec::to_u64(row.try_get("id")?),
        paper: paper.parse().map_err(|e| corrupt("claim paper", e))?,
        paper_title: row
            .try_get::<Option<String>, _>("paper_title")?
            .unwrap_or_default(),
        author: row.try_get("author")?,
        member_id: crate::codec::to_u64(row.try_get("member_id")?),
        username: Username::parse(&username).map_err(|e| corrupt("claimant", e))?,
        display_name: row.try_get("display_name")?,
        status: ClaimStatus::parse(&status).ok_or_else(|| corrupt("claim status", &status))?,
        created_at: ms(row.try_get("created_at")?),
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(ms),
        decided_by: row
            .try_get::<Option<i64>, _>("decided_by")?
            .map(crate::codec::to_u64),
    })
}

/// Why a claim could not be stored, from the open claims on its paper
/// (read after the database refused it): the one on the same author first.
pub(crate) fn claim_refusal(new: &NewClaim, open: Vec<Claim>) -> Option<ClaimRefusal> {
    let key = dailypapers_domain::contribution::author_key(&new.author);
    let (same_author, others): (Vec<Claim>, Vec<Claim>) = open
        .into_iter()
        .partition(|c| dailypapers_domain::contribution::author_key(&c.author) == key);
    if let Some(c) = same_author.into_iter().next() {
        return Some(ClaimRefusal::AuthorTaken(c));
    }
    others
        .into_iter()
        .find(|c| c.member_id == new.member_id)
        .map(ClaimRefusal::AlreadyClaimed)
}

/// Why a claim did not leave pending, from how it stands now.
pub(crate) fn change_refusal(now: Option<Claim>, member_id: Option<u64>) -> ClaimChangeRefusal {
    match now {
        None => ClaimChangeRefusal::NoSuchClaim,
        Some(c) if member_id.is_some_and(|m| m != c.member_id) => ClaimChangeRefusal::NotYours,
        Some(c) => ClaimChangeRefusal::NotPending(c),
    }
}
