#!/usr/bin/env python3
"""Stored XSS in a real browser: every payload of fixtures/xss/payloads.txt is
stored through the running server's API in every place that shows what
members write (the "sinks" below), the pages that show them are loaded in
headless Chromium, and nothing a payload could do may happen there.

    DAILYPAPERS_URL=http://127.0.0.1:8080 .venv/bin/python tests/e2e/test_xss_browser.py

The server must hold the sample data set (scripts/run-server-tests.sh starts
it and runs this test after the others). The test leaves the comments it made
deleted. Every check prints PASS or FAIL; the last line reads
`xss: N passed, N failed`, and the exit code is non-zero when any failed.

What would show that a payload ran. Before any script of a page runs, in
every frame (CDP `Page.addScriptToEvaluateOnNewDocument`):
  - `alert`, `confirm`, `prompt` and `print` are replaced by recorders;
  - `fetch`, `XMLHttpRequest` and `navigator.sendBeacon` record a request to
    the marker path `/xss-marker/`, and `window.open` records any call;
  - the global marker `window.__xss`, which payloads set, records when set;
  - a Content-Security-Policy violation records (the site's policy would
    block an inline script or handler that got through: blocked, but the
    sanitiser failed all the same);
  - leaving the page records.
Each record is also written to the console with a token of this run, so it
outlives a navigation. Besides those: the console log is read for CSP
reports, the network log for any request to the marker path and for any
document other than the page loaded, and the page must still be the one
loaded at the end. Handlers that wait for a reader (mouseover, focus, …) are
fired by dispatching those events on everything inside each sink, and the
browser's own parse of each sink must hold no element that runs or loads
something, no `on…` attribute and no javascript:, data: or vbscript: URL.

The detector is proven first: the same payloads, not sanitised and without
a CSP, each in its own frame of a file:// page this test writes, must be
caught by every one of those means (and a frame with the site's CSP must be
reported by the CSP means).

Adding a sink: write a function that stores every payload through the API
and returns a `Shown` for each place a stored item appears (the page, who
looks at it, a CSS selector, the exact text a reader should see when it is
plain text), and append `Sink(name, function)` to SINKS.
"""

import html
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlparse

import chromium  # tests/e2e/chromium.py
from selenium import webdriver

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from checks import finish, run_check, server_url  # noqa: E402  (tests/checks.py)

ROOT = Path(__file__).resolve().parents[2]
BASE = server_url()
SERVER = urlparse(BASE)
# How long a loaded page is watched for late actions (timers, failed loads).
SETTLE = float(os.environ.get("XSS_SETTLE_SECONDS", "1.5"))
MARK = "/xss-marker/"
TOKEN = "xss-%08x" % random.getrandbits(32)
PASSWORD = "a long and quiet passphrase"

PAYLOADS = [
    line
    for line in (ROOT / "fixtures" / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
# The Markdown contexts every payload is stored in as a comment (as in
# crates/web/tests/xss.rs).
CONTEXTS = [
    ("plain", "{}"),
    ("quote", "> {}"),
    ("list", "- {}"),
    ("table", "| a |\n|---|\n| {} |"),
]


def pick_paper() -> str:
    """A paper of the latest sample day that the other tests do not count comments on."""
    days = sorted((ROOT / "fixtures" / "hf-daily-papers").glob("*.json"))
    ids = [w["paper"]["id"] for w in json.loads(days[-1].read_text(encoding="utf-8"))]
    return [i for i in ids if i not in ("2511.22699", "2511.22055")][-1]


PAPER = pick_paper()

# --- members, through the API -------------------------------------------------
class ApiError(Exception):
    pass


class Member:
    """A member signed up through the API, from a loopback address of its own
    (sign-ups are limited per client address, and 127.0.0.0/8 is all this
    machine), holding its session cookie and CSRF token."""

    def __init__(self, username: str, display_name: Optional[str], source: str):
        self.username = username
        self.display_name = display_name
        self.source = source
        self.cookie = None
        self.csrf = None
        body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
        if display_name is not None:
            body["displayName"] = display_name
        me = self.call("POST", "/api/auth/signup", body)
        self.csrf = me["csrfToken"]
        # What the page shows: the name as the domain keeps it.
        self.shown_name = me["member"]["displayName"] or username

    def call(self, method: str, path: str, body=None):
        conn = http.client.HTTPConnection(SERVER.hostname, SERVER.port, timeout=30,
                                          source_address=(self.source, 0))
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.cookie:
            headers["Cookie"] = f"dp_session={self.cookie}"
        if self.csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        try:
            conn.request(method, path, body=data, headers=headers)
            res = conn.getresponse()
            text = res.read().decode("utf-8", "replace")
            for name, value in res.getheaders():
                if name.lower() == "set-cookie" and value.startswith("dp_session="):
                    self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        finally:
            conn.close()
        if res.status // 100 != 2:
            raise ApiError(f"{method} {path} as {self.username}: {res.status} {text[:300]}")
        return json.loads(text) if text else None


class Context:
    """What the sinks share: the payloads, the paper, members made on demand,
    and what to undo at the end."""

    def __init__(self):
        self.payloads = PAYLOADS
        self.paper = PAPER
        self.run = "%04x" % random.getrandbits(16)
        self.cleanup: list[Callable[[], None]] = []
        self._made = 0
        # A second octet of this run's own, so a rerun against the same
        # server within the hour is not refused by the sign-up limit.
        self._net = random.randrange(2, 250)

    def member(self, display_name: Optional[str] = None) -> Member:
        """A new member; its display name is `display_name` as the domain
        keeps it (controls removed, trimmed, at most 100 characters)."""
        n = self._made
        self._made += 1
        if display_name is not None:
            kept = "".join(c for c in display_name if unicodedata.category(c) != "Cc").strip()
            display_name = kept[:100] or None
        source = f"127.{self._net}.{n // 200}.{n % 200 + 1}"
        return Member(f"xss{self.run}n{n}", display_name, source)


@dataclass
class Shown:
    """One stored item where a reader sees it."""

    path: str  # the page
    viewer: Optional[Member]  # who looks (None: nobody signed in)
    css: str  # the element that holds it
    text: Optional[str] = None  # what a reader must see there, when it is plain text
    value: bool = False  # the text is the element's value (a form field), not its text


@dataclass
class Sink:
    name: str
    store: Callable[[Context], list]  # stores every payload; returns the Shown items


# --- the sinks -----------------------------------------------------------------
def comments_and_display_names(ctx: Context) -> list:
    """Each payload is a member's display name, and that member comments it in
    every Markdown context; the paper page shows the comments and the names."""
    shown = []
    for payload in ctx.payloads:
        m = ctx.member(display_name=payload)
        for _, form in CONTEXTS:
            c = m.call("POST", f"/api/papers/{ctx.paper}/comments", {"body": form.format(payload)})
            ctx.cleanup.append(lambda m=m, i=c["id"]: m.call("DELETE", f"/api/comments/{i}"))
            shown.append(Shown(f"/papers/{ctx.paper}", None, f"#comment-{c['id']} div.comment-body"))
            shown.append(Shown(f"/papers/{ctx.paper}", None, f"#comment-{c['id']} .comment-meta strong",
                               text=m.shown_name))
    return shown


def comment_source_in_edit_form(ctx: Context) -> list:
    """A comment's Markdown, as its author sees it in the edit form: one
    member writes every payload (as few comments as the length limit allows)."""
    m = ctx.member()
    shown, chunk = [], []

    def flush():
        body = "\n\n".join(chunk)
        c = m.call("POST", f"/api/papers/{ctx.paper}/comments", {"body": body})
        ctx.cleanup.append(lambda i=c["id"]: m.call("DELETE", f"/api/comments/{i}"))
        shown.append(Shown(f"/comments/{c['id']}/edit", m, "form[action$='/edit'] textarea",
                           text=body, value=True))
        chunk.clear()

    for payload in ctx.payloads:
        if sum(len(p) + 2 for p in chunk) + len(payload) > 9_000:
            flush()
        chunk.append(payload)
    flush()
    return shown


def collection_titles_descriptions_and_notes(ctx: Context) -> list:
    """Each payload is the title and the description of a public collection of
    one member (their list of collections shows both), and the note on one
    paper of one more collection (its page shows every note); cut to the
    limits (title and description 150 characters, note 500)."""
    m = ctx.member()
    shown = []
    made = []
    for i, payload in enumerate(ctx.payloads):
        c = m.call("POST", "/api/collections", {
            "title": f"{i:03} {payload}"[:150], "namespace": m.username,
            "description": payload[:150] or "-", "private": False})
        made.append(c["slug"])
        link = f"a.collection-link[href='/collections/{c['slug']}']"
        shown.append(Shown("/collections", m, link, text=c["title"]))
        if c.get("description"):
            shown.append(Shown("/collections", m, f"{link} ~ p.collection-description",
                               text=c["description"]))
    papers = []
    page = 0
    while len(papers) < len(ctx.payloads):
        batch = m.call("GET", f"/api/daily_papers?limit=100&p={page}")
        if not batch:
            break
        papers += [w["paper"]["id"] for w in batch]
        page += 1
    notes = m.call("POST", "/api/collections", {
        "title": "Notes", "namespace": m.username, "private": False})
    made.append(notes["slug"])
    for payload, paper in zip(ctx.payloads, papers):
        c = m.call("POST", f"/api/collections/{notes['slug']}/items",
                   {"item": {"id": paper, "type": "paper"}, "note": payload[:500]})
        item = next(i for i in c["items"] if i["id"] == paper)
        shown.append(Shown(f"/collections/{notes['slug']}", None,
                           f"#item-{item['_id']} p.item-note", text=item["note"]["text"]))
    for slug in made:
        ctx.cleanup.append(lambda s=slug: m.call("DELETE", f"/api/collections/{s}"))
    return shown


SINKS = [
    Sink("comments in four Markdown contexts, and their authors' display names", comments_and_display_names),
    Sink("a comment's Markdown in its author's edit form", comment_source_in_edit_form),
    Sink("collection titles and descriptions, and notes on papers", collection_titles_descriptions_and_notes),
]

# --- the detector ----------------------------------------------------------------
DETECTOR = r"""
(() => {
  const TOKEN = %(token)s, MARK = %(mark)s;
  // The test checks that this page has the detector.
  Object.defineProperty(window, "__xssDetector", {value: TOKEN});
  const where = () => {
    const names = [];
    try { for (let w = window; w !== w.parent; w = w.parent) names.push(w.name || "?"); } catch (e) {}
    return (names.reverse().join("/") || "top") + " " + String(location.href).slice(0, 80);
  };
  const say = (kind, detail) => {
    let text = "";
    try { text = String(detail).slice(0, 200); } catch (e) {}
    const entry = kind + " | " + text + " | " + where();
    try { (window.__xssHits = window.__xssHits || []).push(entry); } catch (e) {}
    try { console.warn(TOKEN + " " + entry); } catch (e) {}
  };
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    const recorder = function (...args) {
      say(name, args.length ? args[0] : "");
      return name === "confirm" ? false : name === "prompt" ? null : undefined;
    };
    try { Object.defineProperty(window, name, {value: recorder, writable: false, configurable: false}); }
    catch (e) { window[name] = recorder; }
  }
  const marked = (u) => { try { return String(u && u.url ? u.url : u).includes(MARK); } catch (e) { return false; } };
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    if (marked(input)) say("fetch", input && input.url ? input.url : input);
    return fetch0.apply(this, arguments);
  };
  const open0 = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    if (marked(url)) say("xhr", url);
    return open0.apply(this, arguments);
  };
  if (navigator.sendBeacon) {
    const beacon0 = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = function (url, data) {
      if (marked(url)) say("beacon", url);
      return beacon0(url, data);
    };
  }
  // Recorded, not opened: a new window would hold up the page's load.
  window.open = function (url) { say("window.open", url); return null; };
  try {
    Object.defineProperty(window, "__xss", {
      configurable: false, get() { return undefined; }, set(v) { say("marker", v); },
    });
  } catch (e) {}
  document.addEventListener("securitypolicyviolation", (e) => {
    say("csp", e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
  }, true);
  window.addEventListener("beforeunload", () => {
    // The test marks the pages it leaves itself (frames ask the top page).
    let leaving = window.__xssTestLeaves;
    try { leaving = leaving || window.top.__xssTestLeaves; } catch (e) {}
    if (!leaving) say("navigation", "the page is being left");
  });
})();
""" % {"token": json.dumps(TOKEN), "mark": json.dumps(MARK)}

# Fires the handlers that wait for a reader, on every element inside the
# elements `arguments[0]` selects (none of the page's own: no clicks, no
# submits); returns how many elements were reached.
FIRE_EVENTS = r"""
const types = ["mouseover", "mouseenter", "mousemove", "mouseout", "pointerover", "pointerenter",
  "focus", "focusin", "blur", "load", "error", "animationstart", "animationend", "transitionend",
  "toggle", "beforetoggle", "scroll", "wheel", "copy", "input", "change"];
let n = 0;
const fire = (doc, sel) => {
  for (const root of doc.querySelectorAll(sel)) {
    for (const el of [root, ...root.querySelectorAll("*")]) {
      for (const t of types) {
        try { el.dispatchEvent(new Event(t)); } catch (e) {}
      }
      n++;
    }
  }
};
fire(document, arguments[0]);
for (const f of document.querySelectorAll("iframe")) {
  try { if (f.contentDocument) fire(f.contentDocument, "body"); } catch (e) {}
}
return n;
"""

# The browser's own parse of the elements `arguments[0]` selects: anything
# inside them that runs or loads something.
ACTIVE_MARKUP = r"""
const tags = new Set(["script", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
  "input", "button", "textarea", "select", "style", "link", "meta", "base", "svg", "math", "img",
  "image", "video", "audio", "source", "track", "picture", "template", "details", "marquee",
  "noscript", "isindex", "portal", "use", "animate", "set"]);
const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "background", "poster",
  "data", "srcset", "ping", "lowsrc", "dynsrc", "codebase"];
const out = [];
for (const root of document.querySelectorAll(arguments[0])) {
  for (const el of root.querySelectorAll("*")) {
    const tag = el.localName.toLowerCase();
    const why = [];
    if (tags.has(tag)) why.push("<" + tag + ">");
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on") || ["style", "srcdoc", "formaction"].includes(name)) why.push(name + "=");
      if (urlAttrs.includes(name)) {
        let scheme = "";
        try { scheme = new URL(a.value, document.baseURI).protocol; } catch (e) {}
        if (["javascript:", "data:", "vbscript:"].includes(scheme)) why.push(name + "=" + scheme);
      }
    }
    if (why.length) out.push(why.join(" ") + " in " + el.outerHTML.slice(0, 160));
  }
}
return out;
"""


def make_driver(profile_dir: str) -> webdriver.Chrome:
    # Payloads name other hosts: none of them is looked up or reached.
    rules = f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {SERVER.hostname}"
    driver = chromium.start(profile_dir, extra=(rules,), logs={"browser": "ALL", "performance": "ALL"})
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DETECTOR})
    return driver


class Watch:
    """Loads one page and collects every sign that something on it ran."""

    def __init__(self, driver):
        self.driver = driver

    def drain(self):
        for kind in ("browser", "performance"):
            self.driver.get_log(kind)

    def load(self, url: str, roots: str):
        d = self.driver
        try:
            d.execute_script("window.__xssTestLeaves = true")
        except Exception:  # noqa: BLE001 - no page yet
            pass
        # The previous page is left first, and what its frames said while
        # going is dropped: a frame of another origin (a data: URL in the
        # control page) cannot see that the test is the one leaving.
        d.get("about:blank")
        d.execute_script("window.__xssTestLeaves = true")
        self.drain()
        d.get(url)
        if d.execute_script("return window.__xssDetector") != TOKEN:
            raise AssertionError(f"the detector is not in place on {url}")
        sentinel = "%08x" % random.getrandbits(32)
        d.execute_script("window.__xssSentinel = arguments[0]", sentinel)
        self.fired = d.execute_script(FIRE_EVENTS, roots)
        time.sleep(SETTLE)
        signs = []
        for entry in d.get_log("browser"):
            msg = entry.get("message", "")
            if TOKEN in msg:
                signs.append(msg.split(TOKEN, 1)[1].strip().rstrip('"'))
            elif "Content Security Policy" in msg or "Content-Security-Policy" in msg:
                signs.append("csp-console | " + msg[:300])
        for entry in d.get_log("performance"):
            m = json.loads(entry["message"])["message"]
            if m.get("method") != "Network.requestWillBeSent":
                continue
            req_url = m["params"]["request"]["url"]
            if MARK in req_url:
                signs.append(f"request | {m['params'].get('type')} {req_url}")
            elif m["params"].get("type") == "Document" and req_url.split("#")[0] != url:
                signs.append(f"document | {req_url}")
        try:
            still = d.execute_script("return window.__xssSentinel") == sentinel
        except Exception:  # noqa: BLE001 - a page that went away
            still = False
        if not still or d.current_url.split("#")[0] != url:
            signs.append(f"navigation | the page is now {d.current_url}")
        self.signs = signs
        return signs


# --- the proof that the detector sees what a payload does ---------------------------
# The site's own policy, from crates/web/src/routes.rs.
SITE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'")
CONTROL_CSP_PAYLOADS = ["<img src=x onerror=\"window.__xss='csp'\">", "<script>alert('csp')</script>"]
# Unsanitised payloads that act without a reader, each caught in a frame of
# its own (101 of the 233 with Debian's Chromium 156; the rest need a click,
# are Markdown, or are refused by the browser itself).
MIN_CAUGHT = 80
# Every means of seeing, and the kind of sign each one gives.
CHANNELS = {
    "alert": "alert", "confirm": "confirm", "prompt": "prompt", "print": "print",
    "fetch": "fetch", "xhr": "xhr", "beacon": "beacon", "window.open": "window.open", "global marker": "marker",
    "leaving the page": "navigation", "a load of the marker path": "request",
    "a CSP violation event": "csp", "a CSP report in the console": "csp-console",
}


def control_page(directory: Path) -> Path:
    frames = [
        f'<iframe name="p{i}" srcdoc="{html.escape(p, quote=True)}"></iframe>' for i, p in enumerate(PAYLOADS)
    ]
    csp = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(SITE_CSP, quote=True)}">'
    frames.append(f'<iframe name="csp" srcdoc="{html.escape(csp + "".join(CONTROL_CSP_PAYLOADS), quote=True)}">'
                  "</iframe>")
    page = directory / "unsanitised.html"
    page.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><base href="{BASE}/"><title>control</title></head>'
        f"<body>{''.join(frames)}</body></html>",
        encoding="utf-8",
    )
    return page


def main():
    profile = tempfile.mkdtemp(prefix="chromium-xss-")
    scratch = Path(tempfile.mkdtemp(prefix="xss-control-"))
    ctx = Context()
    driver = None
    state = {}
    try:
        if not run_check("start headless Chromium with the detector in every frame",
                         lambda: state.update(driver=make_driver(str(profile)))):
            return
        driver = state["driver"]
        watch = Watch(driver)

        # ---------------------------------------------------------------- control
        def detector_catches_unsanitised_payloads():
            page = control_page(scratch)
            signs = watch.load(page.as_uri(), "body")
            kinds = {s.split(" |", 1)[0] for s in signs}
            missing = [name for name, kind in CHANNELS.items() if kind not in kinds]
            frames = {s.rsplit("| ", 1)[-1].split("/")[0].split(" ")[0] for s in signs}
            ran = sorted(f for f in frames if f.startswith("p"))
            print(f"     unsanitised, no CSP: {len(signs)} signs from {len(ran)} of {len(PAYLOADS)} payloads;"
                  f" means: {sorted(kinds)}")
            if missing:
                raise AssertionError(f"the detector missed these means on the unsanitised page: {missing}")
            if len(ran) < MIN_CAUGHT:
                raise AssertionError(f"only {len(ran)} of {len(PAYLOADS)} unsanitised payloads were caught"
                                     f" (at least {MIN_CAUGHT} run on their own in Chromium): {ran}")

        if not run_check("the detector catches unsanitised payloads by every means (file:// page, no CSP)",
                         detector_catches_unsanitised_payloads):
            return

        # ---------------------------------------------------------------- store
        shown = []
        for sink in SINKS:
            t0 = time.time()

            def store(sink=sink):
                items = sink.store(ctx)
                if not items:
                    raise AssertionError("nothing stored")
                shown.extend(items)
                print(f"     {len(items)} items shown, stored in {time.time() - t0:.1f} s")

            run_check(f"store every payload through the API: {sink.name}", store)

        # ---------------------------------------------------------------- pages
        pages = {}
        for s in shown:
            pages.setdefault((s.path, s.viewer.username if s.viewer else None), []).append(s)
        for (path, who), items in pages.items():
            viewer = items[0].viewer
            label = f"{path} as {'@' + who if who else 'a visitor'}"

            def check_page(path=path, viewer=viewer, items=items, label=label):
                driver.delete_all_cookies()
                if viewer is not None:
                    driver.get(BASE + "/static/style.css")
                    driver.add_cookie({"name": "dp_session", "value": viewer.cookie, "path": "/"})
                roots = ", ".join(s.css for s in items)
                t0 = time.time()
                signs = watch.load(BASE + path, roots)
                found = driver.execute_script(
                    """
                    return arguments[0].map(([css, value]) => {
                      const el = document.querySelector(css);
                      return el === null ? null : (value ? el.value : el.textContent);
                    });
                    """,
                    [[s.css, s.value] for s in items],
                )
                missing = [s.css for s, f in zip(items, found) if f is None]
                wrong = [(s.css, s.text, f) for s, f in zip(items, found)
                         if f is not None and s.text is not None and f.strip() != s.text.strip()]
                active = driver.execute_script(ACTIVE_MARKUP, roots)
                print(f"     {label}: {len(items)} stored items, events fired on {watch.fired} elements,"
                      f" {time.time() - t0:.1f} s")
                problems = []
                if signs:
                    problems.append(f"{len(signs)} signs of a payload acting: {signs[:8]}")
                if missing:
                    problems.append(f"{len(missing)} stored items are not on the page: {missing[:5]}")
                if wrong:
                    problems.append(f"{len(wrong)} items do not read as written: {wrong[:3]}")
                if active:
                    problems.append(f"{len(active)} active elements or attributes: {active[:5]}")
                if problems:
                    raise AssertionError("; ".join(problems))

            run_check(f"no payload acts on {label}", check_page, width=2000)
    finally:
        t0 = time.time()
        undone = 0
        for undo in ctx.cleanup:
            try:
                undo()
                undone += 1
            except Exception as e:  # noqa: BLE001 - report, keep undoing
                print(f"     cleanup: {e}")
        if ctx.cleanup:
            print(f"     deleted the {undone} comments made ({time.time() - t0:.1f} s)")
        if driver is not None:
            try:
                driver.execute_script("window.__xssTestLeaves = true")
            except Exception:  # noqa: BLE001
                pass
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"     {time.time() - started:.1f} s in all")
    sys.exit(finish("xss"))
