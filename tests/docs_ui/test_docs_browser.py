"""The docs pages in a real browser (headless Chromium, as tests/browser does): Swagger UI lists
every operation of the document and runs one ("Try it out" on GET /items/{id}); ReDoc, Scalar,
RapiDoc and Stoplight Elements show the API. On every page, every request the browser makes goes
to the server under test and succeeds: the bundled assets are complete and no page reaches a
CDN, a font service or anything else. A screenshot of Swagger UI's answer is saved to
``tests/artifacts/docs.png``.

Skipped without Chromium/chromedriver/selenium, except under ``CI`` (see tests/browser).
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest

from browser.test_browser import TIMEOUT, chrome, webdriver_parts  # noqa: F401 - fixtures
from support.boltproc import HOST
from support.paths import ARTIFACTS
from support.wire import get

SCREENSHOT = ARTIFACTS / "docs.png"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class NetLog:
    """Every request of the page, from Chrome's performance log (CDP ``Network.*`` events)."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.requests: dict[str, dict] = {}  # requestId -> {url, status, failed}

    def collect(self) -> int:
        events = self.browser.get_log("performance")
        for entry in events:
            msg = json.loads(entry["message"])["message"]
            method, params = msg.get("method"), msg.get("params", {})
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if urlsplit(url).scheme in ("http", "https", "ws", "wss"):
                    self.requests.setdefault(rid, {"url": url, "status": None, "failed": None})
            elif method == "Network.responseReceived" and rid in self.requests:
                self.requests[rid]["status"] = params["response"]["status"]
            elif method == "Network.loadingFailed" and rid in self.requests:
                self.requests[rid]["failed"] = params.get("errorText") or "failed"
        return len(events)

    def settle(self, quiet: float = 1.0) -> None:
        """Collects until the page has made no new request for ``quiet`` seconds."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(quiet)
            if self.collect() == 0 and all(r["status"] or r["failed"] for r in self.requests.values()):
                return

    def take(self) -> list[dict]:
        out, self.requests = list(self.requests.values()), {}
        return out


def assert_all_local_and_ok(requests: list[dict], page: str) -> None:
    assert requests, f"{page}: no request recorded"
    elsewhere = [r["url"] for r in requests if urlsplit(r["url"]).hostname != HOST]
    assert not elsewhere, f"{page} reached other hosts: {elsewhere}"
    bad = [r for r in requests if r["failed"] or r["status"] != 200]
    assert not bad, f"{page}: requests that did not load: {bad}"


def operations(doc: dict) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in item if m in METHODS}


def labels(doc: dict, path: str, method: str) -> set[str]:
    """What a UI may show for one operation: its path, summary or operationId."""
    op = doc["paths"][path][method]
    return {path, *(op[k] for k in ("summary", "operationId") if op.get(k))}


def listed_by_swagger(browser) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation Swagger UI shows. A long list is virtualized (only the
    rows near the viewport exist), so the page is scrolled top to bottom and the rows collected."""
    seen: set[tuple[str, str]] = set()
    browser.execute_script("window.scrollTo(0, 0)")
    for _ in range(500):
        rows = browser.execute_script(
            "return Array.from(document.querySelectorAll('.opblock')).map(b => ["
            "  b.querySelector('.opblock-summary-method')?.textContent,"
            "  b.querySelector('.opblock-summary-path')?.getAttribute('data-path')])"
        )
        seen |= {(m, p) for m, p in rows}
        if browser.execute_script("return window.scrollY + window.innerHeight >= document.body.scrollHeight - 2"):
            break
        browser.execute_script("window.scrollBy(0, window.innerHeight / 2)")
        time.sleep(0.05)
    return seen


def body_text(browser) -> str:
    """The visible text, shadow roots included (RapiDoc renders into one; innerText skips it)."""
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def test_swagger_ui_lists_every_operation_and_runs_one(server, chrome):  # noqa: F811 - fixture
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base = f"http://{HOST}:{server.port}"
    doc = get(server.port, "/docs/openapi.json").json()
    expected = operations(doc)
    assert ("GET", "/items/{id}") in expected
    wait = WebDriverWait(chrome, TIMEOUT)
    net = NetLog(chrome)
    try:
        chrome.get(f"{base}/docs")
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock"))
        listed = listed_by_swagger(chrome)
        assert listed == expected, (
            f"Swagger UI lists {len(listed)} of {len(expected)} operations; missing "
            f"{sorted(expected - listed)[:10]}, extra {sorted(listed - expected)[:10]}"
        )
        assert chrome.title == doc["info"]["title"]

        # Its deep link opens the operation (and scrolls the virtualized list to it).
        op = doc["paths"]["/items/{id}"]["get"]
        tag = (op.get("tags") or ["default"])[0]
        chrome.get("about:blank")  # a new load: only the fragment differs
        chrome.get(f"{base}/docs#/{tag}/{op['operationId']}")
        block = wait.until(
            lambda b: b.find_element(
                By.XPATH,
                "//div[contains(@class,'opblock-get')][.//*[contains(@class,'opblock-summary-path')"
                " and @data-path='/items/{id}']]",
            )
        )
        wait.until(lambda _: block.find_elements(By.CSS_SELECTOR, "button.try-out__btn"))
        block.find_element(By.CSS_SELECTOR, "button.try-out__btn").click()
        field = wait.until(lambda _: block.find_element(By.CSS_SELECTOR, 'tr[data-param-name="id"] input'))
        field.clear()
        field.send_keys("42")
        block.find_element(By.CSS_SELECTOR, "button.execute").click()
        shown = wait.until(
            lambda _: block.find_element(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre")
        )
        wait.until(lambda _: shown.text.strip())
        chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", shown)
        ARTIFACTS.mkdir(exist_ok=True)
        assert chrome.save_screenshot(str(SCREENSHOT)), "screenshot failed"

        direct = get(server.port, "/items/42")
        assert json.loads(shown.text) == direct.json(), shown.text
        url = block.find_element(By.CSS_SELECTOR, ".request-url pre").text
        assert url == f"{base}/items/42", url
        net.settle()
        requests = net.take()
        assert f"{base}/items/42" in {r["url"] for r in requests}, "the request went out from the page"
        assert_all_local_and_ok(requests, "/docs")
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            chrome.save_screenshot(str(ARTIFACTS / "docs-failure.png"))
        except Exception:
            pass
        raise
    finally:
        server.assert_alive()


@pytest.mark.parametrize("page", ["/docs/redoc", "/docs/scalar", "/docs/rapidoc", "/docs/stoplight"])
def test_the_other_pages_show_the_api_from_this_server_only(server, chrome, page):  # noqa: F811 - fixture
    from selenium.webdriver.support.ui import WebDriverWait

    doc = get(server.port, "/docs/openapi.json").json()
    title = doc["info"]["title"]
    names = labels(doc, "/items/{id}", "get")
    net = NetLog(chrome)
    chrome.get(f"http://{HOST}:{server.port}{page}")
    try:
        WebDriverWait(chrome, TIMEOUT).until(lambda b: title in body_text(b) and any(n in body_text(b) for n in names))
    except Exception:
        raise AssertionError(f"{page} never showed {title!r} and one of {names}:\n{body_text(chrome)[:1500]}") from None
    assert chrome.title == title
    net.settle()
    assert_all_local_and_ok(net.take(), page)
