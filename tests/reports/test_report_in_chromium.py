"""The HTML report in a real headless Chromium: loads clean, offline, fast, and every sample is one click away."""

import json
import shutil
import time
from contextlib import contextmanager

from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"
HEADLINE_SECONDS = 2.0


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    # Installed by scripts/install-system-deps, which .ci/run runs first: missing means a broken setup.
    assert path, "chromium is not installed (scripts/install-system-deps installs it)"
    return path


@contextmanager
def browser_page():
    """A Chromium page recording console errors and every request it makes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.errors, page.requests = [], []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("request", lambda request: page.requests.append(request.url))
        try:
            yield page
        finally:
            browser.close()


def test_report_loads_in_chromium_without_errors_or_network(smoke_run):
    with browser_page() as page:
        page.goto((smoke_run / "report.html").resolve().as_uri(), wait_until="load")
        assert page.locator("#headline-table").is_visible()
        assert page.locator("#answers .answer").first.is_visible()  # adapter vs base, in words
        assert page.locator("#headline svg").first.is_visible()  # the pass@k chart
        assert page.locator("#training svg").first.is_visible()
        rows = page.locator("#headline-table tbody tr").count()
        page.locator("#problem-table a").first.click()  # the problem's page, with its samples
        page.wait_for_load_state("load")
        samples = page.locator("details.sample").count()
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "report.png"
        page.go_back()
        page.screenshot(path=str(screenshot), full_page=True)
        errors, requests = page.errors, page.requests
    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == []
    assert rows == 2  # base and adapter
    assert samples == 2 * 2  # two samples of each label (TINY_RUN_OVERRIDES)
    assert screenshot.stat().st_size > 10_000


def test_a_large_report_shows_its_headline_fast_and_reaches_every_sample(wide_run):
    problems = json.loads((wide_run / "eval" / "problems.json").read_text())["problems"]
    assert len(problems) >= 100
    with browser_page() as page:
        started = time.perf_counter()
        page.goto((wide_run / "report.html").resolve().as_uri(), wait_until="commit")
        page.locator("#answers .answer").first.wait_for(state="visible")
        headline_after = time.perf_counter() - started
        assert page.locator("#headline-table").is_visible()
        assert page.locator("#problem-table tbody tr").count() == len(problems)
        link = page.locator("#problem-table a").nth(57)
        title = link.inner_text()
        link.click()
        page.wait_for_load_state("load")
        assert page.locator("header h1").inner_text() == title
        pid = page.locator("header .meta code").inner_text()
        samples = page.locator("details.sample")
        seen = {(samples.nth(i).get_attribute("data-label"), samples.nth(i).get_attribute("data-sample"))
                for i in range(samples.count())}
        raw = page.locator("pre.raw-text").all_text_contents()
        page.locator("details.sample").nth(5).locator("summary").first.click()  # a sample opens in place
        assert page.locator("details.sample").nth(5).locator("table.tests, p").first.is_visible()
        page.locator("#back").click()
        page.wait_for_load_state("load")
        assert page.locator("#headline-table").is_visible()
        errors, requests = page.errors, page.requests
    assert headline_after < HEADLINE_SECONDS, headline_after
    expected = {(label, str(sample)) for label in ("base", "adapter", "checkpoint-100") for sample in range(4)}
    assert seen == expected  # every label's every sample of that problem
    texts = {json.loads(line)["text"] for label in ("base", "adapter", "checkpoint-100")
             for line in (wide_run / "eval" / label / "completions.jsonl").open() if json.loads(line)["problem_id"] == pid}
    assert len(texts) == 12 and texts == set(raw)  # the raw completions, verbatim
    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == []
