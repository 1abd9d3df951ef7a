//! Mail the server sends members (address confirmation, password reset):
//! composed once by `dailypapers_mail::compose` and queued in the store's
//! outbox, from which a sender on any server delivers it (this server's
//! sender, [`crate::Ops::mail`], is nudged so that it goes at once). The
//! request does not wait for the mail server, and a crash between the
//! request and the delivery loses nothing.
//!
//! Header values are taken from validated types (an [`Email`] has no line
//! breaks) and the subject is written by the server; lettre encodes every
//! header, so nothing a member types can add one.

use chrono::Utc;
use dailypapers_domain::Email;
use dailypapers_mail::{Draft, compose};
use dailypapers_store::outbox::NewMail;

use crate::AppState;

/// One message to one member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    /// Plain text.
    pub body: String,
    /// What it belongs to, unique per message (`account:reset:<token hash>`):
    /// the same batch is queued once.
    pub batch: String,
}

/// Queues `mail`; a failure is logged (the request that asked for it
/// answers the same either way).
pub async fn queue(state: &AppState, mail: Mail) {
    let composed = compose(&Draft {
        from: state.config.accounts.mail_from.clone(),
        to: mail.to.as_str().to_string(),
        subject: mail.subject,
        text: mail.body,
        html: None,
        batch: mail.batch.clone(),
        unsubscribe: None,
    });
    let queued = match composed {
        Ok(c) => {
            let row = NewMail {
                batch: mail.batch,
                recipient: c.recipient,
                message_id: c.message_id,
                message: c.bytes,
            };
            state
                .store
                .enqueue_mail(&[row], Utc::now())
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    match queued {
        Ok(_) => {
            if let Some(sender) = &state.ops.mail {
                sender.nudge();
            }
        }
        Err(e) => tracing::error!(error = %e, to = mail.to.as_str(), "account mail not queued"),
    }
}
