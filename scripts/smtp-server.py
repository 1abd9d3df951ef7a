#!/usr/bin/env python3
"""A real SMTP server for the tests: it accepts mail on a local port, stores
every message it accepts on disk, and can be told at run time to refuse or
drop mail, so that the code sending mail is tested against real SMTP.

    .venv/bin/python scripts/smtp-server.py --port 0 --dir /tmp/mail [--host 127.0.0.1] [--verbose]

(`scripts/smtp-server.py ...` works too: without aiosmtpd on its path it
starts again with the project's .venv python.) Port 0 picks a free port. Once
listening, the server writes its port to DIR/port and runs until SIGTERM or
SIGINT. tests/mail/smtp_sink.py starts and reads it from Python tests.

What it writes in DIR:
  port            the port it listens on (written atomically)
  messages/N.eml  each accepted message, the raw bytes as received; written
                  (temporary file, then rename) before the 250 reply to DATA
  received.jsonl  one JSON line per accepted message: n, time, mail_from,
                  rcpt_tos, message_id, subject, size, file (null with
                  --no-bodies, which keeps no .eml files: benchmarks)
  refused.jsonl   one JSON line per refusal (4xx, 5xx or dropped connection):
                  time, reason, code, mail_from, recipient

Faults are injected through DIR/mode.json, read again at every MAIL, RCPT
and DATA (no file means normal):

    {"mode": "normal" | "tempfail" | "drop" | "slow",
     "permanent": ["bad@example.org", ...], "slow_seconds": 2}

  tempfail  RCPT TO gets `451 4.3.0 Try again later`; nothing is stored
  drop      the connection is closed without a reply at MAIL FROM (and at
            the end of DATA, if the mode changed in between); nothing stored
  slow      the reply to DATA waits slow_seconds
  permanent these recipients get `550 5.1.1 No such user` in every mode

Plain SMTP with HELO or EHLO, no TLS; messages up to 10 MB; SMTPUTF8 on.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from datetime import datetime, timezone
from email.parser import BytesParser
from email import policy
from pathlib import Path

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    # Run as `scripts/smtp-server.py` with a python lacking aiosmtpd: use the
    # project's virtualenv (scripts/install-test-deps.sh creates it).
    venv = Path(__file__).resolve().parents[1] / ".venv"
    venv_python = venv / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv_python), [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.stderr.write("smtp-server: aiosmtpd is not installed; run scripts/install-test-deps.sh\n")
    sys.exit(2)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MODES = ("normal", "tempfail", "drop", "slow")
REPLY_TEMPFAIL = "451 4.3.0 Try again later"
REPLY_NO_SUCH_USER = "550 5.1.1 No such user"

log = logging.getLogger("smtp-server")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_atomically(path: Path, data: bytes):
    """Writes `data` to a temporary file beside `path`, then renames it into
    place, so a reader never sees a partial file."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class FaultMode:
    """The contents of DIR/mode.json, or normal when there is none."""

    def __init__(self, mode="normal", permanent=(), slow_seconds=0.0):
        self.mode = mode
        self.permanent = {address.lower() for address in permanent}
        self.slow_seconds = slow_seconds

    @classmethod
    def load(cls, path: Path) -> "FaultMode":
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        try:
            spec = json.loads(raw) if raw.strip() else {}
            mode = spec.get("mode", "normal")
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}")
            return cls(mode, spec.get("permanent") or (), float(spec.get("slow_seconds") or 0))
        except (ValueError, AttributeError, TypeError) as e:
            log.warning("ignoring unreadable %s (%s): acting as normal", path, e)
            return cls()


class MailStore:
    """The aiosmtpd handler: applies the fault mode and stores what it accepts.

    Every method named handle_* is an SMTP hook for aiosmtpd; they all run on
    the one event loop, so the message counter needs no lock."""

    def __init__(self, directory: Path, bodies: bool = True):
        self.directory = directory
        self.bodies = bodies
        self.messages_dir = directory / "messages"
        self.messages_dir.mkdir(parents=True, exist_ok=True)
        self.mode_path = directory / "mode.json"
        self.last_number = max(
            (int(p.stem) for p in self.messages_dir.glob("*.eml") if p.stem.isdigit()), default=0
        )
        self.received_log = open(directory / "received.jsonl", "a", encoding="utf-8")
        self.refused_log = open(directory / "refused.jsonl", "a", encoding="utf-8")

    def close(self):
        self.received_log.close()
        self.refused_log.close()

    def current_mode(self) -> FaultMode:
        return FaultMode.load(self.mode_path)

    def record_refusal(self, reason, code, mail_from, recipient=None):
        line = {"time": now_iso(), "reason": reason, "code": code,
                "mail_from": mail_from, "recipient": recipient}
        self.refused_log.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.refused_log.flush()
        log.info("refused (%s %s) from %s to %s", code, reason, mail_from, recipient)

    async def drop_connection(self, server, envelope, reason):
        """Closes the client's connection without a reply. aiosmtpd cancels
        the session's task once the connection is lost, which ends the wait
        below before any reply is written."""
        self.record_refusal(reason, None, envelope.mail_from, list(envelope.rcpt_tos) or None)
        server.transport.abort()
        await asyncio.sleep(30)
        return "421 4.3.0 Connection dropped"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.current_mode().mode == "drop":
            envelope.mail_from = address
            return await self.drop_connection(server, envelope, "drop")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = self.current_mode()
        if address.lower() in mode.permanent:
            self.record_refusal("permanent", 550, envelope.mail_from, address)
            return REPLY_NO_SUCH_USER
        if mode.mode == "tempfail":
            self.record_refusal("tempfail", 451, envelope.mail_from, address)
            return REPLY_TEMPFAIL
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mode = self.current_mode()
        if mode.mode == "drop":
            return await self.drop_connection(server, envelope, "drop")
        if mode.mode == "slow" and mode.slow_seconds > 0:
            await asyncio.sleep(mode.slow_seconds)
        number = self.store(envelope)
        return f"250 2.0.0 OK queued as {number}"

    def store(self, envelope) -> int:
        content = envelope.original_content or b""
        self.last_number += 1
        number = self.last_number
        if self.bodies:
            write_atomically(self.messages_dir / f"{number}.eml", content)
        message_id, subject = header_fields(content)
        line = {
            "n": number,
            "time": now_iso(),
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": message_id,
            "subject": subject,
            "size": len(content),
            "file": f"messages/{number}.eml" if self.bodies else None,
        }
        self.received_log.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.received_log.flush()
        log.info("stored message %d from %s to %s", number, envelope.mail_from, envelope.rcpt_tos)
        return number


def header_fields(content: bytes):
    """The Message-ID and Subject of a raw message (None when absent or
    unreadable), read with the standard library's modern email policy."""
    try:
        headers = BytesParser(policy=policy.default).parsebytes(content, headersonly=True)
    except Exception:  # noqa: BLE001 - a broken message is still stored
        return None, None
    fields = []
    for name in ("Message-ID", "Subject"):
        try:
            value = headers.get(name)
            fields.append(None if value is None else str(value))
        except Exception:  # noqa: BLE001 - malformed header
            fields.append(None)
    return tuple(fields)


async def serve(host: str, port: int, directory: Path, bodies: bool):
    store = MailStore(directory, bodies)
    loop = asyncio.get_running_loop()

    def new_session():
        return SMTP(
            store,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="smtp-sink.test",
            ident="daily-papers test SMTP server",
            loop=loop,
        )

    server = await loop.create_server(new_session, host=host, port=port, backlog=1024)
    actual_port = server.sockets[0].getsockname()[1]
    port_file = directory / "port"
    write_atomically(port_file, f"{actual_port}\n".encode())
    log.info("listening on %s:%d, storing in %s", host, actual_port, directory)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        try:
            await asyncio.wait_for(server.wait_closed(), timeout=2)
        except asyncio.TimeoutError:
            pass
        store.close()
        try:
            port_file.unlink()
        except FileNotFoundError:
            pass
        log.info("stopped")


def main():
    parser = argparse.ArgumentParser(description="SMTP server for the tests (stores mail in DIR).")
    parser.add_argument("--port", type=int, required=True, help="port to listen on; 0 picks a free one")
    parser.add_argument("--dir", required=True, type=Path, help="where messages and logs are written")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--verbose", action="store_true", help="log every session and message")
    parser.add_argument("--no-bodies", action="store_true",
                        help="log each message in received.jsonl but keep no .eml files (benchmarks)")
    args = parser.parse_args()

    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="smtp-server %(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiosmtpd logs every command at INFO; keep it quiet unless asked.
    logging.getLogger("mail.log").setLevel(logging.INFO if args.verbose else logging.WARNING)

    directory = args.dir.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, directory, not args.no_bodies))


if __name__ == "__main__":
    main()
