//! The Hugging Face daily papers JSON (`GET /api/daily_papers?date=…`): one
//! [`Listing`] per item, with the paper (community fields included) and its
//! feed entry (feed day, submitter, organisation, comments).
//!
//! The format has grown over time (`submittedOnDailyAt`, organisations, AI
//! summaries appeared in 2025), so every field but the paper's id and title is
//! optional, and unknown fields are ignored.
//!
//! A document is read whole, so one over
//! [`DOCUMENT_BYTES`](dailypapers_domain::limits::DOCUMENT_BYTES) (64 MiB) is
//! refused; an item over a field limit of [`dailypapers_domain::limits`] is
//! rejected, its title and abstract checked before anything is copied.

use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::limits::{self, ABSTRACT_CHARS, DOCUMENT_BYTES, TITLE_CHARS};
use dailypapers_domain::{
    ArxivId, Author, FeedEntry, FeedTimeZone, Listing, Organization, Paper, Submitter,
};
use serde_json::{Map, Value};

use crate::limit::within_limits;
use crate::{Rejected, SourceError};

/// How to place items on feed days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HfOptions {
    /// The feed day for items without `submittedOnDailyAt` (older responses):
    /// typically the `date=` the response was fetched for.
    pub fallback_day: Option<NaiveDate>,
    /// Whose calendar days are feed days.
    pub time_zone: FeedTimeZone,
}

/// Parses a daily-papers response. An item that cannot be read, or is over a
/// size limit, is a [`Rejected`] ("record 3 (2405.15738)") and the others
/// still parse. A document over [`DOCUMENT_BYTES`] is
/// [`SourceError::TooLarge`].
pub fn parse(
    json: &str,
    options: &HfOptions,
) -> Result<Vec<Result<Listing, Rejected>>, SourceError> {
    if json.len() > DOCUMENT_BYTES {
        return Err(SourceError::TooLarge {
            size: json.len() as u64,
            limit: DOCUMENT_BYTES as u64,
        });
    }
    let document: Value = serde_json::from_str(json).map_err(|e| {
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        SourceError::Malformed {
            format: "JSON",
            line: e.line() as u64,
            column: e.column() as u64,
            message,
        }
    })?;
    let items = match document {
        Value::Array(items) => items,
        Value::Object(object) => {
            if let Some(error) = object.get("error").and_then(Value::as_str) {
                return Err(SourceError::Service(error.to_string()));
            }
            return Err(SourceError::Unexpected(
                "expected a JSON array of daily-paper items, found an object".into(),
            ));
        }
        other => {
            return Err(SourceError::Unexpected(format!(
                "expected a JSON array of daily-paper items, found {}",
                kind(&other)
            )));
        }
    };
    Ok(items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let location = |id: Option<&str>| match id {
                Some(id) => format!("record {} ({id})", index + 1),
                None => format!("record {}", index + 1),
            };
            item_to_listing(item, options)
                .and_then(|listing| {
                    let id = listing.paper.id.to_string();
                    within_limits(listing, &location(Some(&id)))
                        .map_err(|e| (Some(id), e.to_string()))
                })
                .map_err(|(id, reason)| Rejected {
                    location: location(id.as_deref()),
                    reason,
                })
        })
        .collect())
}

/// A failure: the paper id if it was readable, and why.
type ItemError = (Option<String>, String);

fn item_to_listing(item: &Value, options: &HfOptions) -> Result<Listing, ItemError> {
    let wrapper = item.as_object().ok_or_else(|| {
        (
            None,
            format!("expected an object with a \"paper\", found {}", kind(item)),
        )
    })?;
    let paper_obj = match wrapper.get("paper") {
        Some(Value::Object(p)) => p,
        Some(other) => {
            return Err((
                None,
                format!("\"paper\" should be an object, found {}", kind(other)),
            ));
        }
        None => return Err((None, "missing \"paper\": expected the paper object".into())),
    };
    let raw_id = match paper_obj.get("id") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err((
                None,
                format!(
                    "\"paper.id\" should be a string such as \"2405.15738\", found {}",
                    kind(other)
                ),
            ));
        }
        None => {
            return Err((
                None,
                "missing \"paper.id\": expected an arXiv id such as \"2405.15738\"".into(),
            ));
        }
    };
    let known = Some(raw_id.trim().chars().take(60).collect::<String>());
    let id = ArxivId::parse(raw_id)
        .map_err(|e| (known.clone(), format!("invalid \"paper.id\": {e}")))?;
    build(wrapper, paper_obj, id, options).map_err(|reason| (known, reason))
}

fn build(
    wrapper: &Map<String, Value>,
    p: &Map<String, Value>,
    id: ArxivId,
    options: &HfOptions,
) -> Result<Listing, String> {
    let title = match string(p, "title", "paper.title")? {
        Some(t) if !t.trim().is_empty() => t,
        _ => string(wrapper, "title", "title")?
            .filter(|t| !t.trim().is_empty())
            .ok_or("missing \"paper.title\": expected the paper's title")?,
    };
    let summary = match string(p, "summary", "paper.summary")? {
        Some(s) => s,
        None => string(wrapper, "summary", "summary")?.unwrap_or(""),
    };
    // Before they are copied: an absurd text is refused as it is.
    limits::check_text("\"paper.title\"", title, TITLE_CHARS).map_err(|e| e.to_string())?;
    limits::check_text("\"paper.summary\"", summary, ABSTRACT_CHARS).map_err(|e| e.to_string())?;
    let mut paper = Paper::new(id, title, summary);

    paper.authors = authors(p)?;
    paper.published_at = timestamp(p, "publishedAt", "paper.publishedAt")?;
    paper.upvotes = count(p, "upvotes", "paper.upvotes")?;
    paper.discussion_id = owned(string(p, "discussionId", "paper.discussionId")?);
    paper.github_repo = owned(string(p, "githubRepo", "paper.githubRepo")?);
    paper.github_stars = count(p, "githubStars", "paper.githubStars")?;
    paper.project_page = owned(string(p, "projectPage", "paper.projectPage")?);
    paper.ai_summary = owned(string(p, "ai_summary", "paper.ai_summary")?);
    paper.ai_keywords = strings(p, "ai_keywords", "paper.ai_keywords")?;
    paper.organization = organization(p, "organization", "paper.organization")?;

    let submitted_at = timestamp(p, "submittedOnDailyAt", "paper.submittedOnDailyAt")?;
    let listed_at = timestamp(wrapper, "publishedAt", "publishedAt")?
        .or(submitted_at)
        .ok_or(
            "missing \"paper.submittedOnDailyAt\" and \"publishedAt\": expected when the paper was put on the feed",
        )?;
    let feed_day = match (submitted_at, options.fallback_day) {
        (Some(at), _) => options.time_zone.feed_day(at),
        (None, Some(day)) => day,
        (None, None) => options.time_zone.feed_day(listed_at),
    };

    let thumbnail = match string(wrapper, "thumbnail", "thumbnail")? {
        Some(t) => Some(t),
        None => string(wrapper, "mediaUrl", "mediaUrl")?,
    };
    let mut media_urls = strings(wrapper, "mediaUrls", "mediaUrls")?;
    if media_urls.is_empty() {
        media_urls = strings(p, "mediaUrls", "paper.mediaUrls")?;
    }
    let submitter_organization =
        organization(wrapper, "submitterOrganization", "submitterOrganization")?;
    let organization = organization(wrapper, "organization", "organization")?;

    let entry = FeedEntry {
        paper_id: paper.id.clone(),
        feed_day,
        submitted_at,
        submitted_by: submitter(wrapper, p)?,
        listed_at,
        thumbnail: owned(thumbnail),
        num_comments: count(wrapper, "numComments", "numComments")?.unwrap_or(0),
        organization,
        submitter_organization,
        is_author_participating: boolean(
            wrapper,
            "isAuthorParticipating",
            "isAuthorParticipating",
        )?
        .unwrap_or(false),
        media_urls,
    };
    Ok(Listing::new(paper, Some(entry)))
}

fn authors(p: &Map<String, Value>) -> Result<Vec<Author>, String> {
    let list = match p.get("authors") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(format!(
                "\"paper.authors\" should be an array, found {}",
                kind(other)
            ));
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let path = format!("paper.authors[{i}]");
        let a = a
            .as_object()
            .ok_or_else(|| format!("\"{path}\" should be an object, found {}", kind(a)))?;
        let name = string(a, "name", &format!("{path}.name"))?
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| format!("missing \"{path}.name\": expected the author's name"))?;
        out.push(Author {
            hf_id: owned(string(a, "_id", &format!("{path}._id"))?),
            hidden: boolean(a, "hidden", &format!("{path}.hidden"))?.unwrap_or(false),
            ..Author::named(name)
        });
    }
    Ok(out)
}

/// `{_id, name, fullname, avatar?}`; `name` is required, `fullname` defaults to it.
fn organization(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<Organization>, String> {
    let o = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(format!(
                "\"{path}\" should be an object, found {}",
                kind(other)
            ));
        }
    };
    let name = string(o, "name", &format!("{path}.name"))?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| format!("missing \"{path}.name\": expected the organisation's handle"))?;
    let fullname = string(o, "fullname", &format!("{path}.fullname"))?
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(name);
    Ok(Some(Organization {
        name: name.to_string(),
        fullname: fullname.to_string(),
        hf_id: owned(string(o, "_id", &format!("{path}._id"))?),
        avatar: owned(string(o, "avatar", &format!("{path}.avatar"))?),
    }))
}

/// The wrapper's `submittedBy` (handle in `name`), completed by the paper's
/// `submittedOnDailyBy` (handle in `user`, carries `_id`) for the same user.
fn submitter(
    wrapper: &Map<String, Value>,
    p: &Map<String, Value>,
) -> Result<Option<Submitter>, String> {
    let by = one_submitter(wrapper, "submittedBy", "name", "submittedBy")?;
    let on_daily = one_submitter(p, "submittedOnDailyBy", "user", "paper.submittedOnDailyBy")?;
    Ok(match (by, on_daily) {
        (Some(mut a), Some(b)) if a.user == b.user => {
            a.hf_id = a.hf_id.or(b.hf_id);
            a.fullname = a.fullname.or(b.fullname);
            a.avatar_url = a.avatar_url.or(b.avatar_url);
            Some(a)
        }
        (a, b) => a.or(b),
    })
}

fn one_submitter(
    obj: &Map<String, Value>,
    key: &str,
    handle: &str,
    path: &str,
) -> Result<Option<Submitter>, String> {
    let s = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(s)) => s,
        Some(other) => {
            return Err(format!(
                "\"{path}\" should be an object, found {}",
                kind(other)
            ));
        }
    };
    let Some(user) =
        string(s, handle, &format!("{path}.{handle}"))?.filter(|u| !u.trim().is_empty())
    else {
        return Ok(None);
    };
    Ok(Some(Submitter {
        user: user.to_string(),
        fullname: owned(string(s, "fullname", &format!("{path}.fullname"))?),
        hf_id: owned(string(s, "_id", &format!("{path}._id"))?),
        avatar_url: owned(string(s, "avatarUrl", &format!("{path}.avatarUrl"))?),
        is_pro: boolean(s, "isPro", &format!("{path}.isPro"))?.unwrap_or(false),
    }))
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A string field; absent or `null` is `None`, another type is an error.
fn string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "\"{path}\" should be a string, found {}",
            kind(other)
        )),
    }
}

fn strings(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "\"{path}[{i}]\" should be a string, found {}",
                    kind(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "\"{path}\" should be an array of strings, found {}",
            kind(other)
        )),
    }
}

fn count(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u32>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("\"{path}\" should be a count (a whole number ≥ 0), found {n}")),
        Some(other) => Err(format!(
            "\"{path}\" should be a number, found {}",
            kind(other)
        )),
    }
}

fn boolean(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!(
            "\"{path}\" should be true or false, found {}",
            kind(other)
        )),
    }
}

fn timestamp(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(s) = string(obj, key, path)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            format!(
                "invalid \"{path}\" {:?}: expected an ISO 8601 timestamp like 2025-12-01T00:38:17.269Z ({e})",
                s.chars().take(60).collect::<String>()
            )
        })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/hf-daily-papers/",
                $name
            ))
        };
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn listings(json: &str, options: &HfOptions) -> Vec<Listing> {
        parse(json, options)
            .unwrap()
            .into_iter()
            .map(|l| l.expect("fixture item parses"))
            .collect()
    }

    #[test]
    fn an_item_over_a_limit_is_rejected_by_name_and_the_others_kept() {
        let mut items: Vec<Value> = serde_json::from_str(fixture!("2025-12-01.json")).unwrap();
        items[0]["paper"]["summary"] = Value::String("many words ".repeat(10_000));
        items[1]["title"] = Value::String("t".repeat(5_000));
        items[1]["paper"]["title"] = Value::Null;
        items[2]["paper"]["githubRepo"] =
            Value::String(format!("https://github.com/{}", "x".repeat(3_000)));
        items[2]["paper"]["authors"] = Value::Array(
            (0..6_000)
                .map(|i| serde_json::json!({"name": format!("Author {i}")}))
                .collect(),
        );
        let json = serde_json::to_string(&items).unwrap();
        let all = parse(&json, &HfOptions::default()).unwrap();
        assert_eq!(all.len(), 23);
        let err = all[0].as_ref().unwrap_err();
        assert_eq!(err.location, "record 1 (2511.22699)");
        assert_eq!(
            err.reason,
            "\"paper.summary\" is 110,000 characters long, over the limit of 10,000 characters"
        );
        let err = all[1].as_ref().unwrap_err();
        assert!(
            err.reason
                .starts_with("\"paper.title\" is 5,000 characters"),
            "{err}"
        );
        let kept = &all[2].as_ref().unwrap().paper;
        assert_eq!(kept.github_repo, None);
        assert_eq!(kept.authors.len(), limits::AUTHORS);
        assert!(all[3..].iter().all(Result::is_ok));
    }

    #[test]
    fn a_document_over_the_size_limit_is_refused_unread() {
        let json = format!("[{}]", " ".repeat(DOCUMENT_BYTES));
        assert_eq!(
            parse(&json, &HfOptions::default()).unwrap_err().to_string(),
            "the document is 67,108,866 bytes or more, over the limit of 67,108,864 bytes for one document"
        );
    }

    #[test]
    fn a_2025_day_with_every_field() {
        let all = listings(fixture!("2025-12-01.json"), &HfOptions::default());
        assert_eq!(all.len(), 23);
        let first = &all[0];
        let (p, e) = (&first.paper, first.entry.as_ref().unwrap());
        assert_eq!(p.id.as_str(), "2511.22699");
        assert_eq!(p.version, None);
        assert_eq!(
            p.title,
            "Z-Image: An Efficient Image Generation Foundation Model with Single-Stream Diffusion Transformer"
        );
        assert!(
            p.summary
                .starts_with("The landscape of high-performance image generation models is")
        );
        assert_eq!(p.authors.len(), 21);
        assert_eq!(p.authors[0].name, "Z-Image Team");
        assert_eq!(
            p.authors[0].hf_id.as_deref(),
            Some("692d06234397b1ec214f6788")
        );
        assert!(!p.authors[0].hidden);
        assert_eq!(p.upvotes, Some(42));
        assert_eq!(p.published_at, Some(utc("2025-11-27T18:52:07Z")));
        assert_eq!(p.discussion_id.as_deref(), Some("692d06234397b1ec214f679d"));
        assert_eq!(
            p.project_page.as_deref(),
            Some("https://tongyi-mai.github.io/Z-Image-blog/")
        );
        assert_eq!(
            p.github_repo.as_deref(),
            Some("https://github.com/Tongyi-MAI/Z-Image")
        );
        assert_eq!(p.github_stars, Some(2931));
        assert!(
            p.ai_summary
                .as_deref()
                .unwrap()
                .starts_with("Z-Image, a 6B-parameter")
        );
        assert_eq!(p.ai_keywords.len(), 11);
        assert_eq!(p.ai_keywords[1], "S3-DiT");
        let org = p.organization.as_ref().unwrap();
        assert_eq!(org.name, "Tongyi-MAI");
        assert_eq!(org.fullname, "Tongyi-MAI");
        assert_eq!(org.hf_id.as_deref(), Some("6925b20fed452d1567c012d3"));
        assert!(
            org.avatar
                .as_deref()
                .unwrap()
                .starts_with("https://cdn-uploads.huggingface.co/")
        );

        assert_eq!(e.paper_id, p.id);
        assert_eq!(e.feed_day, day("2025-12-01"));
        assert_eq!(e.submitted_at, Some(utc("2025-12-01T00:38:17.269Z")));
        assert_eq!(e.listed_at, utc("2025-11-27T13:52:07Z"));
        assert_eq!(
            e.thumbnail.as_deref(),
            Some("https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2511.22699.png")
        );
        assert_eq!(e.num_comments, 1);
        assert!(!e.is_author_participating);
        assert_eq!(
            e.organization.as_ref().map(|o| o.name.as_str()),
            Some("Tongyi-MAI")
        );
        let by = e.submitted_by.as_ref().unwrap();
        assert_eq!(by.user, "Paper99");
        assert_eq!(by.fullname.as_deref(), Some("Zhen Li"));
        assert_eq!(by.hf_id.as_deref(), Some("6285a9133ab6642179158944"));
        assert_eq!(
            by.avatar_url.as_deref(),
            Some("/avatars/6e10fa07c94141fcdbe0cab02bb731ca.svg")
        );
        assert!(!by.is_pro);
        // Every item of that day is on that day.
        assert!(
            all.iter()
                .all(|l| l.entry.as_ref().unwrap().feed_day == day("2025-12-01"))
        );
    }

    #[test]
    fn a_2024_day_without_submission_time_uses_the_fallback_day() {
        let options = HfOptions {
            fallback_day: Some(day("2024-05-27")),
            ..HfOptions::default()
        };
        let all = listings(fixture!("2024-05-27.json"), &options);
        assert_eq!(all.len(), 13);
        let (p, e) = (&all[0].paper, all[0].entry.as_ref().unwrap());
        assert_eq!(p.id.as_str(), "2405.15738");
        assert_eq!(
            p.title,
            "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
        );
        assert_eq!(p.upvotes, Some(32));
        assert_eq!(p.authors.len(), 9);
        assert_eq!(p.authors[1].name, "Sijie Cheng");
        assert_eq!(
            p.authors[1].hf_id.as_deref(),
            Some("66540321d200a2ecdf784fff")
        );
        assert_eq!(p.discussion_id, None);
        assert_eq!(p.organization, None);
        assert_eq!(e.feed_day, day("2024-05-27"));
        // No submittedOnDailyAt: listings are ordered by their publishedAt.
        assert_eq!(e.submitted_at, None);
        assert_eq!(e.listed_at, utc("2024-05-27T03:50:58.348Z"));
        assert_eq!(e.submission_time(), e.listed_at);
        // The old `mediaUrl` is the thumbnail.
        assert_eq!(
            e.thumbnail.as_deref(),
            Some("https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.15738.png")
        );
        assert_eq!(e.num_comments, 3);
        assert_eq!(e.submitted_by, None);
        assert!(e.media_urls.is_empty());
    }

    #[test]
    fn without_fallback_the_listing_date_in_the_time_zone_is_the_feed_day() {
        // 2024-12-02: some items were listed late on 1 December, UTC.
        let json = fixture!("2024-12-02.json");
        let utc_days: Vec<NaiveDate> = listings(json, &HfOptions::default())
            .iter()
            .map(|l| l.entry.as_ref().unwrap().feed_day)
            .collect();
        assert!(utc_days.contains(&day("2024-12-01")) && utc_days.contains(&day("2024-12-02")));
        let with_fallback = HfOptions {
            fallback_day: Some(day("2024-12-02")),
            ..HfOptions::default()
        };
        assert!(
            listings(json, &with_fallback)
                .iter()
                .all(|l| l.entry.as_ref().unwrap().feed_day == day("2024-12-02"))
        );

        // submittedOnDailyAt 2025-12-01T00:38:17Z is still 30 November in Los Angeles.
        let la = HfOptions {
            fallback_day: Some(day("2000-01-01")),
            time_zone: "America/Los_Angeles".parse().unwrap(),
        };
        let first = &listings(fixture!("2025-12-01.json"), &la)[0];
        assert_eq!(first.entry.as_ref().unwrap().feed_day, day("2025-11-30"));
    }

    #[test]
    fn submitters_media_and_participation() {
        let all = listings(fixture!("2024-07-01.json"), &HfOptions::default());
        let e = all[0].entry.as_ref().unwrap();
        let by = e.submitted_by.as_ref().unwrap();
        assert_eq!(by.user, "jymcc");
        assert_eq!(by.fullname.as_deref(), Some("Junying Chen"));
        assert_eq!(by.hf_id, None);
        assert_eq!(e.num_comments, 7);

        let all = listings(fixture!("2025-04-01.json"), &HfOptions::default());
        assert_eq!(all.len(), 16);
        assert!(
            all.iter()
                .all(|l| l.entry.as_ref().unwrap().submitted_by.is_some())
        );
        assert!(
            all.iter()
                .any(|l| !l.entry.as_ref().unwrap().media_urls.is_empty())
        );
        assert!(all.iter().any(|l| l.paper.github_repo.is_some()));
        let all = listings(fixture!("2025-02-03.json"), &HfOptions::default());
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn the_submitter_organization_is_the_last_resort_badge() {
        let all = listings(fixture!("2025-10-01.json"), &HfOptions::default());
        assert_eq!(all.len(), 37);
        let with_org: Vec<&Listing> = all.iter().filter(|l| l.organization().is_some()).collect();
        assert_eq!(with_org.len(), 20);
        assert!(with_org.iter().all(|l| l.paper.organization.is_none()));
        // Kept apart from the listing's own organisation, which upstream did not give.
        let entries = with_org.iter().map(|l| l.entry.as_ref().unwrap());
        assert!(entries.clone().all(|e| e.organization.is_none()));
        assert!(entries.clone().all(|e| e.submitter_organization.is_some()));
        assert!(
            with_org
                .iter()
                .any(|l| l.organization().unwrap().name == "facebook")
        );
    }

    #[test]
    fn every_fixture_day_parses_completely() {
        for (name, json, n) in [
            ("2024-05-27", fixture!("2024-05-27.json"), 13),
            ("2024-06-03", fixture!("2024-06-03.json"), 6),
            ("2024-07-01", fixture!("2024-07-01.json"), 10),
            ("2024-08-01", fixture!("2024-08-01.json"), 11),
            ("2024-09-02", fixture!("2024-09-02.json"), 15),
            ("2024-10-01", fixture!("2024-10-01.json"), 11),
            ("2024-11-01", fixture!("2024-11-01.json"), 13),
            ("2024-12-02", fixture!("2024-12-02.json"), 15),
            ("2025-02-03", fixture!("2025-02-03.json"), 4),
            ("2025-03-03", fixture!("2025-03-03.json"), 7),
            ("2025-04-01", fixture!("2025-04-01.json"), 16),
            ("2025-05-01", fixture!("2025-05-01.json"), 10),
            ("2025-06-02", fixture!("2025-06-02.json"), 20),
            ("2025-07-01", fixture!("2025-07-01.json"), 14),
            ("2025-08-01", fixture!("2025-08-01.json"), 14),
            ("2025-09-01", fixture!("2025-09-01.json"), 13),
            ("2025-10-01", fixture!("2025-10-01.json"), 37),
            ("2025-11-03", fixture!("2025-11-03.json"), 15),
            ("2025-12-01", fixture!("2025-12-01.json"), 23),
        ] {
            let options = HfOptions {
                fallback_day: Some(day(name)),
                ..HfOptions::default()
            };
            let all = listings(json, &options);
            assert_eq!(all.len(), n, "{name}");
            for l in &all {
                let e = l.entry.as_ref().unwrap();
                assert_eq!(e.feed_day, day(name), "{name} {}", l.paper.id);
                assert!(
                    !l.paper.title.is_empty() && !l.paper.authors.is_empty(),
                    "{name}"
                );
                assert!(
                    l.paper.upvotes.is_some() && l.paper.published_at.is_some(),
                    "{name}"
                );
                assert!(e.thumbnail.is_some(), "{name}");
            }
        }
    }

    #[test]
    fn not_json_and_truncated_documents_are_malformed() {
        match parse("<html>Bad gateway</html>", &HfOptions::default()).unwrap_err() {
            SourceError::Malformed {
                format,
                line,
                column,
                message,
            } => {
                assert_eq!((format, line, column), ("JSON", 1, 1));
                assert_eq!(message, "expected value");
            }
            other => panic!("{other:?}"),
        }
        let json = fixture!("2025-12-01.json");
        let cut = &json[..json.len() / 2];
        match parse(cut, &HfOptions::default()).unwrap_err() {
            SourceError::Malformed { line, message, .. } => {
                assert_eq!(line as usize, cut.lines().count(), "{message}");
                assert!(message.contains("EOF"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_document_that_is_not_an_array_is_unexpected() {
        assert_eq!(
            parse(r#"{"papers": []}"#, &HfOptions::default()).unwrap_err(),
            SourceError::Unexpected(
                "expected a JSON array of daily-paper items, found an object".into()
            )
        );
        assert_eq!(
            parse(r#"{"error": "Invalid date"}"#, &HfOptions::default()).unwrap_err(),
            SourceError::Service("Invalid date".into())
        );
        assert!(
            matches!(parse("42", &HfOptions::default()), Err(SourceError::Unexpected(m)) if m.ends_with("a number"))
        );
    }

    #[test]
    fn bad_items_are_rejected_and_the_others_still_parse() {
        let good: Value =
            serde_json::from_str::<Vec<Value>>(fixture!("2024-06-03.json")).unwrap()[0].clone();
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = good.clone();
            f(&mut v);
            v
        };
        let items = vec![
            Value::String("2405.15738".into()),
            with(&|v| v["paper"]["id"] = "24xx.1".into()),
            with(&|v| {
                v["paper"].as_object_mut().unwrap().remove("title");
                v.as_object_mut().unwrap().remove("title");
            }),
            with(&|v| v["publishedAt"] = "last Monday".into()),
            with(&|v| v["paper"]["upvotes"] = "many".into()),
            with(&|v| {
                v["paper"].as_object_mut().unwrap().remove("id");
            }),
            good.clone(),
        ];
        let json = serde_json::to_string(&items).unwrap();
        let out = parse(&json, &HfOptions::default()).unwrap();
        assert_eq!(out.len(), 7);
        assert!(out[6].is_ok());
        let id = good["paper"]["id"].as_str().unwrap();
        let r: Vec<&Rejected> = out[..6].iter().map(|r| r.as_ref().unwrap_err()).collect();

        assert_eq!(r[0].location, "record 1");
        assert_eq!(
            r[0].reason,
            "expected an object with a \"paper\", found a string"
        );
        assert_eq!(r[1].location, "record 2 (24xx.1)");
        assert!(r[1].reason.starts_with("invalid \"paper.id\""), "{}", r[1]);
        assert_eq!(r[2].location, format!("record 3 ({id})"));
        assert!(r[2].reason.contains("missing \"paper.title\""), "{}", r[2]);
        assert!(
            r[3].reason
                .starts_with("invalid \"publishedAt\" \"last Monday\""),
            "{}",
            r[3]
        );
        assert!(r[3].reason.contains("ISO 8601"), "{}", r[3]);
        assert_eq!(
            r[4].reason,
            "\"paper.upvotes\" should be a number, found a string"
        );
        assert_eq!(r[5].location, "record 6");
        assert!(r[5].reason.contains("missing \"paper.id\""), "{}", r[5]);
    }

    #[test]
    fn unknown_fields_and_nulls_are_tolerated() {
        let json = r#"[{"paper":{"id":"2405.15738","title":"T","summary":"S","authors":[{"name":"A","_id":"x","newThing":1}],
            "githubRepo":null,"upvotes":3,"brandNew":{"a":[1]}},"publishedAt":"2024-05-27T03:50:58.348Z","numComments":null}]"#;
        let all = listings(json, &HfOptions::default());
        assert_eq!(all[0].paper.github_repo, None);
        assert_eq!(all[0].paper.authors[0].hf_id.as_deref(), Some("x"));
        assert_eq!(all[0].entry.as_ref().unwrap().num_comments, 0);
        assert_eq!(all[0].entry.as_ref().unwrap().feed_day, day("2024-05-27"));
    }
}
