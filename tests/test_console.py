"""The finance and audit console (issue 18), driven in a real headless Chromium through a real
`billing serve`: login, a search, a document page, a PDF download, a replay diff, and a token of
one provider that never shows the other's data. A screenshot of each page is written under the
test's temporary folder."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.billing_cli import run_billing
from tests.http_facts import Api
from tests.http_server import new_token, running_server

AUDIT_NOTICE = """derived_from = "CGV-2025-09-02"
reference = "AUDIT-ETS-NOTICE-1"
title = "Audit: cancellations late under one hour's notice"

[cancellation]
notice_hours = 1
"""
AUDIT_NOTHING_INCLUDED = """derived_from = "CGPS20260208-2"
reference = "AUDIT-BTB-EXTRAS-1"
title = "Audit: every appointment billed as an extra"
""" + "".join(f"\n[plans.{plan}]\nincluded = 0\n" for plan in ("START", "GROW", "DEV", "SCALE"))
FRENCH_AMOUNT = re.compile(r"^-?\d{1,3}(?:[\u202f\u00a0 ]\d{3})*,\d{2}[\u00a0 ]€$")
FRENCH_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


@pytest.fixture
def console(db_url: str, tmp_path: Path) -> Iterator[Api]:
    with running_server(db_url, tmp_path / "server.log") as base:
        api = Api(base, db_url, tmp_path / "server.log")
        api.load_both_histories()
        run_billing("advance", "--to", "2026-09-30", db=db_url)
        yield api


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    driver = chromium(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


def chromium(tmp_path: Path, phone: bool = False) -> WebDriver:
    options = Options()
    if phone:  # a phone's screen: 390 CSS pixels wide
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844,
                                                                               "pixelRatio": 3}})
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--lang=fr-FR"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "chromium"
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path / "downloads"),
                                              "download.prompt_for_download": False})
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))


def log_in(browser: WebDriver, base: str, secret: str, shots: Path) -> None:
    browser.get(f"{base}/console/invoices")  # not logged in: to the login page
    assert browser.current_url.endswith("/console/login")
    shot(browser, shots, "login")
    browser.find_element(By.ID, "token").send_keys(secret)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Factures et avoirs"


def submit(browser: WebDriver, element: WebElement) -> None:
    """Clicks, and waits for the next page to replace this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 30).until(lambda _: replaced(page))


def replaced(page: WebElement) -> bool:
    """The element belongs to a page left behind. While the next page loads, Chromium may say so
    as "Node with given id does not belong to the document" rather than as a stale element."""
    try:
        page.is_enabled()
    except WebDriverException:  # StaleElementReferenceException among them
        return True
    return False


def shot(browser: WebDriver, folder: Path, name: str) -> None:
    folder.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(folder / f"{name}.png"))


def cells(browser: WebDriver, column: int) -> list[str]:
    return [row.find_elements(By.TAG_NAME, "td")[column].text
            for row in browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")]


def test_finance_searches_reads_a_document_and_downloads_its_pdf(console: Api, browser: WebDriver,
                                                                  tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    log_in(browser, console.base, console.token("finance", "etincelle"), shots)
    cookie = browser.get_cookie("billing_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "billing_console" not in browser.execute_script("return document.cookie")  # no script reads it
    shot(browser, shots, "invoices")
    numbers = cells(browser, 0)
    assert numbers and all(n.startswith("ETS-") for n in numbers)
    assert all(FRENCH_AMOUNT.match(a) for a in cells(browser, 4)), cells(browser, 4)
    assert all(FRENCH_DATE.match(d) for d in cells(browser, 2))

    client_id = cells(browser, 1)[0]  # a search: that client's overdue documents
    browser.find_element(By.ID, "client").send_keys(client_id)
    Select(browser.find_element(By.ID, "status")).select_by_value("overdue")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    assert set(cells(browser, 1)) <= {client_id} and set(cells(browser, 6)) <= {"en retard"}
    shot(browser, shots, "search")

    browser.get(f"{console.base}/console/invoices?client={client_id}")
    submit(browser, browser.find_element(By.LINK_TEXT, cells(browser, 0)[0]))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert {"Lignes", "Mentions", "Paiements", "Explication"} <= set(page.splitlines())
    assert "fait " in page and "Règle : CGV art." in page  # the facts and clauses behind its lines
    shot(browser, shots, "document")
    browser.find_element(By.PARTIAL_LINK_TEXT, "PDF").click()
    pdf = downloaded(tmp_path / "downloads")
    assert pdf.read_bytes().startswith(b"%PDF")

    browser.get(f"{console.base}/console/receivables")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg[role=img]")) == 2  # ageing and revenue charts
    shot(browser, shots, "receivables")
    browser.get(f"{console.base}/console/attestations?year=2026")
    assert cells(browser, 0)
    shot(browser, shots, "attestations")


def downloaded(folder: Path, seconds: float = 30) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.pdf")] if folder.exists() else []
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no PDF downloaded into {folder}")


def test_an_auditor_replays_an_uploaded_version_and_sees_each_difference(console: Api, browser: WebDriver,
                                                                         tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    log_in(browser, console.base, console.token("auditor", "etincelle"), shots)
    browser.get(f"{console.base}/console/replay")
    version = tmp_path / "audit.toml"
    version.write_text(AUDIT_NOTICE)
    browser.find_element(By.ID, "file").send_keys(str(version))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    assert "Sous AUDIT-ETS-NOTICE-1" in browser.find_element(By.CSS_SELECTOR, "p.totals").text
    changed = browser.find_elements(By.CSS_SELECTOR, "tr.diff")
    assert changed and any("late_cancellation" in row.text for row in changed)
    shot(browser, shots, "replay")
    field = browser.find_element(By.ID, "known_at")  # before anything was recorded (typed as the locale shows it)
    browser.execute_script("arguments[0].value = '2000-01-01T00:00:00'", field)
    Select(browser.find_element(By.ID, "terms")).select_by_value("CGV-2025-09-02")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    assert "Tel que connu le 2000-01-01" in browser.find_element(By.CSS_SELECTOR, "p.known").text
    assert "facturé 0,00" in browser.find_element(By.CSS_SELECTOR, "p.totals").text  # nothing known then
    browser.get(f"{console.base}/console/verify")
    assert "Vérifié" in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, shots, "verify")


def test_a_token_of_one_provider_never_shows_the_others_data(console: Api, browser: WebDriver,
                                                             tmp_path: Path) -> None:
    ets_numbers = [r["number"] for r in run_billing_json(console, "invoices", "--provider", "etincelle")]
    log_in(browser, console.base, console.token("finance", "btbconnect"), tmp_path / "screenshots")
    for path in ("/console/invoices", "/console/receivables", "/console/invoices?client=E-PER"):
        browser.get(console.base + path)
        assert "ETS-" not in browser.page_source and "E-PER" not in cells_text(browser)
    browser.get(f"{console.base}/console/invoices/{ets_numbers[0]}")
    assert ets_numbers[0] not in browser.find_element(By.TAG_NAME, "h1").text
    assert "aucun document" in browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{console.base}/console/attestations?year=2026")
    assert "hors du périmètre" in browser.find_element(By.TAG_NAME, "main").text
    secret = browser.get_cookie("billing_console")["value"]
    with httpx.Client(base_url=console.base, cookies={"billing_console": secret}) as c:
        assert c.get(f"/console/invoices/{ets_numbers[0]}/pdf").status_code == 404


def cells_text(browser: WebDriver) -> str:
    return " ".join(cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "main td"))


def run_billing_json(api: Api, *args: str) -> list[dict]:
    import json

    return json.loads(run_billing(*args, "--format", "json", db=api.db).stdout)


def test_forms_without_their_csrf_token_are_refused(console: Api) -> None:
    secret = console.token("auditor", "etincelle")
    with httpx.Client(base_url=console.base, cookies={"billing_console": secret}) as c:
        assert c.post("/console/logout").status_code == 403  # another site's form: no CSRF token
        assert c.post("/console/replay", data={"terms": "CGV-2025-09-02", "csrf": "forged"}).status_code == 403
        page = c.get("/console/replay").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        assert c.post("/console/replay", data={"terms": "CGV-2025-09-02", "csrf": csrf}).status_code == 200
    with httpx.Client(base_url=console.base) as c:
        refused = c.post("/console/login", data={"token": "bk_00000000_" + "x" * 43})
        assert refused.status_code == 401 and "Jeton inconnu" in refused.text


def test_the_pages_fit_a_phone(console: Api, tmp_path: Path) -> None:
    phone = chromium(tmp_path, phone=True)
    try:
        shots = tmp_path / "phone"
        log_in(phone, console.base, console.token("auditor", "etincelle"), shots)
        number = cells(phone, 0)[0]
        for name, path in (("invoices", "/console/invoices"), ("document", f"/console/invoices/{number}"),
                           ("receivables", "/console/receivables"), ("replay", "/console/replay")):
            phone.get(console.base + path)
            width = phone.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1] == 390, (path, width)  # wide tables scroll inside the page, never it
            shot(phone, shots, name)
    finally:
        phone.quit()


def console_secret(db: str) -> str:
    return new_token(db, "finance", "etincelle", "console")[1]


def test_logins_refused_too_often_are_refused_for_a_while(db_url: str, tmp_path: Path) -> None:
    limits = {"BILLING_HTTP_MAX_FAILURES": "3", "BILLING_HTTP_FAILURE_WINDOW": "60"}
    with running_server(db_url, tmp_path / "server.log", settings=limits) as base, httpx.Client(base_url=base) as c:
        wrong = {"token": "bk_00000000_" + "x" * 43}
        assert [c.post("/console/login", data=wrong).status_code for _ in range(3)] == [401, 401, 401]
        limited = c.post("/console/login", data={"token": console_secret(db_url)})  # even the right token, now
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_an_auditor_replays_one_client(console: Api) -> None:
    secret = console.token("auditor", "btbconnect")
    with httpx.Client(base_url=console.base, cookies={"billing_console": secret}, timeout=60) as c:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get("/console/replay").text).group(1)

        def replayed(client: str) -> list[str]:
            page = c.post("/console/replay", data={"csrf": csrf, "client": client},
                          files={"file": ("audit.toml", AUDIT_NOTHING_INCLUDED.encode())})
            assert page.status_code == 200
            return re.findall(r'<tr class="diff">(.*?)</tr>', page.text, re.S)

        every = replayed("")
        one = re.match(r"<td>([^<]+)</td>", every[0]).group(1)  # a client billed more for its appointments
        assert replayed(one) == [row for row in every if row.startswith(f"<td>{one}</td>")]
        assert len({re.match(r"<td>([^<]+)</td>", row).group(1) for row in every}) > 1  # the others are left out
