//! `dailypapers user …`: what an operator does to members from the command
//! line: `promote NAME` makes an admin (who hides comments, bans members and
//! approves claims), `demote NAME` takes it back, `ban NAME` ends their
//! sessions and API tokens at once and refuses their logins, `unban NAME`.

use std::process::ExitCode;

use anyhow::{Result, bail};
use dailypapers_domain::Role;

use crate::config::Config;

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Make a member an admin
    Promote { username: String },
    /// Make an admin a plain member again
    Demote { username: String },
    /// Ban a member: their sessions and API tokens end at once
    Ban { username: String },
    /// Lift a ban
    Unban { username: String },
}

pub async fn run(config: &Config, action: Action) -> Result<ExitCode> {
    let store = super::open_store(config).await?;
    let community = store.community();
    let (username, done) = match &action {
        Action::Promote { username } | Action::Demote { username } => {
            let role = match action {
                Action::Promote { .. } => Role::Admin,
                _ => Role::Member,
            };
            if !community.set_role(username, role).await? {
                bail!("there is no member {username:?}");
            }
            (username, format!("is now {}", role.as_str()))
        }
        Action::Ban { username } | Action::Unban { username } => {
            let Some(member) = community.member_by_username(username).await? else {
                bail!("there is no member {username:?}");
            };
            let ban = matches!(action, Action::Ban { .. });
            community
                .set_banned(member.id, ban, chrono::Utc::now())
                .await?;
            if ban {
                tracing::warn!(member = %member.username, "banned from the command line");
            }
            (
                username,
                if ban {
                    "is banned".into()
                } else {
                    "is no longer banned".into()
                },
            )
        }
    };
    println!("{username} {done}");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
