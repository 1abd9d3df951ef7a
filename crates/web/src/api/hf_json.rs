//! Domain [`Listing`]s in the JSON shapes of the Hugging Face papers API.
//!
//! Field names are upstream's, exactly. What the official `huggingface_hub`
//! client (`PaperInfo`) relies on:
//! - a flat paper (`/api/papers/{id}`) has `id` and `title` at the top level;
//!   a wrapper (`/api/daily_papers`, `/api/papers/search`) has `paper.id`,
//!   and `title` at the top level;
//! - every date is `YYYY-MM-DDTHH:MM:SS.sssZ` (its parser wants the `Z`);
//! - `authors[].name`, `organization` and the submitter are objects read
//!   with defaults, so unknown parts are left out rather than sent as null.
//!
//! Each shape derives its schema in the OpenAPI document from these
//! definitions: a field left out when unknown is optional there and never
//! null.
//!
//! Optional fields are absent when unknown. Authors without an upstream `_id`
//! get a stable synthetic one (24 hex digits, a hash of the paper id and the
//! author's position), as do submitters and organisations.

use chrono::{DateTime, SecondsFormat, Utc};
use dailypapers_domain::{Author, FeedEntry, Listing, Organization, Paper, Submitter};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::assets::{fnv1a64, fnv1a64_from};

/// An instant as upstream writes it: `2025-12-01T00:38:17.269Z`.
#[derive(Clone, Copy, Debug, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2025-12-01T00:38:17.269Z")]
pub struct Timestamp(pub DateTime<Utc>);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// A stable 24-hex-digit id for something upstream gave no id to.
pub fn synthetic_id(parts: &[&str]) -> String {
    let mut h = fnv1a64(b"dailypapers");
    for p in parts {
        h = fnv1a64_from(h, p.as_bytes());
        h = fnv1a64_from(h, &[0]);
    }
    let tail = fnv1a64_from(h, b"\x01") >> 32;
    format!("{h:016x}{tail:08x}")
}

/// `paper.authors[]`.
#[derive(Serialize, ToSchema)]
pub struct HfAuthor<'a> {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: &'a str,
    pub hidden: bool,
}

impl<'a> HfAuthor<'a> {
    pub fn of(paper_id: &str, position: usize, a: &'a Author) -> Self {
        HfAuthor {
            id: a
                .hf_id
                .clone()
                .unwrap_or_else(|| synthetic_id(&[paper_id, &position.to_string()])),
            name: &a.name,
            hidden: a.hidden,
        }
    }
}

/// `organization`: `{_id, name, fullname, avatar}`.
#[derive(Serialize, ToSchema)]
pub struct HfOrganization<'a> {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: &'a str,
    pub fullname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub avatar: Option<&'a str>,
}

impl<'a> HfOrganization<'a> {
    pub fn of(o: &'a Organization) -> Self {
        HfOrganization {
            id: o
                .hf_id
                .clone()
                .unwrap_or_else(|| synthetic_id(&["organization", &o.name])),
            name: &o.name,
            fullname: if o.fullname.is_empty() {
                &o.name
            } else {
                &o.fullname
            },
            avatar: o.avatar.as_deref(),
        }
    }
}

fn user_id(s: &Submitter) -> String {
    s.hf_id
        .clone()
        .unwrap_or_else(|| synthetic_id(&["user", &s.user]))
}

/// `paper.submittedOnDailyBy`: `{_id, avatarUrl, isPro, fullname, user, type}`.
#[derive(Serialize, ToSchema)]
pub struct HfDailySubmitter<'a> {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "avatarUrl", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub avatar_url: Option<&'a str>,
    #[serde(rename = "isPro")]
    pub is_pro: bool,
    pub fullname: &'a str,
    pub user: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl<'a> HfDailySubmitter<'a> {
    pub fn of(s: &'a Submitter) -> Self {
        HfDailySubmitter {
            id: user_id(s),
            avatar_url: s.avatar_url.as_deref(),
            is_pro: s.is_pro,
            fullname: s.fullname.as_deref().unwrap_or(&s.user),
            user: &s.user,
            kind: "user",
        }
    }
}

/// The wrapper's `submittedBy`: `{_id, avatarUrl, fullname, name, type, isPro}`.
#[derive(Serialize, ToSchema)]
pub struct HfSubmitter<'a> {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "avatarUrl", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub avatar_url: Option<&'a str>,
    pub fullname: &'a str,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "isPro")]
    pub is_pro: bool,
}

impl<'a> HfSubmitter<'a> {
    pub fn of(s: &'a Submitter) -> Self {
        HfSubmitter {
            id: user_id(s),
            avatar_url: s.avatar_url.as_deref(),
            fullname: s.fullname.as_deref().unwrap_or(&s.user),
            name: &s.user,
            kind: "user",
            is_pro: s.is_pro,
        }
    }
}

/// The paper object: flat from `/api/papers/{id}`, or the wrapper's `paper`.
#[derive(Serialize, ToSchema)]
pub struct HfPaper<'a> {
    pub id: &'a str,
    pub authors: Vec<HfAuthor<'a>>,
    #[serde(rename = "publishedAt", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub published_at: Option<Timestamp>,
    #[serde(rename = "submittedOnDailyAt", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub submitted_on_daily_at: Option<Timestamp>,
    #[serde(rename = "submittedOnDailyBy", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub submitted_on_daily_by: Option<HfDailySubmitter<'a>>,
    pub title: &'a str,
    pub summary: &'a str,
    /// Always present: the upvotes imported from a community feed (0 when
    /// none reported on it) plus this instance's members' votes.
    pub upvotes: u32,
    #[serde(rename = "discussionId", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub discussion_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ai_summary: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub ai_keywords: &'a [String],
    #[serde(rename = "githubRepo", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub github_repo: Option<&'a str>,
    #[serde(rename = "githubStars", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub github_stars: Option<u32>,
    #[serde(rename = "projectPage", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub project_page: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub organization: Option<HfOrganization<'a>>,
}

impl<'a> HfPaper<'a> {
    pub fn of(listing: &'a Listing) -> Self {
        let p: &'a Paper = &listing.paper;
        let entry: Option<&'a FeedEntry> = listing.entry.as_ref();
        let id = p.id.as_str();
        HfPaper {
            id,
            authors: p
                .authors
                .iter()
                .enumerate()
                .map(|(i, a)| HfAuthor::of(id, i, a))
                .collect(),
            published_at: p.published_at.map(Timestamp),
            submitted_on_daily_at: entry.and_then(|e| e.submitted_at).map(Timestamp),
            submitted_on_daily_by: entry
                .and_then(|e| e.submitted_by.as_ref())
                .map(HfDailySubmitter::of),
            title: &p.title,
            summary: &p.summary,
            upvotes: listing.upvotes(),
            discussion_id: p.discussion_id.as_deref(),
            ai_summary: p.ai_summary.as_deref(),
            ai_keywords: &p.ai_keywords,
            github_repo: p.github_repo.as_deref(),
            github_stars: p.github_stars,
            project_page: p.project_page.as_deref(),
            organization: listing.paper_organization().map(HfOrganization::of),
        }
    }
}

/// `/api/papers/{id}`: the paper object, flat, with `numComments` (which
/// `HfApi.paper_info` reads there).
#[derive(Serialize, ToSchema)]
pub struct HfFlatPaper<'a> {
    #[serde(flatten)]
    pub paper: HfPaper<'a>,
    /// Comments imported with the listing plus members' visible comments.
    #[serde(rename = "numComments")]
    pub num_comments: u32,
}

impl<'a> HfFlatPaper<'a> {
    pub fn of(listing: &'a Listing) -> Self {
        HfFlatPaper {
            paper: HfPaper::of(listing),
            num_comments: listing.entry.as_ref().map_or(0, |e| e.num_comments)
                + listing.engagement.comments,
        }
    }
}

/// One element of `/api/daily_papers` and `/api/papers/search`.
#[derive(Serialize, ToSchema)]
pub struct HfDailyPaper<'a> {
    pub paper: HfPaper<'a>,
    /// When the listing was published: the listing's own date, else its
    /// submission; for a paper not on the feed, its arXiv publication.
    #[serde(rename = "publishedAt", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub published_at: Option<Timestamp>,
    pub title: &'a str,
    pub summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub thumbnail: Option<&'a str>,
    #[serde(rename = "numComments")]
    pub num_comments: u32,
    #[serde(rename = "submittedBy", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub submitted_by: Option<HfSubmitter<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub organization: Option<HfOrganization<'a>>,
    #[serde(
        rename = "submitterOrganization",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub submitter_organization: Option<HfOrganization<'a>>,
    #[serde(rename = "isAuthorParticipating")]
    pub is_author_participating: bool,
}

impl<'a> HfDailyPaper<'a> {
    pub fn of(listing: &'a Listing) -> Self {
        let p = &listing.paper;
        let entry = listing.entry.as_ref();
        HfDailyPaper {
            paper: HfPaper::of(listing),
            published_at: match entry {
                Some(e) => Some(Timestamp(e.listed_at)),
                None => p.published_at.map(Timestamp),
            },
            title: &p.title,
            summary: &p.summary,
            thumbnail: entry.and_then(|e| e.thumbnail.as_deref()),
            num_comments: entry.map_or(0, |e| e.num_comments) + listing.engagement.comments,
            submitted_by: entry
                .and_then(|e| e.submitted_by.as_ref())
                .map(HfSubmitter::of),
            organization: listing.listed_organization().map(HfOrganization::of),
            submitter_organization: entry
                .and_then(|e| e.submitter_organization.as_ref())
                .map(HfOrganization::of),
            is_author_participating: entry.is_some_and(|e| e.is_author_participating),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_ids_are_stable_24_hex_digits() {
        let a = synthetic_id(&["2511.22699", "0"]);
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, synthetic_id(&["2511.22699", "0"]));
        assert_ne!(a, synthetic_id(&["2511.22699", "1"]));
        assert_ne!(
            synthetic_id(&["ab", "c"]),
            synthetic_id(&["a", "bc"]),
            "parts are delimited"
        );
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let t: DateTime<Utc> = "2025-12-01T00:38:17.269Z".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&Timestamp(t)).unwrap(),
            "\"2025-12-01T00:38:17.269Z\""
        );
        let t: DateTime<Utc> = "2025-11-27T18:52:07Z".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&Timestamp(t)).unwrap(),
            "\"2025-11-27T18:52:07.000Z\""
        );
    }
}
