#!/usr/bin/env python3
"""Every page's feeds read by real feed parsers from PyPI: feedparser for
Atom and RSS, atoma for JSON Feed (no released feedparser reads JSON Feed).

The server must be running with the sample data (scripts/run-server-tests.sh
starts it). For each page that lists papers — the latest day, one day, the
latest week and month, trending, a search, an organisation, and a public
collection made here through the API — the feeds its `<link rel="alternate">`
tags name are fetched and parsed: no parse error, the format the media type
says, and the page's papers in the page's order, each with an id, a title,
a date and an absolute link; then the same request with the ETag is a 304.

    DAILYPAPERS_URL=http://127.0.0.1:8080 .venv/bin/python tests/interop/test_feeds.py

The last line reads `feeds: N passed, N failed`.
"""

import http.client
import json
import random
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import atoma
import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from checks import finish, run_check, server_url  # noqa: E402  (tests/checks.py)

BASE = server_url()
SERVER = urlparse(BASE)
VERSIONS = {
    "application/atom+xml": "atom10",
    "application/rss+xml": "rss20",
    "application/feed+json": "https://jsonfeed.org/version/1.1",
}


def entries(media, href, body, content_type):
    """(id, title, dated, link) of each entry, as the format's parser reads
    them; fails on any parse error or a version other than the type's."""
    if media == "application/feed+json":
        feed = atoma.parse_json_feed_bytes(body)
        assert feed.version == VERSIONS[media], f"{href}: version {feed.version!r}"
        assert feed.title, f"{href}: no title"
        return [(i.id_, i.title, i.date_published is not None, i.url) for i in feed.items]
    parsed = feedparser.parse(body, response_headers={"content-type": content_type})
    assert not parsed.bozo, f"{href}: {parsed.get('bozo_exception')!r}"
    assert parsed.version == VERSIONS[media], f"{href}: version {parsed.version!r}"
    assert parsed.feed.get("title"), f"{href}: no title"
    return [(e.get("id"), e.get("title"), bool(e.get("published_parsed") or e.get("updated_parsed")),
             e.get("link")) for e in parsed.entries]


def fetch(path, headers=None, method="GET", body=None, source=None):
    """One request; `source` is the loopback address to send it from."""
    conn = http.client.HTTPConnection(SERVER.hostname, SERVER.port, timeout=60,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        return res.status, res.headers, res.read()
    finally:
        conn.close()


class Page(HTMLParser):
    """The alternates in the head and the card links, in order."""

    def __init__(self):
        super().__init__()
        self.feeds = []
        self.papers = []
        self._card = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "alternate":
            self.feeds.append((a["type"], a["href"]))
        elif tag == "article" and "paper-card" in (a.get("class") or ""):
            self._card = True
        elif tag == "a" and self._card and a.get("href", "").startswith("/papers/"):
            self.papers.append(a["href"])
            self._card = False


def read_page(path):
    status, _, body = fetch(path)
    assert status == 200, f"{path}: {status}"
    page = Page()
    page.feed(body.decode("utf-8"))
    return page


def check_feeds(path, may_be_empty=False):
    page = read_page(path)
    assert page.papers or may_be_empty, f"{path} shows no papers"
    assert sorted(t for t, _ in page.feeds) == sorted(VERSIONS), f"{path}: {page.feeds}"
    for media, href in page.feeds:
        status, headers, body = fetch(href)
        assert status == 200, f"{href}: {status} {body[:200]!r}"
        assert headers["Content-Type"].startswith(media), f"{href}: {headers['Content-Type']}"
        links = []
        ids = []
        for id_, title, dated, link in entries(media, href, body, headers["Content-Type"]):
            assert id_ and title, f"{href}: an entry without id or title: {id_!r} {title!r}"
            assert dated, f"{href}: {id_} has no date"
            url = urlparse(link or "")
            assert url.scheme in ("http", "https") and url.netloc, f"{href}: {link} is not absolute"
            links.append(url.path)
            ids.append(id_)
        assert links == page.papers, f"{href}: {len(links)} entries, the page shows {len(page.papers)}: {links[:3]} vs {page.papers[:3]}"
        assert len(set(ids)) == len(ids), f"{href}: repeated ids"
        etag = headers["ETag"]
        again, _, rest = fetch(href, {"If-None-Match": etag})
        assert again == 304 and not rest, f"{href}: {again} with its own ETag"
    print(f"     {path}: {len(page.papers)} papers in 3 formats")


def latest(kind):
    """The latest week's or month's page (where /week and /month lead)."""
    status, headers, _ = fetch("/" + kind)
    assert status in (303, 307, 308) and headers["Location"], f"/{kind}: {status}"
    return headers["Location"]


def an_organisation():
    status, _, body = fetch("/api/daily_papers?limit=100")
    for w in json.loads(body):
        org = w.get("organization") or w["paper"].get("organization")
        if org and org.get("name"):
            return "/organizations/" + org["name"]
    raise AssertionError("no paper of the sample has an organisation")


def a_public_collection():
    """Signs up a member (from an address of its own: sign-ups are limited
    per client) and makes a public collection of three papers."""
    name = "feeds%06x" % random.getrandbits(24)
    source = f"127.9.{random.randint(1, 250)}.{random.randint(1, 250)}"
    status, headers, body = fetch(
        "/api/auth/signup",
        {"Content-Type": "application/json"},
        "POST",
        json.dumps({"username": name, "email": f"{name}@example.org",
                    "password": "a long and quiet passphrase"}).encode(),
        source,
    )
    assert status == 200, f"sign-up: {status} {body[:300]!r}"
    cookie = headers["Set-Cookie"].split(";")[0]
    auth = {"Cookie": cookie, "X-CSRF-Token": json.loads(body)["csrfToken"],
            "Content-Type": "application/json"}
    status, _, body = fetch("/api/collections", auth, "POST",
                            json.dumps({"title": "Feed test", "private": False}).encode())
    assert status == 200, f"collection: {status} {body[:300]!r}"
    slug = json.loads(body)["slug"]
    _, _, feed = fetch("/api/daily_papers?limit=3")
    for w in json.loads(feed):
        status, _, body = fetch(f"/api/collections/{slug}/items", auth, "POST",
                                json.dumps({"item": {"id": w["paper"]["id"], "type": "paper"},
                                            "note": "on <the> list & more"}).encode())
        assert status == 200, f"item: {status} {body[:300]!r}"
    return "/collections/" + slug, auth, slug


def main():
    pages = ["/", "/search?q=diffusion+models", "/search?q=video&mode=keyword"]
    for kind in ("week", "month"):
        where = {}
        if run_check(f"/{kind} leads to the latest {kind}", lambda k=kind: where.update(p=latest(k))):
            pages.append(where["p"])
    # A day before the latest, as the front page's pager links it.
    _, _, front = fetch("/")
    days = sorted(set(re.findall(r'href="/\?date=(\d{4}-\d{2}-\d{2})"', front.decode())))
    day = days[0] if days else None
    org = {}
    run_check("an organisation of the sample", lambda: org.update(p=an_organisation()))
    pages += [f"/?date={day}"] if day else []
    pages += [org["p"]] if org else []
    made = {}
    run_check("a public collection made through the API", lambda: made.update(c=a_public_collection()))
    if made:
        pages.append(made["c"][0])
    for path in pages:
        run_check(f"the feeds of {path} parse and list its papers", lambda p=path: check_feeds(p))
    # The sample's papers are older than trending looks back: maybe none.
    run_check("the feeds of /trending parse and list its papers", lambda: check_feeds("/trending", True))
    if made:
        path, auth, slug = made["c"]

        def private_is_gone():
            status, _, body = fetch(f"/api/collections/{slug}", auth, "PATCH",
                                    json.dumps({"private": True}).encode())
            assert status == 200, f"{status} {body[:200]!r}"
            for f in ("feed.atom", "feed.rss", "feed.json"):
                status, _, _ = fetch(f"{path}/{f}")
                assert status == 404, f"{path}/{f}: {status}"
            fetch(f"/api/collections/{slug}", auth, "DELETE")

        run_check("a collection made private is no longer a feed", private_is_gone)

    def empty_search_is_refused():
        status, _, body = fetch("/search/feed.atom")
        assert status == 400 and re.search(r"\bq\b", body.decode()), f"{status} {body[:200]!r}"

    run_check("a search feed without a query is a 400 naming q", empty_search_is_refused)
    return finish("feeds")


if __name__ == "__main__":
    sys.exit(main())
