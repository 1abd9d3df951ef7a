"""Three servers on one PostgreSQL behind nginx (scripts/cluster.sh): a read
load through nginx (feed, paper pages, search) while papers are imported
through the CLI; one server is killed with SIGKILL halfway and started again.

Checks that the client saw no failed request, that the restarted server
catches up and finds the new papers, and that a paper imported through the
CLI is found by keyword search on every server within 10 s (the median and
the slowest are printed).

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


def get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
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
    env = dict(os.environ, DAILYPAPERS_SCHEDULE="false", DAILYPAPERS_EMBED="false",
               DAILYPAPERS_LOG="info,sqlx=warn")
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

    # Papers made up for the imports during the load: new to the store.
    snapshot = os.path.join(work, "new.jsonl")
    run(binary, "bench", "gen-snapshot", "450", snapshot, "--seed", "11")
    lines = open(snapshot).read().splitlines()
    halves = [lines[:200], lines[200:400], lines[400:]]
    files = []
    for i, half in enumerate(halves):
        path = os.path.join(work, f"new-{i}.jsonl")
        open(path, "w").write("\n".join(half) + "\n")
        files.append((path, json.loads(half[0])["id"]))

    wait_until(lambda: all(get(f"{d}/api/papers/search?q=transformer")[0] == 200 for d in direct),
               30, "every server answers a search")
    urls = [
        f"{public}/",
        f"{public}/api/daily_papers?date=2025-12-01",
        f"{public}/papers/2511.22699",
        f"{public}/api/papers/search?q=diffusion",
        f"{public}/search?q=image+generation",
    ]
    failures = []
    counts = [0]
    stop = threading.Event()

    def reader(k):
        i = k
        while not stop.is_set():
            url = urls[i % len(urls)]
            i += 1
            status, body = get(url)
            counts[0] += 1
            if status != 200:
                failures.append((url, status, body[:200]))

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    started = time.time()
    convergence = []

    def imported(path, paper_id):
        run(binary, "--data-dir", os.path.join(work, "cli"), "ingest", "snapshot", path, env=cli)
        committed = time.time()
        seen = set()
        while len(seen) < 3:
            for n, d in enumerate(direct):
                if n not in seen and paper_id in get(f"{d}/api/papers/search?q={paper_id}")[1]:
                    seen.add(n)
            if time.time() - committed > 10:
                sys.exit(f"{paper_id} not found by keyword search on every server within 10 s: {sorted(seen)}")
            time.sleep(0.05)
        convergence.append(time.time() - committed)

    time.sleep(LOAD_SECS / 4)
    imported(*files[0])
    # Halfway: one server killed, papers imported while it is down, then
    # the server started again.
    while time.time() - started < LOAD_SECS / 2:
        time.sleep(0.1)
    run("scripts/cluster.sh", "kill", cluster, "2")
    killed_at = time.time()
    run(binary, "--data-dir", os.path.join(work, "cli"), "ingest", "snapshot", files[1][0], env=cli)
    time.sleep(3)
    run("scripts/cluster.sh", "restart", cluster, "2", env=env)
    restarted_in = time.time() - killed_at
    caught_up = time.time()
    wait_until(lambda: files[1][1] in get(f"{direct[1]}/api/papers/search?q={files[1][1]}")[1],
               30, "the restarted server finds the papers imported while it was down")
    catch_up = time.time() - caught_up
    while time.time() - started < LOAD_SECS:
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    # A further import after the restart: found on all three within 10 s.
    imported(*files[2])

    print(f"{counts[0]} requests through nginx in {LOAD_SECS:.0f} s, {len(failures)} failed; "
          f"server 2 killed and back in {restarted_in:.1f} s, caught up {catch_up:.1f} s later; "
          f"keyword convergence on 3 servers: median {statistics.median(convergence):.2f} s, "
          f"max {max(convergence):.2f} s")
    if failures:
        sys.exit(f"failed requests: {failures[:5]}")


def wait_until(check, secs, what):
    deadline = time.time() + secs
    while not check():
        if time.time() > deadline:
            sys.exit(f"{what}: not within {secs} s")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
