"""The HTML report in a real headless Chromium: loads clean, offline, fast, every sample one click away, and looks right.

Screenshots go to $HARNESS_ARTIFACTS, else test-artifacts/ in the checkout (see the `artifacts` fixture).
"""

import json
import shutil
import time
from contextlib import contextmanager
from itertools import combinations

import pytest

from reports import build_context, load_run
from tests.fixtures.rundir import Shape
from tests.reports.conftest import rendered

HEADLINE_SECONDS = 2.0
pytestmark = pytest.mark.slow  # launches a browser


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    # Installed by scripts/install-system-deps, which .ci/run runs first: missing means a broken setup.
    assert path, "chromium is not installed (scripts/install-system-deps installs it)"
    return path


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module; each test gets its own context (cookies, cache, history)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def browser_page(browser):
    """A page in a fresh context, recording console errors and every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors, page.requests = [], []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requests.append(request.url))
    try:
        yield page
    finally:
        context.close()


def test_report_loads_in_chromium_without_errors_or_network(browser, smoke_run, artifacts):
    with browser_page(browser) as page:
        page.goto((smoke_run / "report.html").resolve().as_uri(), wait_until="load")
        assert page.locator("#headline-table").is_visible()
        assert page.locator("#answers .answer").first.is_visible()  # adapter vs base, in words
        assert page.locator("#headline svg").first.is_visible()  # the pass@k chart
        assert page.locator("#training svg").first.is_visible()
        rows = page.locator("#headline-table tbody tr").count()
        page.locator("#problem-table a").first.click()  # the problem's page, with its samples
        page.wait_for_load_state("load")
        samples = page.locator("details.sample").count()
        screenshot = artifacts / "report-smoke.png"
        page.go_back()
        page.screenshot(path=str(screenshot), full_page=True)
        errors, requests = page.errors, page.requests
    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == []
    assert rows == 2  # base and adapter
    assert samples == 2 * 2  # two samples of each label (TINY_RUN_OVERRIDES)
    assert screenshot.stat().st_size > 10_000


def test_a_large_report_shows_its_headline_fast_and_reaches_every_sample(browser, wide_run):
    problems = json.loads((wide_run / "eval" / "problems.json").read_text())["problems"]
    assert len(problems) >= 100
    with browser_page(browser) as page:
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


# Boxes of what a reader's eye checks, read off the drawn page (the charts' parts carry ids: reports/charts.py).
GEOMETRY = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const axes = id => {
    const area = document.getElementById(id);
    const group = area.parentElement;  // the axes: its plot area, ticks and artists
    const ticks = kind => [...group.querySelectorAll(`g[id^="${kind}tick_"]`)]
      .map(g => ({text: g.querySelector("text").textContent, at: box(g.querySelector("use"))}));
    return {area: box(area), x: ticks("x"), y: ticks("y")};
  };
  const legend = document.getElementById("verdict-legend");
  return {
    pass: axes("pass-at-k-area"),
    intervals: box(document.getElementById("pass-at-k-intervals")),
    values: [...document.querySelectorAll('[id^="pass-at-k-value-"] text')].map(box),
    sweep: document.getElementById("sweep-area") ? axes("sweep-area") : null,
    verdicts: axes("verdict-area"),
    legend: [...legend.querySelectorAll("text, path")].map(box),
    legendBox: box(legend),
  };
}"""
PX = 0.75  # drawing tolerance, in CSS pixels


def overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > PX and min(a[3], b[3]) - max(a[1], b[1]) > PX


def percent(tick: dict) -> int:
    return int(tick["text"].rstrip("%"))


def assert_share_axis_from_zero(axes: dict, highest: str | None = None) -> None:
    """A share axis starts at 0% on the plot area's bottom, climbs, and never labels more than 100%."""
    ticks = sorted(axes["y"], key=lambda t: -t["at"][1])  # bottom first
    assert ticks[0]["text"] == "0%" and abs(ticks[0]["at"][1] - axes["area"][3]) < PX, ticks[0]
    values = [percent(t) for t in ticks]
    assert values == sorted(values) and len(set(values)) == len(values) and values[-1] <= 100, values
    if highest is not None:
        assert ticks[-1]["text"] == highest


def assert_legend_apart(geometry: dict) -> None:
    parts = geometry["legend"]
    assert len(parts) >= 3  # a title and at least one handle with its text
    for a, b in combinations(parts, 2):
        assert not overlap(a, b), (a, b)
    assert not overlap(geometry["legendBox"], geometry["verdicts"]["area"])  # beside the bars, not over them


NOTHING_SOLVED = Shape(problems=10, samples=2, labels=2, ks=(1, 2))
CASES = {  # name: (shape, outcome), the outcome None for the fixture's own seeded mix of verdicts
    "mixed": (Shape(problems=8, samples=4, labels=3, ks=(1, 2)), None),
    "nothing-solved": (NOTHING_SOLVED, lambda label, index, sample: False),
    "all-solved": (NOTHING_SOLVED, lambda label, index, sample: True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_first_screen_says_the_answer_and_the_charts_read_right(browser, case, tmp_path, artifacts):
    shape, outcome = CASES[case]
    run = rendered(tmp_path / case, shape, outcome=outcome)
    sentence = build_context(load_run(run))["sentence"]
    with browser_page(browser) as page:
        page.goto((run / "report.html").resolve().as_uri(), wait_until="load")
        first = page.locator("#headline > h2 + *")
        said, first_id = first.inner_text(), first.get_attribute("id")
        geometry = page.evaluate(GEOMETRY)
        page.screenshot(path=str(artifacts / f"report-{case}.png"), full_page=True)
        errors = page.errors
    assert errors == []
    assert first_id == "headline-sentence" and said == sentence and sentence.startswith("On ")
    assert_share_axis_from_zero(geometry["pass"], highest="100%" if case == "all-solved" else None)
    area, intervals = geometry["pass"]["area"], geometry["intervals"]
    assert area[1] - PX <= intervals[1] and intervals[3] <= area[3] + PX  # the axis holds every interval
    for a, b in combinations(geometry["values"], 2):
        assert not overlap(a, b)
    if case == "nothing-solved":
        assert max(percent(t) for t in geometry["pass"]["y"]) >= 10  # 0% with its interval, not a magnified speck
    if geometry["sweep"]:
        assert_share_axis_from_zero(geometry["sweep"])
    x_ticks = sorted(geometry["verdicts"]["x"], key=lambda t: t["at"][0])
    assert (x_ticks[0]["text"], x_ticks[-1]["text"]) == ("0%", "100%")
    assert abs(x_ticks[0]["at"][0] - geometry["verdicts"]["area"][0]) < PX
    assert abs(x_ticks[-1]["at"][0] - geometry["verdicts"]["area"][2]) < PX
    assert_legend_apart(geometry)
    assert (artifacts / f"report-{case}.png").stat().st_size > 10_000
