//! The index file: its format, atomic saving, and loading that checks every
//! byte before trusting it.
//!
//! Layout (little-endian):
//!
//! ```text
//! magic            8 bytes  "DPVECIDX"
//! format version   u32      1
//! dim              u32
//! count            u64      vectors stored
//! exact_below      u64
//! connectivity     u32
//! expansion_add    u32
//! expansion_search u32
//! rescore          u32
//! graph length     u64      bytes of the serialised graph, 0 when there is none
//! keys             count × u64
//! vectors          count × dim × f16 (IEEE half, as u16 bits)
//! graph            graph length bytes (usearch's own serialisation)
//! crc32            u32      of every byte before it
//! ```
//!
//! The length is checked against the header and the checksum over the whole
//! file before anything is parsed, so a truncated or damaged file is reported
//! as such and never reaches the graph library.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use half::f16;

use crate::flat::FlatStore;
use crate::graph::Graph;
use crate::{IndexOptions, VectorError};

const MAGIC: &[u8; 8] = b"DPVECIDX";
pub(crate) const VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 8 + 8 + 4 * 4 + 8;

pub(crate) fn save(
    path: &Path,
    opts: &IndexOptions,
    flat: &FlatStore,
    graph: Option<&[u8]>,
) -> Result<(), VectorError> {
    let io = |source| VectorError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = temp_path(path);
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut w = CrcWriter {
            inner: BufWriter::with_capacity(1 << 20, file),
            crc: crc32fast::Hasher::new(),
        };
        let graph = graph.unwrap_or(&[]);
        w.write_all(MAGIC)?;
        w.write_all(&VERSION.to_le_bytes())?;
        w.write_all(&(opts.dim as u32).to_le_bytes())?;
        w.write_all(&(flat.len() as u64).to_le_bytes())?;
        w.write_all(&(opts.exact_below as u64).to_le_bytes())?;
        for x in [
            opts.connectivity,
            opts.expansion_add,
            opts.expansion_search,
            opts.rescore,
        ] {
            w.write_all(&(x as u32).to_le_bytes())?;
        }
        w.write_all(&(graph.len() as u64).to_le_bytes())?;
        let mut block = Vec::with_capacity(64 * 1024);
        for keys in flat.keys().chunks(8 * 1024) {
            block.clear();
            keys.iter()
                .for_each(|k| block.extend_from_slice(&k.to_le_bytes()));
            w.write_all(&block)?;
        }
        for xs in flat.data().chunks(32 * 1024) {
            block.clear();
            xs.iter()
                .for_each(|x| block.extend_from_slice(&x.to_bits().to_le_bytes()));
            w.write_all(&block)?;
        }
        w.write_all(graph)?;
        let crc = w.crc.clone().finalize();
        let mut file = w.inner.into_inner().map_err(|e| e.into_error())?;
        file.write_all(&crc.to_le_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

pub(crate) fn load(path: &Path) -> Result<(IndexOptions, FlatStore, Option<Graph>), VectorError> {
    let bytes = std::fs::read(path).map_err(|source| VectorError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let p = || path.to_path_buf();
    let corrupt = |reason: &str| VectorError::Corrupt {
        path: p(),
        reason: reason.to_owned(),
    };
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(VectorError::NotAnIndex { path: p() });
    }
    let mut r = Reader {
        bytes: &bytes,
        pos: 8,
    };
    let version = r
        .u32()
        .ok_or_else(|| truncated(p(), HEADER_LEN as u64, bytes.len()))?;
    if version != VERSION {
        return Err(VectorError::UnsupportedVersion {
            path: p(),
            found: version,
            supported: VERSION,
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(truncated(p(), HEADER_LEN as u64, bytes.len()));
    }
    let h = || corrupt("short header");
    let dim = r.u32().ok_or_else(h)? as usize;
    let count = r.u64().ok_or_else(h)?;
    let exact_below = r.u64().ok_or_else(h)? as usize;
    let connectivity = r.u32().ok_or_else(h)? as usize;
    let expansion_add = r.u32().ok_or_else(h)? as usize;
    let expansion_search = r.u32().ok_or_else(h)? as usize;
    let rescore = r.u32().ok_or_else(h)? as usize;
    let graph_len = r.u64().ok_or_else(h)?;
    if dim == 0 || dim > 65_536 {
        return Err(corrupt("implausible dimension"));
    }
    let expected = (|| {
        let keys = count.checked_mul(8)?;
        let vectors = count.checked_mul(dim as u64)?.checked_mul(2)?;
        (HEADER_LEN as u64)
            .checked_add(keys)?
            .checked_add(vectors)?
            .checked_add(graph_len)?
            .checked_add(4)
    })()
    .ok_or_else(|| corrupt("sizes in the header overflow"))?;
    if (bytes.len() as u64) < expected {
        return Err(truncated(p(), expected, bytes.len()));
    }
    if (bytes.len() as u64) > expected {
        return Err(corrupt("trailing bytes after the index"));
    }
    let body = &bytes[..bytes.len() - 4];
    let stored_crc = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().expect("4 bytes"));
    if crc32fast::hash(body) != stored_crc {
        return Err(corrupt("checksum mismatch"));
    }
    let count = count as usize;
    let keys: Vec<u64> = r
        .take(count * 8)
        .ok_or_else(h)?
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let data: Vec<f16> = r
        .take(count * dim * 2)
        .ok_or_else(h)?
        .chunks_exact(2)
        .map(|c| f16::from_bits(u16::from_le_bytes([c[0], c[1]])))
        .collect();
    if data.iter().any(|x| !x.is_finite()) {
        return Err(corrupt("a stored vector has a value that is not finite"));
    }
    let graph_bytes = r.take(graph_len as usize).ok_or_else(h)?;
    let opts = IndexOptions {
        dim,
        exact_below,
        connectivity,
        expansion_add,
        expansion_search,
        rescore,
    };
    let flat =
        FlatStore::from_parts(dim, keys, data).ok_or_else(|| corrupt("a key appears twice"))?;
    let graph = if graph_len == 0 {
        None
    } else {
        let g = Graph::from_bytes(&opts, graph_bytes)
            .map_err(|e| corrupt(&format!("graph does not load: {e}")))?;
        if g.len() != flat.len() {
            return Err(corrupt("graph and vectors disagree on the count"));
        }
        Some(g)
    };
    Ok((opts, flat, graph))
}

fn truncated(path: PathBuf, expected: u64, found: usize) -> VectorError {
    VectorError::Truncated {
        path,
        expected,
        found: found as u64,
    }
}

/// `index.bin` → `.index.bin.tmp-<pid>` in the same directory.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".to_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

struct CrcWriter<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for CrcWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}
