"""Three servers on one PostgreSQL behind nginx (scripts/cluster.sh): a read
load through nginx (feed, paper pages, search) while papers are imported
through the CLI; one server is killed with SIGKILL halfway and started again.

Checks that the client saw no failed request, that the restarted server
catches up and finds the new papers, and that a paper imported through the
CLI is found by keyword search on every server within 10 s (imports one
after another through the load; the median and the slowest are printed).
Then PostgreSQL is stopped for 10 s under load: the servers answer 503 and
say why in /healthz, none dies, all recover without a restart, and nothing
committed before is lost.

    python3 tests/cluster/test_failover.py BIN
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD_SECS = float(os.environ.get("LOAD_SECS", "60"))


def run(*args, env=None, capture=True):
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=capture, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout.strip() if capture else ""


def get(url, timeout=10, headers=None):
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except Exception as e:  # connection refused, reset, timeout
        return 0, repr(e)


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/dailypapers")
    work = tempfile.mkdtemp(prefix="dailypapers-cluster-")
    # PostgreSQL runs as its own user: it must reach the cluster directory.
    os.chmod(work, 0o755)
    cluster = os.path.join(work, "cluster")
    # The read load searches from one address: its per-address limit is off.
    env = dict(os.environ, DAILYPAPERS_SCHEDULE="false", DAILYPAPERS_EMBED="false",
               DAILYPAPERS_LOG="info,sqlx=warn", DAILYPAPERS_SEARCHES_PER_MINUTE="0")
    public = run("scripts/cluster.sh", "start", cluster, "3", binary, env=env)
    try:
        check(binary, work, cluster, public, env)
    finally:
        subprocess.run(["scripts/cluster.sh", "stop", cluster], cwd=ROOT)


def check(binary, work, cluster, public, env):
    db = open(os.path.join(cluster, "url")).read().strip()
    cli = dict(env, DAILYPAPERS_DATABASE_URL=db)
    run("scripts/import-sample.sh", binary, os.path.join(work, "cli"), env=cli)
    ports = [open(os.path.join(cluster, f"s{i}.port")).read().strip() for i in (1, 2, 3)]
    direct = [f"http://127.0.0.1:{p}" for p in ports]

    # Papers made up for the imports during the load, new to the store:
    # 200 imported while a server is down, then files of 5 for the
    # convergence imports (one every 2 s at most) and the outage.
    snapshot = os.path.join(work, "new.jsonl")
    records = 200 + 5 * (int(LOAD_SECS / 2) + 5)
    run(binary, "bench", "gen-snapshot", str(records), snapshot, "--seed", "11")
    lines = open(snapshot).read().splitlines()
    chunks = [lines[:200]] + [lines[i:i + 5] for i in range(200, len(lines), 5)]
    files = []
    for i, chunk in enumerate(chunks):
        path = os.path.join(work, f"new-{i}.jsonl")
        open(path, "w").write("\n".join(chunk) + "\n")
        files.append((path, json.loads(chunk[0])["id"]))
    while_down, small = files[0], iter(files[1:])

    wait_until(lambda: all(get(f"{d}/api/papers/search?q=transformer")[0] == 200 for d in direct),
               30, "every server answers a search")
    # nginx keeps public pages for 2 s: the same pages with a cookie
    # bypass its cache, so that they reach the servers too.
    cookie = {"Cookie": "probe=1"}
    load = Load([
        (f"{public}/", None),
        (f"{public}/", cookie),
        (f"{public}/api/daily_papers?date=2025-12-01", cookie),
        (f"{public}/papers/2511.22699", None),
        (f"{public}/papers/2511.22699", cookie),
        (f"{public}/api/papers/search?q=diffusion", None),
        (f"{public}/search?q=image+generation", None),
    ])
    started = time.time()
    convergence = []

    def ingest(path):
        return subprocess.run([binary, "--data-dir", os.path.join(work, "cli"), "ingest", "snapshot", path],
                              cwd=ROOT, env=cli, capture_output=True, text=True)

    def imported(path, paper_id):
        out = ingest(path)
        if out.returncode != 0:
            sys.exit(f"import of {path} failed:\n{out.stdout}\n{out.stderr}")
        committed = time.time()
        seen = set()
        while len(seen) < 3:
            for n, d in enumerate(direct):
                if n not in seen and paper_id in get(f"{d}/api/papers/search?q={paper_id}")[1]:
                    seen.add(n)
            if time.time() - committed > 10:
                sys.exit(f"{paper_id} not found by keyword search on every server within 10 s: {sorted(seen)}")
            time.sleep(0.02)
        convergence.append(time.time() - committed)

    def import_every_2s(until):
        while time.time() - started < until:
            began = time.time()
            imported(*next(small))
            time.sleep(max(0.0, 2.0 - (time.time() - began)))

    # The first half: an import every 2 s, each found on all three.
    import_every_2s(LOAD_SECS / 2)
    # Halfway: one server killed, papers imported while it is down, then
    # the server started again.
    run("scripts/cluster.sh", "kill", cluster, "2")
    killed_at = time.time()
    run(binary, "--data-dir", os.path.join(work, "cli"), "ingest", "snapshot", while_down[0], env=cli)
    time.sleep(3)
    run("scripts/cluster.sh", "restart", cluster, "2", env=env)
    restarted_in = time.time() - killed_at
    caught_up = time.time()
    wait_until(lambda: while_down[1] in get(f"{direct[1]}/api/papers/search?q={while_down[1]}")[1],
               30, "the restarted server finds the papers imported while it was down")
    catch_up = time.time() - caught_up
    # The second half: imports again, found on all three (the restarted one too).
    import_every_2s(LOAD_SECS)
    load.stop()
    conv = sorted(convergence)
    print(f"{load.count} requests through nginx in {LOAD_SECS:.0f} s, {len(load.failures)} failed; "
          f"server 2 killed and back in {restarted_in:.1f} s, caught up {catch_up:.1f} s later; "
          f"keyword convergence on 3 servers over {len(conv)} imports: "
          f"median {statistics.median(conv):.2f} s, max {conv[-1]:.2f} s")
    if load.failures:
        sys.exit(f"failed requests: {load.failures[:5]}")
    if len(conv) < 20 and LOAD_SECS >= 60:
        sys.exit(f"only {len(conv)} convergence imports in {LOAD_SECS:.0f} s")

    outage(cluster, direct, ingest, next(small))


def outage(cluster, direct, ingest, unused):
    """PostgreSQL stopped for 10 s under load: the servers answer 503 and
    say why, never crash, and recover by themselves; nothing committed
    before is lost, and an import tried meanwhile fails cleanly."""
    pids = [int(open(os.path.join(cluster, f"s{i}.pid")).read()) for i in (1, 2, 3)]
    before = [status(d) for d in direct]
    behind = [s for s in before if s["keyword_indexed"] != s["papers"]]
    if behind:
        sys.exit(f"servers not caught up before the outage: {before}")
    papers_before = [s["papers"] for s in before]
    load = Load([(f"{d}{path}", None) for d in direct for path in
                 ("/api/papers/search?q=diffusion", "/api/daily_papers?date=2025-12-01", "/")],
                allowed=(200, 503))
    time.sleep(2)
    up = load.snapshot()
    run("scripts/pg.sh", "pause", os.path.join(cluster, "pg"))
    down_at = time.time()
    time.sleep(1)
    health = [get(f"{d}/healthz") for d in direct]
    # Papers no server has seen: an import of them fails, and writes nothing.
    refused = ingest(unused[0])
    while time.time() - down_at < 10:
        time.sleep(0.1)
    during = {code: n - up.get(code, 0) for code, n in load.snapshot().items()}
    run("scripts/pg.sh", "resume", os.path.join(cluster, "pg"))
    back_at = time.time()
    wait_until(lambda: all(get(f"{d}/api/papers/search?q=diffusion")[0] == 200
                           and get(f"{d}/healthz")[0] == 200 for d in direct),
               30, "every server answers again after PostgreSQL is back")
    recovered = time.time() - back_at
    time.sleep(1)
    load.stop()
    dead = [i + 1 for i, pid in enumerate(pids) if not alive(pid)]
    print(f"PostgreSQL down 10 s under load: {load.count} requests, "
          f"{during.get(503, 0)} answered 503 and {during.get(200, 0)} 200 (cached) while it was down; "
          f"every server answered again {recovered:.1f} s after it was back")
    if dead:
        sys.exit(f"servers {dead} died during the outage")
    if load.failures:
        sys.exit(f"requests other than 200 or 503 during the outage: {load.failures[:5]}")
    if during.get(503, 0) == 0:
        sys.exit("no request answered 503 while PostgreSQL was down")
    for (code, body) in health:
        if code != 503 or "store unavailable" not in body:
            sys.exit(f"/healthz during the outage: {code} {body[:200]}")
    if refused.returncode == 0 or "cannot" not in (refused.stderr + refused.stdout):
        sys.exit(f"an import during the outage did not fail clearly: {refused.returncode} {refused.stderr[-300:]}")
    papers_after = [status(d)["papers"] for d in direct]
    if papers_after != papers_before:
        sys.exit(f"papers before the outage {papers_before}, after {papers_after}")
    for d in direct:
        if unused[1] in get(f"{d}/api/papers/search?q={unused[1]}")[1]:
            sys.exit(f"{unused[1]}, imported while PostgreSQL was down, was stored")


class Load:
    """Four threads reading the URLs (each with its headers, or None) in
    turn until stopped; a status not in `allowed` is a failure."""

    def __init__(self, urls, allowed=(200,)):
        self.urls, self.allowed = urls, allowed
        self.failures, self.statuses, self.count = [], {}, 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._read, args=(k,), daemon=True) for k in range(4)]
        for t in self._threads:
            t.start()

    def _read(self, k):
        i = k
        while not self._stop.is_set():
            url, headers = self.urls[i % len(self.urls)]
            i += 1
            code, body = get(url, headers=headers)
            with self._lock:
                self.count += 1
                self.statuses[code] = self.statuses.get(code, 0) + 1
                if code not in self.allowed:
                    self.failures.append((url, code, body[:200]))

    def snapshot(self):
        with self._lock:
            return dict(self.statuses)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join()


def status(base):
    return json.loads(get(f"{base}/api/search/status")[1])


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def wait_until(check, secs, what):
    deadline = time.time() + secs
    while not check():
        if time.time() > deadline:
            sys.exit(f"{what}: not within {secs} s")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
