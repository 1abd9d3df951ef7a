//! The index directory (`<data dir>/index`): where the derived indexes live
//! and which generation of each is current.
//!
//! Each index is built into a new generation (`keyword-<n>/`,
//! `vectors-<n>.bin`) and made current by atomically replacing a small
//! pointer file (`keyword.current`, `vectors.current`). A crash while a
//! generation is being built leaves the pointer on the previous one, so
//! search keeps working on the old index; leftovers are removed the next
//! time a generation is published.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const KEYWORD_POINTER: &str = "keyword.current";
const VECTORS_POINTER: &str = "vectors.current";

/// What the current vector index file holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorsState {
    /// The file name inside the index directory.
    pub file: String,
    /// The model whose vectors it holds.
    pub model: String,
    /// The last embedding revision of the store it includes.
    pub rev: u64,
}

/// The index directory of one data directory.
#[derive(Clone, Debug)]
pub struct IndexDir {
    root: PathBuf,
}

impl IndexDir {
    pub fn new(data_dir: &Path) -> Self {
        IndexDir {
            root: data_dir.join("index"),
        }
    }

    /// The current keyword index directory, creating the first generation
    /// if there is none.
    pub fn current_keyword(&self) -> std::io::Result<PathBuf> {
        fs::create_dir_all(&self.root)?;
        let pointer = self.root.join(KEYWORD_POINTER);
        match fs::read_to_string(&pointer) {
            Ok(name) if !name.trim().is_empty() => Ok(self.root.join(name.trim())),
            // Never silently start over from an unreadable pointer: that
            // would throw the real index away.
            Ok(_) => Err(std::io::Error::other(format!(
                "{} is empty: run `dailypapers reindex` to rebuild the keyword index",
                pointer.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.first_keyword(),
            Err(e) => Err(e),
        }
    }

    fn first_keyword(&self) -> std::io::Result<PathBuf> {
        let path = self.new_generation("keyword", "")?;
        fs::create_dir_all(&path)?;
        self.publish_keyword(&path)?;
        Ok(path)
    }

    /// A fresh path for a new generation of `kind`, not yet current.
    pub fn new_generation(&self, kind: &str, extension: &str) -> std::io::Result<PathBuf> {
        fs::create_dir_all(&self.root)?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Ok(self.root.join(format!("{kind}-{nanos}{extension}")))
    }

    /// Makes `path` the current keyword index and removes older generations.
    pub fn publish_keyword(&self, path: &Path) -> std::io::Result<()> {
        let name = file_name(path)?;
        replace_file(&self.root.join(KEYWORD_POINTER), name.as_bytes())?;
        self.remove_other_generations("keyword-", &name);
        Ok(())
    }

    /// What the current vector index file holds, if there is one.
    pub fn vectors_state(&self) -> Option<VectorsState> {
        let text = fs::read_to_string(self.root.join(VECTORS_POINTER)).ok()?;
        let state: VectorsState = serde_json::from_str(&text).ok()?;
        self.root.join(&state.file).exists().then_some(state)
    }

    /// The path of a vector index file named in a state.
    pub fn vectors_path(&self, state: &VectorsState) -> PathBuf {
        self.root.join(&state.file)
    }

    /// Makes a saved vector index file current and removes older ones.
    pub fn publish_vectors(&self, state: &VectorsState) -> std::io::Result<()> {
        let json = serde_json::to_vec(state).expect("the state always serializes");
        replace_file(&self.root.join(VECTORS_POINTER), &json)?;
        self.remove_other_generations("vectors-", &state.file);
        Ok(())
    }

    /// Removes the generations older than `keep` (a newer one may be
    /// being built by another process).
    fn remove_other_generations(&self, prefix: &str, keep: &str) {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        let Some(kept) = generation_number(prefix, keep) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if generation_number(prefix, &name).is_some_and(|n| n < kept) {
                let path = entry.path();
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                if let Err(e) = removed {
                    tracing::warn!(path = %path.display(), error = %e, "could not remove an old index");
                }
            }
        }
    }
}

/// The number of a generation's name (`keyword-<n>`, `vectors-<n>.bin`).
fn generation_number(prefix: &str, name: &str) -> Option<u128> {
    let rest = name.strip_prefix(prefix)?;
    let digits = rest.split('.').next()?;
    digits.parse().ok()
}

fn file_name(path: &Path) -> std::io::Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| std::io::Error::other(format!("{} has no file name", path.display())))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that
/// readers see the old content or the new, never a part.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A name of this process's own, so two publishers never share it.
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        // Make the rename itself durable.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_generation_becomes_current_only_when_published() {
        let dir = tempfile::tempdir().unwrap();
        let index = IndexDir::new(dir.path());
        let first = index.current_keyword().unwrap();
        assert_eq!(index.current_keyword().unwrap(), first);
        // A generation being built (or left by a crash) is not current...
        let next = index.new_generation("keyword", "").unwrap();
        fs::create_dir_all(&next).unwrap();
        assert_eq!(index.current_keyword().unwrap(), first);
        // ...until it is published; then the old one goes.
        index.publish_keyword(&next).unwrap();
        assert_eq!(index.current_keyword().unwrap(), next);
        assert!(!first.exists());
    }

    #[test]
    fn publishing_keeps_newer_generations_and_an_empty_pointer_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let index = IndexDir::new(dir.path());
        let first = index.current_keyword().unwrap();
        let second = index.new_generation("keyword", "").unwrap();
        let third = index.new_generation("keyword", "").unwrap();
        for p in [&second, &third] {
            fs::create_dir_all(p).unwrap();
        }
        // Another process may still be building the third: only older go.
        index.publish_keyword(&second).unwrap();
        assert!(!first.exists() && second.exists() && third.exists());
        // A pointer emptied by a crash is refused, not taken for a fresh start.
        fs::write(dir.path().join("index/keyword.current"), "").unwrap();
        let e = index.current_keyword().unwrap_err();
        assert!(e.to_string().contains("dailypapers reindex"), "{e}");
        assert!(second.exists());
    }

    #[test]
    fn a_vector_state_needs_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let index = IndexDir::new(dir.path());
        assert_eq!(index.vectors_state(), None);
        let path = index.new_generation("vectors", ".bin").unwrap();
        let state = VectorsState {
            file: file_name(&path).unwrap(),
            model: "m".into(),
            rev: 7,
        };
        index.publish_vectors(&state).unwrap();
        assert_eq!(
            index.vectors_state(),
            None,
            "the pointer names a missing file"
        );
        fs::write(&path, b"x").unwrap();
        assert_eq!(index.vectors_state(), Some(state));
    }
}
