#!/usr/bin/env python3
"""schemathesis against the running server's own OpenAPI document.

    DAILYPAPERS_URL=http://127.0.0.1:8080 .venv/bin/python tests/interop/test_openapi.py

The server must hold the sample data set (scripts/run-server-tests.sh starts
it and runs this test after the others). A member is signed up and a personal
API token made through the API; then schemathesis (installed in the same
virtualenv by scripts/install-test-deps.sh) sends generated requests, valid
and invalid, to every operation `/api/openapi.json` lists, with that token
as `Authorization: Bearer`, so the state-changing routes run as a member.
A route added to the document is tested by the next run without a line here.

Checks on every response: no 5xx, and its status code, content type and body
as the document says. The run is bounded: SCHEMATHESIS_MAX_EXAMPLES cases per
operation and phase (default 30), SCHEMATHESIS_DEADLINE seconds in all
(default 150), a fixed SCHEMATHESIS_SEED (default 20251201; set another to
explore). Each operation prints PASS or FAIL; the last line reads
`openapi: N passed, N failed`, and the exit code is non-zero when any failed.
"""

import asyncio
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from checks import RESULTS, finish, record, run_check, server_url  # noqa: E402  (tests/checks.py)

BASE = server_url()
SERVER = urlparse(BASE)
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"))
DEADLINE = int(os.environ.get("SCHEMATHESIS_DEADLINE", "150"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "20251201")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# The JSON routes the document must describe, whoever adds more.
REQUIRED = [
    ("get", "/api/daily_papers"),
    ("get", "/api/papers/search"),
    ("get", "/api/papers/{id}"),
    ("get", "/api/papers/{id}/similar"),
    ("get", "/api/search"),
    ("get", "/api/search/status"),
    ("get", "/api/status"),
    ("get", "/api/whoami-v2"),
    ("get", "/api/auth/me"),
    ("post", "/api/auth/tokens"),
    ("post", "/api/papers/{id}/upvote"),
    ("post", "/api/papers/{id}/comments"),
]
METHODS = ("get", "put", "post", "delete", "patch")

def call(method, path, body=None, headers=None, source="127.0.0.1"):
    """One request from the loopback address `source`: (status, headers, body)."""
    conn = http.client.HTTPConnection(SERVER.hostname, SERVER.port, timeout=30, source_address=(source, 0))
    h = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        return res.status, res.getheaders(), res.read().decode("utf-8", "replace")
    finally:
        conn.close()


class Relay:
    """A TCP relay on a free loopback port that reaches the server from a
    loopback address of its own: schemathesis, which cannot choose where its
    requests come from, then spends the per-client rate limits (sign-ups,
    logins) of that address, not those of 127.0.0.1 that the other tests
    and the copy of this store share."""

    def __init__(self, source: str):
        self.source = source
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(
                asyncio.start_server(self.handle, "127.0.0.1", 0))
            started.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        started.wait(10)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def handle(self, reader, writer):
        try:
            upstream_r, upstream_w = await asyncio.open_connection(
                SERVER.hostname, SERVER.port, local_addr=(self.source, 0))
        except OSError:
            writer.close()
            return

        async def pipe(r, w):
            try:
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                w.close()

        await asyncio.gather(pipe(reader, upstream_w), pipe(upstream_r, writer))

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


def undo(har, state):
    """Withdraws the upvotes and deletes the comments and collections the run
    made as the member (it takes paper ids from the answers it reads), so that
    the tests after it, and the copy of this store, see the sample data's
    counts."""
    upvoted, comments = set(), set()
    for e in har["log"]["entries"]:
        req, res = e["request"], e["response"]
        if req["method"] != "POST" or res["status"] != 200:
            continue
        path = urlparse(req["url"]).path
        if path.startswith("/api/papers/") and path.endswith("/upvote"):
            upvoted.add(path)
        elif path.startswith("/api/papers/") and path.endswith("/comments"):
            comments.add(json.loads(res["content"]["text"])["id"])
    for request in [("DELETE", p) for p in sorted(upvoted)] + [
        ("DELETE", f"/api/comments/{i}") for i in sorted(comments)
    ]:
        for _ in range(5):
            status, headers, text = call(*request, headers=state["session"], source=state["source"])
            if status != 429:
                break
            # The run spent the member's votes for the minute: wait as told.
            wait = next((int(v) for k, v in headers if k.lower() == "retry-after"), 1)
            time.sleep(min(wait, 65))
        if status not in (200, 404):
            raise AssertionError(f"{request}: {status} {text[:200]}")
    status, _, text = call("GET", f"/api/collections?owner={state['name']}&limit=100",
                           headers=state["session"], source=state["source"])
    if status != 200:
        raise AssertionError(f"the member's collections: {status} {text[:200]}")
    collections = [c["slug"] for c in json.loads(text)]
    for slug in collections:
        status, _, text = call("DELETE", f"/api/collections/{slug}", headers=state["session"],
                               source=state["source"])
        if status not in (200, 204, 404):
            raise AssertionError(f"DELETE {slug}: {status} {text[:200]}")
    print(f"     withdrew upvotes on {len(upvoted)} papers, deleted {len(comments)} comments "
          f"and {len(collections)} collections")


def operations(doc):
    return [(m, p) for p, item in doc["paths"].items() for m in METHODS if m in item]


def main():
    state = {}

    def member_and_token():
        # From a loopback address of its own: sign-ups are limited per client.
        source = f"127.{random.randrange(2, 250)}.251.1"
        state["relay_source"] = f"127.{random.randrange(2, 250)}.252.1"
        name = "st%06x" % random.getrandbits(24)
        status, headers, text = call("POST", "/api/auth/signup", {
            "username": name, "email": f"{name}@example.org", "password": "a long and quiet passphrase",
        }, source=source)
        if status != 200:
            raise AssertionError(f"sign-up: {status} {text[:300]}")
        cookie = next(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")
        csrf = json.loads(text)["csrfToken"]
        status, _, text = call("POST", "/api/auth/tokens", {"name": "schemathesis"},
                               {"Cookie": cookie, "X-CSRF-Token": csrf}, source=source)
        if status != 200:
            raise AssertionError(f"token: {status} {text[:300]}")
        token = json.loads(text)["token"]
        status, _, text = call("GET", "/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
        if status != 200 or json.loads(text)["name"] != name:
            raise AssertionError(f"whoami-v2 with the token: {status} {text[:300]}")
        state.update(token=token, name=name, session={"Cookie": cookie, "X-CSRF-Token": csrf}, source=source)

    if not run_check("a member and a personal API token, made through the API", member_and_token):
        return

    def document_lists_every_json_route():
        status, _, text = call("GET", "/api/openapi.json")
        if status != 200:
            raise AssertionError(f"GET /api/openapi.json: {status}")
        doc = json.loads(text)
        state["ops"] = ops = operations(doc)
        missing = [f"{m.upper()} {p}" for m, p in REQUIRED if (m, p) not in ops]
        if missing:
            raise AssertionError(f"not in the document: {missing}")
        ids = [doc["paths"][p][m].get("operationId") for m, p in ops]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise AssertionError(f"operationIds used twice: {twice}")
        print(f"     {len(ops)} operations on {len(doc['paths'])} paths (OpenAPI {doc['openapi']})")

    if not run_check("the document lists every JSON route, each with its own operationId",
                     document_lists_every_json_route):
        return

    st = Path(sys.executable).parent / "st"
    if not st.exists():
        record(False, "schemathesis", f"no {st}: scripts/install-test-deps.sh installs schemathesis in the virtualenv")
        return
    with tempfile.TemporaryDirectory(prefix="schemathesis-") as tmp:
        junit = Path(tmp) / "junit.xml"
        har = Path(tmp) / "requests.har"
        relay = Relay(state["relay_source"])
        cmd = [
            str(st), "run", f"{relay.url}/api/openapi.json",
            "--checks", CHECKS,
            "--phases", "examples,coverage,fuzzing",
            "--header", f"Authorization: Bearer {state['token']}",
            "--generation-with-security-parameters", "false",
            "--generation-database", "none",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", SEED,
            # One worker: with two, hypothesis's description cache races and
            # schemathesis reports an error of its own (seen with 4.32.5).
            "--workers", "1",
            "--request-timeout", "30",
            "--suppress-health-check", "all",
            "--report", "junit,har", "--report-junit-path", str(junit), "--report-har-path", str(har),
            "--no-color",
        ]
        started = time.time()
        try:
            # The hard deadline; schemathesis writes its report as it ends.
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=DEADLINE)
        except subprocess.TimeoutExpired as e:
            relay.close()
            out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            print("\n".join("     | " + line for line in out.splitlines()[-40:]))
            record(False, "schemathesis", f"still running after the {DEADLINE} s deadline")
            return
        took = time.time() - started
        relay.close()
        lines = proc.stdout.splitlines()
        # Everything when something failed, else the summary.
        shown = lines[:400] if proc.returncode != 0 else lines[-30:]
        print("\n".join("     | " + line for line in shown))
        if proc.stderr.strip():
            print("\n".join("     ! " + line for line in proc.stderr.splitlines()[-20:]))
        print(f"     schemathesis {MAX_EXAMPLES} examples per operation and phase, seed {SEED}:"
              f" exit {proc.returncode} after {took:.0f} s")
        if har.exists():
            run_check("what the run changed is undone (its upvotes withdrawn, its comments deleted)",
                      lambda: undo(json.loads(har.read_text(encoding="utf-8")), state))
        if not junit.exists():
            record(False, "schemathesis", f"no report (exit {proc.returncode})")
            return
        cases = {}
        for case in ET.parse(junit).getroot().iter("testcase"):
            problems = [p.get("message") or (p.text or "").strip() for p in case
                        if p.tag in ("failure", "error")]
            cases[case.get("name")] = [p.splitlines()[0] if p else p for p in problems if p is not None]
        tested = set()
        for name, problems in sorted(cases.items()):
            method, _, path = name.partition(" ")
            tested.add((method.lower(), path))
            record(not problems, f"schemathesis {name}", "; ".join(problems)[:2000])
        untested = [f"{m.upper()} {p}" for m, p in state["ops"] if (m, p) not in tested]
        record(not untested, "schemathesis reached every operation of the document",
               f"not tested: {untested}" if untested else "")
        if proc.returncode != 0 and not RESULTS["failed"]:
            record(False, "schemathesis", f"exit {proc.returncode} without a failure in its report")

    def server_still_answers():
        status, _, _ = call("GET", "/healthz")
        if status != 200:
            raise AssertionError(f"/healthz: {status}")

    run_check("the server still answers", server_still_answers)


if __name__ == "__main__":
    main()
    sys.exit(finish("openapi"))
