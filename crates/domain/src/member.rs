//! Members of the community: what a valid username, email address, display
//! name and password are, and what a member may do (`Role`). Parsed once at
//! the edge (a form, a JSON body, the command line); a value of these types
//! is valid by construction.
//!
//! The password rule follows NIST SP 800-63B and OWASP: at least 8
//! characters and up to 128 (so a passphrase fits), no composition rules,
//! and refused when it is one of the common passwords that attackers try
//! first (`common_passwords.txt`: every password of 8 characters or more
//! among the 30,000 most common).

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The shortest password accepted, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// The longest password accepted, in characters: long enough for any
/// passphrase, short enough that hashing it costs what hashing any does.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Usernames: 2 to 32 characters, as on Hugging Face.
pub const USERNAME_MAX_CHARS: usize = 32;
/// RFC 5321's limit on a forward path.
pub const EMAIL_MAX_CHARS: usize = 254;
/// The longest display name a member may set.
pub const MEMBER_NAME_MAX_CHARS: usize = 100;

/// Why a value given for a member was refused: a sentence that says what
/// was wrong and what is expected, shown as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct MemberError {
    /// The field, as the form and the API name it.
    pub field: &'static str,
    pub why: String,
}

fn refuse(field: &'static str, why: impl Into<String>) -> MemberError {
    MemberError {
        field,
        why: why.into(),
    }
}

/// A member's handle: 2 to 32 ASCII letters, digits, `-` and `_`, starting
/// with a letter or digit. Unique regardless of case ([`Username::key`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, MemberError> {
        let s = raw.trim();
        let n = s.chars().count();
        if !(2..=USERNAME_MAX_CHARS).contains(&n) {
            return Err(refuse(
                "username",
                format!("must be 2 to {USERNAME_MAX_CHARS} characters long (got {n})"),
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(refuse(
                "username",
                "may contain only letters a-z, digits, '-' and '_'",
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(refuse("username", "must start with a letter or a digit"));
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What makes two usernames the same: the lower-cased form.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address: one `@`, a non-empty local part, a domain with a dot
/// and no spaces or control characters, at most 254 characters. Whether it
/// is reachable is what the verification mail finds out.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, MemberError> {
        let s = raw.trim();
        if s.chars().count() > EMAIL_MAX_CHARS {
            return Err(refuse(
                "email",
                format!("must be at most {EMAIL_MAX_CHARS} characters"),
            ));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(refuse("email", "must be an address like name@example.org"));
        };
        let bad = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
        if local.is_empty()
            || local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@')
            || domain.is_empty()
            || domain.chars().any(bad)
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(refuse("email", "must be an address like name@example.org"));
        }
        Ok(Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What makes two addresses the same account: the lower-cased form.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A display name: trimmed, without control characters, at most 100
/// characters; empty means none.
pub fn display_name(raw: &str) -> Result<Option<String>, MemberError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().any(char::is_control) {
        return Err(refuse("displayName", "may not contain control characters"));
    }
    if s.chars().count() > MEMBER_NAME_MAX_CHARS {
        return Err(refuse(
            "displayName",
            format!("must be at most {MEMBER_NAME_MAX_CHARS} characters"),
        ));
    }
    Ok(Some(s.to_string()))
}

/// Checks a new password against the rule in the module docs. `field` is
/// the name of the field it came in (`password`, `newPassword`).
pub fn check_password(field: &'static str, password: &str) -> Result<(), MemberError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(refuse(
            field,
            format!("must be at least {PASSWORD_MIN_CHARS} characters long (got {n})"),
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(refuse(
            field,
            format!("must be at most {PASSWORD_MAX_CHARS} characters long (got {n})"),
        ));
    }
    if is_common_password(password) {
        return Err(refuse(
            field,
            "is one of the most common passwords, which are tried first: choose another",
        ));
    }
    Ok(())
}

/// Whether `password` (compared in lower case) is in the list of common passwords.
pub fn is_common_password(password: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let list = LIST.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    });
    list.contains(password.to_lowercase().as_str())
}

/// What a member may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Vote, comment, submit, keep collections.
    #[default]
    Member,
    /// Also hide comments, ban members, approve claims, manage organisations.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Ada_L-1 ").unwrap().as_str(), "Ada_L-1");
        assert_eq!(Username::parse("Ada").unwrap().key(), "ada");
        for bad in [
            "a",
            "",
            "-ada",
            "ada lovelace",
            "adä",
            "<script>",
            &"x".repeat(33),
        ] {
            let e = Username::parse(bad).unwrap_err();
            assert_eq!(e.field, "username", "{bad:?}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("Ada@Example.org").unwrap().key(),
            "ada@example.org"
        );
        for bad in [
            "ada",
            "@example.org",
            "ada@",
            "ada@example",
            "ada@.org",
            "ada@exa mple.org",
            "ada@example..org",
            "ada\r\nBcc: x@y.org@example.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_a_length_and_are_not_common() {
        assert!(check_password("password", "correct horse battery staple").is_ok());
        assert!(check_password("password", &"é".repeat(128)).is_ok());
        let short = check_password("password", "seven77").unwrap_err();
        assert!(short.why.contains("at least 8"), "{short}");
        assert!(check_password("password", &"x".repeat(129)).is_err());
        for common in ["password", "PASSWORD1", "12345678", "iloveyou", "football"] {
            let e = check_password("password", common).unwrap_err();
            assert!(e.why.contains("common"), "{common}: {e}");
        }
        // No composition rules: lower-case letters alone are fine.
        assert!(check_password("password", "mauvelighthouse").is_ok());
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name("  ").unwrap(), None);
        assert_eq!(display_name(" Ada ").unwrap().as_deref(), Some("Ada"));
        assert!(display_name("a\u{0}b").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
    }
}
