//! Where a composed message goes: a mail server over SMTP (lettre; the URL
//! says how: `smtp://host:25` plain for a local relay,
//! `smtp://user:pass@host:587?tls=required` with STARTTLS, `smtps://host:465`
//! with TLS from the start), or a directory (`DIR/<id>.eml`, one file per
//! message, for development). A failure is transient (try again later:
//! a 4xx, a timeout, a dropped connection) or permanent (a 5xx).
//!
//! Plain `smtp://` without credentials (a local relay, the usual set-up of
//! a self-hosted instance) keeps its own idle connections with
//! `TCP_NODELAY`: lettre writes a message's closing `.` apart from its
//! body, and with Nagle's algorithm that small write waits for the
//! relay's delayed ACK of the body (about 40 ms a message on Linux). The
//! conversation itself is still lettre's.

use std::path::PathBuf;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::MailError;

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A plain relay (`smtp://host:port`, no TLS, no credentials).
    Relay(std::sync::Arc<Relay>),
    Directory(PathBuf),
}

/// A plain SMTP relay and its idle connections.
pub struct Relay {
    addr: String,
    idle: std::sync::Mutex<Vec<AsyncSmtpConnection>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("addr", &self.addr).finish()
    }
}

/// Why one message was not delivered.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The server refused it for good: do not try again.
    pub permanent: bool,
    pub message: String,
}

/// Idle connections kept at most.
const IDLE_CONNECTIONS: usize = 8;

fn transient(message: String) -> SendError {
    SendError {
        permanent: false,
        message,
    }
}

fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    SendError {
        permanent: e.is_permanent(),
        message: e.to_string(),
    }
}

impl Relay {
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let stream = tokio::time::timeout(SMTP_TIMEOUT, tokio::net::TcpStream::connect(&self.addr))
            .await
            .map_err(|_| transient(format!("{}: connecting timed out", self.addr)))?
            .map_err(|e| transient(format!("{}: {e}", self.addr)))?;
        let _ = stream.set_nodelay(true);
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
            .await
            .map_err(smtp_error)
    }

    async fn send_on(
        conn: &mut AsyncSmtpConnection,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<(), lettre::transport::smtp::Error> {
        conn.send(envelope, bytes).await.map(|_| ())
    }

    async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), SendError> {
        let reused = self.idle.lock().expect("not poisoned").pop();
        let fresh = reused.is_none();
        let mut conn = match reused {
            Some(c) => c,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(SMTP_TIMEOUT, Self::send_on(&mut conn, envelope, bytes))
            .await
            .map_err(|_| transient("the SMTP conversation timed out".into()))?;
        match sent {
            Ok(()) => {}
            // An idle connection the relay closed meanwhile: once more on a
            // new one (nothing was accepted on the old).
            Err(e) if !fresh && !e.is_permanent() && !e.is_transient() => {
                conn = self.connect().await?;
                tokio::time::timeout(SMTP_TIMEOUT, Self::send_on(&mut conn, envelope, bytes))
                    .await
                    .map_err(|_| transient("the SMTP conversation timed out".into()))?
                    .map_err(smtp_error)?;
            }
            Err(e) => return Err(smtp_error(e)),
        }
        let mut idle = self.idle.lock().expect("not poisoned");
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(conn);
        }
        Ok(())
    }
}

impl Transport {
    /// The SMTP transport of `url` (see the module docs).
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        if let Ok(u) = url::Url::parse(url)
            && u.scheme() == "smtp"
            && u.query().is_none()
            && u.username().is_empty()
            && u.password().is_none()
            && let Some(host) = u.host_str()
        {
            let addr = format!("{host}:{}", u.port().unwrap_or(25));
            return Ok(Transport::Relay(std::sync::Arc::new(Relay {
                addr,
                idle: std::sync::Mutex::new(Vec::new()),
            })));
        }
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
            Transport::Relay(r) => format!("the SMTP relay {}", r.addr),
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
            Transport::Relay(relay) => {
                let envelope = envelope(from, to)?;
                relay.send(&envelope, bytes).await
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
