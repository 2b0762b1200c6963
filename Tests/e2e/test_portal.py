"""The portal in a real browser against the real system (`certportal up --demo`)."""
import collections
import os
import signal
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

COUNTED = ["certified", "expiring", "expired", "pending", "failed"]


def year(config, **extra):
    return dict({"from": config["year_from"], "to": config["year_to"], "date_field": "completion"}, **extra)


def test_login_with_the_keyboard_only(page):
    page.logout_all()
    body = page.d.find_element(By.TAG_NAME, "body")
    body.click()
    keys = ActionChains(page.d)
    # Tab from the top of the page until the e-mail field has focus (skip link first).
    for _ in range(6):
        if page.js("return document.activeElement.id") == "login-email":
            break
        keys.send_keys(Keys.TAB).perform()
    assert page.js("return document.activeElement.id") == "login-email"
    keys.send_keys("admin@example.com").send_keys(Keys.TAB).perform()
    assert page.js("return document.activeElement.id") == "login-password"
    keys.send_keys("demo-admin").send_keys(Keys.ENTER).perform()
    page.wait(lambda: page.visible("records-view"), message="records view after keyboard log-in")
    assert page.d.find_element(By.ID, "user-email").text == "admin@example.com"


def test_wrong_password_says_so(page):
    page.logout_all()
    page.d.find_element(By.ID, "login-email").send_keys("admin@example.com")
    page.d.find_element(By.ID, "login-password").send_keys("not-the-password\n")
    page.wait(lambda: page.visible("login-error"), message="log-in error")
    assert page.d.find_element(By.ID, "login-error").text.strip()
    assert page.visible("login-view") and not page.visible("records-view")


def test_admin_stats_bar_matches_the_api(page, api, config):
    page.login("admin")
    answer = api["admin"].get("/api/records", **year(config), page_size=25)
    shown = page.stats()
    assert list(shown) == COUNTED  # the product's reading order, whatever order the config lists them in
    assert set(shown) == {s["key"] for s in config["statuses"] if s["counted"]}
    assert shown == {k: answer["summary"][k] for k in COUNTED}
    assert page.total() == answer["total"]

    counts = collections.Counter(r["status"] for r in api["admin"].all_records(**year(config)))
    assert {k: counts.get(k, 0) for k in COUNTED} == {k: answer["summary"][k] for k in COUNTED}
    assert sum(counts.values()) == answer["total"]

    # Every configured column is shown, in order, with the actions for an admin.
    headers = page.js("return [...document.querySelectorAll('#records-table thead th[data-key]')].map(th => th.dataset.key)")
    assert headers == [c["key"] for c in config["columns"]]
    assert page.d.find_elements(By.CSS_SELECTOR, '#records-table tbody [data-action="rebook"]')
    assert "Showing 1–" in page.d.find_element(By.ID, "result-count").text
    page.screenshot("admin-records")
    assert not page.console_errors()


@pytest.mark.parametrize("status", ["expired", "pending"])
def test_clicking_a_figure_filters_the_table(page, api, config, status):
    page.login("admin")
    all_total = page.total()
    expected = api["admin"].get("/api/records", **year(config), status=status, page_size=25)["total"]
    assert page.stats()[status] == expected
    page.act(lambda: page.click(f'#stats-bar .stat[data-status="{status}"]'))
    button = page.d.find_element(By.CSS_SELECTOR, f'#stats-bar .stat[data-status="{status}"]')
    assert button.get_attribute("aria-pressed") == "true"
    assert page.total() == expected
    assert f"status={status}" in page.d.current_url
    rows = page.rows()
    assert len(rows) == min(expected, 50)
    assert {r["_status"] for r in rows} <= {status}
    assert {r["status"] for r in rows} <= {status.title()}
    if not expected:
        assert "No records match" in page.d.find_element(By.CSS_SELECTOR, "#records-table tbody").text
    # Clicking it again clears the filter.
    page.act(lambda: page.click(f'#stats-bar .stat[data-status="{status}"]'))
    assert button.get_attribute("aria-pressed") == "false"
    assert page.total() == all_total


def test_sorting_by_contact_name(page, api, config):
    page.login("admin")
    page.act(lambda: page.click('.sort-button[data-sort="contact_name"]'))
    th = page.d.find_element(By.CSS_SELECTOR, '#records-table thead th[data-key="contact_name"]')
    assert th.get_attribute("aria-sort") == "ascending"
    expected = api["admin"].get("/api/records", **year(config), sort="contact_name", page_size=50)["records"]
    assert [r["record_id"] for r in page.rows()] == [r["record_id"] for r in expected]
    names = [r["contact_name"] for r in page.rows()]
    assert names == [r["contact_name"] for r in expected]

    page.act(lambda: page.click('.sort-button[data-sort="contact_name"]'))
    assert th.get_attribute("aria-sort") == "descending"
    expected = api["admin"].get("/api/records", **year(config), sort="-contact_name", page_size=50)["records"]
    assert [r["record_id"] for r in page.rows()] == [r["record_id"] for r in expected]


def test_next_and_previous_pages(page, api, config):
    page.login("admin")
    first = [r["record_id"] for r in page.rows()]
    assert len(first) == 50, "the demo data should fill more than one page"
    page.act(lambda: page.click("#next-page"))
    second = [r["record_id"] for r in page.rows()]
    assert second and not set(second) & set(first)
    one = api["admin"].get("/api/records", **year(config), page_size=50)
    two = api["admin"].get("/api/records", **year(config), page_size=50, cursor=one["next_cursor"])
    assert second == [r["record_id"] for r in two["records"]]
    assert "Showing 51–" in page.d.find_element(By.ID, "result-count").text
    page.act(lambda: page.click("#prev-page"))
    assert [r["record_id"] for r in page.rows()] == first
    assert page.d.find_element(By.ID, "prev-page").get_attribute("disabled") is not None


def test_course_filter_changes_the_total(page, api, config):
    page.login("admin")
    all_total = page.total()
    courses = api["admin"].get("/api/facets")["courses"]
    assert courses
    course = courses[len(courses) // 2]
    page.act(lambda: Select(page.d.find_element(By.ID, "f-course")).select_by_value(course["id"]))
    expected = api["admin"].get("/api/records", **year(config), course=course["id"], page_size=25)
    assert page.total() == expected["total"]
    assert page.total() < all_total
    assert page.stats() == {k: expected["summary"][k] for k in COUNTED}
    assert {r["course_name"] for r in page.rows()} <= {course["name"]}
    # The filter survives a reload (it is kept in the URL).
    page.d.refresh()
    page.wait_loaded(0)
    assert page.total() == expected["total"]
    assert Select(page.d.find_element(By.ID, "f-course")).first_selected_option.get_attribute("value") == course["id"]


def test_orgrep_sees_only_their_organisation(page, api, config):
    mine = api["orgrep"].all_records(**year(config))
    assert mine and {r["organisation_id"] for r in mine} == {"ORG-0001"}
    org_name = mine[0]["organisation"]
    page.login("orgrep")
    answer = api["orgrep"].get("/api/records", **year(config), page_size=25)
    assert page.total() == answer["total"] == len(mine)
    assert page.stats() == {k: answer["summary"][k] for k in COUNTED}
    rows = page.rows()
    assert rows and {r["organisation"] for r in rows} == {org_name}
    orgs = page.js("return [...document.querySelectorAll('#f-organisation option')].map(o => o.value).filter(Boolean)")
    assert orgs == ["ORG-0001"]
    assert not page.d.find_elements(By.CSS_SELECTOR, '#records-table tbody [data-action="rebook"]')


def test_booker_sees_only_their_bookings(page, api, config):
    mine = api["booker"].all_records(**year(config))
    assert mine and {r["booker_id"] for r in mine} == {"BKR-0001"}
    booker_name = mine[0]["booker"]
    page.login("booker")
    answer = api["booker"].get("/api/records", **year(config), page_size=25)
    assert page.total() == answer["total"] == len(mine)
    assert {r["booker"] for r in page.rows()} == {booker_name}
    links = page.d.find_elements(By.CSS_SELECTOR, '#records-table tbody .row-actions a[data-action="rebook-link"]')
    for link in links:
        assert link.get_attribute("target") == "_blank"
    page.screenshot("booker-records")


def test_records_of_others_are_not_found(api, config):
    everything = api["admin"].all_records(**year(config))
    foreign = next(r for r in everything if r["organisation_id"] != "ORG-0001" and r["booker_id"] != "BKR-0001")
    for role in ("orgrep", "booker"):
        status, body = api[role].call("GET", f"/api/records/{foreign['record_id']}")
        assert status == 404, (role, status, body)
        assert body["error"]["code"] == "not_found"
    own = api["orgrep"].get("/api/records", **year(config), page_size=25)["records"][0]
    assert api["orgrep"].get(f"/api/records/{own['record_id']}")["record_id"] == own["record_id"]


def test_training_matrix_renders(page, api):
    page.login("admin")
    page.open("#/matrix")
    page.wait(lambda: page.js("return document.getElementById('matrix-wrap').getAttribute('aria-busy')") == "false"
              and page.d.find_elements(By.CSS_SELECTOR, "#matrix-table td.matrix-cell"), message="matrix")
    cells = page.d.find_elements(By.CSS_SELECTOR, "#matrix-table td.matrix-cell[data-status]")
    assert cells, "no coloured cells"
    org = Select(page.d.find_element(By.ID, "m-organisation")).first_selected_option.get_attribute("value")
    answer = api["admin"].get("/api/matrix", organisation=org)
    assert len(page.d.find_elements(By.CSS_SELECTOR, "#matrix-table tbody tr")) == len(answer["rows"])
    assert len(page.d.find_elements(By.CSS_SELECTOR, "#matrix-table thead th.matrix-course")) == len(answer["courses"])
    assert len(cells) == sum(len(r["cells"]) for r in answer["rows"])
    page.screenshot("matrix")


def test_forecast_renders_twelve_bars(page, api):
    page.login("admin")
    page.open("#/forecast")
    page.wait(lambda: len(page.d.find_elements(By.CSS_SELECTOR, "#forecast-chart rect.bar")) == 12, message="12 bars")
    values = page.js("return [...document.querySelectorAll('#forecast-chart rect.bar')].map(r => +r.dataset.value)")
    answer = api["admin"].get("/api/forecast", months=12)
    assert values == [m["expiring"] for m in answer["months"]]
    labels = page.d.find_elements(By.CSS_SELECTOR, "#forecast-chart text.bar-value")
    assert len(labels) == 12
    page.screenshot("forecast")


def test_stopped_service_shows_the_banner_and_recovers(page, portal):
    pid = portal.service_pid("stats-service")
    if pid is None:
        pytest.skip("no pid file for stats-service (external portal without CERTPORTAL_E2E_DATA)")
    page.login("admin")
    os.kill(pid, signal.SIGSTOP)
    try:
        before = page.loads()
        page.click('#stats-bar .stat[data-status="pending"]')
        page.wait(lambda: page.visible("service-banner"), timeout=45, message="unavailable banner")
        assert "not reachable" in page.d.find_element(By.ID, "service-banner").text
        page.screenshot("service-down")
    finally:
        os.kill(pid, signal.SIGCONT)
    page.wait(lambda: not page.visible("service-banner"), timeout=45, message="banner gone after the service is back")
    page.wait_loaded(before)
    assert page.d.find_element(By.CSS_SELECTOR, '#stats-bar .stat[data-status="pending"]').get_attribute("aria-pressed") == "true"
    assert page.total() == page.stats()["pending"]
