//! What members contribute beyond votes and comments, as values valid by
//! construction: a paper submitted by arXiv id (the window after its arXiv
//! publication in which it may be, [`within_window`]), a claim to be one of
//! a paper's authors ([`ClaimStatus`], and which author a name is,
//! [`author_key`]), and an organisation made by an admin
//! ([`OrganizationName`], [`new_organization`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::limits::{DISPLAY_NAME_CHARS, URL_CHARS};
use crate::{Author, Organization};

/// The longest organisation handle accepted, in characters (Hugging Face's
/// are at most 96).
pub const ORGANIZATION_NAME_MAX_CHARS: usize = 96;

/// The submission window by default: 14 days after the arXiv publication.
pub const SUBMIT_WINDOW_DAYS: u32 = 14;

/// Why a value given for a contribution was refused: a sentence that says
/// what was wrong and what is expected, shown as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct ContributionError {
    /// The field, as the form and the API name it.
    pub field: &'static str,
    pub why: String,
}

fn refuse(field: &'static str, why: impl Into<String>) -> ContributionError {
    ContributionError {
        field,
        why: why.into(),
    }
}

/// Whether a paper first published on arXiv at `published` may still be
/// submitted at `now`: at most `window_days` days after, and not before.
pub fn within_window(published: DateTime<Utc>, now: DateTime<Utc>, window_days: u32) -> bool {
    let age = now - published;
    age >= chrono::TimeDelta::zero() && age <= chrono::TimeDelta::days(i64::from(window_days))
}

/// What makes two spellings of an author's name the same author: letters
/// and digits only, lower-cased ("Jürgen Schmidhuber", "jürgen schmidhuber"
/// and "Jürgen  Schmidhuber." are one).
pub fn author_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The author of `authors` that `name` names (see [`author_key`]), as the
/// paper spells it; hidden authors cannot be claimed.
pub fn find_author<'a>(authors: &'a [Author], name: &str) -> Option<&'a Author> {
    let key = author_key(name);
    if key.is_empty() {
        return None;
    }
    authors
        .iter()
        .find(|a| !a.hidden && author_key(&a.name) == key)
}

/// Where a claim to be one of a paper's authors stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimStatus {
    /// Waiting for an admin.
    Pending,
    /// An admin confirmed it: the paper page shows the author as verified.
    Approved,
    /// An admin turned it down.
    Rejected,
    /// The claimant took it back while it was pending.
    Withdrawn,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "pending",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimStatus> {
        match s {
            "pending" => Some(ClaimStatus::Pending),
            "approved" => Some(ClaimStatus::Approved),
            "rejected" => Some(ClaimStatus::Rejected),
            "withdrawn" => Some(ClaimStatus::Withdrawn),
            _ => None,
        }
    }

    /// What an admin's decision makes of a pending claim.
    pub fn decided(approve: bool) -> ClaimStatus {
        if approve {
            ClaimStatus::Approved
        } else {
            ClaimStatus::Rejected
        }
    }

    /// Whether the claim holds its (paper, author) place: a pending or
    /// approved claim does, so nobody else can claim that author meanwhile.
    pub fn is_open(self) -> bool {
        matches!(self, ClaimStatus::Pending | ClaimStatus::Approved)
    }
}

/// An organisation's handle, as an admin gives it: 1 to 96 ASCII letters,
/// digits, `-`, `_` and `.`, starting with a letter or digit (the form of
/// Hugging Face's, so an organisation can be made before its papers are
/// imported under the same name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(raw: &str) -> Result<Self, ContributionError> {
        let s = raw.trim();
        let n = s.chars().count();
        if !(1..=ORGANIZATION_NAME_MAX_CHARS).contains(&n) {
            return Err(refuse(
                "name",
                format!(
                    "an organisation's name is 1 to {ORGANIZATION_NAME_MAX_CHARS} characters (got {n})"
                ),
            ));
        }
        let ok = s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(refuse(
                "name",
                format!(
                    "{s:?} is not a handle: use letters, digits, '-', '_' and '.', starting with a letter or digit (e.g. ByteDance-Seed)"
                ),
            ));
        }
        Ok(OrganizationName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation as an admin makes it: a handle, a display name (1 to
/// 200 characters, no control characters) and an optional avatar, an
/// absolute `http` or `https` URL of at most 2,000 characters.
pub fn new_organization(
    name: &str,
    fullname: &str,
    avatar: Option<&str>,
) -> Result<Organization, ContributionError> {
    let name = OrganizationName::parse(name)?;
    let fullname = fullname.trim();
    let n = fullname.chars().count();
    if !(1..=DISPLAY_NAME_CHARS).contains(&n) {
        return Err(refuse(
            "fullname",
            format!("the display name is 1 to {DISPLAY_NAME_CHARS} characters (got {n})"),
        ));
    }
    if fullname.chars().any(char::is_control) {
        return Err(refuse(
            "fullname",
            "the display name cannot hold control characters",
        ));
    }
    let avatar = avatar.map(str::trim).filter(|a| !a.is_empty());
    if let Some(a) = avatar {
        check_avatar(a)?;
    }
    Ok(Organization {
        name: name.0,
        fullname: fullname.to_string(),
        hf_id: None,
        avatar: avatar.map(str::to_string),
    })
}

/// An avatar URL: `http://` or `https://`, a host, no spaces or control
/// characters, at most [`URL_CHARS`].
fn check_avatar(url: &str) -> Result<(), ContributionError> {
    let bad = |why: &str| {
        refuse(
            "avatar",
            format!("{why}: expected an http:// or https:// URL"),
        )
    };
    if url.chars().count() > URL_CHARS {
        return Err(bad(&format!("over {URL_CHARS} characters")));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| bad(&format!("{url:?} is not a web address")))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err(bad(&format!("{url:?} names no host")));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(bad(&format!(
            "{url:?} holds spaces or characters a URL cannot"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_counts_days_after_publication() {
        let published = t("2017-07-27T08:18:33Z");
        assert!(within_window(published, t("2017-07-27T09:00:00Z"), 14));
        assert!(within_window(published, t("2017-08-10T08:18:33Z"), 14));
        assert!(!within_window(published, t("2017-08-10T08:18:34Z"), 14));
        assert!(
            !within_window(published, t("2017-07-26T00:00:00Z"), 14),
            "not before it exists"
        );
        assert!(within_window(published, t("2017-07-30T00:00:00Z"), 3));
        assert!(!within_window(published, t("2017-07-31T00:00:00Z"), 3));
    }

    #[test]
    fn authors_are_found_whatever_the_spelling() {
        let mut authors = vec![
            Author::named("Jürgen Schmidhuber"),
            Author::named("Yann LeCun"),
            Author::named("Hidden One"),
        ];
        authors[2].hidden = true;
        assert_eq!(
            find_author(&authors, " jürgen  schmidhuber. ").map(|a| a.name.as_str()),
            Some("Jürgen Schmidhuber")
        );
        assert_eq!(
            find_author(&authors, "YANN LECUN").map(|a| a.name.as_str()),
            Some("Yann LeCun")
        );
        assert_eq!(find_author(&authors, "Geoffrey Hinton"), None);
        assert_eq!(find_author(&authors, "Hidden One"), None);
        assert_eq!(find_author(&authors, " . "), None);
    }

    #[test]
    fn organisations_are_checked_field_by_field() {
        let o = new_organization(
            " ByteDance-Seed ",
            " ByteDance Seed ",
            Some("https://x.org/a.png"),
        )
        .unwrap();
        assert_eq!(o.name, "ByteDance-Seed");
        assert_eq!(o.fullname, "ByteDance Seed");
        assert_eq!(o.avatar.as_deref(), Some("https://x.org/a.png"));
        assert_eq!(
            new_organization("lab", "Lab", Some("  ")).unwrap().avatar,
            None
        );
        for (name, fullname, avatar, field) in [
            ("", "X", None, "name"),
            ("-lab", "X", None, "name"),
            ("a/b", "X", None, "name"),
            ("a b", "X", None, "name"),
            ("lab", "", None, "fullname"),
            ("lab", "a\u{7}b", None, "fullname"),
            ("lab", "X", Some("javascript:alert(1)"), "avatar"),
            ("lab", "X", Some("data:image/png;base64,AAAA"), "avatar"),
            ("lab", "X", Some("ftp://x.org/a.png"), "avatar"),
            ("lab", "X", Some("https://"), "avatar"),
            ("lab", "X", Some("https://x.org/a b.png"), "avatar"),
            ("lab", "X", Some("https://x.org/\"onerror=\"x"), "avatar"),
        ] {
            let e = new_organization(name, fullname, avatar).unwrap_err();
            assert_eq!(e.field, field, "{name:?} {fullname:?} {avatar:?}: {e}");
        }
        let long = "a".repeat(ORGANIZATION_NAME_MAX_CHARS + 1);
        assert_eq!(OrganizationName::parse(&long).unwrap_err().field, "name");
    }

    #[test]
    fn claim_statuses_round_trip() {
        for s in [
            ClaimStatus::Pending,
            ClaimStatus::Approved,
            ClaimStatus::Rejected,
            ClaimStatus::Withdrawn,
        ] {
            assert_eq!(ClaimStatus::parse(s.as_str()), Some(s));
        }
        assert!(ClaimStatus::Pending.is_open() && ClaimStatus::Approved.is_open());
        assert!(!ClaimStatus::Rejected.is_open() && !ClaimStatus::Withdrawn.is_open());
        assert_eq!(ClaimStatus::parse("maybe"), None);
    }
}
