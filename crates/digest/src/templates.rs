//! The digest's subject, plain-text and HTML templates (minijinja). Built-in
//! ones ship in the binary (`crates/digest/templates/`); an operator
//! replaces any of them by a file of the same name (`subject.txt`,
//! `digest.txt`, `digest.html`) in `digest.templates_dir`. Templates are
//! read and checked when the server starts, so a broken one stops it with
//! the file and line rather than failing a digest later.
//!
//! What a template sees: `site` (`name`, `url`), `frequency` (`daily` or
//! `weekly`), `date` (`Monday 7 December 2026`), `query` (the saved search,
//! empty for the trending digest), `recipient`, `unsubscribe_url`,
//! `subject` (in the bodies) and `papers`, each with `id`, `title`,
//! `authors`, `organization`, `upvotes`, `url` and `why`. The HTML template
//! escapes every value; the subject is made one line.

use std::path::Path;

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::DigestError;

/// The templates and their built-in text.
const BUILT_IN: [(&str, &str); 3] = [
    ("subject.txt", include_str!("../templates/subject.txt")),
    ("digest.txt", include_str!("../templates/digest.txt")),
    ("digest.html", include_str!("../templates/digest.html")),
];

/// The site a digest links to.
#[derive(Clone, Debug, Serialize)]
pub struct Site {
    pub name: String,
    pub url: String,
}

/// One paper as a digest lists it.
#[derive(Clone, Debug, Serialize)]
pub struct PaperItem {
    pub id: String,
    pub title: String,
    pub authors: String,
    pub organization: Option<String>,
    pub upvotes: u32,
    pub url: String,
    pub why: String,
}

/// What one subscriber's digest says.
#[derive(Clone, Debug, Serialize)]
pub struct DigestView<'a> {
    pub site: &'a Site,
    pub frequency: &'a str,
    pub date: &'a str,
    pub query: &'a str,
    pub recipient: &'a str,
    pub unsubscribe_url: &'a str,
    pub papers: &'a [PaperItem],
}

/// A digest message's three parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates, each replaced by the file of the same name
    /// in `dir` when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Self, DigestError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, built_in) in BUILT_IN {
            let (source, origin) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => {
                    let text =
                        std::fs::read_to_string(&path).map_err(|e| DigestError::Template {
                            name: path.display().to_string(),
                            message: e.to_string(),
                        })?;
                    (text, path.display().to_string())
                }
                None => (built_in.to_string(), format!("built-in {name}")),
            };
            env.add_template_owned(name, source)
                .map_err(|e| template_error(&origin, &e))?;
        }
        let templates = Templates { env };
        // Render a sample now: a template naming what does not exist fails
        // here, not at the hour of the digest.
        templates.render(&sample())?;
        Ok(templates)
    }

    /// The subject (one line), text and HTML of `view`.
    pub fn render(&self, view: &DigestView<'_>) -> Result<Rendered, DigestError> {
        let render = |name: &str, subject: Option<&str>| {
            let template = self
                .env
                .get_template(name)
                .map_err(|e| template_error(name, &e))?;
            let result = match subject {
                Some(subject) => template.render(minijinja::context! {
                    subject => subject,
                    ..minijinja::Value::from_serialize(view)
                }),
                None => template.render(view),
            };
            result.map_err(|e| template_error(name, &e))
        };
        let subject = render("subject.txt", None)?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let text = render("digest.txt", Some(&subject))?;
        let html = render("digest.html", Some(&subject))?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }
}

fn template_error(origin: &str, e: &minijinja::Error) -> DigestError {
    let line = e.line().map(|l| format!(", line {l}")).unwrap_or_default();
    DigestError::Template {
        name: format!("{origin}{line}"),
        message: e.to_string(),
    }
}

fn sample() -> DigestView<'static> {
    static SITE: std::sync::LazyLock<Site> = std::sync::LazyLock::new(|| Site {
        name: "Daily Papers".into(),
        url: "https://papers.example.org".into(),
    });
    static PAPERS: std::sync::LazyLock<Vec<PaperItem>> = std::sync::LazyLock::new(|| {
        vec![PaperItem {
            id: "2501.00001".into(),
            title: "A paper".into(),
            authors: "Ada Lovelace".into(),
            organization: Some("Analytical Engines".into()),
            upvotes: 3,
            url: "https://papers.example.org/papers/2501.00001".into(),
            why: "3 upvotes today".into(),
        }]
    });
    DigestView {
        site: &SITE,
        frequency: "daily",
        date: "Monday 7 December 2026",
        query: "",
        recipient: "ada@example.org",
        unsubscribe_url: "https://papers.example.org/unsubscribe?token=t",
        papers: &PAPERS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_escape_html_and_make_the_subject_one_line() {
        let t = Templates::load(None).unwrap();
        let mut papers = sample().papers.to_vec();
        papers[0].title = "<script>alert(1)</script> & more".into();
        let view = DigestView {
            query: "token compression\r\nBcc: x@evil.example",
            papers: &papers,
            ..sample()
        };
        let r = t.render(&view).unwrap();
        assert!(
            !r.subject.contains('\n') && !r.subject.contains('\r'),
            "{}",
            r.subject
        );
        assert!(
            r.subject
                .starts_with("1 new paper for “token compression Bcc")
        );
        assert!(r.html.contains("&lt;script&gt;alert(1)") && r.html.contains("&amp; more"));
        assert!(!r.html.contains("<script>"));
        assert!(
            r.text.contains("<script>alert(1)</script> & more"),
            "plain text is not escaped"
        );
        assert!(
            r.text
                .contains("Unsubscribe: https://papers.example.org/unsubscribe?token=t")
        );
    }

    #[test]
    fn an_operator_template_replaces_the_built_in_one_and_a_broken_one_says_where() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("subject.txt"), "Papers for {{ recipient }}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(
            t.render(&sample()).unwrap().subject,
            "Papers for ada@example.org"
        );

        std::fs::write(
            dir.path().join("digest.html"),
            "<p>\n{% for p in papers %}\n",
        )
        .unwrap();
        let e = Templates::load(Some(dir.path())).err().unwrap().to_string();
        assert!(e.contains("digest.html") && e.contains("line"), "{e}");

        std::fs::write(dir.path().join("digest.html"), "{{ nonsense.field }}").unwrap();
        let e = Templates::load(Some(dir.path())).err().unwrap().to_string();
        assert!(e.contains("digest.html") && e.contains("undefined"), "{e}");
    }
}
