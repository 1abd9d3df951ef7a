//! Canonical arXiv identifiers.
//!
//! arXiv has two id schemes: the new style `YYMM.NNNNN` (four digits before
//! 2015, five since) and the old style `archive[.SUBJ]/YYMMNNN`. Either may carry
//! a version suffix `vN`, and either may arrive inside an `arxiv.org` URL
//! (`/abs/…`, `/pdf/…` with or without `.pdf`, `/html/…`) or with an `arXiv:` prefix.
//! [`ArxivId`] holds the canonical, version-less id and remembers the version
//! it was given, so that one paper from several sources is one paper.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A canonical arXiv id (without version), plus the version it was written with.
///
/// Two ids are equal when they name the same paper: `2104.12255v2` equals
/// `2104.12255`. The version is carried along for requests that want it.
#[derive(Clone, Debug)]
pub struct ArxivId {
    id: String,
    version: Option<u32>,
}

impl PartialEq for ArxivId {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for ArxivId {}

impl std::hash::Hash for ArxivId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl PartialOrd for ArxivId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ArxivId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

/// Why a string is not an arXiv id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid arXiv id {input:?}: expected a new-style id like 2104.12255 (optionally with a version, 2104.12255v3), \
     an old-style id like astro-ph/0601001 or quant-ph/0201082v1, or an arxiv.org/abs/… or /pdf/… URL"
)]
pub struct ArxivIdError {
    /// The text that was rejected (trimmed, at most 100 characters).
    pub input: String,
}

impl ArxivId {
    /// Parses any accepted form; see the module documentation.
    pub fn parse(input: &str) -> Result<Self, ArxivIdError> {
        let err = || ArxivIdError {
            input: input.trim().chars().take(100).collect(),
        };
        let mut s = input.trim();
        for prefix in ["https://", "http://"] {
            if let Some(rest) = strip_prefix_ci(s, prefix) {
                s = rest;
            }
        }
        if let Some(rest) = strip_prefix_ci(s, "www.") {
            s = rest;
        }
        for host in ["arxiv.org/", "export.arxiv.org/"] {
            if let Some(rest) = strip_prefix_ci(s, host) {
                s = rest
                    .strip_prefix("abs/")
                    .or_else(|| rest.strip_prefix("pdf/"))
                    .or_else(|| rest.strip_prefix("html/"))
                    .ok_or_else(err)?;
                s = s.split(['?', '#']).next().unwrap_or(s);
                s = s.strip_suffix('/').unwrap_or(s);
                s = s.strip_suffix(".pdf").unwrap_or(s);
                break;
            }
        }
        if let Some(rest) = strip_prefix_ci(s, "arxiv:") {
            s = rest;
        }
        let (base, version) = split_version(s).ok_or_else(err)?;
        if is_new_style(base) || is_old_style(base) {
            Ok(ArxivId {
                id: base.to_string(),
                version,
            })
        } else {
            Err(err())
        }
    }

    /// The canonical id without version, e.g. `2104.12255` or `astro-ph/0601001`.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The version the id was written with, if any.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The same id without its version.
    pub fn without_version(&self) -> ArxivId {
        ArxivId {
            id: self.id.clone(),
            version: None,
        }
    }

    /// `https://arxiv.org/abs/{id}`.
    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self.id)
    }

    /// `https://arxiv.org/pdf/{id}`.
    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{}", self.id)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Splits `…vN` (or `…VN`) into the base and N; a string without such a suffix has no version.
fn split_version(s: &str) -> Option<(&str, Option<u32>)> {
    match s.rfind(['v', 'V']) {
        Some(pos) if pos + 1 < s.len() && s[pos + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            let n: u32 = s[pos + 1..].parse().ok()?;
            (n >= 1).then_some((&s[..pos], Some(n)))
        }
        _ => Some((s, None)),
    }
}

/// `YYMM.NNNN` (2007–2014) or `YYMM.NNNNN` (2015 on), with a valid month.
fn is_new_style(s: &str) -> bool {
    let Some((yymm, num)) = s.split_once('.') else {
        return false;
    };
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // The scheme began in April 2007 (0704), with four-digit sequence
    // numbers until 1412 and five from 1501 on.
    if yymm < "0704" {
        return false;
    }
    let digits = if yymm < "1501" { 4 } else { 5 };
    if num.len() != digits || !num.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let month: u32 = yymm[2..].parse().unwrap_or(0);
    (1..=12).contains(&month)
}

/// `archive[.SUBJ]/YYMMNNN`, e.g. `astro-ph/0601001`, `math.GT/0309136`.
fn is_old_style(s: &str) -> bool {
    let Some((archive, num)) = s.split_once('/') else {
        return false;
    };
    let (name, subject) = match archive.split_once('.') {
        Some((n, subj)) => (n, Some(subj)),
        None => (archive, None),
    };
    let name_ok = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    let subject_ok = subject
        .is_none_or(|s| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase()));
    let month: u32 = num.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
    name_ok
        && subject_ok
        && num.len() == 7
        && num.bytes().all(|b| b.is_ascii_digit())
        && (1..=12).contains(&month)
}

impl FromStr for ArxivId {
    type Err = ArxivIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArxivId::parse(s)
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl Serialize for ArxivId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id)
    }
}

impl<'de> Deserialize<'de> for ArxivId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ArxivId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, id: &str, version: Option<u32>) {
        let parsed = ArxivId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(parsed.as_str(), id, "{input}");
        assert_eq!(parsed.version(), version, "{input}");
    }

    #[test]
    fn accepts_every_documented_form() {
        ok("2104.12255", "2104.12255", None);
        ok("2104.12255v3", "2104.12255", Some(3));
        ok("0704.0001", "0704.0001", None);
        ok("astro-ph/0601001", "astro-ph/0601001", None);
        ok("quant-ph/0201082v1", "quant-ph/0201082", Some(1));
        ok("math.GT/0309136", "math.GT/0309136", None);
        ok("https://arxiv.org/abs/2104.12255v2", "2104.12255", Some(2));
        ok(
            "http://arxiv.org/abs/astro-ph/0601001v1",
            "astro-ph/0601001",
            Some(1),
        );
        ok("https://arxiv.org/pdf/2104.12255", "2104.12255", None);
        ok(
            "https://arxiv.org/pdf/2104.12255v1.pdf",
            "2104.12255",
            Some(1),
        );
        ok("arxiv.org/abs/2511.22699", "2511.22699", None);
        ok("arXiv:2511.22699", "2511.22699", None);
        ok("  2511.22699 ", "2511.22699", None);
        ok("2104.12255V2", "2104.12255", Some(2));
        ok(
            "https://www.arxiv.org/abs/2104.12255?context=cs",
            "2104.12255",
            None,
        );
        ok(
            "https://export.arxiv.org/abs/2104.12255v1#x",
            "2104.12255",
            Some(1),
        );
        ok("https://arxiv.org/html/2104.12255v1", "2104.12255", Some(1));
    }

    #[test]
    fn rejects_what_is_not_an_id_and_says_what_is() {
        for bad in [
            "",
            "abc",
            "2104.1225",
            "0704.00011",
            "2104.122555",
            "2113.12255",
            "2104.12255v0",
            "2104.12255v",
            "astro-ph/060100",
            "Astro-ph/0601001",
            "https://example.org/abs/2104.12255",
            "https://arxiv.org/list/cs",
            "2104.12255/extra",
        ] {
            let err = ArxivId::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("2104.12255"), "{err}");
            assert!(err.to_string().contains("astro-ph/0601001"), "{err}");
        }
    }

    #[test]
    fn ids_of_the_same_paper_are_equal_whatever_the_version() {
        let a = ArxivId::parse("2104.12255v2").unwrap();
        let b = ArxivId::parse("https://arxiv.org/abs/2104.12255").unwrap();
        assert_eq!(a, b);
        let set: std::collections::HashSet<ArxivId> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn display_and_serde_use_the_canonical_form() {
        let id = ArxivId::parse("https://arxiv.org/abs/2104.12255v3").unwrap();
        assert_eq!(id.to_string(), "2104.12255");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"2104.12255\"");
        assert_eq!(id.abs_url(), "https://arxiv.org/abs/2104.12255");
        assert_eq!(id.pdf_url(), "https://arxiv.org/pdf/2104.12255");
    }
}
