//! Saving and loading: round trips give equal results, and damaged files are
//! reported as errors.

use dailypapers_vectors::{IndexOptions, VectorError, VectorIndex, synthetic};

const DIM: usize = 384;

fn build(n: usize, exact_below: usize) -> VectorIndex {
    let index = VectorIndex::new(IndexOptions {
        exact_below,
        ..IndexOptions::new(DIM)
    });
    let items: Vec<(u64, Vec<f32>)> = synthetic::vectors(n, DIM, 11)
        .enumerate()
        .map(|(i, v)| (i as u64 + 100, v))
        .collect();
    index.insert_batch(&items).unwrap();
    index
}

#[test]
fn save_load_round_trip_gives_equal_results() {
    let dir = tempfile::tempdir().unwrap();
    for (n, exact_below) in [(0, 20_000), (800, 20_000), (3_000, 1_000)] {
        let index = build(n, exact_below);
        if n > 0 {
            index.remove(100);
        }
        let path = dir.path().join(format!("index-{n}.bin"));
        index.save(&path).unwrap();
        let loaded = VectorIndex::load(&path).unwrap();
        assert_eq!(loaded.len(), index.len());
        assert_eq!(loaded.is_approximate(), index.is_approximate());
        assert_eq!(loaded.options(), index.options());
        for q in synthetic::queries(20, n.max(1), DIM, 11) {
            assert_eq!(loaded.search(&q, 10, None), index.search(&q, 10, None));
            assert_eq!(
                loaded.search_exact(&q, 10, None),
                index.search_exact(&q, 10, None)
            );
        }
        if n > 0 {
            assert_eq!(loaded.vector(101), index.vector(101));
            assert!(loaded.vector(100).is_none());
            // The loaded index keeps working.
            let v = index.vector(101).unwrap();
            loaded.insert(5, &v).unwrap();
            assert!(loaded.search(&v, 2, None).iter().any(|n| n.key == 5));
        }
        // Saving over an existing file replaces it, leaving no temporary file.
        index.save(&path).unwrap();
    }
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn truncated_or_corrupt_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.bin");
    build(1_500, 1_000).save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.bin");

    for len in [0, 4, 8, 20, 60, 64, 1_000, good.len() / 2, good.len() - 1] {
        std::fs::write(&bad, &good[..len]).unwrap();
        let err = VectorIndex::load(&bad).err().expect("truncated file loads");
        assert!(
            matches!(
                err,
                VectorError::Truncated { .. } | VectorError::NotAnIndex { .. }
            ),
            "{len}: {err}"
        );
    }
    // Any flipped byte is caught, wherever it is.
    for pos in [
        9,
        16,
        40,
        70,
        good.len() / 3,
        good.len() - 5_000,
        good.len() - 2,
    ] {
        let mut b = good.clone();
        b[pos] ^= 0x20;
        std::fs::write(&bad, &b).unwrap();
        let err = VectorIndex::load(&bad).err().expect("corrupt file loads");
        assert!(
            matches!(
                err,
                VectorError::Corrupt { .. }
                    | VectorError::Truncated { .. }
                    | VectorError::UnsupportedVersion { .. }
            ),
            "{pos}: {err}"
        );
    }
    let mut longer = good.clone();
    longer.extend_from_slice(b"junk");
    std::fs::write(&bad, &longer).unwrap();
    assert!(matches!(
        VectorIndex::load(&bad),
        Err(VectorError::Corrupt { .. })
    ));
    std::fs::write(&bad, b"not an index at all, just text").unwrap();
    assert!(matches!(
        VectorIndex::load(&bad),
        Err(VectorError::NotAnIndex { .. })
    ));
    assert!(matches!(
        VectorIndex::load(&dir.path().join("missing.bin")),
        Err(VectorError::Io { .. })
    ));
    // The original is still fine.
    assert_eq!(VectorIndex::load(&path).unwrap().len(), 1_500);
}
