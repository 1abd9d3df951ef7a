//! One huge record does not take the server down: the real binary imports a
//! 200 MB snapshot line, a 50 MB abstract in a daily-papers file and a
//! 200 MB Atom file, rejects each huge record by name (file, line or record,
//! id, field, size, limit) with exit status 3, stores the normal records
//! around it, and stays within a bounded peak of memory; and `serve` over a
//! paper stored before the limits existed answers a page of normal size.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dailypapers_domain::{Listing, Paper};
use dailypapers_store::{SqliteStore, Store};
use nix::sys::resource::{UsageWho, getrusage};

/// What any import may take at its peak, whatever the size of its input.
const PEAK_MIB: i64 = 300;

/// Peak resident memory of the largest child waited for so far, in MiB.
fn children_peak_mib() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss() / 1024
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn ingest(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .env_remove("DAILYPAPERS_DATA_DIR")
        .env("DAILYPAPERS_LOG", "warn")
        .arg("--data-dir")
        .arg(data)
        .arg("ingest")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `size` bytes of words, in pieces, without holding them.
fn write_words(out: &mut impl Write, size: usize) {
    let piece = "lorem ipsum dolor sit amet ".repeat(40_000);
    let mut left = size;
    while left > 0 {
        let n = left.min(piece.len());
        out.write_all(&piece.as_bytes()[..n]).unwrap();
        left -= n;
    }
}

/// Checks an import that rejected one huge record: exit status 3, the
/// message, the normal records stored, and the peak memory.
fn check_import(what: &str, output: &Output, wants: &[&str], new: u64) -> i64 {
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(3), "{what}: {stdout}\n{stderr}");
    for want in wants {
        assert!(stderr.contains(want), "{what}: no {want:?} in\n{stderr}");
    }
    assert!(
        stdout.contains(&format!("new {new}, updated 0, unchanged 0, rejected 1")),
        "{what}: {stdout}"
    );
    let peak = children_peak_mib();
    eprintln!("{what}: peak RSS so far {peak} MiB");
    assert!(peak < PEAK_MIB, "{what}: peak RSS {peak} MiB");
    peak
}

const HUGE: usize = 200 << 20;

#[test]
fn huge_records_are_rejected_by_name_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();

    // A snapshot: ten real records, one line of 200 MB, ten more.
    let snapshot = dir.path().join("snapshot.jsonl");
    {
        let real = std::fs::read_to_string(fixture(
            "arxiv-snapshot/arxiv-metadata-oai-snapshot.head200.jsonl",
        ))
        .unwrap();
        let lines: Vec<&str> = real.lines().take(20).collect();
        let mut out = std::io::BufWriter::new(std::fs::File::create(&snapshot).unwrap());
        for line in &lines[..10] {
            writeln!(out, "{line}").unwrap();
        }
        write!(out, r#"{{"id":"2401.99999","title":"Huge","abstract":""#).unwrap();
        write_words(&mut out, HUGE);
        writeln!(out, r#""}}"#).unwrap();
        for line in &lines[10..] {
            writeln!(out, "{line}").unwrap();
        }
    }
    let output = ingest(
        &dir.path().join("a"),
        &["snapshot", snapshot.to_str().unwrap()],
    );
    let snapshot_peak = check_import(
        "snapshot",
        &output,
        &[
            "snapshot.jsonl: line 11 (2401.99999): the record is 209,715,",
            "over the limit of 1,048,576 bytes for one line (at the limit it is in \"abstract\")",
        ],
        20,
    );
    std::fs::remove_file(&snapshot).unwrap();

    // A daily-papers file whose first paper has a 50 MB abstract.
    let daily = dir.path().join("daily.json");
    {
        let real = std::fs::read_to_string(fixture("hf-daily-papers/2025-12-01.json")).unwrap();
        let mut items: Vec<serde_json::Value> = serde_json::from_str(&real).unwrap();
        let mut huge = Vec::new();
        write_words(&mut huge, 50 << 20);
        items[0]["paper"]["summary"] = serde_json::Value::String(String::from_utf8(huge).unwrap());
        let out = std::io::BufWriter::new(std::fs::File::create(&daily).unwrap());
        serde_json::to_writer(out, &items).unwrap();
    }
    let output = ingest(
        &dir.path().join("b"),
        &["hf-daily", daily.to_str().unwrap()],
    );
    let daily_peak = check_import(
        "hf-daily",
        &output,
        &[
            "daily.json: record 1 (2511.22699): \"paper.summary\" is 52,428,800 characters long, over the limit of 10,000 characters",
        ],
        22,
    );
    std::fs::remove_file(&daily).unwrap();

    // An Atom file of 200 MB: a real page of 100 entries with one entry
    // whose <summary> is 200 MB between the 50th and the 51st.
    let atom = dir.path().join("feed.xml");
    {
        let real = std::fs::read_to_string(fixture("arxiv-api/q_testing_s0_m100_cfe7536492ca.xml"))
            .unwrap();
        let entries: Vec<&str> = real.split("<entry>").collect();
        let mut out = std::io::BufWriter::new(std::fs::File::create(&atom).unwrap());
        for (i, part) in entries.iter().enumerate() {
            if i > 0 {
                out.write_all(b"<entry>").unwrap();
            }
            out.write_all(part.as_bytes()).unwrap();
            if i == 50 {
                out.write_all(
                    b"<entry><id>http://arxiv.org/abs/2401.99999v1</id><title>Huge</title><summary>",
                )
                .unwrap();
                write_words(&mut out, HUGE);
                out.write_all(b"</summary></entry>\n").unwrap();
            }
        }
    }
    let output = ingest(&dir.path().join("c"), &["arxiv", atom.to_str().unwrap()]);
    let atom_peak = check_import(
        "atom",
        &output,
        &[
            "feed.xml: entry 51 (id 2401.99999v1): <summary> is 209,715,200 bytes long, over the limit of 10,000 characters",
        ],
        100,
    );

    // The same file cut short cannot be read: rejected whole, nothing stored.
    let cut = dir.path().join("cut.xml");
    {
        let mut input = std::fs::File::open(&atom).unwrap();
        let length = input.metadata().unwrap().len();
        let out = std::fs::File::create(&cut).unwrap();
        std::io::copy(
            &mut std::io::Read::take(&mut input, length - 200),
            &mut std::io::BufWriter::new(out),
        )
        .unwrap();
    }
    std::fs::remove_file(&atom).unwrap();
    let output = ingest(&dir.path().join("d"), &["arxiv", cut.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing from it was imported"), "{stderr}");
    assert!(
        text(&output.stdout).contains("new 0"),
        "{}",
        text(&output.stdout)
    );
    std::fs::remove_file(&cut).unwrap();

    eprintln!(
        "peak RSS (largest child so far): snapshot {snapshot_peak} MiB, hf-daily {daily_peak} MiB, \
         atom {atom_peak} MiB; {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn a_paper_stored_before_the_limits_gets_a_page_of_normal_size() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let mut paper = Paper::new(
            "2401.99999".parse().unwrap(),
            &"Huge title ".repeat(100_000),
            &"huge abstract ".repeat(400_000),
        );
        paper.comments = Some("c".repeat(1 << 20));
        paper.authors = (0..20_000)
            .map(|i| dailypapers_domain::Author::named(format!("Author {i}")))
            .collect();
        store
            .import(vec![Listing::paper_only(paper)])
            .await
            .unwrap();
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .env_remove("DAILYPAPERS_DATA_DIR")
        .env("DAILYPAPERS_LOG", "info")
        // No scheduled job: the tests reach nothing outside this machine.
        .env("DAILYPAPERS_SCHEDULE", "false")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        let mut line = String::new();
        assert!(log.read_line(&mut line).unwrap() > 0, "serve ended early");
        if let Some((_, rest)) = line.split_once("on http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "serve did not start");
    };
    std::thread::spawn(move || for _ in log.lines() {});

    let page = reqwest::get(format!("http://{address}/papers/2401.99999"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    eprintln!("paper page: {} KiB", html.len() / 1024);
    // 5,000 authors of the 20,000, the abstract and title cut: well under a
    // megabyte, where the stored paper is over 6 MB.
    assert!(html.len() < 700 << 10, "{} bytes", html.len());
    assert!(
        html.contains("5000 authors"),
        "the author count is of those shown"
    );
    assert!(html.contains("huge abstract huge"));
}
