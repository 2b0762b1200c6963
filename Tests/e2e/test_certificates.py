"""Certificates in the portal, in a real browser against the real system (`certportal up --demo`):
issue, upload (new, replace, with e-mail), a refused file, download, share and what bookers see,
the history, batch issue and share, the verification page and the templates editor."""
import json
import pathlib
import struct
import tempfile
import time
import zlib

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import DOWNLOADS

COUNTED = ["certified", "expiring", "expired", "pending", "failed"]
WORK = pathlib.Path(tempfile.mkdtemp(prefix="certportal-e2e-files-"))
TAKEN = set()  # records a test here has already given a certificate
BOOKER = "BKR-0001"  # booker@example.com


@pytest.fixture(autouse=True, scope="module")
def certificate_endpoints(api):
    """Skips (saying why) while the gateway has no certificate endpoints at all; any other answer is tested."""
    status, body = api["admin"].call("GET", "/api/templates")
    if status == 404 and "no such endpoint" in str(body):
        pytest.skip("the gateway has no certificate endpoints yet (GET /api/templates: no such endpoint)")


def year(config, **extra):
    return dict({"from": config["year_from"], "to": config["year_to"], "date_field": "completion"}, **extra)


def png(width=24, height=16, rgb=(31, 95, 168)):
    """A small valid PNG (signature, IHDR, one IDAT, IEND), written with zlib and struct."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write(name, data):
    path = WORK / name
    path.write_bytes(data)
    return str(path)


def pending_records(api, config, role="admin", **query):
    """Pending records without a certificate, in the current year (as the admin sees them)."""
    return [r for r in api[role].all_records(**year(config, status="pending"), **query) if not r["has_certificate"]]


def take_pending(api, config, role="admin", **query):
    """A pending record with no certificate versions at all that no other test here has used yet."""
    for r in pending_records(api, config, role, **query):
        if r["record_id"] not in TAKEN and (role != "admin" or r["booker_id"] != BOOKER):  # the booker's are for the sharing test
            TAKEN.add(r["record_id"])
            if api["admin"].call("GET", f"/api/records/{r['record_id']}/certificate")[0] == 404:  # not one with revoked versions
                return r
    pytest.fail("the demo data has no pending record left")


def take_certified(api, config):
    """A record holding a current certificate (the demo issues many) that no other test here has used."""
    for status in ("certified", "expiring"):
        for r in api["admin"].all_records(**year(config, status=status)):
            if r["has_certificate"] and r["record_id"] not in TAKEN and r["booker_id"] != BOOKER:
                TAKEN.add(r["record_id"])
                return r
    pytest.fail("the demo data has no certified record left")


def year_stats(api, config):
    return {k: api["admin"].get("/api/records", **year(config), page_size=25)["summary"][k] for k in COUNTED}


def upload_through_popup(page, record, path, *, replace=None, email_to=None, share=False, screenshot=None):
    """Opens the Upload Cert popup of the record's row, fills it and uploads; answers the toast's text."""
    page.row_action(record["record_id"], "upload").click()
    page.wait(lambda: page.dialog_open("upload-dialog"), message="upload popup")
    page.wait(lambda: page.js("return document.getElementById('upload-dialog').dataset.versions") == "loaded",
              message="the popup's versions loaded")
    page.d.find_element(By.ID, "upload-file").send_keys(path)
    if replace:
        page.click("#upload-mode-replace")
        Select(page.d.find_element(By.ID, "upload-replace")).select_by_value(str(replace))
    if share:
        box = page.d.find_element(By.ID, "upload-share")
        if not box.is_selected():
            box.click()
    toasts = len(page.toasts())
    if email_to:
        page.click("#upload-submit-email")
        assert page.visible("upload-email"), "Upload Cert & Send Email asks whom to send it to"
        page.click(f'#upload-email input[value="{email_to}"]')
        if screenshot:
            page.screenshot(screenshot)
        page.act(lambda: page.click("#upload-submit-email"))
    else:
        page.act(lambda: page.click("#upload-submit"))
    assert not page.dialog_open("upload-dialog")
    page.wait(lambda: len(page.toasts()) > toasts, message="toast after the upload")
    return page.toasts()[-1]


def test_admin_issues_a_certificate_from_the_actions_column(page, api, config):
    record = take_pending(api, config)
    before = year_stats(api, config)
    page.login("admin")
    assert page.stats() == before
    page.show(q=record["booking_id"])
    shown = page.stats()
    button = page.row_action(record["record_id"], "issue")
    assert button is not None and button.is_enabled()
    assert button.get_attribute("aria-label") == f"Issue – {record['contact_name']}, {record['course_name']}"
    button.click()
    page.wait(lambda: page.dialog_open("confirm-dialog"), message="confirmation")
    assert record["contact_name"] in page.d.find_element(By.ID, "confirm-text").text
    page.act(lambda: page.click("#confirm-ok"))
    # The searched view moved at once: one fewer Pending, one more Certified or Expiring.
    after = page.stats()
    assert after["pending"] == shown["pending"] - 1
    assert after["certified"] + after["expiring"] == shown["certified"] + shown["expiring"] + 1
    row = {r["record_id"]: r for r in page.rows()}[record["record_id"]]
    assert row["_status"] in ("certified", "expiring")
    assert row["cert_type"] == "Internal"
    assert page.row_action(record["record_id"], "issue") is None
    assert page.row_action(record["record_id"], "download").tag_name == "a"
    # And so did the whole year's stats bar.
    page.show()
    year_after = page.stats()
    assert year_after["pending"] == before["pending"] - 1
    assert year_after["certified"] + year_after["expiring"] == before["certified"] + before["expiring"] + 1
    assert year_after == year_stats(api, config)
    cert = api["admin"].get(f"/api/records/{record['record_id']}/certificate")
    assert [v["kind"] for v in cert["versions"]] == ["internal"]
    assert not page.console_errors()


def test_upload_a_png_then_replace_it_then_upload_and_email(page, api, config):
    record = take_pending(api, config)
    rid = record["record_id"]
    first, second, third = (write(f"cert-{i}.png", png(24 + i, 16, (10 * i, 95, 168))) for i in range(3))
    page.login("admin")
    page.show(q=record["booking_id"])
    shown = page.stats()

    # A new certificate: the popup as PRODUCT.md has it (screenshot with the file chosen).
    page.row_action(rid, "upload").click()
    page.wait(lambda: page.dialog_open("upload-dialog"), message="upload popup")
    accept = page.d.find_element(By.ID, "upload-file").get_attribute("accept")
    assert {".pdf", ".png", ".jpg", "application/pdf", "image/png", "image/jpeg"} <= set(accept.split(","))
    assert page.d.find_element(By.ID, "upload-mode-new").is_selected()
    assert "course" in page.d.find_element(By.ID, "upload-expiry-hint").text
    labels = page.d.find_element(By.ID, "upload-form").text
    for text in ("Upload as a new certificate", "Select existing certificate to replace", "Expiry date", "Upload Cert", "Upload Cert & Send Email"):
        assert text in labels
    page.d.find_element(By.ID, "upload-file").send_keys(first)
    page.screenshot("upload-popup")
    page.click("#upload-cancel")
    assert not page.dialog_open("upload-dialog")

    message = upload_through_popup(page, record, first)
    assert "uploaded" in message.lower()
    after = page.stats()
    assert after["pending"] == shown["pending"] - 1
    assert after["certified"] + after["expiring"] == shown["certified"] + shown["expiring"] + 1
    row = {r["record_id"]: r for r in page.rows()}[rid]
    assert row["cert_type"] == "External"
    cert = api["admin"].get(f"/api/records/{rid}/certificate")
    assert [(v["number"], v["kind"], v["state"], v["media_type"]) for v in cert["versions"]] == [(1, "external", "current", "image/png")]
    assert cert["versions"][0]["file_name"].endswith(".png")  # the name it downloads under; the original is in the audit
    audit = api["admin"].get(f"/api/records/{rid}/certificate/history")["audit"]
    assert any("cert-0.png" in (a.get("detail") or "") for a in audit), audit
    assert cert["versions"][0]["expiry_date"] == api["admin"].get(f"/api/records/{rid}")["expiry_date"]

    # Replace version 1: it stays in the history as replaced.
    message = upload_through_popup(page, record, second, replace=1)
    assert "replaced" in message.lower()
    cert = api["admin"].get(f"/api/records/{rid}/certificate")
    states = {v["number"]: v["state"] for v in cert["versions"]}
    assert states[1] == "replaced" and cert["current_version"] != 1
    current = next(v for v in cert["versions"] if v["number"] == cert["current_version"])
    assert current["replaces"] == 1
    status, _, body = api["admin"].raw("GET", f"/api/records/{rid}/certificate/file", query={"version": 1})
    assert status == 200 and body == pathlib.Path(first).read_bytes(), "the replaced file is kept"
    assert {r["record_id"]: r for r in page.rows()}[rid]["certificate_updated"] == "Yes"

    # Upload Cert & Send Email: the e-mail is queued.
    versions = len(cert["versions"])
    message = upload_through_popup(page, record, third, email_to="both", screenshot="upload-popup-email")
    assert "queued" in message
    assert page.js("return document.getElementById('upload-dialog').dataset.emailRequestId")
    cert = api["admin"].get(f"/api/records/{rid}/certificate")
    assert len(cert["versions"]) == versions + 1
    assert not page.console_errors()


def test_a_text_file_named_pdf_is_refused_in_the_popup(page, api, config):
    record = take_pending(api, config)
    rid = record["record_id"]
    fake = write("not-really.pdf", b"Dear delegate,\nthis is a plain text file with a .pdf name.\n" * 20)
    page.login("admin")
    page.show(q=record["booking_id"])
    shown = page.stats()
    loads = page.loads()
    page.row_action(rid, "upload").click()
    page.wait(lambda: page.dialog_open("upload-dialog"), message="upload popup")
    page.d.find_element(By.ID, "upload-file").send_keys(fake)
    page.click("#upload-submit")
    page.wait(lambda: page.visible("upload-file-error"), message="the server's refusal next to the file field")
    reason = page.d.find_element(By.ID, "upload-file-error").text
    assert reason and "pdf" in reason.lower() and not reason.startswith("file:"), reason
    assert page.d.find_element(By.ID, "upload-file").get_attribute("aria-invalid") == "true"
    assert page.dialog_open("upload-dialog"), "the popup stays open to pick another file"
    page.screenshot("upload-refused")

    # Over 20 MB is refused before anything is sent.
    big = WORK / "huge.png"
    with open(big, "wb") as f:
        f.truncate(21 * 1024 * 1024)
    page.d.find_element(By.ID, "upload-file").send_keys(str(big))
    page.click("#upload-submit")
    page.wait(lambda: "20 MB" in page.d.find_element(By.ID, "upload-file-error").text, message="size check")
    page.click("#upload-cancel")
    assert page.loads() == loads, "nothing reloaded"
    assert page.stats() == shown
    again = api["admin"].get(f"/api/records/{rid}")
    assert again["status"] == "pending" and not again["has_certificate"]
    status, body = api["admin"].call("GET", f"/api/records/{rid}/certificate")
    assert status == 404, (status, body)


def test_download_arrives_in_the_browser(page, api, config):
    record = take_certified(api, config)
    rid = record["record_id"]
    page.login("admin")
    page.show(q=record["booking_id"])
    link = page.row_action(rid, "download")
    assert link.tag_name == "a" and link.get_attribute("href").endswith(f"/api/records/{rid}/certificate/file")
    before = set(DOWNLOADS.iterdir())
    link.click()

    def arrived():
        new = [p for p in set(DOWNLOADS.iterdir()) - before if not p.name.endswith((".crdownload", ".tmp"))]
        return new[0] if new else None
    path = page.wait(arrived, timeout=30, message="the downloaded file")
    data = path.read_bytes()
    assert data[:5] == b"%PDF-", data[:16]
    status, headers, body = api["admin"].raw("GET", f"/api/records/{rid}/certificate/file")
    assert status == 200 and body == data
    assert "attachment" in headers.get("Content-Disposition", "")


def test_shared_certificates_are_the_only_ones_bookers_download(page, api, config):
    # Two of the booker's records with an unshared certificate: the demo's own, or pending ones issued now.
    theirs = api["admin"].all_records(**year(config), booker=BOOKER)
    ready = [r for r in theirs if r["has_certificate"] and not r["shared"]]
    for r in [r for r in theirs if r["status"] == "pending" and not r["has_certificate"] and r["record_id"] not in TAKEN]:
        if len(ready) >= 2:
            break
        TAKEN.add(r["record_id"])
        api["admin"].post(f"/api/records/{r['record_id']}/certificate/issue", {"share": False})
        ready.append(r)
    assert len(ready) >= 2, "the demo booker needs two records with (or awaiting) a certificate"
    shared, unshared = ready[0], ready[1]

    page.login("admin")
    page.show(q=shared["booking_id"])
    button = page.row_action(shared["record_id"], "share")
    assert button is not None
    page.act(button.click)
    row = {r["record_id"]: r for r in page.rows()}[shared["record_id"]]
    assert row["shared"] == "Yes"
    assert page.row_action(shared["record_id"], "unshare") is not None
    assert api["admin"].get(f"/api/records/{shared['record_id']}/certificate")["shared"] is True

    page.login("booker")
    for r, visible in ((shared, True), (unshared, False)):
        page.show(q=r["booking_id"])
        link = page.row_action(r["record_id"], "download")
        assert (link is not None) == visible, (r["record_id"], visible)
        assert page.row_action(r["record_id"], "upload") is None
        assert page.row_action(r["record_id"], "issue") is None
    page.screenshot("booker-download")

    status, _, body = api["booker"].raw("GET", f"/api/records/{unshared['record_id']}/certificate/file")
    assert status == 404, (status, body[:200])
    status, body = api["booker"].call("GET", f"/api/records/{unshared['record_id']}/certificate")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, _, body = api["booker"].raw("GET", f"/api/records/{shared['record_id']}/certificate/file")
    assert status == 200 and body[:5] == b"%PDF-"
    cert = api["booker"].get(f"/api/records/{shared['record_id']}/certificate")
    assert cert["verification_code"] is None and len(cert["versions"]) == 1
    # Bookers may not share.
    status, body = api["booker"].call("POST", f"/api/records/{unshared['record_id']}/certificate/share", body={"shared": True})
    assert status in (403, 404), (status, body)


def test_history_lists_versions_and_revoke_makes_it_pending(page, api, config):
    record = take_certified(api, config)
    rid = record["record_id"]
    assert [v["state"] for v in api["admin"].get(f"/api/records/{rid}/certificate")["versions"]] == ["current"]
    status, _, body = api["admin"].raw("POST", f"/api/records/{rid}/certificate/upload", query={"file_name": "refresher.png"},
                                       data=png(), headers={"Content-Type": "image/png"})
    assert status == 200, body
    page.login("admin")
    page.show(q=record["booking_id"])
    page.row_action(rid, "history").click()
    page.wait(lambda: page.dialog_open("history-dialog") and
              page.d.find_elements(By.CSS_SELECTOR, "#history-versions tbody tr"), message="history")
    versions = page.js("return [...document.querySelectorAll('#history-versions tbody tr')].map(tr => [+tr.dataset.version, tr.dataset.state])")
    assert versions == [[2, "current"], [1, "superseded"]]
    links = page.d.find_elements(By.CSS_SELECTOR, "#history-versions a[download]")
    assert [l.get_attribute("href").split("?")[-1] for l in links] == ["version=2", "version=1"]
    assert len(page.d.find_elements(By.CSS_SELECTOR, "#history-audit li")) >= 2
    history = api["admin"].get(f"/api/records/{rid}/certificate/history")
    content = page.d.find_element(By.ID, "history-content").text
    assert history["certificate"]["versions"][0]["created_by"] in content
    assert history["audit"][0]["actor"] in content
    page.screenshot("history-dialog")

    page.click('#history-versions button[data-revoke="2"]')
    page.wait(lambda: page.dialog_open("confirm-dialog"), message="revoke confirmation")
    page.click("#confirm-ok")  # no reason yet
    page.wait(lambda: page.visible("confirm-error"), message="a reason is asked for")
    page.d.find_element(By.ID, "revoke-reason").send_keys("issued with the wrong name")
    page.click("#confirm-ok")
    page.wait(lambda: page.dialog_open("history-dialog") and page.js(
        "const tr = document.querySelector('#history-versions tr[data-version=\"2\"]'); return tr && tr.dataset.state") == "revoked",
        message="version 2 revoked")
    assert "issued with the wrong name" in page.d.find_element(By.ID, "history-content").text
    page.act(lambda: page.click("#history-close"))
    cert = api["admin"].get(f"/api/records/{rid}/certificate")
    assert {v["number"]: v["state"] for v in cert["versions"]} == {1: "current", 2: "revoked"}
    # With every version revoked the record is Pending again, and the table says so at once.
    api["admin"].post(f"/api/records/{rid}/certificate/revoke", {"version": 1, "reason": "course re-run"})
    assert api["admin"].get(f"/api/records/{rid}")["status"] == "pending"
    page.show(q=record["booking_id"])
    assert {r["record_id"]: r for r in page.rows()}[rid]["_status"] == "pending"
    assert page.row_action(rid, "issue") is not None


def test_batch_issue_with_live_progress_then_batch_share(page, api, config):
    records = [take_pending(api, config), take_pending(api, config)]
    ids = {r["record_id"] for r in records}
    page.login("admin")
    # "Select all that match" collects every id of the filter (paging through the API), not just the page.
    page.show(page_size="25")
    total = page.total()
    assert total > 25
    page.click("#select-page")
    page.click("#select-all-matching")
    page.click("#batch-issue")
    page.wait(lambda: page.dialog_open("confirm-dialog"), timeout=30, message="batch confirmation for all that match")
    assert f"Issue certificates for {min(total, 1000)} records" in page.d.find_element(By.ID, "confirm-text").text
    page.click("#confirm-cancel")
    assert not page.dialog_open("confirm-dialog")
    page.click("#clear-selection")

    page.show(status="pending", page_size="200")
    for rid in ids:
        page.click(f'#records-table tbody tr[data-record-id="{rid}"] input.row-select')
    assert page.visible("selection-bar")
    assert page.d.find_element(By.ID, "batch-zip").get_attribute("disabled") is None, "ZIP downloads are ready"
    assert page.d.find_element(By.ID, "batch-email").get_attribute("disabled") is None, "batch e-mail is ready"
    page.click("#batch-issue")
    page.wait(lambda: page.dialog_open("confirm-dialog"), message="batch confirmation")
    assert f"{len(ids)} records" in page.d.find_element(By.ID, "confirm-text").text
    before = page.loads()
    page.click("#confirm-ok")
    page.wait(lambda: page.dialog_open("batch-dialog"), message="batch progress")
    page.wait(lambda: "done" in page.d.find_element(By.ID, "batch-label").text, timeout=60, message="batch finished")
    assert page.d.find_element(By.ID, "batch-label").text.startswith(f"Issued {len(ids)} of {len(ids)}")
    assert page.js("const b = document.getElementById('batch-bar'); return b.value === b.max")
    page.screenshot("batch-issue")
    page.click("#batch-close")
    page.wait_loaded(before)
    assert not ids & {r["record_id"] for r in page.rows()}, "issued records leave the Pending view"
    for rid in ids:
        assert api["admin"].get(f"/api/records/{rid}")["status"] in ("certified", "expiring")

    # Share in batch: two certified records that are not shared yet.
    page.show(status="certified", page_size="200")
    unshared = [r["record_id"] for r in page.rows() if r["shared"] == "No"][:2]
    assert len(unshared) == 2
    for rid in unshared:
        page.click(f'#records-table tbody tr[data-record-id="{rid}"] input.row-select')
    page.click("#batch-share")
    page.wait(lambda: page.dialog_open("confirm-dialog"), message="share confirmation")
    page.act(lambda: page.click("#confirm-ok"))
    assert any("2 certificates shared" in t for t in page.toasts()), page.toasts()
    shown = {r["record_id"]: r for r in page.rows()}
    for rid in unshared:
        assert api["admin"].get(f"/api/records/{rid}")["shared"] is True
        assert shown[rid]["shared"] == "Yes"


def test_batch_issue_refuses_what_is_not_pending(api, config):
    failed = api["admin"].get("/api/records", **year(config, status="failed"), page_size=25)["records"]
    assert failed
    status, headers, body = api["admin"].raw("POST", "/api/certificates/issue", data=b'{"record_ids": [%d], "share": false}' % failed[0]["record_id"],
                                             headers={"Content-Type": "application/json"})
    assert status == 200 and headers.get("Content-Type", "").startswith("application/x-ndjson")
    lines = [json.loads(l) for l in body.decode().splitlines() if l.strip()]
    assert lines[-1]["finished"] is True and lines[-1]["refused"] == 1 and lines[-1]["issued"] == 0
    assert lines[0]["issued"] is False and lines[0]["problem"]


def test_verification_page_shows_holder_and_valid(page, api, config):
    record = take_certified(api, config)
    rid = record["record_id"]
    cert = api["admin"].get(f"/api/records/{rid}/certificate")
    code = cert["verification_code"]
    assert code and cert["verification_url"].endswith(f"/verify/{code}")
    page.logout_all()
    page.d.get(page.portal.url + f"/verify/{code}")
    text = page.d.find_element(By.TAG_NAME, "body").text
    assert record["contact_name"] in text
    assert "valid" in text.lower()
    assert cert["certificate_number"] in text
    page.screenshot("verify")
    page.d.get(page.portal.url + "/verify/not-a-real-code")
    assert "not found" in page.d.find_element(By.TAG_NAME, "body").text.lower()


def test_templates_editor(page, api):
    answer = api["admin"].get("/api/templates")
    assert answer["templates"] and answer["placeholders"]
    template = answer["templates"][0]
    page.login("admin")
    nav = page.d.find_element(By.CSS_SELECTOR, '#main-nav a[data-view="templates"]')
    assert nav.is_displayed()
    nav.click()
    page.wait(lambda: page.visible("template-form"), message="template editor")
    names = page.js("return [...document.querySelectorAll('#template-list a')].map(a => a.dataset.template)")
    assert names == [t["template_id"] for t in answer["templates"]]
    assert page.d.find_element(By.ID, "t-title").get_attribute("value") == template["title"]
    assert page.d.find_element(By.ID, "t-primary").get_attribute("type") == "color"
    chips = page.js("return [...document.querySelectorAll('#placeholder-chips .chip')].map(c => c.dataset.placeholder)")
    assert chips == answer["placeholders"]

    # A chip goes in where the cursor is.
    body = page.d.find_element(By.ID, "t-body")
    page.js("const b = arguments[0]; b.value = 'Awarded to '; b.focus(); b.setSelectionRange(b.value.length, b.value.length);", body)
    page.click(f'#placeholder-chips .chip[data-placeholder="{answer["placeholders"][0]}"]')
    assert body.get_attribute("value") == "Awarded to " + answer["placeholders"][0]

    # Preview: the PDF comes back and is shown (or offered as a link where framing is refused).
    page.click("#t-preview")
    page.wait(lambda: page.visible("t-preview-box"), timeout=30, message="preview")
    assert int(page.js("return +document.getElementById('t-preview-box').dataset.bytes")) > 100
    assert page.d.find_element(By.ID, "t-preview-link").get_attribute("href").startswith("blob:")
    page.js("window.scrollTo(0, 0)")
    page.screenshot("templates-editor")

    # An unknown placeholder is named next to the body field; nothing is saved.
    body.send_keys(" {no_such_placeholder}")
    page.click("#t-save")
    page.wait(lambda: page.visible("t-body-error"), message="the body's error")
    assert page.d.find_element(By.ID, "t-body").get_attribute("aria-invalid") == "true"
    assert api["admin"].get(f"/api/templates/{template['template_id']}")["revision"] == template["revision"]

    page.js("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            body, template["body"])
    title = page.d.find_element(By.ID, "t-title")
    title.clear()
    title.send_keys(template["title"] + " (e2e)")
    page.click("#t-save")
    page.wait(lambda: api["admin"].get(f"/api/templates/{template['template_id']}")["revision"] > template["revision"],
              message="saved")
    saved = api["admin"].get(f"/api/templates/{template['template_id']}")
    assert saved["title"] == template["title"] + " (e2e)"
    assert "admin@example.com" in saved["updated_by"]  # e.g. "admin@example.com (admin)"
    page.wait(lambda: not page.visible("t-body-error"), message="error cleared")
    # Put the title back for the other tests' certificates.
    api["admin"].call("PUT", f"/api/templates/{template['template_id']}", body=dict(saved, title=template["title"]))
    assert not page.console_errors()


def test_actions_work_from_the_keyboard_and_are_named(page, api, config):
    from selenium.webdriver.common.keys import Keys
    record = next(r for r in api["admin"].get("/api/records", **year(config, status="certified"), page_size=25)["records"]
                  if r["has_certificate"])
    page.login("admin")
    page.show(q=record["booking_id"])
    controls = page.d.find_elements(By.CSS_SELECTOR, f'#records-table tbody tr[data-record-id="{record["record_id"]}"] .row-actions [data-action]')
    assert [c.get_attribute("data-action") for c in controls][:2] == ["download", "upload"]
    for c in controls:
        label, name = c.text.strip(), c.get_attribute("aria-label")
        assert label and name.startswith(label.split()[0]), (label, name)  # the visible label is in the accessible name
        assert record["contact_name"] in name
    upload = page.row_action(record["record_id"], "upload")
    page.js("arguments[0].focus()", upload)
    upload.send_keys(Keys.ENTER)
    page.wait(lambda: page.dialog_open("upload-dialog"), message="popup opened by Enter")
    assert page.js("return document.activeElement.id") == "upload-file"
    page.js("document.activeElement.blur()")
    page.d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.dialog_open("upload-dialog"), message="Escape closes the popup")
    assert page.js("return document.activeElement.dataset.action") == "upload", "focus back on the button that opened it"
    history = page.row_action(record["record_id"], "history")
    page.js("arguments[0].focus()", history)
    history.send_keys(Keys.ENTER)
    page.wait(lambda: page.dialog_open("history-dialog"), message="history by Enter")
    page.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda: not page.dialog_open("history-dialog"), message="Escape closes the history")
    assert page.js("return document.activeElement.dataset.action") == "history"
