//! Where a composed message goes: a mail server over SMTP (lettre; the URL
//! says how: `smtp://host:25` plain for a local relay,
//! `smtp://user:pass@host:587?tls=required` with STARTTLS, `smtps://host:465`
//! with TLS from the start), or a directory (`DIR/<id>.eml`, one file per
//! message, for development). A failure is transient (try again later:
//! a 4xx, a timeout, a dropped connection) or permanent (a 5xx).

use std::path::PathBuf;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::MailError;

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Directory(PathBuf),
}

/// Why one message was not delivered.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The server refused it for good: do not try again.
    pub permanent: bool,
    pub message: String,
}

impl Transport {
    /// The SMTP transport of `url` (see the module docs).
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            MailError::Config(format!(
                "SMTP URL {:?}: {e} (expected smtp://host:port, smtp://host:port?tls=required or smtps://host:port)",
                redact(url)
            ))
        })?;
        Ok(Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
    }

    /// What the transport is, for logs (no password).
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".to_string(),
            Transport::Directory(dir) => format!("the directory {}", dir.display()),
        }
    }

    /// Hands `bytes` to the server (or the directory) for `to`, from the
    /// envelope sender `from`.
    pub async fn send(
        &self,
        from: &str,
        to: &str,
        message_id: &str,
        bytes: &[u8],
    ) -> Result<(), SendError> {
        match self {
            Transport::Smtp(smtp) => {
                let envelope = envelope(from, to)?;
                smtp.send_raw(&envelope, bytes)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError {
                        permanent: e.is_permanent(),
                        message: e.to_string(),
                    })
            }
            Transport::Directory(dir) => {
                write_file(dir, message_id, bytes).map_err(|e| SendError {
                    permanent: false,
                    message: format!("{}: {e}", dir.display()),
                })
            }
        }
    }
}

fn envelope(from: &str, to: &str) -> Result<Envelope, SendError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| SendError {
        permanent: true,
        message: format!("{what}: {e}"),
    };
    let from: lettre::Address = from
        .parse::<lettre::message::Mailbox>()
        .map(|m| m.email)
        .map_err(|e| bad("the sender address", &e))?;
    let to: lettre::Address = to.parse().map_err(|e| bad("the recipient address", &e))?;
    Envelope::new(Some(from), vec![to]).map_err(|e| bad("the envelope", &e))
}

/// Writes the message as `DIR/<id>.eml` (a temporary file renamed, so a
/// reader never sees half; the same message twice is the same file).
fn write_file(dir: &std::path::Path, message_id: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name: String = message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '@'))
        .collect();
    let path = dir.join(format!("{name}.eml"));
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)
}

/// `url` without its password.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
