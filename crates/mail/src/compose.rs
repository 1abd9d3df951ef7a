//! One message, composed once: `From`, `To`, `Subject`, `Date`, a
//! `Message-ID` that depends only on what the message belongs to and whom
//! it is for (so the same message composed again, or sent again after a
//! crash, carries the same id and a receiver can tell it is one message),
//! optional `List-Unsubscribe` headers (RFC 2369, one-click per RFC 8058),
//! and a plain-text part with an optional HTML alternative.
//!
//! Headers are built by lettre, which encodes every value: a name, query
//! or subject holding a line break cannot add a header.

use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::MailError;

/// What a message says and to whom.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// `Daily Papers <papers@example.org>`.
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// What the message belongs to (`digest:daily:2025-12-01`): with the
    /// recipient, it makes the Message-ID.
    pub batch: String,
    /// `List-Unsubscribe`: an HTTPS link (POSTed to for one-click) and a
    /// mailto address.
    pub unsubscribe: Option<(String, String)>,
}

/// A message ready to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    pub recipient: String,
    /// The Message-ID header's value, with its angle brackets.
    pub message_id: String,
    pub bytes: Vec<u8>,
}

/// The Message-ID of the message of `batch` to `recipient`, on the
/// sender's `domain`.
pub fn message_id(batch: &str, recipient: &str, domain: &str) -> String {
    let digest = Sha256::digest(format!("{batch}\n{}", recipient.to_lowercase()).as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

fn mailbox(what: &str, s: &str) -> Result<Mailbox, MailError> {
    s.parse()
        .map_err(|e| MailError::Address(format!("{what} address {s:?}: {e}")))
}

/// A header lettre has no type for, its value written as given.
macro_rules! raw_header {
    ($ty:ident, $name:literal) => {
        #[derive(Clone)]
        struct $ty(String);
        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($ty(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

raw_header!(ListUnsubscribe, "List-Unsubscribe");
raw_header!(ListUnsubscribePost, "List-Unsubscribe-Post");
raw_header!(AutoSubmitted, "Auto-Submitted");

/// A body part: text that SMTP carries as it is (ASCII, short lines) is
/// sent as is, so links stay readable in any client; anything else is
/// encoded (quoted-printable or base64, as lettre finds best).
fn part(kind: ContentType, body: &str) -> SinglePart {
    let lf = body.replace("\r\n", "\n");
    // RFC 5321 carries lines up to 998 characters; 7bit is ASCII without
    // NUL or a bare CR.
    let seven_bit =
        lf.is_ascii() && !lf.contains(['\0', '\r']) && lf.lines().all(|l| l.len() <= 998);
    let body = if seven_bit {
        let crlf = lf.replace('\n', "\r\n");
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(lf)
    };
    SinglePart::builder().header(kind).body(body)
}

/// Composes `draft` (see the module docs).
pub fn compose(draft: &Draft) -> Result<Composed, MailError> {
    let from = mailbox("sender", &draft.from)?;
    let to = mailbox("recipient", &draft.to)?;
    let id = message_id(&draft.batch, to.email.as_ref(), from.email.domain());
    let subject: String = draft
        .subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to.clone())
        .subject(subject)
        .message_id(Some(id.clone()))
        .header(AutoSubmitted("auto-generated".into()));
    if let Some((link, mailto)) = &draft.unsubscribe {
        for value in [link, mailto] {
            if value
                .chars()
                .any(|c| c.is_control() || c == '<' || c == '>')
            {
                return Err(MailError::Compose(format!(
                    "unsubscribe address {value:?} holds characters a header cannot"
                )));
            }
        }
        builder = builder
            .header(ListUnsubscribe(format!("<{link}>, <{mailto}>")))
            .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
    }
    let text = part(ContentType::TEXT_PLAIN, &draft.text);
    let message = match &draft.html {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(part(ContentType::TEXT_HTML, html)),
        ),
        None => builder.singlepart(text),
    }
    .map_err(|e| MailError::Compose(e.to_string()))?;
    Ok(Composed {
        recipient: to.email.to_string(),
        message_id: id,
        bytes: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            from: "Daily Papers <papers@example.org>".into(),
            to: "ada@example.org".into(),
            subject: "Today\r\nBcc: victim@example.org".into(),
            text: "Hello".into(),
            html: Some("<p>Hello</p>".into()),
            batch: "digest:daily:2025-12-01".into(),
            unsubscribe: Some((
                "https://papers.example.org/unsubscribe?token=abc".into(),
                "mailto:unsubscribe@example.org?subject=abc".into(),
            )),
        }
    }

    #[test]
    fn the_same_message_has_the_same_id_and_another_another() {
        let a = compose(&draft()).unwrap();
        let b = compose(&draft()).unwrap();
        assert_eq!(a.message_id, b.message_id);
        assert!(a.message_id.ends_with("@example.org>"), "{}", a.message_id);
        let other = compose(&Draft {
            to: "grace@example.org".into(),
            ..draft()
        })
        .unwrap();
        assert_ne!(a.message_id, other.message_id);
    }

    #[test]
    fn a_long_link_stays_whole_and_other_text_is_encoded() {
        let link = format!("https://papers.example.org/reset?token={}", "x".repeat(60));
        let plain = compose(&Draft {
            text: format!("Open:\n\n{link}\n"),
            html: None,
            ..draft()
        })
        .unwrap();
        let text = String::from_utf8(plain.bytes).unwrap();
        assert!(text.contains("Content-Transfer-Encoding: 7bit"), "{text}");
        assert!(text.contains(&format!("\r\n{link}\r\n")), "{text}");
        let accented = compose(&Draft {
            text: "Café — naïve".into(),
            html: None,
            ..draft()
        })
        .unwrap();
        let text = String::from_utf8(accented.bytes).unwrap();
        assert!(!text.contains("Café"), "encoded, not raw: {text}");
    }

    #[test]
    fn nothing_typed_adds_a_header() {
        let m = compose(&draft()).unwrap();
        let text = String::from_utf8(m.bytes).unwrap();
        // Long headers are folded; a reader unfolds them.
        let head = text.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
        let head = head.as_str();
        assert!(
            !head
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{head}"
        );
        assert!(head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(head.contains(
            "List-Unsubscribe: <https://papers.example.org/unsubscribe?token=abc>, <mailto:"
        ));
        assert!(text.contains("multipart/alternative"));
        assert!(
            compose(&Draft {
                to: "ada@example.org\r\nBcc: x@example.org".into(),
                ..draft()
            })
            .is_err()
        );
    }
}
