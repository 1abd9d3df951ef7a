//! Mail: composing a message once (`compose`: headers, text and HTML
//! parts, a Message-ID derived from what the message is and who it is
//! for), handing it to a mail server or a directory (`transport`), and the
//! outbox sender that delivers what the store queued (`sender`): claims due
//! rows under a lease, sends each, records the outcome, retries transient
//! failures with exponential backoff and suspends addresses refused for
//! good.
//!
//! Errors: [`MailError`] for what cannot be composed or configured,
//! [`transport::SendError`] for one delivery (transient or permanent).

pub mod compose;
pub mod sender;
pub mod transport;

pub use compose::{Composed, Draft, compose};
pub use sender::{Sender, SenderOptions};
pub use transport::Transport;

/// What cannot be composed or configured.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address does not parse (the message names which).
    #[error("{0}")]
    Address(String),
    /// The message cannot be built.
    #[error("cannot compose the message: {0}")]
    Compose(String),
    /// The SMTP URL or mail directory is unusable.
    #[error("{0}")]
    Config(String),
}
