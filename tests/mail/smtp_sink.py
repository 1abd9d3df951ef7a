"""Helpers for tests that send mail: start scripts/smtp-server.py (a real SMTP
server that stores what it accepts), switch its fault mode, and read what it
received. A test imports it with tests/mail/ on its path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mail"))
    import smtp_sink

    process, port = smtp_sink.start(tmp_dir)
    ...                                   # send mail to 127.0.0.1:port
    smtp_sink.set_mode(tmp_dir, "tempfail")
    smtp_sink.received(tmp_dir)           # one dict per accepted message
    smtp_sink.stop(process)

tests/mail/test_smtp_server.py is its self-test:
`.venv/bin/python tests/mail/test_smtp_server.py`.
"""

import email
import json
import os
import subprocess
import sys
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / "scripts" / "smtp-server.py"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
START_TIMEOUT = 10.0


def _python() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def _write_atomically(path: Path, text: str):
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _read_jsonl(path: Path) -> list:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    # Every line is written whole and ends with a newline; a line without
    # one is still being written.
    lines = text.split("\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


def start(directory, host="127.0.0.1", verbose=False):
    """Starts the SMTP server storing into `directory` on a free port and
    waits (up to 10 s) until it listens. Returns (process, port). Its stderr
    goes to DIRECTORY/server.log."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    port_file = directory / "port"
    port_file.unlink(missing_ok=True)
    command = [_python(), str(SERVER_SCRIPT), "--port", "0", "--dir", str(directory), "--host", host]
    if verbose:
        command.append("--verbose")
    with open(directory / "server.log", "ab") as log_file:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if port_file.exists():
            return process, int(port_file.read_text().strip())
        if process.poll() is not None:
            break
        time.sleep(0.02)
    stop(process)
    log_tail = (directory / "server.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"SMTP server did not start (exit {process.returncode}): {log_tail}")


def set_mode(directory, mode, permanent=(), slow_seconds=0):
    """Sets the fault mode ("normal", "tempfail", "drop" or "slow"), the
    addresses refused permanently, and the delay of the slow mode. Applies
    from the server's next MAIL, RCPT or DATA."""
    spec = {"mode": mode, "permanent": list(permanent), "slow_seconds": slow_seconds}
    _write_atomically(Path(directory) / "mode.json", json.dumps(spec))


def received(directory) -> list:
    """The accepted messages, one dict each (n, time, mail_from, rcpt_tos,
    message_id, subject, size, file), in the order they were accepted."""
    return _read_jsonl(Path(directory) / "received.jsonl")


def refused(directory) -> list:
    """The refusals, one dict each (time, reason, code, mail_from, recipient)."""
    return _read_jsonl(Path(directory) / "refused.jsonl")


def messages(directory) -> list:
    """The stored messages in the order they were accepted, each parsed as an
    email.message.EmailMessage (policy email.policy.default)."""
    stored = [p for p in (Path(directory) / "messages").glob("*.eml") if p.stem.isdigit()]
    result = []
    for path in sorted(stored, key=lambda p: int(p.stem)):
        message: EmailMessage = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        result.append(message)
    return result


def wait_received(directory, count, timeout=10.0) -> list:
    """Waits until at least `count` messages were accepted (for code that
    sends in the background); returns received(directory). Raises
    TimeoutError when they do not all arrive in time."""
    deadline = time.monotonic() + timeout
    while True:
        got = received(directory)
        if len(got) >= count:
            return got
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{len(got)} of {count} messages received after {timeout} s")
        time.sleep(0.05)


def stop(process):
    """Stops the server (SIGTERM, then SIGKILL after 5 s)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
