//! Starting the real `dailypapers serve` for a test: on a free loopback
//! port (read back from its log), with a data directory and environment of
//! the test's choosing, stopped (SIGTERM) when dropped. A test that does
//! not configure a schedule should pass `DAILYPAPERS_SCHEDULE=false`: the
//! default one asks huggingface.co.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running server.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Everything it logged so far.
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `dailypapers --data-dir DIR serve --addr 127.0.0.1:0` with `env`
    /// and waits until it listens.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dailypapers"));
        cmd.env_remove("DAILYPAPERS_DATA_DIR")
            .env_remove("DAILYPAPERS_DATABASE_URL")
            .env("DAILYPAPERS_LOG", "info,sqlx=warn")
            .env("DAILYPAPERS_MODEL_DIR", "/nonexistent/model")
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start dailypapers serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(at) = line.find("on http://") {
                        let addr = line[at + "on http://".len()..].trim().to_string();
                        let _ = tx.send(addr);
                    }
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => panic!(
                "the server did not start listening; its log:\n{}",
                log.lock().unwrap()
            ),
        };
        Server { child, addr, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GETs `path` and returns the status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read the answer");
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = match text.split_once("\r\n\r\n") {
            Some((head, body))
                if head
                    .to_ascii_lowercase()
                    .contains("transfer-encoding: chunked") =>
            {
                dechunk(body)
            }
            Some((_, body)) => body.to_string(),
            None => String::new(),
        };
        (status, body)
    }

    /// Waits until `check` holds, or panics with the server log after `within`.
    pub fn wait_for(&self, within: Duration, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + within;
        while !check() {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {within:?}; the server log:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(mut self) -> String {
        self.terminate();
        self.log.lock().unwrap().clone()
    }

    fn terminate(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
