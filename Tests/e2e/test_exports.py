"""Exports in the portal, in a real browser against the real system: the records report
downloaded as CSV from the Records view (the filtered table on screen), and the selected
certificates as one ZIP — read back by Python's csv and zipfile modules."""
import csv
import io
import zipfile

from selenium.webdriver.common.by import By

from conftest import DOWNLOADS


def download(page, click):
    """Clicks, then waits for a new finished file in the browser's download folder."""
    before = set(DOWNLOADS.iterdir())
    click()

    def arrived():
        new = [p for p in set(DOWNLOADS.iterdir()) - before if not p.name.endswith((".crdownload", ".tmp"))]
        return new[0] if new and new[0].stat().st_size > 0 else None
    return page.wait(arrived, timeout=60, message="the downloaded file")


def test_the_report_is_the_filtered_table_as_csv(page, api, config):
    page.login("admin")
    page.show(status="pending")
    total = page.total()
    path = download(page, lambda: page.d.find_element(By.ID, "download-csv").click())
    data = path.read_bytes()
    assert data[:3] == b"\xef\xbb\xbf", "a byte-order mark for spreadsheet programs"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    titles = [c["title"] for c in config["columns"] if c["key"] != "actions"]
    assert rows[0] == titles
    assert len(rows) - 1 == total
    status = titles.index("Status")
    assert {r[status] for r in rows[1:]} <= {"Pending"}
    assert not [c for r in rows[1:] for c in r if c and c[0] in "=+-@\t\r"], "no cell may start a formula"


def test_the_selected_certificates_come_as_one_zip(page, api, config):
    year = {"from": config["year_from"], "to": config["year_to"]}
    shared = [r for r in api["admin"].all_records(**year) if r["has_certificate"]][:3]
    assert len(shared) == 3, "the demo issues certificates"
    page.login("admin")
    page.show(q=shared[0]["booking_id"])
    box = page.d.find_element(By.CSS_SELECTOR, f'#records-table tbody tr[data-record-id="{shared[0]["record_id"]}"] input[type=checkbox]')
    box.click()
    button = page.d.find_element(By.ID, "batch-zip")
    assert button.is_enabled()
    path = download(page, button.click)
    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    names = archive.namelist()
    assert "manifest.csv" in names
    files = [n for n in names if n != "manifest.csv"]
    assert len(files) == 1 and not files[0].startswith(("/", "..")), names
    status, _, body = api["admin"].raw("GET", f"/api/records/{shared[0]['record_id']}/certificate/file")
    assert status == 200 and archive.read(files[0]) == body


def test_a_large_selection_runs_as_a_job_with_a_progress_bar_then_downloads(page, api, config):
    year = {"from": config["year_from"], "to": config["year_to"]}
    records = api["admin"].all_records(status="certified", **year)
    # More than a page of 25: "all that match" is a job.
    assert len(records) > 25, "the demo has enough certificates for more than a page"
    expected = [r for r in records if r["has_certificate"]]
    page.login("admin")
    page.show(status="certified", page_size="25", **year)
    assert page.total() == len(records)
    page.click("#select-page")
    page.wait(lambda: page.visible("select-all-matching"), message="the offer to select all that match")
    page.click("#select-all-matching")
    # Every value the bar takes, and every text it says, from the click on.
    page.js("""
        window.zipSeen = [];
        const bar = document.getElementById('zip-bar'), status = document.getElementById('zip-status');
        new MutationObserver(() => window.zipSeen.push([+bar.getAttribute('aria-valuenow'), status.textContent]))
          .observe(document.getElementById('zip-dialog'), {subtree: true, attributes: true, childList: true, characterData: true});
    """)
    # The download starts by itself once the job is done. The browser writes over a file of
    # the same name (an earlier test's ZIP of the same day): that one goes first.
    for earlier in DOWNLOADS.glob("certificates-*.zip"):
        earlier.unlink()
    path = download(page, lambda: page.click("#batch-zip"))
    assert page.dialog_open("zip-dialog")
    bar = page.d.find_element(By.ID, "zip-bar")
    assert bar.get_attribute("role") == "progressbar"
    page.wait(lambda: bar.get_attribute("aria-valuenow") == "100", message="the bar full")
    assert page.d.find_element(By.ID, "zip-status").text.startswith("Ready:")
    assert page.d.find_element(By.ID, "zip-status").get_attribute("aria-live") == "polite"
    link = page.d.find_element(By.ID, "zip-download")
    assert link.is_displayed() and "/api/exports/jobs/" in link.get_attribute("href")
    assert not page.d.find_element(By.ID, "zip-cancel").is_displayed()
    seen = page.js("return window.zipSeen")
    values = [v for v, _ in seen]
    assert values == sorted(values) and values[-1] == 100, values
    assert any(text.startswith(("Waiting", "Bundling")) for _, text in seen), seen
    page.screenshot("zip-job-done")

    archive = zipfile.ZipFile(path)
    assert archive.testzip() is None
    files = [n for n in archive.namelist() if n != "manifest.csv"]
    assert len(files) == len(expected), (len(files), len(expected))
    manifest = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"), newline="")))
    assert {row[0] for row in manifest[1:] if not row[8].startswith("skipped")} == {str(r["record_id"]) for r in expected}
    page.click("#zip-close")
    assert not page.dialog_open("zip-dialog")
    assert not page.console_errors()

