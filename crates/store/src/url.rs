//! Where a store lives, as the operator writes it: `store.url` or
//! `DAILYPAPERS_DATABASE_URL`. A plain path or `sqlite://PATH` is an SQLite
//! database file (the embedded default, `DATA_DIR/dailypapers.sqlite3`);
//! `postgres://…` names a PostgreSQL database.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::StoreError;

/// The database file name inside the data directory.
pub const DATABASE_FILE: &str = "dailypapers.sqlite3";

/// A parsed store URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite database file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl StoreUrl {
    /// The default store: the SQLite file in the data directory.
    pub fn in_data_dir(dir: &Path) -> StoreUrl {
        StoreUrl::Sqlite(dir.join(DATABASE_FILE))
    }

    /// The URL in full, password included: what another process is given
    /// (as `DAILYPAPERS_DATABASE_URL`) to open the same store. Never log it.
    pub fn unredacted(&self) -> String {
        match self {
            StoreUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreUrl::Postgres(url) => url.clone(),
        }
    }

    /// The URL as it may be shown and logged: a password is replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreUrl::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) if u.password().is_some() => {
                    let _ = u.set_password(Some("***"));
                    u.to_string()
                }
                _ => url.clone(),
            },
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for StoreUrl {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<StoreUrl, StoreError> {
        let bad = |why: &str| StoreError::BadUrl {
            url: s.to_string(),
            why: why.to_string(),
        };
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if let Some(rest) = s.strip_prefix("sqlite:") {
            // sqlite:///abs/path, sqlite://rel/path and sqlite:path all name a file.
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(bad("no file is named (sqlite://PATH)"));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            url::Url::parse(s).map_err(|e| bad(&e.to_string()))?;
            return Ok(StoreUrl::Postgres(s.to_string()));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(bad(&format!(
                "unknown scheme {scheme:?}: expected a file path, sqlite://PATH or postgres://…"
            )));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sqlite_urls_name_files() {
        let p = |s: &str| s.parse::<StoreUrl>().unwrap();
        assert_eq!(p("data/x.db"), StoreUrl::Sqlite("data/x.db".into()));
        assert_eq!(
            p("sqlite:///srv/x.db"),
            StoreUrl::Sqlite("/srv/x.db".into())
        );
        assert_eq!(p("sqlite://x.db?mode=rwc"), StoreUrl::Sqlite("x.db".into()));
        assert_eq!(
            StoreUrl::in_data_dir(Path::new("data")),
            StoreUrl::Sqlite("data/dailypapers.sqlite3".into())
        );
    }

    #[test]
    fn postgres_urls_are_kept_and_their_passwords_hidden() {
        let u: StoreUrl = "postgres://papers:secret@db:5432/papers".parse().unwrap();
        assert!(matches!(u, StoreUrl::Postgres(_)));
        assert_eq!(u.to_string(), "postgres://papers:***@db:5432/papers");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let err = "mysql://x/y".parse::<StoreUrl>().unwrap_err().to_string();
        assert!(
            err.contains("mysql") && err.contains("postgres://"),
            "{err}"
        );
        let err = "sqlite://".parse::<StoreUrl>().unwrap_err().to_string();
        assert!(err.contains("no file"), "{err}");
        assert!("".parse::<StoreUrl>().is_err());
    }
}
