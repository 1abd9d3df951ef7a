//! A local replay server for the live-source tests: it answers with the real
//! responses recorded in `fixtures/`, chosen by the request's query, and
//! records every request it receives (query string, `User-Agent`, the
//! virtual time it arrived at) and how many were ever in flight at once.
//!
//! Routes (the base path picks the service):
//! - `/api/query`: arXiv API, `fixtures/arxiv-api/{id_…|q_…}_s{start}_m{max}_*.xml`
//!   keyed by `id_list` (`,` and `/` written `_`) or `search_query`, `start`
//!   and `max_results`; the error entry for `abc` is served with its
//!   recorded status, 400;
//! - `/empty/api/query`: always the recorded answer for a missing id (no entries);
//! - `/refusing/api/query`: always the recorded HTTP 400 error entry (`abc`);
//! - `/refusing-later/api/query`: as `/api/query` for the first page
//!   (`start=0`), then the recorded HTTP 400;
//! - `/interrupted/oai2`: as `/oai2` for a harvest's first page, but nothing
//!   recorded (HTTP 404) for its resumption token, like a connection lost
//!   halfway;
//! - `/oai2`: arXiv OAI-PMH `ListRecords`: the recorded 503-then-200 exchange
//!   (`metadataPrefix=arXiv&from=2015-01-01&until=2015-01-03`, answered in
//!   order), the `oai_dc` set `cs` page with a resumptionToken, and for that
//!   token (`6960524|1001`) the two-record ListRecords page, which ends the list;
//! - `/unavailable/…`: always the recorded 503 with `Retry-After: 10`;
//! - `/api/daily_papers`: `fixtures/hf-daily-papers/{date}.json`, sliced by
//!   `limit` and `p` when given.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_ingest::http::{ClientConfig, PoliteClient};
use dailypapers_ingest::live::Endpoints;
use url::Url;

/// The contact address the test clients put in their `User-Agent`.
pub const CONTACT: &str = "tests@example.org";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    /// The raw query string, as sent.
    pub query: String,
    pub user_agent: Option<String>,
    /// Virtual time (of the test's clock) when it arrived.
    pub at: Duration,
}

/// A running replay server.
pub struct Replay {
    pub addr: SocketAddr,
    state: Arc<ServerState>,
}

struct ServerState {
    clock: Arc<ManualClock>,
    received: Mutex<Vec<Received>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// How many times each scripted exchange has been asked for.
    script_positions: Mutex<HashMap<String, usize>>,
}

impl Replay {
    /// Starts a server on 127.0.0.1 (a free port) that stamps requests with
    /// `clock`'s virtual time.
    pub async fn start(clock: Arc<ManualClock>) -> Replay {
        let state = Arc::new(ServerState {
            clock,
            received: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            script_positions: Mutex::new(HashMap::new()),
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the replay server");
        let addr = listener.local_addr().expect("replay server address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("replay server");
        });
        Replay { addr, state }
    }

    /// `http://{addr}{path}`.
    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{path}", self.addr)).expect("replay URL")
    }

    /// The endpoints of this server.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            arxiv_api: self.url("/api/query"),
            arxiv_oai: self.url("/oai2"),
            hf_daily_papers: self.url("/api/daily_papers"),
        }
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Received> {
        self.state.received.lock().expect("requests").clone()
    }

    /// The query strings received so far, in order.
    pub fn queries(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.query).collect()
    }

    /// The most requests that were ever in flight at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

/// The client configuration the tests use: the defaults, with a test contact.
pub fn config() -> ClientConfig {
    ClientConfig {
        contact: CONTACT.to_string(),
        ..ClientConfig::default()
    }
}

/// A polite client on `clock` with `config`.
pub fn client(clock: &Arc<ManualClock>, config: ClientConfig) -> PoliteClient {
    PoliteClient::with_clock(config, clock.clone()).expect("build the client")
}

/// The `User-Agent` the tests expect.
pub fn expected_user_agent() -> String {
    format!(
        "dailypapers/{} (mailto:{CONTACT})",
        env!("CARGO_PKG_VERSION")
    )
}

/// The virtual times between consecutive requests.
pub fn gaps(requests: &[Received]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// A fixture file's text.
pub fn fixture(relative: &str) -> String {
    let path = fixtures().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a ServerState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a ServerState) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(State(state): State<Arc<ServerState>>, uri: Uri, headers: HeaderMap) -> Response {
    let _in_flight = InFlight::enter(&state);
    let query = uri.query().unwrap_or_default().to_string();
    state.received.lock().expect("requests").push(Received {
        path: uri.path().to_string(),
        query: query.clone(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        at: state.clock.elapsed(),
    });
    // Stay in flight for a moment, so that overlapping requests would overlap here.
    tokio::time::sleep(Duration::from_millis(20)).await;

    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let path = uri.path();
    if path.starts_with("/unavailable/") {
        return nock(0);
    }
    match path {
        "/api/query" => arxiv_api(&params),
        "/empty/api/query" => xml(
            StatusCode::OK,
            fixture("arxiv-api/id_0000.0000_s0_m100_8b51d9633a68.xml"),
        ),
        "/refusing/api/query" => refusal(),
        "/refusing-later/api/query" if params.get("start").is_some_and(|s| s == "0") => {
            arxiv_api(&params)
        }
        "/refusing-later/api/query" => refusal(),
        "/interrupted/oai2" if params.contains_key("resumptionToken") => not_recorded(&query),
        "/interrupted/oai2" => oai(&state, &params),
        "/oai2" => oai(&state, &params),
        "/api/daily_papers" => hf_daily(&params),
        _ => not_recorded(&query),
    }
}

/// arXiv's recorded HTTP 400 with its error entry (for the id `abc`).
fn refusal() -> Response {
    xml(
        StatusCode::BAD_REQUEST,
        fixture("arxiv-api/id_abc_s0_m100_b79c8dcf6bc3.xml"),
    )
}

fn arxiv_api(params: &HashMap<String, String>) -> Response {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let key = if !get("id_list").is_empty() {
        format!("id_{}", get("id_list").replace([',', '/'], "_"))
    } else {
        format!("q_{}", get("search_query"))
    };
    let prefix = format!("{key}_s{}_m{}_", get("start"), get("max_results"));
    let found = std::fs::read_dir(fixtures().join("arxiv-api"))
        .expect("arxiv-api fixtures")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with(&prefix) && name.ends_with(".xml"));
    match found {
        Some(name) => {
            let body = fixture(&format!("arxiv-api/{name}"));
            // arXiv sent its error entries (the malformed id) with HTTP 400.
            let status = if body.contains("arxiv.org/api/errors") {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            xml(status, body)
        }
        None => not_recorded(&prefix),
    }
}

fn oai(state: &ServerState, params: &HashMap<String, String>) -> Response {
    let get = |k: &str| params.get(k).map(String::as_str);
    if get("verb") != Some("ListRecords") {
        return not_recorded("verb");
    }
    if let Some(token) = get("resumptionToken") {
        return match token {
            "6960524|1001" => xml(
                StatusCode::OK,
                fixture(
                    "arxiv-oai/paperhive_oaipmh-listrecords---should-list-identifiers-from-arxiv_1.xml",
                ),
            ),
            _ => xml(StatusCode::OK, bad_resumption_token()),
        };
    }
    match (get("metadataPrefix"), get("set"), get("from"), get("until")) {
        (Some("arXiv"), None, Some("2015-01-01"), Some("2015-01-03")) => {
            let mut positions = state.script_positions.lock().expect("script");
            let position = positions.entry("503-then-200".into()).or_default();
            let response = nock(*position);
            *position += 1;
            response
        }
        (Some("oai_dc"), Some("cs"), Some("2024-01-25"), None) => xml(
            StatusCode::OK,
            fixture("arxiv-oai/oai_dc-cs-listrecords-5-with-resumption.xml"),
        ),
        _ => not_recorded("ListRecords"),
    }
}

/// The OAI-PMH error for an unknown or expired token, as the protocol
/// specifies it (section 3.6: errors are sent with HTTP 200). No recording of
/// one exists among the fixtures, so this one is built here.
fn bad_resumption_token() -> String {
    r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-01-28T10:00:00Z</responseDate>
<request verb="ListRecords">http://export.arxiv.org/oai2</request>
<error code="badResumptionToken">The value of the resumptionToken argument is invalid or expired.</error>
</OAI-PMH>
"#
    .to_string()
}

/// The `index`-th exchange of the recorded 503-then-200 ListRecords (the
/// last one again once they are used up), with its status, headers and body.
fn nock(index: usize) -> Response {
    let text = fixture("arxiv-oai/listrecords-with-503-retry-after.nock.json");
    let exchanges: Vec<serde_json::Value> = serde_json::from_str(&text).expect("nock JSON");
    let exchange = &exchanges[index.min(exchanges.len() - 1)];
    let status = exchange["status"].as_u64().expect("recorded status") as u16;
    let mut response = Response::builder().status(status);
    let raw = exchange["rawHeaders"].as_array().expect("recorded headers");
    for pair in raw.chunks(2) {
        let (name, value) = (
            pair[0].as_str().unwrap_or(""),
            pair[1].as_str().unwrap_or(""),
        );
        // Framing is the server's business, not the recording's.
        if ["content-length", "connection", "transfer-encoding"]
            .contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        response = response.header(name, value);
    }
    let body = exchange["response"]
        .as_str()
        .expect("recorded body")
        .to_string();
    response.body(Body::from(body)).expect("replayed response")
}

fn hf_daily(params: &HashMap<String, String>) -> Response {
    let Some(date) = params.get("date") else {
        return not_recorded("date");
    };
    let path = fixtures().join(format!("hf-daily-papers/{date}.json"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return not_recorded(date);
    };
    let items: Vec<serde_json::Value> = serde_json::from_str(&text).expect("daily papers JSON");
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(items.len());
    let page: usize = params.get("p").and_then(|p| p.parse().ok()).unwrap_or(0);
    let body = if page == 0 && limit >= items.len() {
        // The whole day fits: the recording as it is.
        text
    } else {
        let slice: Vec<&serde_json::Value> = items.iter().skip(page * limit).take(limit).collect();
        serde_json::to_string(&slice).expect("JSON")
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body))
        .expect("response")
}

fn xml(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .body(Body::from(body))
        .expect("response")
}

fn not_recorded(what: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .body(Body::from(format!("no recording for {what}")))
        .expect("response")
}
