#!/usr/bin/env python3
"""Self-test of scripts/smtp-server.py, the SMTP server the mail tests send
to: it is started in a temporary directory (through tests/mail/smtp_sink.py)
and Python's smtplib checks that it stores what it accepts, and that each
fault mode (tempfail, drop, slow, permanent addresses) does what the tests
that use it expect; last, 500 messages sent over 4 threads must all be
stored, each once.

    .venv/bin/python tests/mail/test_smtp_server.py

Every check prints PASS or FAIL; the last line reads
`smtp: N passed, N failed`, and the exit code is 1 when any failed.
"""

import smtplib
import sys
import tempfile
import threading
import time
from collections import Counter
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from checks import finish, run_check  # noqa: E402  (tests/checks.py)

import smtp_sink  # noqa: E402  (tests/mail/smtp_sink.py)

HOST = "127.0.0.1"
SENDER = "papers@example.org"
READER = "reader@example.org"
BAD = "bad@example.org"


def make_message(subject, to=READER, sender=SENDER, body="Today's papers.\n"):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="daily-papers.test")
    message.set_content(body)
    return message


class SmtpServerTest:
    def __init__(self, directory: Path):
        self.directory = directory
        self.process, self.port = smtp_sink.start(directory)

    def client(self, timeout=10):
        # local_hostname avoids smtplib's getfqdn() lookup for EHLO.
        return smtplib.SMTP(HOST, self.port, local_hostname="localhost", timeout=timeout)

    def send(self, message, recipients=None):
        with self.client() as smtp:
            return smtp.send_message(message, to_addrs=recipients)

    def stored_count(self):
        return len(smtp_sink.received(self.directory))

    def assert_nothing_stored_since(self, before):
        after = self.stored_count()
        assert after == before, f"{after - before} message(s) stored, expected none"
        files = len(list((self.directory / "messages").glob("*.eml")))
        assert files == before, f"{files} message files for {before} accepted messages"

    # ---- checks ------------------------------------------------------------

    def check_port_file(self):
        written = (self.directory / "port").read_text().strip()
        assert written == str(self.port), f"port file says {written!r}"
        with self.client() as smtp:
            code, features = smtp.ehlo()
            assert code == 250, f"EHLO answered {code}"
            assert smtp.has_extn("smtputf8"), f"no SMTPUTF8 in {features!r}"
            assert int(smtp.esmtp_features.get("size", 0)) == 10 * 1024 * 1024, smtp.esmtp_features
            code, _ = smtp.helo()
            assert code == 250, f"HELO answered {code}"

    def check_normal_delivery(self):
        message = make_message("Normal delivery")
        refused = self.send(message)
        assert refused == {}, f"refused: {refused}"
        entries = smtp_sink.received(self.directory)
        assert len(entries) == 1, f"{len(entries)} entries in received.jsonl"
        entry = entries[0]
        assert entry["n"] == 1, entry
        assert entry["message_id"] == message["Message-ID"], entry
        assert entry["subject"] == "Normal delivery", entry
        assert entry["mail_from"] == SENDER and entry["rcpt_tos"] == [READER], entry
        raw = (self.directory / "messages" / "1.eml").read_bytes()
        assert entry["size"] == len(raw), f"size {entry['size']} for a {len(raw)}-byte file"
        stored = smtp_sink.messages(self.directory)
        assert len(stored) == 1 and stored[0]["Message-ID"] == message["Message-ID"], stored
        assert "Today's papers." in stored[0].get_content()
        leftovers = [p.name for p in self.directory.rglob(".*.tmp")]
        assert not leftovers, f"temporary files left: {leftovers}"

    def check_tempfail(self):
        smtp_sink.set_mode(self.directory, "tempfail")
        before = self.stored_count()
        try:
            self.send(make_message("Tempfail"))
        except smtplib.SMTPRecipientsRefused as e:
            code, reply = e.recipients[READER]
            assert code == 451, f"RCPT answered {code} {reply!r}"
            assert b"4.3.0" in reply, reply
        else:
            raise AssertionError("the message was accepted in tempfail mode")
        self.assert_nothing_stored_since(before)
        last = smtp_sink.refused(self.directory)[-1]
        assert last["reason"] == "tempfail" and last["code"] == 451 and last["recipient"] == READER, last

    def check_drop(self):
        smtp_sink.set_mode(self.directory, "drop")
        before = self.stored_count()
        refusals = len(smtp_sink.refused(self.directory))
        smtp = self.client()
        try:
            smtp.send_message(make_message("Drop"))
        except smtplib.SMTPServerDisconnected:
            pass
        else:
            raise AssertionError("the message was accepted in drop mode")
        finally:
            smtp.close()
        self.assert_nothing_stored_since(before)
        new = smtp_sink.refused(self.directory)[refusals:]
        assert [r["reason"] for r in new] == ["drop"], new

    def check_permanent(self):
        smtp_sink.set_mode(self.directory, "normal", permanent=[BAD])
        before = self.stored_count()
        message = make_message("Permanent", to=f"{READER}, {BAD}")
        refused = self.send(message)
        assert set(refused) == {BAD}, f"refused: {refused}"
        assert refused[BAD][0] == 550 and b"5.1.1" in refused[BAD][1], refused
        entries = smtp_sink.received(self.directory)[before:]
        assert len(entries) == 1, f"{len(entries)} stored"
        assert entries[0]["rcpt_tos"] == [READER], entries[0]
        assert entries[0]["message_id"] == message["Message-ID"], entries[0]

        # In tempfail mode the permanent address still gets 550, others 451.
        smtp_sink.set_mode(self.directory, "tempfail", permanent=[BAD.upper()])
        try:
            self.send(make_message("Permanent in tempfail", to=f"{READER}, {BAD}"))
        except smtplib.SMTPRecipientsRefused as e:
            codes = {address: code for address, (code, _) in e.recipients.items()}
            assert codes == {READER: 451, BAD: 550}, codes
        else:
            raise AssertionError("accepted in tempfail mode")
        self.assert_nothing_stored_since(before + 1)

    def check_slow(self):
        smtp_sink.set_mode(self.directory, "slow", slow_seconds=1)
        before = self.stored_count()
        started = time.monotonic()
        refused = self.send(make_message("Slow"))
        took = time.monotonic() - started
        assert refused == {}, refused
        assert took >= 1.0, f"answered in {took:.2f} s"
        assert self.stored_count() == before + 1

    def check_back_to_normal(self):
        smtp_sink.set_mode(self.directory, "normal")
        before = self.stored_count()
        message = make_message("Back to normal")
        assert self.send(message) == {}
        entries = smtp_sink.received(self.directory)[before:]
        assert [e["message_id"] for e in entries] == [message["Message-ID"]], entries
        # A missing mode file is normal too.
        (self.directory / "mode.json").unlink()
        assert self.send(make_message("No mode file")) == {}
        assert self.stored_count() == before + 2

    def check_smtputf8(self):
        before = self.stored_count()
        message = make_message("Arxiv digest: Schrödinger, Ωmega ✓", to="lëser@exämple.org",
                               body="Grüße ✓\n")
        assert self.send(message) == {}
        entry = smtp_sink.received(self.directory)[before]
        assert entry["subject"] == "Arxiv digest: Schrödinger, Ωmega ✓", entry
        assert entry["rcpt_tos"] == ["lëser@exämple.org"], entry
        stored = smtp_sink.messages(self.directory)[before]
        assert stored.get_content().rstrip() == "Grüße ✓", repr(stored.get_content())

    def check_size_limit(self):
        before = self.stored_count()
        big = make_message("Nine megabytes", body=("x" * 99 + "\n") * 90_000)
        assert self.send(big) == {}
        entry = smtp_sink.received(self.directory)[before]
        assert entry["size"] > 9_000_000, entry
        too_big = make_message("Eleven megabytes", body=("x" * 99 + "\n") * 110_000)
        try:
            self.send(too_big)
        except smtplib.SMTPSenderRefused as e:
            assert e.smtp_code == 552, f"{e.smtp_code} {e.smtp_error!r}"
        else:
            raise AssertionError("an 11 MB message was accepted")
        self.assert_nothing_stored_since(before + 1)

    def check_many_messages(self):
        smtp_sink.set_mode(self.directory, "normal")
        before = self.stored_count()
        threads_count, per_thread = 4, 125
        sent_ids = [[] for _ in range(threads_count)]
        errors = []

        def sender(index):
            try:
                for i in range(per_thread):
                    message = make_message(f"Load {index}-{i}")
                    # Half the messages on a fresh connection each, half on
                    # one connection kept open.
                    if i % 2 == 0:
                        assert self.send(message) == {}
                    else:
                        if i == 1:
                            shared = self.client()
                        assert shared.send_message(message) == {}
                    sent_ids[index].append(message["Message-ID"])
                shared.quit()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"thread {index}: {type(e).__name__}: {e}")

        started = time.monotonic()
        threads = [threading.Thread(target=sender, args=(i,)) for i in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        took = time.monotonic() - started
        assert not errors, errors[:3]
        sent = [mid for ids in sent_ids for mid in ids]
        assert len(sent) == threads_count * per_thread, f"{len(sent)} sent"
        entries = smtp_sink.received(self.directory)[before:]
        stored = Counter(e["message_id"] for e in entries)
        missing = set(sent) - set(stored)
        duplicated = [mid for mid, count in stored.items() if count > 1]
        assert not missing, f"{len(missing)} not stored"
        assert not duplicated, f"{len(duplicated)} stored more than once"
        assert len(entries) == len(sent), f"{len(entries)} stored for {len(sent)} sent"
        numbers = [e["n"] for e in smtp_sink.received(self.directory)]
        assert numbers == list(range(1, len(numbers) + 1)), "message numbers not 1..N in order"
        files = len(list((self.directory / "messages").glob("*.eml")))
        assert files == len(numbers), f"{files} files for {len(numbers)} messages"
        print(f"     {len(sent)} messages in {took:.2f} s")

    def check_stops_on_sigterm(self):
        smtp_sink.stop(self.process)
        assert self.process.returncode == 0, f"exit code {self.process.returncode}"
        assert not (self.directory / "port").exists(), "port file left after stopping"


def main():
    with tempfile.TemporaryDirectory(prefix="smtp-test-") as tmp:
        directory = Path(tmp)
        test = SmtpServerTest(directory)
        try:
            run_check("port file, EHLO and HELO", test.check_port_file)
            run_check("normal message stored with its Message-ID", test.check_normal_delivery)
            run_check("tempfail gives 451 and stores nothing", test.check_tempfail)
            run_check("drop disconnects and stores nothing", test.check_drop)
            run_check("permanent address gets 550, others delivered", test.check_permanent)
            run_check("slow delays the DATA reply", test.check_slow)
            run_check("back to normal delivers again", test.check_back_to_normal)
            run_check("SMTPUTF8 message", test.check_smtputf8)
            run_check("10 MB size limit", test.check_size_limit)
            run_check("500 messages over 4 threads, each stored once", test.check_many_messages)
            run_check("stops on SIGTERM", test.check_stops_on_sigterm)
        finally:
            smtp_sink.stop(test.process)
            log = (directory / "server.log").read_text(errors="replace").strip()
            if log:
                print("server.log:")
                print("\n".join(f"     {line}" for line in log.splitlines()[-20:]))
    return finish("smtp")


if __name__ == "__main__":
    sys.exit(main())
