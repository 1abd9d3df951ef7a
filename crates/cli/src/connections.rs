//! The HTTP/1.1 server loop of `dailypapers serve`: accepting connections,
//! closing those that hold a socket without using it, and shutting down
//! gracefully.
//!
//! Every accepted socket costs a file descriptor until it is closed, and a
//! client that opens many and sends little would otherwise keep them all
//! (past the process's file limit no client is accepted and the search
//! index cannot open its files). So:
//!
//! - **The request head must arrive within `header_timeout`**
//!   (`server.header_timeout_secs`, 10 s): hyper's `header_read_timeout`,
//!   which runs from the moment the connection waits for a request — the
//!   first, and each next one on a kept-alive connection (hyper ≥ 1.6) —
//!   until the head is complete, however slowly its bytes trickle in. An
//!   idle kept-alive connection is therefore closed after `header_timeout`
//!   too.
//! - **A connection on which no byte moves, either way, for `idle_timeout`**
//!   (`server.idle_timeout_secs`, 60 s) is closed: a body sent too slowly, or
//!   a client that stops reading its response. [`Tracked`] counts the reads
//!   and writes that moved bytes (one relaxed atomic add: no clock is read
//!   per read or write), and a watchdog beside each connection looks at the
//!   count every quarter of `idle_timeout` and closes the connection once it
//!   has stood still for `idle_timeout`, so within 1¼ × `idle_timeout`.
//! - **An accept error that is not about one connection** (`EMFILE`, out of
//!   file descriptors) is logged at most every 10 s, and the loop waits
//!   100 ms before accepting again instead of spinning; connections closing
//!   meanwhile free descriptors.
//!
//! Each request carries the peer's address as axum's [`ConnectInfo`], which
//! `X-Forwarded-*` handling needs. On shutdown the listener is closed first,
//! idle connections at once, busy ones after their response, waiting at
//! most [`SHUTDOWN_GRACE`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long shutdown waits for connections to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How long the loop waits after an accept error such as `EMFILE`.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How often such an error is logged at most.
const ACCEPT_ERROR_LOG_EVERY: Duration = Duration::from_secs(10);

/// How long a connection may go without a request or without any traffic;
/// `None` turns a limit off.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub header: Option<Duration>,
    pub idle: Option<Duration>,
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes
/// the connections still open.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_error_logged: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                if last_error_logged.is_none_or(|t| t.elapsed() >= ACCEPT_ERROR_LOG_EVERY) {
                    tracing::error!(error = %e, "cannot accept connections; retrying every 100 ms");
                    last_error_logged = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req)
        });
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(watch_connection(conn, activity, timeouts.idle, peer));
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}: closing them");
        }
    }
}

/// Drives one connection, and drops it (closing the socket) once nothing
/// has moved on it for `idle`.
async fn watch_connection<F>(conn: F, activity: Activity, idle: Option<Duration>, peer: SocketAddr)
where
    F: Future<Output = Result<(), hyper::Error>>,
{
    let mut conn = std::pin::pin!(conn);
    let result = match idle {
        None => conn.await,
        Some(idle) => {
            let look_every = idle / 4;
            let mut seen = activity.moves();
            // tokio's clock, which tests can pause and advance.
            let mut still_since = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    result = &mut conn => break result,
                    () = tokio::time::sleep(look_every) => {
                        let moves = activity.moves();
                        if moves != seen {
                            seen = moves;
                            still_since = tokio::time::Instant::now();
                        } else if still_since.elapsed() >= idle {
                            tracing::debug!(%peer, "closing a connection idle for {idle:?}");
                            return;
                        }
                    }
                }
            }
        }
    };
    if let Err(e) = result {
        // Timeouts, resets and malformed requests: the client's doing.
        tracing::debug!(%peer, error = %e, "connection closed");
    }
}

/// Errors about the one connection being accepted, not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// How many reads and writes have moved bytes on a connection.
#[derive(Clone, Default)]
struct Activity {
    moves: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity::default()
    }

    fn touch(&self) {
        self.moves.fetch_add(1, Ordering::Relaxed);
    }

    fn moves(&self) -> u64 {
        self.moves.load(Ordering::Relaxed)
    }
}

/// A socket that notes when bytes move on it.
struct Tracked<S> {
    inner: S,
    activity: Activity,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn bytes_either_way_count_as_activity() {
        let (a, mut b) = tokio::io::duplex(64);
        let activity = Activity::new();
        let mut tracked = Tracked {
            inner: a,
            activity: activity.clone(),
        };
        assert_eq!(activity.moves(), 0);
        tracked.write_all(b"x").await.unwrap();
        let after_write = activity.moves();
        assert!(after_write > 0);
        b.write_all(b"y").await.unwrap();
        let mut one = [0u8; 1];
        tracked.read_exact(&mut one).await.unwrap();
        assert!(activity.moves() > after_write);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_still_for_the_idle_time_is_dropped_and_a_busy_one_is_not() {
        let idle = Duration::from_secs(60);
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        // Never finishes, never moves: dropped within 1¼ × idle.
        let quiet = Activity::new();
        let started = tokio::time::Instant::now();
        watch_connection(std::future::pending(), quiet, Some(idle), peer).await;
        let took = started.elapsed();
        assert!(took >= idle && took <= idle + idle / 4, "{took:?}");
        // Moves every 30 s for 5 minutes, then finishes: never dropped.
        let busy = Activity::new();
        let mover = busy.clone();
        let conn = async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(30)).await;
                mover.touch();
            }
            Ok(())
        };
        let started = tokio::time::Instant::now();
        watch_connection(conn, busy, Some(idle), peer).await;
        assert!(started.elapsed() >= Duration::from_secs(300));
    }

    #[test]
    fn only_per_connection_errors_are_skipped_silently() {
        assert!(is_connection_error(
            &io::ErrorKind::ConnectionAborted.into()
        ));
        let emfile = io::Error::from_raw_os_error(24);
        assert!(!is_connection_error(&emfile));
    }
}
