"""The check runner the Python test scripts share: each check prints PASS or
FAIL with why, and `finish(name)` prints the line scripts/run-server-tests.sh
counts, `NAME: N passed, N failed`, and gives the exit code.

A script imports it with tests/ on its path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from checks import RESULTS, record, run_check, finish
"""

import os
import sys
import traceback

RESULTS = {"passed": 0, "failed": 0}


def server_url() -> str:
    """The server under test: DAILYPAPERS_URL without a trailing slash (the
    script stops, exit 2, when it is not set)."""
    url = (os.environ.get("DAILYPAPERS_URL") or "").rstrip("/")
    if not url:
        sys.stderr.write("set DAILYPAPERS_URL to the server's base URL, e.g. http://127.0.0.1:8080\n")
        sys.exit(2)
    return url


def record(ok: bool, name: str, why: str = ""):
    """Counts one check and prints its line."""
    RESULTS["passed" if ok else "failed"] += 1
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + why if why else ''}")
    sys.stdout.flush()


def run_check(name, fn, width=600):
    """Runs `fn`; any exception fails the check (its message cut to `width`
    characters, and the last lines of its traceback). True when it passed."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        record(False, name, f"{type(e).__name__}: {str(e).strip()[:width]}")
        for line in traceback.format_exc().strip().splitlines()[-4:]:
            print(f"     {line}")
        return False
    record(True, name)
    return True


def finish(name: str) -> int:
    """Prints `name: N passed, N failed`; the exit code: 1 when any failed."""
    passed, failed = RESULTS["passed"], RESULTS["failed"]
    print(f"{name}: {passed} passed, {failed} failed")
    return 1 if failed else 0
