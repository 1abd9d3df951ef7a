//! Comments as HTML: Markdown (CommonMark with tables and strikethrough,
//! by pulldown-cmark) rendered, then sanitised by ammonia with an
//! allow-list. Raw HTML in a comment is shown as text, never interpreted;
//! what the Markdown makes is kept only if it is on the list: paragraphs,
//! emphasis, code, quotes, lists, headings (h3 and smaller), tables, rules
//! and links. Links keep only `http`, `https` and `mailto` URLs and get
//! `rel="nofollow ugc noopener noreferrer"`; images are not shown (a
//! comment cannot load anything), and no attribute can carry a script.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, html};

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEAN: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let tags: HashSet<&str> = [
            "p",
            "br",
            "em",
            "strong",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "h3",
            "h4",
            "h5",
            "h6",
            "hr",
            "a",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        ]
        .into_iter()
        .collect();
        let mut b = ammonia::Builder::empty();
        b.tags(tags)
            .add_tag_attributes("a", ["href"])
            .add_tag_attributes("ol", ["start"])
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("nofollow ugc noopener noreferrer"))
            .strip_comments(true);
        b
    })
}

/// The sanitised HTML of a comment written in Markdown.
pub fn comment_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    // Raw HTML becomes text: what the member typed is shown, not run.
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        // Headings are demoted below the page's own.
        Event::Start(pulldown_cmark::Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(pulldown_cmark::Tag::Heading {
            level: demote(level),
            id,
            classes,
            attrs,
        }),
        Event::End(pulldown_cmark::TagEnd::Heading(level)) => {
            Event::End(pulldown_cmark::TagEnd::Heading(demote(level)))
        }
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    sanitizer().clean(&raw).to_string()
}

fn demote(level: pulldown_cmark::HeadingLevel) -> pulldown_cmark::HeadingLevel {
    use pulldown_cmark::HeadingLevel::*;
    match level {
        H1 | H2 | H3 => H3,
        H4 => H4,
        H5 => H5,
        H6 => H6,
    }
}

#[cfg(test)]
mod tests {
    use super::comment_html;

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(
            comment_html("**bold** and `code`"),
            "<p><strong>bold</strong> and <code>code</code></p>\n"
        );
        let link = comment_html("[paper](https://arxiv.org/abs/2501.00001)");
        assert!(
            link.contains(r#"href="https://arxiv.org/abs/2501.00001""#),
            "{link}"
        );
        assert!(
            link.contains(r#"rel="nofollow ugc noopener noreferrer""#),
            "{link}"
        );
        assert!(comment_html("# Title").contains("<h3>"));
    }

    /// No tag that runs or loads anything, and no tag with an event
    /// handler or a script URL (text that merely reads like one is fine).
    fn no_active_markup(html: &str) -> bool {
        let lower = html.to_ascii_lowercase();
        lower.split('<').skip(1).all(|rest| {
            let tag = rest.split('>').next().unwrap_or("");
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
                .collect();
            ![
                "script", "img", "svg", "iframe", "object", "embed", "style", "form", "input",
            ]
            .contains(&name.trim_start_matches('/'))
                && !tag.contains(" on")
                && !tag.contains("javascript:")
                && !tag.contains("data:")
        })
    }

    #[test]
    fn nothing_can_run() {
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](https://tracker.example/pixel.gif)",
            "<svg onload=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](<javascript:alert(1)>)",
            "<iframe src=https://evil.example></iframe>",
        ] {
            let html = comment_html(evil);
            assert!(no_active_markup(&html), "{evil:?} gave {html:?}");
        }
    }
}
