"""A real browser against the Django admin served by ``bolt``.

Headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven with Selenium) logs in,
opens the Person change list, edits one person and saves it, while every response for a
``/static/`` URL is recorded from Chrome's performance log (CDP ``Network.*`` events): the
admin's CSS must load (status 200 for every static asset) and actually be applied. A screenshot
is saved to ``tests/artifacts/admin.png``.

Without ``chromium``/``chromedriver``/``selenium`` the test is skipped, except under ``CI``
(where ``.ci/run`` installs them): there it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator

import pytest

from support.boltproc import HOST, BoltProcess, serve
from support.paths import ARTIFACTS
from support.projects import manage_shell

SCREENSHOT = ARTIFACTS / "admin.png"
USER, PASSWORD = "browser-admin", "br0wser-s3cret"
# A person no other test looks at (``/users`` returns the first 10 by id); restored afterwards.
EMAIL, SEED_NAME = "person100@example.com", "Person 100"
TIMEOUT = 20

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Without these Chromium keeps trying to reach Google on a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
]


def _missing(what: str) -> None:
    msg = f"browser test needs {what}"
    if os.environ.get("CI"):
        pytest.fail(f"{msg} (CI is set: .ci/run should have installed it)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def webdriver_parts():
    """(selenium.webdriver module, chromium path, chromedriver path), or skip/fail."""
    try:
        from selenium import webdriver
    except ImportError:
        _missing("the `selenium` package (pip install -r requirements-dev.txt)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        _missing("Debian's `chromium` (apt-get install chromium chromium-driver)")
    chromedriver = shutil.which("chromedriver")
    if not chromedriver:
        _missing("`chromedriver` (apt-get install chromium-driver)")
    return webdriver, chromium, chromedriver


@pytest.fixture(scope="module")
def debug_server(demo_db, driver) -> Iterator[BoltProcess]:
    """``bolt --cores 1`` with ``DEMO_DEBUG=1``: Django serves the admin's static files."""
    yield from serve(cores=1, driver=driver, env={"DEMO_DEBUG": "1"})


@pytest.fixture(scope="module")
def admin_login(demo_db) -> tuple[str, str]:
    manage_shell(
        "from django.contrib.auth.models import User\n"
        f"u, _ = User.objects.get_or_create(username={USER!r})\n"
        "u.is_staff = u.is_superuser = u.is_active = True\n"
        # Re-hashing an unchanged password would log out a run that is already signed in (the
        # session hash follows the password hash), so only set it when it differs.
        f"if not u.check_password({PASSWORD!r}):\n"
        f"    u.set_password({PASSWORD!r})\n"
        "u.save()\n"
    )
    return USER, PASSWORD


@pytest.fixture
def person_pk(demo_db) -> Iterator[int]:
    """The pk of the person the test edits; its seed name is put back afterwards."""
    out = manage_shell(f"from people.models import Person\nprint('PK', Person.objects.get(email={EMAIL!r}).pk)\n")
    pk = int(out.split("PK", 1)[1].split()[0])
    yield pk
    manage_shell(f"from people.models import Person\nPerson.objects.filter(pk={pk}).update(name={SEED_NAME!r})\n")


@pytest.fixture
def chrome(webdriver_parts) -> Iterator:
    webdriver, chromium, chromedriver = webdriver_parts
    profile = tempfile.mkdtemp(prefix="bolt-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # An explicit driver path: Selenium Manager (which would go to the network) is never run.
    service = webdriver.ChromeService(executable_path=chromedriver)
    try:
        browser = webdriver.Chrome(options=options, service=service)
    except Exception as exc:  # a broken install is a setup problem, reported the same way
        shutil.rmtree(profile, ignore_errors=True)
        _missing(f"a working headless Chromium ({type(exc).__name__}: {str(exc).strip()[:500]})")
    try:
        browser.set_page_load_timeout(TIMEOUT)
        # Every asset fetched from the server on every page: no cache hits, no 304s.
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


class StaticLog:
    """Requests for ``/static/`` URLs, from the performance log's CDP events."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.requests: dict[str, dict] = {}  # requestId -> {url, status, mime, failed}

    def collect(self) -> None:
        for entry in self.browser.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            method, params = msg.get("method"), msg.get("params", {})
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if "/static/" in url:
                    self.requests.setdefault(rid, {"url": url, "status": None, "mime": None, "failed": None})
            elif method == "Network.responseReceived" and rid in self.requests:
                resp = params["response"]
                self.requests[rid].update(status=resp["status"], mime=resp.get("mimeType"))
            elif method == "Network.loadingFailed" and rid in self.requests:
                self.requests[rid]["failed"] = params.get("errorText") or "failed"

    def urls(self) -> set[str]:
        return {r["url"] for r in self.requests.values()}

    def bad(self) -> list[str]:
        return [
            f"{r['url']} -> status {r['status']}, mime {r['mime']}, failed {r['failed']}"
            for r in self.requests.values()
            if r["status"] != 200 or r["failed"]
        ]


def _loaded(browser) -> bool:
    """The page (the one navigated to by a click) has fired ``load``: its stylesheets are in."""
    return browser.execute_script("return document.readyState") == "complete"


def _assert_styled(browser, statics: StaticLog, server: BoltProcess) -> None:
    """The admin CSS is applied: ``#header`` has a background (transparent without base.css)."""
    background = browser.execute_script(
        "const h = document.getElementById('header');return h ? getComputedStyle(h).backgroundColor : null;"
    )
    if background and background not in ("rgba(0, 0, 0, 0)", "transparent"):
        return
    statics.collect()
    sheets = browser.execute_script(
        "return Array.from(document.styleSheets).map(s => {"
        "  let n; try { n = s.cssRules.length } catch (e) { n = String(e) }"
        "  return s.href + ' rules=' + n });"
    )
    requests = "\n".join(f"  {r}" for r in statics.requests.values())
    raise AssertionError(
        f"admin CSS not applied on {browser.current_url}: #header background is {background!r}\n"
        f"stylesheets: {sheets}\nstatic requests so far:\n{requests}\n{server.output()}"
    )


def test_admin_in_headless_chromium(webdriver_parts, debug_server, admin_login, person_pk, chrome):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    base = f"http://{HOST}:{debug_server.port}"
    wait = WebDriverWait(chrome, TIMEOUT)
    statics = StaticLog(chrome)
    try:
        # Log in.
        chrome.get(f"{base}/admin/login/?next=/admin/")
        statics.collect()
        assert "Log in" in chrome.title, chrome.page_source[:2000]
        user, password = admin_login
        chrome.find_element(By.ID, "id_username").send_keys(user)
        chrome.find_element(By.ID, "id_password").send_keys(password)
        chrome.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
        try:
            wait.until(EC.url_to_be(f"{base}/admin/"))
            wait.until(_loaded)
        except TimeoutException:
            body = chrome.find_element(By.TAG_NAME, "body").text
            raise AssertionError(f"login did not land on /admin/ but on {chrome.current_url}:\n{body[:1000]}")
        statics.collect()
        assert "Site administration" in chrome.find_element(By.TAG_NAME, "h1").text
        _assert_styled(chrome, statics, debug_server)

        # The Person change list, then one person's change form (by clicking its link).
        chrome.get(f"{base}/admin/people/person/")
        statics.collect()
        assert chrome.find_element(By.ID, "result_list")
        link = f'#result_list a[href$="/admin/people/person/{person_pk}/change/"]'
        chrome.find_element(By.CSS_SELECTOR, link).click()
        wait.until(EC.url_contains(f"/admin/people/person/{person_pk}/change/"))
        wait.until(_loaded)
        name_input = chrome.find_element(By.ID, "id_name")
        statics.collect()
        assert chrome.find_element(By.ID, "id_email").get_attribute("value") == EMAIL

        # Rename and save.
        new_name = f"Browser {uuid.uuid4().hex[:10]}"
        name_input.clear()
        name_input.send_keys(new_name)
        chrome.find_element(By.CSS_SELECTOR, 'input[name="_save"], button[name="_save"]').click()
        success = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li.success")))
        wait.until(_loaded)
        statics.collect()
        assert chrome.current_url.split("?")[0] == f"{base}/admin/people/person/"
        assert "was changed successfully" in success.text and new_name in success.text, success.text
        assert new_name in chrome.find_element(By.ID, "result_list").text
        _assert_styled(chrome, statics, debug_server)

        ARTIFACTS.mkdir(exist_ok=True)
        assert chrome.save_screenshot(str(SCREENSHOT)), "screenshot failed"

        # Every static asset the browser asked for came back 200; the admin CSS was among them.
        statics.collect()
        urls = statics.urls()
        assert f"{base}/static/admin/css/base.css" in urls, f"no base.css among {sorted(urls)}"
        assert not statics.bad(), (
            "static assets that did not load:\n" + "\n".join(statics.bad()) + "\n" + debug_server.output()
        )
        css = [r for r in statics.requests.values() if r["url"].endswith(".css")]
        assert all(r["mime"] == "text/css" for r in css), css
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            chrome.save_screenshot(str(ARTIFACTS / "admin-failure.png"))
        except Exception:
            pass
        raise
    finally:
        debug_server.assert_alive()
