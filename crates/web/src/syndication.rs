//! Papers as a feed a reader subscribes to: one list of papers
//! ([`Channel`]) written as Atom 1.0 (atom_syndication), RSS 2.0 (rss, with
//! an `atom:link rel="self"`) or JSON Feed 1.1 (serde), and answered with
//! conditional GET: a strong `ETag` (the body's SHA-256) and a
//! `Last-Modified` (the newest paper's date), so a reader that already has
//! the feed gets a 304 and no body.
//!
//! What stays the same between requests stays the same in the feed: an
//! item's id is the paper's arXiv address (the same in every feed and on
//! every server), its dates come from the paper and its feed entry, and the
//! feed's own date is its newest item's, never the time of the request.
//! Links are absolute, from the site's origin ([`crate::forwarded::origin`]).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dailypapers_domain::Listing;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::AppError;

/// How long a feed may be reused without asking (readers poll; a shared
/// cache in front keeps it as long).
pub const FEED_CACHE: &str = "public, max-age=300";

/// The three formats, named by the last part of a feed's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    /// Every format, in the order pages link them.
    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];

    /// The format a path ends in (`…/feed.atom`, `.rss`, `.json`).
    pub fn of_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1;
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }

    /// The file name a feed's path ends in.
    pub fn file(self) -> &'static str {
        match self {
            Format::Atom => "feed.atom",
            Format::Rss => "feed.rss",
            Format::Json => "feed.json",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }

    /// The media type answered and named in `<link rel="alternate">`.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml",
            Format::Rss => "application/rss+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// What a page calls the link ("Atom feed").
    pub fn name(self) -> &'static str {
        match self {
            Format::Atom => "Atom",
            Format::Rss => "RSS",
            Format::Json => "JSON Feed",
        }
    }
}

/// One feed: a titled list of papers, as a page shows it.
#[derive(Clone, Debug)]
pub struct Channel {
    /// "Daily papers: Monday, 1 December 2025 · Daily Papers".
    pub title: String,
    pub description: String,
    /// `scheme://host` that every link starts with.
    pub origin: String,
    /// The path (and query) of the page the feed mirrors.
    pub page: String,
    pub items: Vec<Item>,
}

/// The path of the feed in `format` of the page at `page`: `feed.atom`
/// after the page's path, the page's query after it (`/?date=D` →
/// `/feed.atom?date=D`, `/week/2025-W49` → `/week/2025-W49/feed.atom`).
pub fn feed_href(page: &str, format: Format) -> String {
    let (path, query) = match page.split_once('?') {
        Some((p, q)) if !q.is_empty() => (p, format!("?{q}")),
        Some((p, _)) => (p, String::new()),
        None => (page, String::new()),
    };
    format!("{}/{}{query}", path.trim_end_matches('/'), format.file())
}

impl Channel {
    /// The page, absolute.
    pub fn page_url(&self) -> String {
        format!("{}{}", self.origin, self.page)
    }

    /// The address of this feed in `format`, absolute.
    pub fn feed_url(&self, format: Format) -> String {
        format!("{}{}", self.origin, feed_href(&self.page, format))
    }

    /// The newest date among the items: the feed's own date.
    pub fn updated(&self) -> DateTime<Utc> {
        self.items
            .iter()
            .map(|i| i.updated)
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// One paper in a feed.
#[derive(Clone, Debug)]
pub struct Item {
    /// The paper's arXiv address: the same for the paper everywhere.
    pub id: String,
    /// Its page here, absolute.
    pub url: String,
    pub title: String,
    pub summary: String,
    pub authors: Vec<String>,
    pub organization: Option<String>,
    pub upvotes: u32,
    pub comments: u32,
    /// Why it is in the feed (trending), if there is more to say.
    pub reason: Option<String>,
    pub categories: Vec<String>,
    /// When it reached the feed (submitted), else published on arXiv.
    pub published: DateTime<Utc>,
    /// The latest of those and arXiv's last update.
    pub updated: DateTime<Utc>,
}

impl Item {
    /// A paper as listed, linked under `origin`.
    pub fn of(listing: &Listing, origin: &str) -> Item {
        let paper = &listing.paper;
        let entry = listing.entry.as_ref();
        let published = entry
            .and_then(|e| e.submitted_at)
            .or(paper.published_at)
            .or(entry.map(|e| e.listed_at))
            .unwrap_or(DateTime::UNIX_EPOCH);
        let updated = published.max(paper.updated_at.unwrap_or(published));
        let id = paper.id.as_str();
        Item {
            id: format!("https://arxiv.org/abs/{id}"),
            url: format!("{origin}{}", crate::view::paper_href(id)),
            title: one_line(&paper.title),
            summary: one_line(&paper.summary),
            authors: paper.authors.iter().map(|a| a.name.clone()).collect(),
            organization: listing.organization().map(|o| o.name.clone()),
            upvotes: listing.upvotes(),
            comments: listing.engagement.comments,
            reason: None,
            categories: paper.categories.clone(),
            published,
            updated,
        }
    }

    /// The line under the abstract: upvotes, comments, organisation, why.
    fn facts(&self) -> String {
        let mut parts = vec![count(self.upvotes, "upvote", "upvotes")];
        if self.comments > 0 {
            parts.push(count(self.comments, "comment", "comments"));
        }
        if let Some(org) = &self.organization {
            parts.push(org.clone());
        }
        if let Some(reason) = &self.reason {
            parts.push(reason.clone());
        }
        parts.join(" · ")
    }

    /// The item's body as HTML (every value escaped).
    fn html(&self) -> String {
        let mut html = String::new();
        if !self.authors.is_empty() {
            html.push_str(&format!("<p>{}</p>", escape(&self.authors.join(", "))));
        }
        html.push_str(&format!("<p>{}</p>", escape(&self.summary)));
        html.push_str(&format!("<p>{}</p>", escape(&self.facts())));
        html
    }

    /// The item's body as plain text.
    fn text(&self) -> String {
        let mut text = String::new();
        if !self.authors.is_empty() {
            text.push_str(&self.authors.join(", "));
            text.push_str("\n\n");
        }
        text.push_str(&self.summary);
        text.push_str("\n\n");
        text.push_str(&self.facts());
        text
    }
}

fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text on one line: titles and abstracts keep their words, not their
/// line breaks; characters XML cannot carry are dropped.
fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The feed written in `format`.
pub fn render(channel: &Channel, format: Format, generator: &str) -> Result<String, AppError> {
    match format {
        Format::Atom => Ok(atom(channel, generator)),
        Format::Rss => Ok(rss(channel, generator)),
        Format::Json => json(channel).map_err(|e| {
            tracing::error!(error = %e, "cannot write a JSON Feed");
            AppError::Internal
        }),
    }
}

fn atom(channel: &Channel, generator: &str) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text};
    let link = |href: &str, rel: &str, media: &str| Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(media.to_string()),
        ..Default::default()
    };
    let entries = channel
        .items
        .iter()
        .map(|item| Entry {
            id: item.id.clone(),
            title: Text::plain(item.title.clone()),
            updated: item.updated.fixed_offset(),
            published: Some(item.published.fixed_offset()),
            authors: item
                .authors
                .iter()
                .map(|a| Person {
                    name: a.clone(),
                    ..Default::default()
                })
                .collect(),
            links: vec![link(&item.url, "alternate", "text/html")],
            categories: item
                .categories
                .iter()
                .map(|c| Category {
                    term: c.clone(),
                    ..Default::default()
                })
                .collect(),
            summary: Some(Text::plain(item.summary.clone())),
            content: Some(Content {
                value: Some(item.html()),
                content_type: Some("html".to_string()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let self_url = channel.feed_url(Format::Atom);
    let feed = Feed {
        id: self_url.clone(),
        title: Text::plain(channel.title.clone()),
        subtitle: Some(Text::plain(channel.description.clone())),
        updated: channel.updated().fixed_offset(),
        links: vec![
            link(&channel.page_url(), "alternate", "text/html"),
            link(&self_url, "self", Format::Atom.media_type()),
        ],
        generator: Some(Generator {
            value: generator.to_string(),
            ..Default::default()
        }),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

fn rss(channel: &Channel, generator: &str) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::{Category, Channel as RssChannel, Guid, Item as RssItem};
    let items: Vec<RssItem> = channel
        .items
        .iter()
        .map(|item| {
            let mut i = RssItem::default();
            i.set_title(item.title.clone());
            i.set_link(item.url.clone());
            i.set_description(item.html());
            i.set_guid(Guid {
                value: item.id.clone(),
                permalink: false,
            });
            i.set_pub_date(item.published.to_rfc2822());
            i.set_categories(
                item.categories
                    .iter()
                    .map(|c| Category {
                        name: c.clone(),
                        domain: None,
                    })
                    .collect::<Vec<_>>(),
            );
            // RSS's <author> wants an email address; Dublin Core names people.
            let mut dc = rss::extension::dublincore::DublinCoreExtension::default();
            dc.set_creators(item.authors.clone());
            i.set_dublin_core_ext(dc);
            i
        })
        .collect();
    let mut rss = RssChannel::default();
    rss.set_title(channel.title.clone());
    rss.set_link(channel.page_url());
    rss.set_description(channel.description.clone());
    rss.set_generator(generator.to_string());
    rss.set_last_build_date(channel.updated().to_rfc2822());
    rss.set_items(items);
    let mut me = Link::default();
    me.set_href(channel.feed_url(Format::Rss));
    me.set_rel("self");
    me.set_mime_type(Format::Rss.media_type().to_string());
    let mut ext = AtomExtension::default();
    ext.set_links(vec![me]);
    rss.set_atom_ext(ext);
    rss.to_string()
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: String,
    description: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: String,
    content_text: String,
    summary: &'a str,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

fn json(channel: &Channel) -> Result<String, serde_json::Error> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &channel.title,
        home_page_url: channel.page_url(),
        feed_url: channel.feed_url(Format::Json),
        description: &channel.description,
        items: channel
            .items
            .iter()
            .map(|item| JsonItem {
                id: &item.id,
                url: &item.url,
                title: &item.title,
                content_html: item.html(),
                content_text: item.text(),
                summary: &item.summary,
                date_published: item.published.to_rfc3339(),
                date_modified: item.updated.to_rfc3339(),
                authors: item
                    .authors
                    .iter()
                    .map(|a| JsonAuthor { name: a })
                    .collect(),
                tags: &item.categories,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&feed)
}

/// The feed as answered to a request with `headers`: 304 when the reader
/// has it (its `If-None-Match` names the ETag, or, without one, its
/// `If-Modified-Since` is no earlier than the newest paper), else 200
/// with the body.
pub fn respond(
    channel: &Channel,
    format: Format,
    generator: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let body = render(channel, format, generator)?;
    let digest = Sha256::digest(body.as_bytes());
    let tag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{tag}\"");
    let modified = channel.updated();
    let last_modified = httpdate::fmt_http_date(modified.into());
    let fresh = match headers.get(header::IF_NONE_MATCH) {
        Some(v) => v.to_str().is_ok_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| DateTime::<Utc>::from(since).timestamp() >= modified.timestamp()),
    };
    let mut head = HeaderMap::new();
    head.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        head.insert(header::LAST_MODIFIED, v);
    }
    head.insert(header::CACHE_CONTROL, HeaderValue::from_static(FEED_CACHE));
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, head).into_response());
    }
    let media = format!("{}; charset=utf-8", format.media_type());
    head.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media).expect("a media type"),
    );
    Ok((head, body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel() -> Channel {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        Channel {
            title: "Papers <&> \"things\"".into(),
            description: "What is new.".into(),
            origin: "https://papers.example.org".into(),
            page: "/?date=2025-12-01".into(),
            items: vec![Item {
                id: "https://arxiv.org/abs/2511.22699".into(),
                url: "https://papers.example.org/papers/2511.22699".into(),
                title: "A <b>bold</b> title & more".into(),
                summary: "An abstract with <script>alert(1)</script>.".into(),
                authors: vec!["Ada Lovelace".into(), "Alan Turing".into()],
                organization: Some("Example Org".into()),
                upvotes: 42,
                comments: 1,
                reason: None,
                categories: vec!["cs.CL".into()],
                published: at("2025-12-01T09:00:00Z"),
                updated: at("2025-12-02T10:00:00Z"),
            }],
        }
    }

    #[test]
    fn a_feed_lives_after_its_page() {
        assert_eq!(feed_href("/", Format::Atom), "/feed.atom");
        assert_eq!(
            feed_href("/?date=2025-12-01", Format::Rss),
            "/feed.rss?date=2025-12-01"
        );
        assert_eq!(
            feed_href("/week/2025-W49", Format::Json),
            "/week/2025-W49/feed.json"
        );
        assert_eq!(
            feed_href("/search?q=a+b&mode=keyword", Format::Atom),
            "/search/feed.atom?q=a+b&mode=keyword"
        );
        assert_eq!(feed_href("/trending?", Format::Atom), "/trending/feed.atom");
    }

    #[test]
    fn formats_are_named_by_the_path() {
        assert_eq!(Format::of_path("/feed.atom"), Some(Format::Atom));
        assert_eq!(
            Format::of_path("/week/2025-W49/feed.rss"),
            Some(Format::Rss)
        );
        assert_eq!(Format::of_path("/trending/feed.json"), Some(Format::Json));
        assert_eq!(Format::of_path("/trending/feed.xml"), None);
    }

    #[test]
    fn every_format_escapes_and_links_itself() {
        let c = channel();
        for format in Format::ALL {
            let body = render(&c, format, "Daily Papers").unwrap();
            // JSON carries text as text; only its HTML must be escaped.
            let markup = match format {
                Format::Json => serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"]
                    [0]["content_html"]
                    .to_string(),
                _ => body.clone(),
            };
            assert!(!markup.contains("<script>"), "{format:?}: {markup}");
            assert!(!markup.contains("<b>bold"), "{format:?}: {markup}");
            assert!(
                body.contains("https://papers.example.org/papers/2511.22699"),
                "{format:?}"
            );
            assert!(
                body.contains(&format!(
                    "https://papers.example.org/{}?date=2025-12-01",
                    format.file()
                )),
                "{format:?} links itself: {body}"
            );
        }
        let json: serde_json::Value =
            serde_json::from_str(&render(&c, Format::Json, "x").unwrap()).unwrap();
        assert_eq!(json["items"][0]["id"], "https://arxiv.org/abs/2511.22699");
        assert_eq!(
            json["items"][0]["date_published"],
            "2025-12-01T09:00:00+00:00"
        );
        assert_eq!(json["items"][0]["authors"][1]["name"], "Alan Turing");
    }

    #[test]
    fn a_reader_with_the_feed_gets_304() {
        let c = channel();
        let first = respond(&c, Format::Atom, "x", &HeaderMap::new()).unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].clone();
        let modified = first.headers()[header::LAST_MODIFIED].clone();
        assert_eq!(modified, "Tue, 02 Dec 2025 10:00:00 GMT");
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, etag.clone());
        let second = respond(&c, Format::Atom, "x", &again).unwrap();
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(second.headers()[header::ETAG], etag);
        // Another format is another body, so another tag.
        let rss = respond(&c, Format::Rss, "x", &again).unwrap();
        assert_eq!(rss.status(), StatusCode::OK);
        let mut since = HeaderMap::new();
        since.insert(header::IF_MODIFIED_SINCE, modified);
        assert_eq!(
            respond(&c, Format::Atom, "x", &since).unwrap().status(),
            StatusCode::NOT_MODIFIED
        );
        since.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Mon, 01 Dec 2025 10:00:00 GMT"),
        );
        assert_eq!(
            respond(&c, Format::Atom, "x", &since).unwrap().status(),
            StatusCode::OK
        );
    }
}
