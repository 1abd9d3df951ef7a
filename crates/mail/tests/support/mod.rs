//! A real SMTP server process for tests: `scripts/smtp-server.py` (aiosmtpd,
//! installed in `.venv` by `scripts/install-test-deps.sh`) on a free
//! loopback port, its fault mode switched through its `mode.json`, what it
//! accepted read from its `received.jsonl`; stopped when dropped.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The SMTP server, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let python = root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/install-test-deps.sh",
            python.display()
        );
        let child = Command::new(python)
            .arg(root().join("scripts/smtp-server.py"))
            .args(["--port", "0", "--dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Dropped (so stopped) if it never says its port.
        let mut server = SmtpServer {
            child,
            dir,
            port: 0,
        };
        for _ in 0..200 {
            if let Ok(port) = std::fs::read_to_string(server.dir.path().join("port")) {
                server.port = port.trim().parse().unwrap();
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the SMTP server did not start");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mode(&self, mode: &str, permanent: &[&str]) {
        let text = serde_json::json!({"mode": mode, "permanent": permanent}).to_string();
        let tmp = self.dir.path().join(".mode.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(tmp, self.dir.path().join("mode.json")).unwrap();
    }

    /// Messages received: recipient → the Message-IDs it got.
    pub fn received(&self) -> HashMap<String, Vec<String>> {
        let text =
            std::fs::read_to_string(self.dir.path().join("received.jsonl")).unwrap_or_default();
        let mut by = HashMap::<String, Vec<String>>::new();
        // Whole lines only: the server may be writing the last one.
        for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let v: Value = serde_json::from_str(line).unwrap();
            for to in v["rcpt_tos"].as_array().unwrap() {
                by.entry(to.as_str().unwrap().to_string())
                    .or_default()
                    .push(v["message_id"].as_str().unwrap().to_string());
            }
        }
        by
    }
}

impl SmtpServer {
    /// The raw bytes of every accepted message, in order.
    pub fn messages(&self) -> Vec<String> {
        let text =
            std::fs::read_to_string(self.dir.path().join("received.jsonl")).unwrap_or_default();
        text.split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(|line| {
                let v: Value = serde_json::from_str(line).unwrap();
                let file = self.dir.path().join(v["file"].as_str().unwrap());
                std::fs::read_to_string(file).unwrap()
            })
            .collect()
    }

    /// Waits until `n` messages were accepted (at most `limit`).
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<String> {
        let end = Instant::now() + limit;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
