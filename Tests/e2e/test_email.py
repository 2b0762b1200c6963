"""E-mail in the portal, in a real browser against the real system (`certportal up --demo` sending
to the test SMTP server): one certificate sent from the Actions column until it is "sent", with the
PDF attached byte for byte; a batch with a record skipped and why; a template edited in the E-mail
view and the next e-mail written from it."""
import time

import pytest
from selenium.webdriver.common.by import By

USED = set()  # records a test here has already e-mailed


@pytest.fixture(autouse=True, scope="module")
def email_endpoints(api, smtp):
    """Skips (saying why) while the portal cannot send e-mail; any other answer is tested."""
    status, body = api["admin"].call("GET", "/api/email-templates")
    if status != 200:
        pytest.skip(f"the portal sends no e-mail yet (GET /api/email-templates: {status} {body})")
    if smtp is None:
        pytest.skip("no SMTP server of ours to read (a portal given by CERTPORTAL_E2E_URL, or Tests/Tools/smtp_server.py missing)")


def year(config, **extra):
    return dict({"from": config["year_from"], "to": config["year_to"], "date_field": "completion"}, **extra)


def certified(api, config, n):
    """n records with a certificate and both addresses that no test here has e-mailed yet."""
    found = [r for r in reversed(api["admin"].all_records(**year(config)))
             if r["has_certificate"] and r["contact_email"] and r["booker_email"] and r["record_id"] not in USED][:n]
    assert len(found) == n, "the demo issues certificates"
    USED.update(r["record_id"] for r in found)
    return found


def received(page, smtp, recipient, count=1, subject=None):
    """The messages to `recipient` once `count` have arrived (with `subject` in it, when given)."""
    def arrived():
        mine = [m for envelope, m in smtp.messages() if recipient in envelope["rcpt_tos"]
                and (subject is None or subject in str(m["Subject"]))]
        return mine if len(mine) >= count else None
    return page.wait(arrived, timeout=60, message=f"{count} e-mail(s) to {recipient}")


def attachment(message):
    """The one file attached — the certificate as issued (PDF) or uploaded (PDF, PNG or
    JPEG) — or None for a message without exactly one (such as an expiry reminder)."""
    parts = list(message.iter_attachments())
    if len(parts) != 1 or parts[0].get_content_type() not in ("application/pdf", "image/png", "image/jpeg"):
        return None
    return parts[0].get_payload(decode=True)


def certificate_template(api):
    return next(t for t in api["admin"].get("/api/email-templates")["templates"] if t["name"] == "certificate")


def delivery_states(page):
    return page.js("return [...document.querySelectorAll('#email-delivery-list li[data-state]')].map(li => li.dataset.state)")


def wait_final(page):
    page.wait(lambda: page.js("return document.getElementById('email-delivery').dataset.final") == "true",
              timeout=60, message="every message sent or failed")


def test_one_certificate_by_email_reaches_sent_with_the_pdf_attached(page, api, config, smtp):
    record = certified(api, config, 1)[0]
    page.login("admin")
    page.show(q=record["booking_id"])
    button = page.row_action(record["record_id"], "email")
    assert button is not None and button.is_enabled()
    assert button.get_attribute("aria-label").startswith("Send Email")
    button.click()
    page.wait(lambda: page.dialog_open("email-dialog"), message="the Send Email dialog")
    assert record["contact_email"] in page.d.find_element(By.ID, "email-to-delegate").text
    assert record["booker_email"] in page.d.find_element(By.ID, "email-to-booker").text
    # The template's preview for this record: filled in, no placeholder left.
    page.wait(lambda: page.js("return document.getElementById('email-preview').getAttribute('aria-busy')") == "false",
              message="the preview")
    subject = page.d.find_element(By.ID, "email-preview-subject").text
    body = page.d.find_element(By.ID, "email-preview-body").text
    assert subject and "{" not in subject and "{" not in body
    page.screenshot("email-dialog")

    page.click('#email-to input[value="delegate"]')
    page.click("#email-send")
    page.wait(lambda: page.visible("email-delivery"), message="the delivery state")
    wait_final(page)
    assert delivery_states(page) == ["sent"]
    assert "1 of 1 sent" in page.d.find_element(By.ID, "email-delivery-label").text
    page.screenshot("email-delivered")

    mail = received(page, smtp, record["contact_email"])[-1]
    assert str(mail["Subject"]) == subject
    status, _, pdf = api["admin"].raw("GET", f"/api/records/{record['record_id']}/certificate/file")
    assert status == 200 and attachment(mail) == pdf, "the attachment is the certificate, byte for byte"
    assert record["booker_email"] not in str(mail["To"]), "to the delegate only"
    page.click("#email-cancel")
    assert not page.dialog_open("email-dialog")
    # The outbox lists it as sent, newest first.
    outbox = api["admin"].get("/api/emails", record_id=record["record_id"])
    assert outbox["messages"][0]["state"] == "sent" and [r.endswith("<%s>" % record["contact_email"]) for r in outbox["messages"][0]["recipients"]] == [True]
    assert not page.console_errors()


def test_batch_send_lists_what_was_skipped_and_why(page, api, config, smtp):
    page.login("admin")
    page.show(**year(config), page_size="200")
    by_id = {r["record_id"]: r for r in api["admin"].all_records(**year(config))}
    on_page = [by_id[row["record_id"]] for row in page.rows()]
    records = [r for r in on_page if r["has_certificate"] and r["contact_email"] and r["booker_email"] and r["record_id"] not in USED][:2]
    without = [r for r in on_page if not r["has_certificate"]][:1]
    assert len(records) == 2 and without, "the demo's first page has certificates and records without one"
    USED.update(r["record_id"] for r in records)
    without = without[0]
    ids = [r["record_id"] for r in records] + [without["record_id"]]
    for rid in ids:
        page.click(f'#records-table tbody tr[data-record-id="{rid}"] input.row-select')
    assert page.visible("selection-bar")
    batch = page.d.find_element(By.ID, "batch-email")
    assert batch.is_enabled()
    batch.click()
    page.wait(lambda: page.dialog_open("email-dialog"), message="the batch Send Email dialog")
    assert page.d.find_element(By.ID, "email-send").text == "Send 3"
    page.click('#email-to input[value="both"]')
    page.click("#email-send")
    page.wait(lambda: page.visible("email-delivery"), message="the delivery state")
    wait_final(page)
    states = delivery_states(page)
    assert states and set(states) == {"sent"}, states
    skipped = page.js("return [...document.querySelectorAll('#email-skipped-list li')].map(li => [+li.dataset.recordId, li.textContent])")
    assert [s[0] for s in skipped] == [without["record_id"]], skipped
    assert without["contact_name"] in skipped[0][1] and ":" in skipped[0][1], "named, with the reason"
    assert "null" not in page.d.find_element(By.ID, "email-delivery-list").text, "no stray value rendered"
    page.screenshot("email-batch")
    for r in records:
        for address in (r["contact_email"], r["booker_email"]):
            mails = received(page, smtp, address)
            assert any(attachment(m) == api["admin"].raw("GET", f"/api/records/{r['record_id']}/certificate/file")[2] for m in mails)
    page.click("#email-cancel")
    assert not page.console_errors()


def test_an_edited_template_writes_the_next_email(page, api, config, smtp):
    templates = {t["name"]: t for t in api["admin"].get("/api/email-templates")["templates"]}
    assert set(templates) >= {"certificate", "reminder"}
    original = templates["certificate"]
    assert original["placeholders"], "the placeholders are listed"
    record = certified(api, config, 1)[0]
    page.login("admin")
    nav = page.d.find_element(By.CSS_SELECTOR, '#main-nav a[data-view="email"]')
    assert nav.is_displayed()
    nav.click()
    page.wait(lambda: page.visible("email-template-form"), message="the e-mail template editor")
    page.wait(lambda: page.js("return +document.getElementById('outbox-table').dataset.loads || 0") > 0, message="the outbox")
    counts = page.js("return Object.fromEntries([...document.querySelectorAll('#outbox-counts button')].map(b => [b.dataset.state, +b.dataset.count]))")
    assert counts["sent"] >= 1 and counts[""] >= counts["sent"], counts
    page.click('#email-template-list a[data-email-template="certificate"]')
    chips = page.js("return [...document.querySelectorAll('#email-placeholder-chips .chip')].map(c => c.dataset.placeholder)")
    assert chips and all(c.startswith("{") for c in chips)
    name = next((c for c in chips if "contact_name" in c), chips[0])

    # Typed into the subject, with a placeholder from its chip: the live preview fills it in for the record.
    marker = f"E2E {int(time.time())}"
    subject = page.d.find_element(By.ID, "et-subject")
    subject.clear()
    subject.send_keys(f"{marker} for ")
    page.click(f'#email-placeholder-chips .chip[data-placeholder="{name}"]')
    assert subject.get_attribute("value") == f"{marker} for {name}"
    page.d.find_element(By.ID, "et-preview-record").send_keys(str(record["record_id"]))
    page.wait(lambda: page.d.find_element(By.ID, "et-preview-subject").text.startswith(marker) and
              "{" not in page.d.find_element(By.ID, "et-preview-subject").text, message="the live preview")
    filled = page.d.find_element(By.ID, "et-preview-subject").text
    page.screenshot("email-templates")
    page.click("#et-save")
    page.wait(lambda: certificate_template(api)["revision"] > original["revision"], message="saved")
    assert certificate_template(api)["subject"] == f"{marker} for {name}"
    try:
        # The next e-mail is written from it.
        answer = api["admin"].post("/api/emails", {"record_ids": [record["record_id"]], "to": "booker"})
        assert [m["subject"] for m in answer["messages"]] == [filled]
        mail = received(page, smtp, record["booker_email"], subject=marker)[-1]
        assert str(mail["Subject"]) == filled
    finally:
        api["admin"].call("PUT", "/api/email-templates/certificate",
                          body={"subject": original["subject"], "body": original["body"]})
    assert not page.console_errors()
