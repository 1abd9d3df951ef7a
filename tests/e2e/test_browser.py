#!/usr/bin/env python3
"""End-to-end test of the web UI in headless Chromium, driven by Selenium.

The server must already be running with the sample data set, as
scripts/import-sample.sh imports it (scripts/run-server-tests.sh does both).
Give its base URL in DAILYPAPERS_URL:

    DAILYPAPERS_URL=http://127.0.0.1:8080 .venv/bin/python tests/e2e/test_browser.py

Uses Debian's chromium and chromium-driver (scripts/install-test-deps.sh
installs them). Screenshots go to target/screenshots/{front,paper,phone}.png
(or $SCREENSHOT_DIR). Every check prints PASS or FAIL; the last line reads
`browser: N passed, N failed`, and the exit code is non-zero when any failed.

Markup the checks rely on:
  front page   article.paper-card > h3 > a[href="/papers/{id}"] (title),
               .upvotes (number), .org-badge (organisation), .authors
  paper page   h1 (title), section.abstract, ul.authors > li,
               links whose text contains "arXiv" (abs page) and "PDF"
"""

import glob
import json
import os
import re
import shutil
import sys
import time
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlparse

# Never let Selenium Manager try to download a browser or driver.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

import chromium  # noqa: E402  (tests/e2e/chromium.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from checks import RESULTS, run_check  # noqa: E402  (tests/checks.py)

ROOT = Path(__file__).resolve().parents[2]
BASE = (os.environ.get("DAILYPAPERS_URL") or "").rstrip("/")
if not BASE:
    sys.stderr.write("set DAILYPAPERS_URL to the server's base URL, e.g. http://127.0.0.1:8080\n")
    sys.exit(2)
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "target" / "screenshots")
WAIT = float(os.environ.get("E2E_WAIT_SECONDS", "15"))

# --- expected data, from the recorded Hugging Face responses ------------------
PAPERS = {}  # id -> wrapper (the latest recording of each paper wins)
for f in sorted(glob.glob(str(ROOT / "fixtures" / "hf-daily-papers" / "*.json"))):
    with open(f, encoding="utf-8") as fh:
        for w in json.load(fh):
            PAPERS[w["paper"]["id"]] = w
# A description of OralGPT-Omni (2511.22055) that shares no word with its title.
PARAPHRASE = "an assistant that looks at pictures of teeth and answers questions for dentists"
PARAPHRASE_FINDS = "2511.22055"
LATEST_DAY = max(Path(f).stem for f in glob.glob(str(ROOT / "fixtures" / "hf-daily-papers" / "*.json")))
TOP_OF_LATEST = "2511.22699"  # Z-Image, 42 upvotes, the top paper of 2025-12-01
assert LATEST_DAY == "2025-12-01", LATEST_DAY
assert PAPERS[TOP_OF_LATEST]["paper"]["upvotes"] == 42


def norm(s: str) -> str:
    return " ".join((s or "").split())


def first_int(s: str):
    m = re.search(r"\d[\d,]*", s or "")
    return int(m.group(0).replace(",", "")) if m else None


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def true(cond, what):
    if not cond:
        raise AssertionError(what)


# --- browser -------------------------------------------------------------------
def make_driver(profile_dir: str) -> webdriver.Chrome:
    driver = chromium.start(profile_dir, extra=("--hide-scrollbars", "--lang=en-US"), logs={"browser": "ALL"})
    driver.set_page_load_timeout(30)
    return driver


def set_viewport(driver, width, height, mobile=False):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def wait_css(driver, css):
    return WebDriverWait(driver, WAIT).until(EC.presence_of_all_elements_located((By.CSS_SELECTOR, css)))


def severe_console_errors(driver):
    try:
        logs = driver.get_log("browser")
    except Exception:  # noqa: BLE001 - not every driver exposes the log
        return []
    return [
        e["message"]
        for e in logs
        if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")
    ]


def screenshot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"     screenshot: {path}")


def no_horizontal_scroll(driver, what, width=375):
    """At a phone viewport of `width` CSS px: a responsive viewport and nothing wider than it."""
    meta = driver.execute_script(
        "const m = document.querySelector('meta[name=viewport]'); return m ? m.content : null;"
    )
    true(meta and "width=device-width" in meta.replace(" ", ""),
         f'{what}: needs <meta name="viewport" content="width=device-width, initial-scale=1">, got {meta!r}')
    sw, iw = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];"
    )
    # With mobile emulation, content wider than the screen also widens innerWidth.
    if sw > iw or iw > width + 1:
        wide = driver.execute_script(
            """
            const lim = arguments[0], out = [];
            for (const el of document.querySelectorAll('body *')) {
              const r = el.getBoundingClientRect();
              if (r.right > lim + 1 && r.width > 0) {
                out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                  (el.className && typeof el.className === 'string' && el.className.trim()
                    ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                  ' right=' + Math.round(r.right));
              }
              if (out.length >= 8) break;
            }
            return out;
            """,
            width,
        )
        raise AssertionError(
            f"{what}: horizontal scroll (scrollWidth {sw}, innerWidth {iw}, phone width {width});"
            f" elements past {width}px: {wide}"
        )


def main():
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    driver = None
    state = {}
    try:
        ok = run_check("start headless Chromium via chromedriver", lambda: state.update(driver=make_driver(profile)))
        if not ok:
            return
        driver = state["driver"]
        print(f"     {driver.capabilities.get('browserName')} {driver.capabilities.get('browserVersion')}")

        # ------------------------------------------------------------ front page
        def front_loads():
            driver.get(BASE + "/")
            cards = wait_css(driver, "article.paper-card")
            true(len(cards) >= 1, "no article.paper-card on /")
            true(driver.title.strip(), "the page has no <title>")
            state["cards"] = cards

        if not run_check("front page / shows paper cards", front_loads):
            screenshot(driver, "front")
            return

        def card_info(card):
            link = card.find_element(By.CSS_SELECTOR, "h3 a")
            href = link.get_attribute("href") or ""
            path = urlparse(href).path
            m = re.fullmatch(r"/papers/(.+)", path)
            true(m, f"card title link href {href!r} is not /papers/{{id}}")
            ups = card.find_elements(By.CSS_SELECTOR, ".upvotes")
            orgs = card.find_elements(By.CSS_SELECTOR, ".org-badge")
            authors = card.find_elements(By.CSS_SELECTOR, ".authors")
            return {
                "id": m.group(1),
                "title": norm(link.text),
                "upvotes": first_int(ups[0].text) if ups else None,
                "org": norm(orgs[0].text) if orgs else None,
                "authors": norm(authors[0].text) if authors else None,
            }

        def front_cards_match_data():
            infos = [card_info(c) for c in state["cards"]]
            state["infos"] = infos
            for i in infos:
                true(i["id"] in PAPERS, f"card for unknown paper {i['id']!r} ({i['title']!r})")
                w = PAPERS[i["id"]]
                eq(i["title"], norm(w["title"]), f"card {i['id']} title")
                true(i["upvotes"] is not None, f"card {i['id']}: no number in .upvotes")
                eq(i["upvotes"], w["paper"]["upvotes"], f"card {i['id']} upvotes")
                true(i["authors"], f"card {i['id']}: empty or missing .authors")
            ups = [i["upvotes"] for i in infos]
            eq(ups, sorted(ups, reverse=True), "cards ranked by upvotes")

        run_check("front page cards: real titles and upvote counts, ranked", front_cards_match_data)

        def front_is_latest_day():
            infos = state.get("infos") or [card_info(c) for c in state["cards"]]
            eq(infos[0]["id"], TOP_OF_LATEST, f"top card (the latest day with papers is {LATEST_DAY})")
            eq(infos[0]["title"], norm(PAPERS[TOP_OF_LATEST]["title"]), "top card title")
            eq(infos[0]["upvotes"], 42, "top card upvotes")

        run_check(f"front page shows the latest day ({LATEST_DAY}), Z-Image first with 42 upvotes",
                  front_is_latest_day)

        def front_org_badges():
            infos = state.get("infos") or [card_info(c) for c in state["cards"]]
            with_org = [i for i in infos if i["org"]]
            true(with_org, "no .org-badge on any card")
            for i in with_org:
                org = PAPERS[i["id"]].get("organization") or PAPERS[i["id"]]["paper"].get("organization")
                true(org, f"card {i['id']} has badge {i['org']!r} but the paper has no organisation")
                true(i["org"] in (norm(org.get("fullname")), norm(org.get("name"))),
                     f"card {i['id']} badge {i['org']!r} vs {org.get('fullname')!r}/{org.get('name')!r}")
            top = next((i for i in infos if i["id"] == TOP_OF_LATEST), None)
            if top is not None:
                eq(top["org"], "Tongyi-MAI", "Z-Image's organisation badge")

        run_check("front page: organisation badges", front_org_badges)

        def front_no_js_errors():
            errs = severe_console_errors(driver)
            true(not errs, f"console errors: {errs[:5]}")

        run_check("front page: no JavaScript console errors", front_no_js_errors)
        screenshot(driver, "front")

        # ------------------------------------------------------------ paper page
        def open_first_paper():
            first = driver.find_element(By.CSS_SELECTOR, "article.paper-card h3 a")
            state["first_id"] = urlparse(first.get_attribute("href")).path.split("/papers/", 1)[1]
            state["first_title"] = norm(first.text)
            first.click()
            WebDriverWait(driver, WAIT).until(
                lambda d: urlparse(d.current_url).path == f"/papers/{state['first_id']}"
            )
            wait_css(driver, "h1")

        if not run_check("click the first paper title", open_first_paper):
            screenshot(driver, "paper")
            return

        pid = state["first_id"]
        w = PAPERS.get(pid)
        paper = w["paper"] if w else {}

        def paper_title():
            eq(norm(driver.find_element(By.TAG_NAME, "h1").text), state["first_title"], "h1 = the card's title")
            if w:
                eq(norm(driver.find_element(By.TAG_NAME, "h1").text), norm(w["title"]), "h1 title")
            true(state["first_title"] in driver.title or pid in driver.title,
                 f"<title> {driver.title!r} names neither the paper nor its id")

        run_check(f"paper page {pid}: h1 title", paper_title)

        def paper_abstract():
            text = norm(driver.find_element(By.CSS_SELECTOR, "section.abstract").text)
            true(text, "empty section.abstract")
            if paper:
                start = norm(paper["summary"])[:120]
                true(start in text, f"abstract does not contain {start!r}: {text[:200]!r}")

        run_check(f"paper page {pid}: abstract", paper_abstract)

        def paper_authors():
            items = driver.find_elements(By.CSS_SELECTOR, "ul.authors li")
            names = [norm(li.text) for li in items]
            true(names, "no ul.authors li")
            if paper:
                want = [norm(a["name"]) for a in paper["authors"] if not a.get("hidden")]
                eq(len(names), len(want), "number of authors")
                for expected, got in zip(want, names):
                    true(expected in got, f"author {got!r} should be {expected!r}")

        run_check(f"paper page {pid}: author list", paper_authors)

        def paper_arxiv_links():
            links = driver.find_elements(By.TAG_NAME, "a")
            abs_links = [a for a in links if "arxiv" in a.text.lower() and "pdf" not in a.text.lower()]
            pdf_links = [a for a in links if "PDF" in a.text]
            true(abs_links, 'no link whose text contains "arXiv"')
            true(pdf_links, 'no link whose text contains "PDF"')
            abs_hrefs = [a.get_attribute("href") for a in abs_links]
            pdf_hrefs = [a.get_attribute("href") for a in pdf_links]
            true(any(re.match(rf"https://arxiv\.org/abs/{re.escape(pid)}(v\d+)?$", h or "") for h in abs_hrefs),
                 f"arXiv abs link: {abs_hrefs}")
            true(any(re.match(rf"https://arxiv\.org/pdf/{re.escape(pid)}(v\d+)?(\.pdf)?$", h or "") for h in pdf_hrefs),
                 f"PDF link: {pdf_hrefs}")

        run_check(f"paper page {pid}: arXiv abs and PDF links", paper_arxiv_links)
        run_check(f"paper page {pid}: no JavaScript console errors", front_no_js_errors)
        screenshot(driver, "paper")

        # ------------------------------------------------------------ search
        # A newcomer describes an idea in their own words in the header box.
        def search_paraphrase():
            set_viewport(driver, 1280, 900)
            driver.get(BASE + "/")
            box = wait_css(driver, "form.site-search input[name=q]")[0]
            box.clear()
            box.send_keys(PARAPHRASE + "\n")
            WebDriverWait(driver, WAIT).until(EC.url_contains("/search?"))
            wait_css(driver, "#result-count")
            hrefs = [a.get_attribute("href") or "" for a in
                     driver.find_elements(By.CSS_SELECTOR, "article.paper-card h3 a")]
            true(len(hrefs) > 0, "no results on the first page")
            paths = [urlparse(h).path for h in hrefs]
            true(f"/papers/{PARAPHRASE_FINDS}" in paths,
                 f"{PARAPHRASE!r} should find {PARAPHRASE_FINDS} on the first page: {paths}")
            count = driver.find_element(By.ID, "result-count").text
            true(first_int(count) is not None, f"result count {count!r}")
            screenshot(driver, "search")

        run_check("search: a paraphrase typed in the header box finds the paper on page 1",
                  search_paraphrase)

        def search_then_similar():
            link = driver.find_element(
                By.CSS_SELECTOR, f'article.paper-card h3 a[href="/papers/{PARAPHRASE_FINDS}"]')
            link.click()
            wait_css(driver, "h1")
            similar = driver.find_elements(By.CSS_SELECTOR, "section.similar article.paper-card h3 a")
            true(len(similar) >= 3, f"similar papers on /papers/{PARAPHRASE_FINDS}: {len(similar)}")
            paths = [urlparse(a.get_attribute("href") or "").path for a in similar]
            true(f"/papers/{PARAPHRASE_FINDS}" not in paths, "a paper is not similar to itself")

        run_check("search: the result opens a paper page that lists similar papers",
                  search_then_similar)

        def search_filters_keyword_mode():
            driver.get(BASE + "/search?q=diffusion")
            wait_css(driver, "form.search-form")
            driver.find_element(By.CSS_SELECTOR, "label.mode-tab input[value=keyword]").click()
            driver.find_element(By.CSS_SELECTOR, "form.search-form button[type=submit]").click()
            WebDriverWait(driver, WAIT).until(EC.url_contains("mode=keyword"))
            marks = driver.find_elements(By.CSS_SELECTOR, "article.paper-card mark")
            true(len(marks) > 0, "keyword results mark the matched words")

        run_check("search: switching to exact words keeps the query and marks matches",
                  search_filters_keyword_mode)

        # ------------------------------------------------------------ phone width
        def phone_paper():
            set_viewport(driver, 375, 800, mobile=True)
            driver.get(urljoin(BASE + "/", f"papers/{pid}"))
            wait_css(driver, "h1")
            no_horizontal_scroll(driver, f"/papers/{pid} at 375x800")

        run_check("phone 375x800: paper page has no horizontal scroll", phone_paper)

        def phone_front():
            set_viewport(driver, 375, 800, mobile=True)
            driver.get(BASE + "/")
            wait_css(driver, "article.paper-card")
            no_horizontal_scroll(driver, "/ at 375x800")

        run_check("phone 375x800: front page has no horizontal scroll", phone_front)

        def phone_search():
            set_viewport(driver, 375, 800, mobile=True)
            driver.get(BASE + "/search?q=diffusion&from=2024-01-01")
            wait_css(driver, "article.paper-card")
            no_horizontal_scroll(driver, "/search at 375x800")

        run_check("phone 375x800: search page (filters open) has no horizontal scroll", phone_search)
        screenshot(driver, "phone")

        # ------------------------------------------------------------ community
        # A reader signs up, upvotes (the count changes without a reload),
        # comments, replies, keeps a collection, logs out and logs in again.
        set_viewport(driver, 1280, 900)
        name = f"reader{int(time.time()) % 100000}"
        password = "a long and quiet passphrase"

        def community_signup():
            driver.get(BASE + "/signup")
            form = wait_css(driver, "form[action='/api/auth/signup']")[0]
            form.find_element(By.NAME, "username").send_keys(name)
            form.find_element(By.NAME, "email").send_keys(f"{name}@example.org")
            form.find_element(By.NAME, "password").send_keys(password)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, ".account-nav .account-name")))
            eq(driver.find_element(By.CSS_SELECTOR, ".account-nav .account-name").text, f"@{name}", "the header names the member")

        run_check("community: sign up logs the member in at once", community_signup)

        def community_upvote():
            driver.get(urljoin(BASE + "/", f"papers/{TOP_OF_LATEST}"))
            button = wait_css(driver, ".upvote-panel form.vote button")[0]
            before = first_int(button.text)
            driver.execute_script("window.__marker = 42")
            button.click()
            WebDriverWait(driver, WAIT).until(
                lambda d: d.find_element(By.CSS_SELECTOR, ".upvote-panel form.vote button").get_attribute("aria-pressed") == "true")
            after = first_int(driver.find_element(By.CSS_SELECTOR, ".upvote-panel form.vote button").text)
            eq(after, before + 1, "the count went up by one")
            eq(driver.execute_script("return window.__marker"), 42, "no reload happened")
            driver.refresh()
            button = wait_css(driver, ".upvote-panel form.vote button")[0]
            eq(button.get_attribute("aria-pressed"), "true", "the vote is there after a reload")
            eq(first_int(button.text), before + 1, "and so is the count")
            # A second click withdraws it (and leaves the data as the other
            # tests expect it).
            button.click()
            WebDriverWait(driver, WAIT).until(
                lambda d: d.find_element(By.CSS_SELECTOR, ".upvote-panel form.vote button").get_attribute("aria-pressed") == "false")
            eq(first_int(driver.find_element(By.CSS_SELECTOR, ".upvote-panel form.vote button").text), before,
               "the count is back")

        run_check("community: an upvote changes the count without a reload, and stays", community_upvote)

        def community_comment_and_reply():
            driver.get(urljoin(BASE + "/", f"papers/{TOP_OF_LATEST}"))
            form = wait_css(driver, "form.comment-form")[0]
            form.find_element(By.NAME, "body").send_keys("A **bold** claim <script>window.__pwned=1</script>")
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_css(driver, ".comment .comment-body strong")
            true(driver.execute_script("return window.__pwned") is None, "the comment's script did not run")
            comment = driver.find_elements(By.CSS_SELECTOR, ".comment")[-1]
            comment.find_element(By.CSS_SELECTOR, "details summary").click()
            reply = comment.find_element(By.CSS_SELECTOR, "details form")
            reply.find_element(By.NAME, "body").send_keys("and a reply")
            reply.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, ".comment.depth-1")))
            true("and a reply" in driver.find_element(By.CSS_SELECTOR, ".comment.depth-1").text, "the reply is under its comment")
            errs = severe_console_errors(driver)
            true(not errs, f"console errors: {errs[:5]}")
            # Deleting both leaves the paper's comments as they were.
            for _ in range(2):
                mine = driver.find_elements(By.CSS_SELECTOR, ".comment form[action$='/delete'] button")
                true(mine, "a Delete button on the member's own comments")
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", mine[0])
                mine[0].click()
                # The page after the delete, not the one the button was on.
                WebDriverWait(driver, WAIT).until(EC.staleness_of(mine[0]))
                wait_css(driver, "#comments")
            true(not driver.find_elements(By.CSS_SELECTOR, ".comment form[action$='/delete'] button"),
                 "both are deleted")

        run_check("community: a comment (Markdown, scripts inert), a reply, and deleting them",
                  community_comment_and_reply)

        def community_collection():
            paper_url = urljoin(BASE + "/", f"papers/{TOP_OF_LATEST}")
            driver.get(paper_url)
            title = f"Reading list of {name}"
            add = wait_css(driver, "#collections a[href$='/collections']")[0]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", add)
            add.click()
            form = wait_css(driver, "#collections form.new-collection")[0]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", form)
            form.find_element(By.NAME, "title").send_keys(title)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, ".collection-title")))
            eq(norm(driver.find_element(By.CSS_SELECTOR, ".collection-title").text), title,
               "the new collection's page")
            true(f"/collections/{name}/reading-list-of-" in driver.current_url, driver.current_url)
            collection_url = driver.current_url
            papers = [a.get_attribute("href").rsplit("/papers/", 1)[1]
                      for a in driver.find_elements(By.CSS_SELECTOR, ".collection-item .paper-card h3 a")]
            eq(papers, [TOP_OF_LATEST], "the paper is in it")
            screenshot(driver, "collection")
            driver.get(paper_url)
            panel = wait_css(driver, "#collections")[0]
            true(title in norm(panel.text), f"the paper's page names it: {panel.text!r}")
            # Deleting it leaves the data as the other tests expect it.
            driver.get(collection_url)
            driver.find_element(By.CSS_SELECTOR, ".collection-settings summary").click()
            delete = driver.find_element(By.XPATH, "//button[contains(., 'Delete the collection')]")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", delete)
            delete.click()
            WebDriverWait(driver, WAIT).until(lambda d: d.current_url.rstrip("/").endswith("/collections"))
            true(title not in driver.page_source, "deleted")

        run_check("community: add the paper to a new collection from its page, and see it named there",
                  community_collection)

        def community_logout_login():
            driver.find_element(By.CSS_SELECTOR, ".account-nav form button").click()
            WebDriverWait(driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, ".account-nav a[href='/login']")))
            driver.get(BASE + "/login")
            form = wait_css(driver, "form[action='/api/auth/login']")[0]
            form.find_element(By.NAME, "login").send_keys(name)
            form.find_element(By.NAME, "password").send_keys(password)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            WebDriverWait(driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, ".account-nav .account-name")))

        run_check("community: log out, and log in again", community_logout_login)
        screenshot(driver, "community")
    except TimeoutException as e:
        RESULTS["failed"] += 1
        print(f"FAIL timed out: {e}")
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
    passed, failed = RESULTS["passed"], RESULTS["failed"]
    print(f"browser: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
