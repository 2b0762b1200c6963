"""End-to-end fixtures: the real portal (`certportal up --demo`) sending its e-mail to a real SMTP
server (Tests/Tools/smtp_server.py), a headless Chromium, an API client.

Set CERTPORTAL_E2E_URL to test a portal that is already running instead (and CERTPORTAL_E2E_DATA
to its data directory, for the tests that stop a service).
"""
import email
import email.policy
import http.cookiejar
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPO = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = pathlib.Path(__file__).resolve().parent / "screenshots"
DOWNLOADS = pathlib.Path(tempfile.mkdtemp(prefix="certportal-e2e-downloads-"))
TODAY = "2026-06-15"
START_TIMEOUT_S = 60

ACCOUNTS = {
    "admin": ("admin@example.com", "demo-admin"),
    "orgrep": ("orgrep@example.com", "demo-orgrep"),
    "booker": ("booker@example.com", "demo-booker"),
}


class Portal:
    def __init__(self, url, data_dir, output):
        self.url = url.rstrip("/")
        self.data_dir = pathlib.Path(data_dir) if data_dir else None
        self.output = output

    def service_pid(self, name):
        if not self.data_dir:
            return None
        path = self.data_dir / "run" / f"{name}.pid"
        if not path.exists():
            return None
        return int(path.read_text().strip())


class Mailbox:
    """What the test SMTP server accepted: its --dir of <n>.json (envelope) and <n>.eml files."""

    def __init__(self, directory, host, port):
        self.dir = pathlib.Path(directory)
        self.url = f"smtp://{host}:{port}?security=none"

    def messages(self):
        """(envelope, email.message.EmailMessage) for each message, in the order accepted."""
        out = []
        for eml in sorted(self.dir.glob("*.eml"), key=lambda p: int(p.stem)):
            envelope = json.loads((self.dir / f"{eml.stem}.json").read_text())
            out.append((envelope, email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)))
        return out


@pytest.fixture(scope="session")
def smtp():
    """The SMTP server the portal sends to (None for a portal given by CERTPORTAL_E2E_URL, or
    without the server's script: the e-mail tests then skip)."""
    script = REPO / "Tests" / "Tools" / "smtp_server.py"
    if os.environ.get("CERTPORTAL_E2E_URL") or not script.exists():
        yield None
        return
    directory = tempfile.mkdtemp(prefix="certportal-e2e-mail-")
    log = open(pathlib.Path(directory).with_suffix(".log"), "w")
    proc = subprocess.Popen(["/usr/bin/python3", str(script), "--port", "0", "--dir", directory],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    m = re.match(r"listening on ([\d.]+):(\d+)", proc.stdout.readline())
    if not m:
        proc.kill()
        pytest.fail("the test SMTP server did not start; see " + log.name)
    try:
        yield Mailbox(directory, m.group(1), m.group(2))
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def portal(smtp):
    external = os.environ.get("CERTPORTAL_E2E_URL")
    if external:
        yield Portal(external, os.environ.get("CERTPORTAL_E2E_DATA"), [])
        return
    binary = REPO / ".build" / "debug" / "certportal"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `swift build` first")
    data = tempfile.mkdtemp(prefix="certportal-e2e-")
    env = dict(os.environ, CERTPORTAL_LOG_LEVEL="warning")
    if smtp:
        env["CERTPORTAL_SMTP"] = smtp.url
    proc = subprocess.Popen(
        [str(binary), "up", "--demo", "--data", data, "--port", "0", "--today", TODAY],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )
    output, found = [], threading.Event()
    url = {}

    def reader():
        for line in proc.stdout:
            output.append(line.rstrip("\n"))
            m = re.search(r"portal:\s*(http\S+)", line)
            if m and not found.is_set():
                url["value"] = m.group(1)
                found.set()
        found.set()  # the process ended: stop waiting

    threading.Thread(target=reader, daemon=True).start()
    found.wait(START_TIMEOUT_S)
    if "value" not in url:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        pytest.fail("certportal up did not print its portal URL within %ds (exit %s). Output:\n%s"
                    % (START_TIMEOUT_S, proc.poll(), "\n".join(output)))
    try:
        yield Portal(url["value"], data, output)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Api:
    """A JSON client with its own cookies, as one logged-in user."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, query=None, body=None):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v not in (None, "")})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.csrf and method != "GET":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=30) as resp:
                text = resp.read().decode()
                return resp.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text

    def raw(self, method, path, query=None, data=None, headers=None):
        """Any request with a raw body; answers (status, headers, body bytes)."""
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v not in (None, "")})
        req = urllib.request.Request(url, data=data, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if self.csrf and method != "GET":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def post(self, path, body):
        status, answer = self.call("POST", path, body=body)
        assert status == 200, f"POST {path} {body} → {status} {answer}"
        return answer

    def get(self, path, **query):
        status, body = self.call("GET", path, query=query)
        assert status == 200, f"GET {path} {query} → {status} {body}"
        return body

    def login(self, role):
        email, password = ACCOUNTS[role]
        status, body = self.call("POST", "/api/session", body={"email": email, "password": password})
        assert status == 200, f"log-in as {email} → {status} {body}"
        self.csrf = body["csrf_token"]
        self.user = body["user"]
        return self

    def all_records(self, **query):
        """Pages through every record matching the query."""
        out, cursor = [], None
        for _ in range(10000):
            page = self.get("/api/records", page_size=200, cursor=cursor, **query)
            out.extend(page["records"])
            cursor = page.get("next_cursor")
            if not cursor:
                return out
        raise AssertionError("too many pages")


@pytest.fixture(scope="session")
def config(portal):
    return Api(portal.url).get("/api/config")


@pytest.fixture(scope="session")
def api(portal):
    """API clients per role, logged in once."""
    return {role: Api(portal.url).login(role) for role in ACCOUNTS}


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000",
                "--lang=en-GB", "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(DOWNLOADS), "download.prompt_for_download": False,
        "download.directory_upgrade": True, "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(DOWNLOADS)})
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """Helpers over the portal's page in the browser."""

    def __init__(self, driver, portal, config):
        self.d = driver
        self.portal = portal
        self.config = config

    def wait(self, cond, timeout=20, message=""):
        return WebDriverWait(self.d, timeout, poll_frequency=0.1).until(lambda d: cond(), message)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def open(self, hash_=""):
        self.d.get(self.portal.url + "/" + hash_)

    def logout_all(self):
        self.open()
        self.d.delete_all_cookies()
        self.d.get(self.portal.url + "/")
        self.wait(lambda: self.visible("login-view"), message="log-in view")

    def visible(self, element_id):
        return self.js("const e = document.getElementById(arguments[0]); return !!e && !e.hidden && e.offsetParent !== null;", element_id)

    def login(self, role):
        email, password = ACCOUNTS[role]
        self.logout_all()
        self.d.find_element(By.ID, "login-email").send_keys(email)
        self.d.find_element(By.ID, "login-password").send_keys(password)
        self.d.find_element(By.ID, "login-submit").click()
        self.wait(lambda: self.visible("records-view"), message="records view after log-in")
        self.wait_loaded(0)

    def loads(self):
        return int(self.js("return +(document.getElementById('records-table').dataset.loads || 0)"))

    def wait_loaded(self, after, timeout=30):
        self.wait(lambda: self.loads() > after and
                  self.js("return document.getElementById('records-table').getAttribute('aria-busy')") == "false",
                  timeout, "records table loaded")

    def act(self, action, timeout=30):
        """Runs an action that reloads the table, and waits for the new rows."""
        before = self.loads()
        action()
        self.wait_loaded(before, timeout)

    def stats(self):
        pairs = self.js("return [...document.querySelectorAll('#stats-bar .stat')].map(b => [b.dataset.status, +b.dataset.count])")
        return {k: v for k, v in pairs}

    def total(self):
        return int(self.js("return +document.getElementById('result-count').dataset.total"))

    def rows(self):
        """Each visible row as {column key: text}, plus record_id and _status (the status key)."""
        return self.js("""
            return [...document.querySelectorAll('#records-table tbody tr[data-record-id]')].map(tr => {
              const row = {record_id: +tr.dataset.recordId, _status: tr.dataset.status};
              for (const c of tr.querySelectorAll('[data-key]')) row[c.dataset.key] = c.textContent.trim();
              return row;
            });""")

    def show(self, **params):
        """Opens the Records view with these filters (e.g. q=a booking id) and waits for its rows."""
        self.js("const t = document.getElementById('records-table'); if (t) t.dataset.loads = '0';")
        self.open("#/records?" + urllib.parse.urlencode(params))
        self.wait(lambda: self.visible("records-view"), message="records view")
        self.wait_loaded(0)

    def row(self, record_id):
        return self.d.find_element(By.CSS_SELECTOR, f'#records-table tbody tr[data-record-id="{record_id}"]')

    def row_action(self, record_id, action):
        """The row's action control (button or link), or None."""
        found = self.d.find_elements(By.CSS_SELECTOR, f'#records-table tbody tr[data-record-id="{record_id}"] [data-action="{action}"]')
        return found[0] if found else None

    def toasts(self):
        return self.js("return [...document.querySelectorAll('#toasts .toast')].map(t => t.textContent)")

    def dialog_open(self, element_id):
        return self.js("const d = document.getElementById(arguments[0]); return !!d && d.open;", element_id)

    def click(self, css):
        element = self.d.find_element(By.CSS_SELECTOR, css)
        # Centred first: at the top of the scroll a row would sit under the sticky table header.
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def screenshot(self, name):
        SCREENSHOTS.mkdir(exist_ok=True)
        self.d.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def console_errors(self):
        return [e for e in self.d.get_log("browser") if e["level"] == "SEVERE" and "javascript" in e.get("source", "").lower()]


@pytest.fixture
def page(browser, portal, config):
    return Page(browser, portal, config)
