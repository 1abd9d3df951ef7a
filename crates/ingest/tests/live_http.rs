//! The polite client against the replay server: one request at a time,
//! three seconds apart, a descriptive User-Agent, Retry-After honoured,
//! retries that end, and refusals that carry the service's message.

mod support;

use dailypapers_domain::ArxivId;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_ingest::http::{ClientConfig, FetchError};
use dailypapers_ingest::live::ArxivApi;
use reqwest::StatusCode;
use support::{Replay, client, config, expected_user_agent, gaps, secs};

#[tokio::test]
async fn requests_go_one_at_a_time_three_seconds_apart_with_a_descriptive_user_agent() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.endpoints().arxiv_api);

    // Three look-ups started at once, sharing one client.
    let mut tasks = Vec::new();
    for id in ["2104.12255v1", "1605.08386", "astro-ph/0601001"] {
        let api = api.clone();
        let id: ArxivId = id.parse().expect("id");
        tasks.push(tokio::spawn(async move {
            let mut pager = api.fetch_ids(&[id]);
            pager.next_page().await.expect("fetch").expect("a page")
        }));
    }
    for task in tasks {
        let page = task.await.expect("task");
        assert_eq!(page.listings.len(), 1, "{}", page.origin);
    }

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(server.max_in_flight(), 1, "never two requests in flight");
    for request in &requests {
        assert_eq!(
            request.user_agent.as_deref(),
            Some(expected_user_agent().as_str())
        );
    }
    assert_eq!(gaps(&requests), vec![secs(3), secs(3)]);
    assert_eq!(clock.sleeps(), vec![secs(3), secs(3)]);
}

#[tokio::test]
async fn the_interval_is_configurable() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let config = ClientConfig {
        min_interval: secs(1),
        ..config()
    };
    let api = ArxivApi::new(client(&clock, config), server.endpoints().arxiv_api);
    for id in ["2104.12255v1", "1605.08386"] {
        let mut pager = api.fetch_ids(&[id.parse().expect("id")]);
        pager.next_page().await.expect("fetch");
    }
    assert_eq!(gaps(&server.requests()), vec![secs(1)]);
}

#[tokio::test]
async fn a_persistent_503_gives_up_after_the_configured_retries() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let config = ClientConfig {
        max_retries: 3,
        ..config()
    };
    let http = client(&clock, config);
    let url = server.url("/unavailable/oai2?verb=Identify");

    let err = http.get_text(&url).await.expect_err("must give up");

    assert!(
        matches!(
            err,
            FetchError::GaveUp {
                status: StatusCode::SERVICE_UNAVAILABLE,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("503"), "{message}");
    assert!(message.contains("after 4 attempts"), "{message}");
    assert!(message.contains("giving up"), "{message}");
    // Each recorded 503 says Retry-After: 10, and each was honoured.
    assert_eq!(server.requests().len(), 4);
    assert_eq!(clock.sleeps(), vec![secs(10); 3]);
    assert_eq!(gaps(&server.requests()), vec![secs(10); 3]);
}

#[tokio::test]
async fn an_http_400_is_not_retried_and_carries_the_arxiv_error_message() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.endpoints().arxiv_api);

    let err = api
        .request(&[("id_list", "abc"), ("start", "0"), ("max_results", "100")])
        .await
        .expect_err("arXiv refuses a malformed id");

    match &err {
        FetchError::Status {
            status,
            message,
            body,
            ..
        } => {
            assert_eq!(*status, StatusCode::BAD_REQUEST);
            assert_eq!(message.as_deref(), Some("incorrect id format for abc"));
            assert_eq!(body.chars().count(), 500, "the body's first 500 characters");
        }
        other => panic!("expected a Status error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("400"), "{message}");
    assert!(message.contains("incorrect id format for abc"), "{message}");
    assert_eq!(
        server.queries(),
        vec!["id_list=abc&start=0&max_results=100"]
    );
    assert!(clock.sleeps().is_empty(), "no retry, no wait");
}

#[tokio::test]
async fn network_errors_are_retried_with_exponential_backoff_then_reported() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);

    let clock = ManualClock::new();
    let config = ClientConfig {
        max_retries: 3,
        ..config()
    };
    let http = client(&clock, config);
    let url = url::Url::parse(&format!("http://{addr}/api/query?id_list=1605.08386")).expect("url");

    let err = http.get_text(&url).await.expect_err("nobody answers");

    assert!(
        matches!(err, FetchError::Network { attempts: 4, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("cannot reach http://{addr}")),
        "{message}"
    );
    assert!(message.contains("after 4 attempts"), "{message}");
    assert_eq!(clock.sleeps(), vec![secs(5), secs(10), secs(20)]);
}

#[tokio::test]
async fn the_backoff_is_capped() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);

    let clock = ManualClock::new();
    let config = ClientConfig {
        max_retries: 5,
        backoff_max: secs(30),
        ..config()
    };
    let http = client(&clock, config);
    let url = url::Url::parse(&format!("http://{addr}/")).expect("url");
    http.get_text(&url).await.expect_err("nobody answers");
    assert_eq!(
        clock.sleeps(),
        vec![secs(5), secs(10), secs(20), secs(30), secs(30)]
    );
}

/// A server that answers every connection with `head` and then `chunks`
/// chunks of 1 MiB (chunked encoding), and the URL to reach it.
async fn big_body_server(head: &'static str, chunks: usize) -> url::Url {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 1 << 20];
                for _ in 0..chunks {
                    let frame = format!("{:x}\r\n", chunk.len());
                    if socket.write_all(frame.as_bytes()).await.is_err()
                        || socket.write_all(&chunk).await.is_err()
                        || socket.write_all(b"\r\n").await.is_err()
                    {
                        return;
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{address}/big").parse().unwrap()
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_not_kept() {
    let clock = ManualClock::new();
    let http = client(&clock, config());
    let chunked = big_body_server(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n",
        65,
    )
    .await;
    let err = http.get_text(&chunked).await.expect_err("too large");
    let message = err.to_string();
    assert!(
        matches!(
            &err,
            FetchError::Document {
                source: dailypapers_ingest::SourceError::TooLarge { .. },
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains("over the limit of 67,108,864 bytes"),
        "{message}"
    );

    // A server announcing more than the limit is not read at all.
    let announced =
        big_body_server("HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n", 0).await;
    let err = http.get_text(&announced).await.expect_err("too large");
    assert!(err.to_string().contains("100,000,000,000 bytes"), "{err}");
}
