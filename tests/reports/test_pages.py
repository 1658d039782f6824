"""The report at scale: a small main page, every sample on its problem's page, journals streamed."""

import html as html_lib
import json
import re
import tracemalloc
from dataclasses import replace

import pytest

from reports import write_reports
from reports.pages import PAGE_DIR, page_names, write_pages
from reports.rundata import load_run
from tests.fixtures.rundir import Shape, write_run_dir

MB = 1_000_000


def blocks(page: str, css: str) -> list[str]:
    """The text of every <pre class=css> block, unescaped as a browser shows it."""
    return [html_lib.unescape(text) for text in re.findall(rf'<pre class="{css}">(.*?)</pre>', page, flags=re.S)]


def test_every_sample_is_on_its_problems_page_with_code_tests_and_raw_text(fixture_run):
    for problem in json.loads((fixture_run / "eval" / "problems.json").read_text())["problems"]:
        page = (fixture_run / PAGE_DIR / page_names([problem["id"]])[problem["id"]]).read_text()
        assert html_lib.escape(problem["title"]) in page and "Read n and k; print n + k." in page
        raw, code = blocks(page, "raw-text"), blocks(page, "code")
        for label in ("base", "adapter", "checkpoint-100"):
            results = [json.loads(line) for line in (fixture_run / "eval" / label / "results.jsonl").open()]
            texts = {c["key"]: c["text"] for c in map(json.loads, (fixture_run / "eval" / label / "completions.jsonl").open())}
            mine = [r for r in results if r["problem_id"] == problem["id"]]
            assert len(mine) == 4
            for r in mine:
                assert f'id="{label}-{r["sample"]}"' in page
                assert texts[r["completion_key"]] in raw  # the whole raw completion
                assert r["code"] is None or r["code"] in code
                for test in r["tests"]:
                    assert f"<td>{test['name']}</td>" in page
        assert page.count('<details id="') == len(raw) == 12


def test_raw_text_is_escaped_not_interpreted(tmp_path):
    run = write_run_dir(tmp_path / "run", Shape(problems=1, samples=1, labels=1, chars=3000))
    write_reports(run)
    page = next((run / PAGE_DIR).glob("*.html")).read_text()
    assert page.count("</pre>") == page.count("<pre")  # the filler's literal `</pre>` does not close the block
    assert "&lt;/pre&gt;" in page and "&lt;think&gt;" in page


def test_page_names_are_safe_unique_and_stable():
    ids = ["bundled/two-rugs", "1234/A", "1234/a", "a b", "a_b", "../../etc/passwd", "ünï"]
    names = page_names(ids)
    assert len(set(n.lower() for n in names.values())) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.html", n) and not n.startswith(".") for n in names.values())
    assert names["bundled/two-rugs"] == "bundled_two-rugs.html"  # readable where it does not collide
    assert page_names(list(reversed(ids))) == names


def test_pages_of_problems_no_longer_in_the_run_are_removed(fixture_run):
    stale = fixture_run / PAGE_DIR / "an-old-problem.html"
    stale.write_text("old")
    write_reports(fixture_run)
    assert not stale.exists() and len(list((fixture_run / PAGE_DIR).glob("*.html"))) == 8


def test_problem_table_links_each_problem_to_its_page(fixture_run):
    html = (fixture_run / "report.html").read_text()
    links = re.findall(r'<a href="(report-problems/[^"]+)">', html)
    assert len(links) == len(set(links)) == 8
    for link in links:
        assert 'href="../report.html"' in (fixture_run / link).read_text()


def sizes(tmp_path, name: str, shape: Shape) -> tuple[int, int]:
    run = write_run_dir(tmp_path / name, shape)
    files = write_reports(run)
    return files.html.stat().st_size, files.page_bytes


@pytest.mark.slow  # renders three 7-label reports to compare their sizes
def test_report_html_grows_per_problem_not_per_sample_text(tmp_path):
    shape = Shape(problems=20, samples=8, labels=7, chars=200, tests=2, ks=(1,), resamples=50)
    short, short_pages = sizes(tmp_path, "short", shape)
    long, long_pages = sizes(tmp_path, "long", replace(shape, chars=2000))
    assert long < short * 1.02  # 10x the completion text: report.html nearly unchanged
    assert long_pages - short_pages >= 20 * 8 * 7 * 1800  # ... the text went to the problem pages
    twice, _ = sizes(tmp_path, "twice", replace(shape, problems=40))
    per_problem = (twice - short) / 20
    assert per_problem < 6_000  # a table row and a few chart ticks, whatever the samples hold
    assert short + per_problem * (468 - 20) < 20 * MB  # the reference size (468 problems, 7 labels) stays small


def test_reading_a_run_does_not_hold_its_completion_texts(tmp_path):
    run = write_run_dir(tmp_path / "run", Shape(problems=30, samples=8, labels=2, chars=20_000, tests=2, resamples=50))
    total = sum((run / "eval" / label / "completions.jsonl").stat().st_size for label in ("base", "adapter"))
    assert total > 9 * MB
    write_pages(load_run(run), run / PAGE_DIR)  # compiles the template: a one-off cost, not the reading's
    tracemalloc.start()
    try:
        data = load_run(run)
        write_pages(data, run / PAGE_DIR)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    problem = 2 * 8 * 20_000  # one problem's completions, as text
    assert peak < 8 * problem < total / 3, (peak, total)  # a few copies of one problem's texts, never the run's
    assert len(list((run / PAGE_DIR).glob("*.html"))) == 30
