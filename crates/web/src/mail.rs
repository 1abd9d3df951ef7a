//! Mail the server sends members (email verification, password reset),
//! through one interface, [`Mailer`]. [`FileMailer`] writes each message
//! as an RFC 5322 file (`*.eml`) into a directory, for development and
//! tests; without a mail directory, [`LogMailer`] logs that a message was
//! due and drops it.
//!
//! Header values are taken from validated types (an [`Email`] has no line
//! breaks) and the subject is written by the server, so nothing a member
//! types can add a header.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use dailypapers_domain::Email;

/// One message to one member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// Why a message could not be handed over.
#[derive(Debug, thiserror::Error)]
#[error("cannot send mail: {0}")]
pub struct MailError(String);

/// Where mail goes.
pub trait Mailer: std::fmt::Debug + Send + Sync {
    fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// Writes each message to `DIR/<time>-<n>.eml`.
#[derive(Debug)]
pub struct FileMailer {
    dir: PathBuf,
    from: String,
    sent: AtomicU64,
}

impl FileMailer {
    pub fn new(dir: PathBuf, from: String) -> Self {
        FileMailer {
            dir,
            from,
            sent: AtomicU64::new(0),
        }
    }
}

/// Folds a header value onto one line (no CR or LF can reach a header).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Mailer for FileMailer {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| MailError(format!("{}: {e}", self.dir.display())))?;
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let now = chrono::Utc::now();
        let name = format!(
            "{}-{}-{n}.eml",
            now.format("%Y%m%dT%H%M%S%.3f"),
            std::process::id()
        );
        let text = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            one_line(&self.from),
            one_line(mail.to.as_str()),
            one_line(&mail.subject),
            now.to_rfc2822(),
            mail.body.replace('\n', "\r\n"),
        );
        let path = self.dir.join(name);
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| MailError(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(|e| MailError(format!("{}: {e}", path.display())))
    }
}

/// Logs that a message was due (no mail directory configured).
#[derive(Debug, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        tracing::warn!(
            to = mail.to.as_str(),
            subject = %mail.subject,
            "no mail directory is configured (--mail-dir): the message is dropped"
        );
        Ok(())
    }
}
