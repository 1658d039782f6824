"""The HTML report in a real headless Chromium: loads clean, offline, with its headline and charts visible."""

import shutil

from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    # Installed by scripts/install-system-deps, which .ci/run runs first: missing means a broken setup.
    assert path, "chromium is not installed (scripts/install-system-deps installs it)"
    return path


def test_report_loads_in_chromium_without_errors_or_network(smoke_run, tmp_path):
    from playwright.sync_api import sync_playwright

    console_errors, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto((smoke_run / "report.html").resolve().as_uri(), wait_until="load")
        assert page.locator("#headline table").first.is_visible()
        assert page.locator("#headline svg").first.is_visible()  # the pass@k chart
        assert page.locator("#training svg").first.is_visible()
        rows = page.locator("#headline table tbody tr").count()
        page.locator("#problem-table a").first.click()  # the drill-down opens in place
        assert page.locator("details.problem").first.evaluate("node => node.open")
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "report.png"
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert console_errors == []
    assert [url for url in requests if not url.startswith("file://")] == []
    assert rows == 2  # base and adapter
    assert screenshot.stat().st_size > 10_000
