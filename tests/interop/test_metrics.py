#!/usr/bin/env python3
"""/metrics read by a real Prometheus parser (prometheus_client's).

The server must be running with the sample data (scripts/run-server-tests.sh
starts it). Requests are sent first so that the request counters exist,
then the exposition is parsed and checked: every family the operator
relies on is there, with the types and labels a dashboard would query.

    DAILYPAPERS_URL=http://127.0.0.1:8080 .venv/bin/python tests/interop/test_metrics.py

The last line reads `metrics: N passed, N failed`.
"""

import os
import sys
import traceback
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

URL = (os.environ.get("DAILYPAPERS_URL") or "").rstrip("/")
if not URL:
    sys.stderr.write("set DAILYPAPERS_URL to the server's base URL\n")
    sys.exit(2)

passed = failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"PASS {name}")
    except Exception:
        failed += 1
        print(f"FAIL {name}")
        traceback.print_exc()


def get(path):
    try:
        with urllib.request.urlopen(URL + path, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


for path in ["/", "/", "/api/daily_papers", "/papers/2511.22699", "/no/such/page", "/api/status"]:
    get(path)

status, headers, text = get("/metrics")
families = {f.name: f for f in text_string_to_metric_families(text)}


def samples(name):
    return [s for f in families.values() for s in f.samples if s.name == name]


def answers_in_the_text_format():
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain"), headers["Content-Type"]
    assert families, "no metric families parsed"


def requests_are_counted_by_route_and_status():
    f = families["dailypapers_http_requests"]
    assert f.type == "counter", f.type
    front = [s for s in samples("dailypapers_http_requests_total") if s.labels.get("route") == "/"]
    assert front and sum(s.value for s in front) >= 2, front
    assert all(s.labels.get("status") == "200" for s in front), front
    routes = {s.labels.get("route") for s in samples("dailypapers_http_requests_total")}
    # Junk URLs share one label instead of adding series.
    assert "/no/such/page" not in routes, routes
    assert "unmatched" in routes, routes


def latencies_are_histograms():
    f = families["dailypapers_http_request_duration_seconds"]
    assert f.type == "histogram", f.type
    buckets = [s for s in samples("dailypapers_http_request_duration_seconds_bucket") if s.labels.get("route") == "/"]
    assert any(s.labels["le"] == "+Inf" for s in buckets), buckets
    assert len(buckets) > 5, buckets


def index_and_store_gauges_are_there():
    for name in [
        "dailypapers_keyword_index_lag_papers",
        "dailypapers_embedding_backlog_papers",
        "dailypapers_vector_index_lag_vectors",
        "dailypapers_store_size_bytes",
        "dailypapers_store_papers",
    ]:
        f = families[name]
        assert f.type == "gauge", (name, f.type)
    papers = samples("dailypapers_store_papers")[0].value
    assert papers > 0, papers
    assert samples("dailypapers_store_size_bytes")[0].value > 0


def store_pool_use_is_reported():
    pools = {(s.labels["pool"], s.labels["state"]) for s in samples("dailypapers_store_pool_connections")}
    assert ("readers", "max") in pools and ("writer", "open") in pools, pools


def the_response_cache_is_reported():
    names = set(families)
    assert any(n.startswith("dailypapers_response_cache") for n in names), sorted(names)


for name, fn in list(globals().items()):
    if callable(fn) and fn.__module__ == "__main__" and name not in {"check", "get", "samples"}:
        check(name, fn)

print(f"metrics: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
