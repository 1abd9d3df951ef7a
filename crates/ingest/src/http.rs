//! The polite HTTP client every live source fetches through.
//!
//! arXiv asks API users for no more than one request every three seconds, on
//! a single connection, and answers `503` with `Retry-After` when a harvester
//! goes too fast. [`PoliteClient`] does that for every caller: one request in
//! flight at a time (clones share the slot), a minimum interval between
//! request starts, a descriptive `User-Agent` with a contact address,
//! timeouts, and retries with backoff. A body is read up to
//! [`DOCUMENT_BYTES`] (64 MiB), decompressed; a longer one is refused. It owns
//! [`FetchError`], the error of every live source.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dailypapers_domain::limits::DOCUMENT_BYTES;
use dailypapers_store::StoreError;
use reqwest::StatusCode;
use reqwest::header::{DATE, HeaderMap, RETRY_AFTER};
use tokio::sync::Mutex;
use url::Url;

use crate::SourceError;
use crate::clock::{Clock, SystemClock};

/// How much of an error response's body an error keeps.
const BODY_EXCERPT_CHARS: usize = 500;

/// How much of an error response's body is read to find the service's message.
const ERROR_BODY_BYTES: usize = 1 << 20;

/// Why a live fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be set up (TLS backend, bad header value).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),

    /// A base URL or a request URL could not be built.
    #[error("invalid URL {url:?}: {message}")]
    InvalidUrl { url: String, message: String },

    /// The server could not be reached (connection, timeout, truncated
    /// body), still after every retry.
    #[error("cannot reach {url} after {attempts} attempts: {message}")]
    Network {
        url: String,
        attempts: u32,
        message: String,
    },

    /// The server kept answering "busy" (503, 429 or another 5xx) and the
    /// retries ran out.
    #[error(
        "{url} still answered HTTP {status} after {attempts} attempts; giving up (the service is busy or down: try again later)"
    )]
    GaveUp {
        url: String,
        status: StatusCode,
        attempts: u32,
    },

    /// The server refused the request (a 4xx other than 429, or another
    /// status that retrying will not fix). Not retried.
    #[error("{url} answered HTTP {status}: {}", .message.as_deref().unwrap_or(.body.as_str()))]
    Status {
        url: String,
        status: StatusCode,
        /// The service's own error message, when the body carries one (an
        /// arXiv API error entry, an OAI-PMH `<error>`, a JSON `error`).
        message: Option<String>,
        /// The body's first 500 characters.
        body: String,
    },

    /// The response arrived but could not be read as the document expected,
    /// or it is the service's error document (e.g. an OAI-PMH `<error>`).
    #[error("{url}: {source}")]
    Document {
        url: String,
        #[source]
        source: SourceError,
    },

    /// Reading or saving a checkpoint failed.
    #[error("checkpoint: {0}")]
    Store(#[from] StoreError),
}

/// How a [`PoliteClient`] behaves. The defaults suit arXiv.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Contact address in the `User-Agent` (`mailto:`), so operators can reach you.
    pub contact: String,
    /// Minimum time between the starts of two requests.
    pub min_interval: Duration,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub timeout: Duration,
    /// Retries after the first attempt, for busy answers and network errors.
    pub max_retries: u32,
    /// First backoff when the server gives no `Retry-After`; doubled each retry.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Longest wait a `Retry-After` is honoured for (longer ones are capped).
    pub retry_after_max: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            contact: "admin@localhost".to_string(),
            min_interval: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
            max_retries: 5,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(160),
            retry_after_max: Duration::from_secs(600),
        }
    }
}

impl ClientConfig {
    /// The `User-Agent` this configuration sends.
    pub fn user_agent(&self) -> String {
        format!(
            "dailypapers/{} (mailto:{})",
            env!("CARGO_PKG_VERSION"),
            self.contact
        )
    }
}

/// An HTTP client that is gentle with the servers it talks to.
///
/// Clones share one connection and one request slot: at most one request is
/// in flight across all of them, and the interval is kept between any two.
#[derive(Clone)]
pub struct PoliteClient {
    inner: Arc<Inner>,
    service_message: ServiceMessage,
}

/// Reads a service's own message out of an error body ("incorrect id
/// format for abc"), if it has one. Each source passes its own, so this
/// client knows no source's format.
pub type ServiceMessage = fn(&str) -> Option<String>;

/// The message of a JSON error body (`{"error": "…"}`), which most HTTP APIs
/// send: the default [`ServiceMessage`].
pub fn json_error_message(body: &str) -> Option<String> {
    let head = body.get(..body.len().min(1000)).unwrap_or(body);
    if !head.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|json| json.get("error")?.as_str().map(str::to_string))
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    user_agent: String,
    clock: Arc<dyn Clock>,
    /// When the last request started; held for the whole of a request.
    slot: Mutex<Option<Instant>>,
}

/// What one attempt came to.
enum Attempt {
    Done(String),
    Retry { wait: Duration, why: Busy },
    Fail(FetchError),
}

/// Why an attempt is retried.
enum Busy {
    Status(StatusCode),
    Network(String),
}

impl PoliteClient {
    /// A client on real time.
    pub fn new(config: ClientConfig) -> Result<Self, FetchError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A client on the given clock (a `ManualClock` in tests).
    pub fn with_clock(config: ClientConfig, clock: Arc<dyn Clock>) -> Result<Self, FetchError> {
        let user_agent = config.user_agent();
        let http = reqwest::Client::builder()
            .user_agent(user_agent.clone())
            .pool_max_idle_per_host(1)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| FetchError::Setup(error_chain(&e)))?;
        Ok(PoliteClient {
            inner: Arc::new(Inner {
                http,
                config,
                user_agent,
                clock,
                slot: Mutex::new(None),
            }),
            service_message: json_error_message,
        })
    }

    /// The same client (same connection and request slot), reading error
    /// bodies with `read`.
    pub fn with_service_message(mut self, read: ServiceMessage) -> Self {
        self.service_message = read;
        self
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// GETs `url` and returns the body of a successful (2xx) answer.
    ///
    /// Waits for its turn (one request at a time, `min_interval` apart),
    /// retries busy answers (503, 429, other 5xx) honouring `Retry-After`
    /// (seconds or an HTTP date) or else backing off exponentially, retries
    /// network errors the same way, and gives up after `max_retries`. Any
    /// other status is an error at once, with the service's message if the
    /// body has one.
    pub async fn get_text(&self, url: &Url) -> Result<String, FetchError> {
        let config = &self.inner.config;
        let clock = &self.inner.clock;
        let mut last_start = self.inner.slot.lock().await;
        let mut attempts = 0u32;
        loop {
            if let Some(last) = *last_start {
                let next = last + config.min_interval;
                let now = clock.now();
                if next > now {
                    clock.sleep(next - now).await;
                }
            }
            *last_start = Some(clock.now());
            attempts += 1;
            tracing::debug!(%url, attempt = attempts, "GET");
            let (wait, why) = match self.attempt(url, attempts).await {
                Attempt::Done(body) => return Ok(body),
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry { wait, why } => (wait, why),
            };
            if attempts > config.max_retries {
                return Err(match why {
                    Busy::Status(status) => FetchError::GaveUp {
                        url: url.to_string(),
                        status,
                        attempts,
                    },
                    Busy::Network(message) => FetchError::Network {
                        url: url.to_string(),
                        attempts,
                        message,
                    },
                });
            }
            match &why {
                Busy::Status(status) => tracing::warn!(
                    %url, %status,
                    "server busy; retrying in {} s (attempt {} of {})",
                    wait.as_secs_f64(), attempts + 1, config.max_retries + 1
                ),
                Busy::Network(message) => tracing::warn!(
                    %url,
                    "request failed: {message}; retrying in {} s (attempt {} of {})",
                    wait.as_secs_f64(), attempts + 1, config.max_retries + 1
                ),
            }
            clock.sleep(wait).await;
        }
    }

    async fn attempt(&self, url: &Url, attempts: u32) -> Attempt {
        let backoff = self.backoff(attempts);
        let response = match self.inner.http.get(url.clone()).send().await {
            Ok(response) => response,
            Err(e) => {
                return Attempt::Retry {
                    wait: backoff,
                    why: Busy::Network(error_chain(&e)),
                };
            }
        };
        let status = response.status();
        if status.is_success() {
            return match read_capped(response, DOCUMENT_BYTES).await {
                Ok((body, None)) => Attempt::Done(body),
                Ok((_, Some(size))) => Attempt::Fail(FetchError::Document {
                    url: url.to_string(),
                    source: SourceError::TooLarge {
                        size,
                        limit: DOCUMENT_BYTES as u64,
                    },
                }),
                Err(e) => Attempt::Retry {
                    wait: backoff,
                    why: Busy::Network(format!("reading the body: {}", error_chain(&e))),
                },
            };
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let wait = retry_after(response.headers(), Utc::now())
                .map(|w| w.min(self.inner.config.retry_after_max))
                .unwrap_or(backoff);
            return Attempt::Retry {
                wait,
                why: Busy::Status(status),
            };
        }
        let body = read_capped(response, ERROR_BODY_BYTES)
            .await
            .map(|(body, _)| body)
            .unwrap_or_default();
        Attempt::Fail(FetchError::Status {
            url: url.to_string(),
            status,
            message: (self.service_message)(&body),
            body: body.chars().take(BODY_EXCERPT_CHARS).collect(),
        })
    }

    /// The backoff after the `attempts`-th attempt: base, 2×base, 4×base…, capped.
    fn backoff(&self, attempts: u32) -> Duration {
        let config = &self.inner.config;
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
        config
            .backoff_base
            .saturating_mul(factor)
            .min(config.backoff_max)
    }
}

impl std::fmt::Debug for PoliteClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoliteClient")
            .field("user_agent", &self.inner.user_agent)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The body of a response, read up to `limit` bytes (after decompression).
/// Over it, reading stops and the size reached is returned instead: from
/// `Content-Length` when the server announces more, else what was read.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(String, Option<u64>), reqwest::Error> {
    if let Some(announced) = response.content_length().filter(|&n| n > limit as u64) {
        return Ok((String::new(), Some(announced)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok((String::new(), Some((body.len() + chunk.len()) as u64)));
        }
        body.extend_from_slice(&chunk);
    }
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok((text, None))
}

/// Parses a base URL given in configuration.
pub fn parse_base_url(text: &str) -> Result<Url, FetchError> {
    Url::parse(text).map_err(|e| FetchError::InvalidUrl {
        url: text.to_string(),
        message: e.to_string(),
    })
}

/// The wait a `Retry-After` header asks for: delay-seconds, or an HTTP date
/// (measured from the response's own `Date` if it has one, else from `now`).
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    let reference = headers
        .get(DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| DateTime::parse_from_rfc2822(d.trim()).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(now);
    Some(
        (at.with_timezone(&Utc) - reference)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// An error and its causes, one line: reqwest's own message is terse.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = Utc::now();
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("10"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(10)));

        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Thu, 21 Jun 2018 14:31:21 GMT"),
        );
        headers.insert(
            DATE,
            HeaderValue::from_static("Thu, 21 Jun 2018 14:30:51 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));

        // A date in the past means "now".
        headers.remove(DATE);
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));

        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn user_agent_names_the_project_and_the_contact() {
        let config = ClientConfig {
            contact: "ops@example.org".into(),
            ..ClientConfig::default()
        };
        assert_eq!(
            config.user_agent(),
            format!(
                "dailypapers/{} (mailto:ops@example.org)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
