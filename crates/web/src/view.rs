//! What pages share: the page layout (header, navigation, search box), the
//! paper card, and the small text helpers behind them (abstract excerpts,
//! author lines, dates, counts, safe links). Whatever is stored, a card or
//! a page shows no field longer than [`dailypapers_domain::limits`] allows:
//! a paper stored before the limits existed is cut when rendered.

use std::borrow::Cow;

use chrono::NaiveDate;
use dailypapers_domain::limits::{self, shown};
use dailypapers_domain::{Author, Listing, Organization, Period};

use crate::AppState;
use crate::assets::{app_href, style_href};
use crate::auth::Viewer;

/// The Daily / Weekly / Monthly / Trending links in the header.
pub struct Nav {
    pub daily: String,
    pub weekly: String,
    pub monthly: String,
    pub daily_current: bool,
    pub weekly_current: bool,
    pub monthly_current: bool,
    /// The trending page is the current one.
    pub trending_current: bool,
}

impl Nav {
    /// Links that lead to the latest day, week and month with papers.
    pub fn latest() -> Self {
        Nav {
            daily: "/".into(),
            weekly: "/week".into(),
            monthly: "/month".into(),
            daily_current: false,
            weekly_current: false,
            monthly_current: false,
            trending_current: false,
        }
    }

    /// The links of [`Nav::latest`], on the trending page.
    pub fn trending() -> Self {
        Nav {
            trending_current: true,
            ..Nav::latest()
        }
    }

    /// Links to the day, week and month containing `day`, with the kind of
    /// `current` (if any) marked as the current one.
    pub fn around(day: NaiveDate, current: Option<&Period>) -> Self {
        Nav {
            daily: day_href(day),
            weekly: period_href(&Period::week_of(day)),
            monthly: period_href(&Period::month_of(day)),
            daily_current: matches!(current, Some(Period::Day(_))),
            weekly_current: matches!(current, Some(Period::Week(_))),
            monthly_current: matches!(current, Some(Period::Month { .. })),
            trending_current: false,
        }
    }
}

/// What every page's frame needs.
pub struct Layout<'a> {
    pub site_name: &'a str,
    /// The document title (the site name is appended by the template).
    pub title: String,
    /// One sentence for `<meta name="description">`.
    pub description: String,
    /// The search box's current text.
    pub query: &'a str,
    pub nav: Nav,
    pub css_href: &'static str,
    pub js_href: &'static str,
    /// The signed-in member's menu; `None` shows "Log in" and "Sign up".
    pub account: Option<AccountBar>,
    /// Rendered for every member at once: the menu is a slot (see
    /// [`crate::personal`]).
    pub shared: bool,
    /// The page's papers as feeds (`<link rel="alternate">` and the
    /// footer's links); empty on pages that list no papers.
    pub feeds: Vec<FeedLink>,
}

/// One format of a page's feed.
pub struct FeedLink {
    pub href: String,
    pub media_type: &'static str,
    pub name: &'static str,
}

/// The header's menu for a signed-in member.
pub struct AccountBar {
    pub username: String,
    pub csrf: String,
    pub admin: bool,
}

impl AccountBar {
    /// The menu of `viewer`, if they are a member.
    pub fn of(viewer: &Viewer) -> Option<Self> {
        viewer.member.as_ref().map(|m| AccountBar {
            username: m.username.to_string(),
            csrf: viewer.csrf().unwrap_or_default().to_string(),
            admin: m.is_admin(),
        })
    }
}

/// A vote button: a form to the upvote route for a member, a link to the
/// login page for anyone else.
#[derive(Clone, Debug, Default)]
pub struct VoteButton {
    /// The paper's canonical id.
    pub paper: String,
    /// The CSRF token of the member's session (`None`: not signed in, or
    /// signed in with a token, which pages never are).
    pub csrf: Option<String>,
    pub upvoted: bool,
    /// Where the form sends the browser back to.
    pub return_to: String,
    /// Rendered for every member at once: a slot (see [`crate::personal`]).
    pub shared: bool,
}

impl VoteButton {
    /// The button on `paper`'s card or page for `viewer`.
    pub fn new(viewer: &Viewer, paper: &str, upvoted: bool, return_to: &str) -> Self {
        VoteButton {
            paper: paper.to_string(),
            csrf: viewer.csrf().map(str::to_string),
            upvoted,
            return_to: return_to.to_string(),
            shared: false,
        }
    }

    /// The login link with a way back.
    pub fn login_href(&self) -> String {
        format!("/login?return_to={}", url_escape(&self.return_to))
    }
}

/// Percent-encodes a path for a query parameter.
pub fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl<'a> Layout<'a> {
    pub fn new(state: &'a AppState, title: impl Into<String>, nav: Nav) -> Self {
        Layout {
            site_name: &state.config.site_name,
            title: title.into(),
            description: "A community-curated daily feed of research papers, ranked by upvotes."
                .into(),
            query: "",
            nav,
            css_href: style_href(),
            js_href: app_href(),
            account: None,
            shared: false,
            feeds: Vec::new(),
        }
    }

    /// The layout of a page whose papers are also a feed: the page at
    /// `page` (path and query, as [`crate::syndication::feed_href`] takes).
    pub fn with_feeds(mut self, page: &str) -> Self {
        self.feeds = crate::syndication::Format::ALL
            .into_iter()
            .map(|f| FeedLink {
                href: crate::syndication::feed_href(page, f),
                media_type: f.media_type(),
                name: f.name(),
            })
            .collect();
        self
    }

    /// The layout rendered for every member at once (see [`crate::personal`]).
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// The layout as `viewer` sees it (their menu in the header).
    pub fn for_viewer(mut self, viewer: &Viewer) -> Self {
        self.account = AccountBar::of(viewer);
        self
    }
}

/// The URL of a feed period's page.
pub fn period_href(period: &Period) -> String {
    match period {
        Period::Day(d) => day_href(*d),
        Period::Week(_) => format!("/week/{period}"),
        Period::Month { .. } => format!("/month/{period}"),
    }
}

/// The URL of a feed day's page.
pub fn day_href(day: NaiveDate) -> String {
    format!("/?date={}", day.format("%Y-%m-%d"))
}

/// The URL of a paper's page (old-style ids keep their slash).
pub fn paper_href(id: &str) -> String {
    format!("/papers/{id}")
}

/// "1 Dec 2025".
pub fn short_date(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// "2025-12-01".
pub fn iso_date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The start of an abstract: at most about `max` characters, cut at a word
/// boundary, with an ellipsis when something was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return text.to_string();
    };
    let head = &text[..cut];
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if space > cut / 2 => &head[..space],
        _ => head,
    };
    let head = head.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—(".contains(c));
    let mut out = String::with_capacity(head.len() + 3);
    out.push_str(head);
    out.push('…');
    out
}

/// "Z-Image Team, Huanqia Cai, Sihan Cao and 18 others": the first three
/// visible authors and how many more there are. Hidden authors are skipped.
pub fn authors_line(authors: &[Author]) -> (usize, String) {
    let visible = || authors.iter().filter(|a| !a.hidden);
    let n = visible().count();
    let visible: Vec<Cow<str>> = visible()
        .take(if n > 3 { 3 } else { n })
        .map(|a| shown(&a.name, limits::AUTHOR_NAME_CHARS))
        .collect();
    let line = match n {
        0 => String::new(),
        1 => visible[0].to_string(),
        2 | 3 => format!("{} and {}", visible[..n - 1].join(", "), visible[n - 1]),
        _ => {
            let rest = n - 3;
            let others = if rest == 1 { "other" } else { "others" };
            format!("{} and {rest} {others}", visible[..3].join(", "))
        }
    };
    (n, line)
}

/// "1 author", "21 authors".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A compact count: 950, 2.9k, 12k, 1.2M.
pub fn compact(n: u32) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..10_000 => format!("{:.1}k", f64::from(n) / 1_000.0),
        10_000..1_000_000 => format!("{}k", n / 1_000),
        _ => format!("{:.1}M", f64::from(n) / 1_000_000.0),
    }
}

/// `url` if it is an absolute http(s) URL, so that stored data can never put
/// a `javascript:` link on a page, and no longer than a link may be.
pub fn safe_url(url: Option<&str>) -> Option<&str> {
    url.filter(|u| u.len() <= limits::URL_CHARS).filter(|u| {
        let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    })
}

/// A GitHub URL shown without its scheme and host: "Tongyi-MAI/Z-Image".
pub fn github_label(url: &str) -> &str {
    let rest = url.split_once("github.com/").map(|(_, r)| r).unwrap_or(url);
    rest.trim_end_matches('/')
}

/// An organisation's badge: its name and a monogram, linking to its page
/// (`/organizations/{name}`). Upstream avatar URLs
/// are kept in the data but not shown, so pages load nothing from third
/// parties (readers' privacy, and instances without outside access).
pub struct OrgBadge<'a> {
    pub name: Cow<'a, str>,
    pub fullname: Cow<'a, str>,
    pub initial: char,
    /// The organisation's page.
    pub href: String,
}

impl<'a> OrgBadge<'a> {
    pub fn of(org: &'a Organization) -> Self {
        let fullname = if org.fullname.is_empty() {
            &org.name
        } else {
            &org.fullname
        };
        OrgBadge {
            href: crate::api::organizations::org_href(&org.name),
            name: shown(&org.name, limits::IDENTIFIER_CHARS),
            fullname: shown(fullname, limits::DISPLAY_NAME_CHARS),
            initial: fullname
                .chars()
                .find(|c| c.is_alphanumeric())
                .map_or('·', |c| c.to_uppercase().next().unwrap_or(c)),
        }
    }
}

/// A date for a `<time>` element.
pub struct DayText {
    /// `2025-12-01`
    pub iso: String,
    /// `1 Dec 2025`
    pub label: String,
}

/// One paper on a feed or results page.
pub struct Card<'a> {
    pub href: String,
    pub title: Cow<'a, str>,
    pub excerpt: String,
    pub author_count: String,
    pub authors: String,
    /// The feed day (or, for a paper not on the feed, its arXiv date).
    pub day: Option<DayText>,
    pub org: Option<OrgBadge<'a>>,
    pub upvotes: u32,
    pub upvotes_label: String,
    pub comments_label: String,
    pub github: Option<&'a str>,
    pub github_label: &'a str,
    pub github_stars: Option<String>,
    pub project_page: Option<&'a str>,
    /// The title with the search's words marked (escaped HTML), on results.
    pub title_html: Option<String>,
    /// The abstract's passage that matched, words marked (escaped HTML).
    pub excerpt_html: Option<String>,
    pub vote: VoteButton,
    /// Why it is trending ("31 upvotes, 12 in the last 24 h · …"), on the
    /// trending page.
    pub reason: Option<String>,
}

/// How long a card's abstract excerpt is, in characters.
pub const EXCERPT_CHARS: usize = 300;

impl<'a> Card<'a> {
    /// Marks the card's vote button for `viewer` (`upvoted`: their vote is there).
    pub fn for_viewer(&mut self, viewer: &Viewer, upvoted: bool, return_to: &str) {
        let paper = std::mem::take(&mut self.vote.paper);
        self.vote = VoteButton::new(viewer, &paper, upvoted, return_to);
    }

    pub fn of(listing: &'a Listing) -> Self {
        let paper = &listing.paper;
        let (n, authors) = authors_line(&paper.authors);
        let day = listing
            .entry
            .as_ref()
            .map(|e| e.feed_day)
            .or_else(|| paper.published_at.map(|t| t.date_naive()));
        let upvotes = listing.upvotes();
        let comments =
            listing.entry.as_ref().map_or(0, |e| e.num_comments) + listing.engagement.comments;
        let github = safe_url(paper.github_repo.as_deref());
        Card {
            href: paper_href(paper.id.as_str()),
            title: shown(&paper.title, limits::TITLE_CHARS),
            excerpt: excerpt(&paper.summary, EXCERPT_CHARS),
            author_count: if n == 0 {
                String::new()
            } else {
                plural(n, "author", "authors")
            },
            authors,
            day: day.map(|d| DayText {
                iso: iso_date(d),
                label: short_date(d),
            }),
            org: listing.organization().map(OrgBadge::of),
            upvotes,
            upvotes_label: plural(upvotes as usize, "upvote", "upvotes"),
            comments_label: plural(comments as usize, "comment", "comments"),
            github,
            github_label: github.map(github_label).unwrap_or_default(),
            github_stars: paper.github_stars.map(compact),
            project_page: safe_url(paper.project_page.as_deref()),
            title_html: None,
            excerpt_html: None,
            vote: VoteButton {
                paper: paper.id.as_str().to_string(),
                ..VoteButton::default()
            },
            reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_a_word_boundary() {
        assert_eq!(excerpt("short text", 300), "short text");
        let long = "word ".repeat(100);
        let e = excerpt(&long, 300);
        assert!(e.ends_with("word…"), "{e}");
        assert!(e.chars().count() <= 301);
        let unicode = "é".repeat(400);
        assert_eq!(excerpt(&unicode, 10), format!("{}…", "é".repeat(10)));
    }

    #[test]
    fn author_lines_name_three_and_count_the_rest() {
        let names = |ns: &[&str]| ns.iter().map(Author::named).collect::<Vec<_>>();
        assert_eq!(authors_line(&names(&["A"])).1, "A");
        assert_eq!(authors_line(&names(&["A", "B"])).1, "A and B");
        assert_eq!(authors_line(&names(&["A", "B", "C"])).1, "A, B and C");
        assert_eq!(
            authors_line(&names(&["A", "B", "C", "D"])).1,
            "A, B, C and 1 other"
        );
        let mut many = names(&["A", "B", "C", "D", "E"]);
        many[1].hidden = true;
        assert_eq!(authors_line(&many), (4, "A, C, D and 1 other".to_string()));
    }

    #[test]
    fn a_card_of_a_paper_stored_before_the_limits_is_of_normal_size() {
        let mut paper = dailypapers_domain::Paper::new(
            "2104.12255".parse().unwrap(),
            &"t".repeat(1 << 20),
            &"s ".repeat(1 << 20),
        );
        paper.authors = vec![Author::named("n".repeat(1 << 20)); 3];
        paper.github_repo = Some(format!("https://github.com/{}", "x".repeat(1 << 20)));
        paper.organization = Some(Organization {
            name: "o".repeat(1 << 20),
            fullname: "O".repeat(1 << 20),
            hf_id: None,
            avatar: None,
        });
        let listing = Listing::paper_only(paper);
        let card = Card::of(&listing);
        assert_eq!(card.title.chars().count(), limits::TITLE_CHARS);
        assert!(card.excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert!(card.authors.chars().count() <= 3 * limits::AUTHOR_NAME_CHARS + 10);
        assert_eq!(card.github, None);
        let org = card.org.unwrap();
        assert_eq!(org.fullname.chars().count(), limits::DISPLAY_NAME_CHARS);
    }

    #[test]
    fn only_http_links_are_kept() {
        assert_eq!(safe_url(Some("https://x.org")), Some("https://x.org"));
        assert_eq!(safe_url(Some("HTTP://x.org")), Some("HTTP://x.org"));
        assert_eq!(safe_url(Some("javascript:alert(1)")), None);
        assert_eq!(safe_url(Some("/relative")), None);
        assert_eq!(compact(2931), "2.9k");
        assert_eq!(compact(42), "42");
        assert_eq!(compact(12_345), "12k");
    }
}
