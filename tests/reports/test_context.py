"""One prepared context for both renderers: same columns, same words, first-screen warnings in both."""

import json
import re
from html.parser import HTMLParser

import pytest

from reports import write_reports
from reports.tables import Cell, Table
from tests.fixtures.rundir import Shape, write_run_dir


class Tables(HTMLParser):
    """Header and row cell counts of every <table id=...> in a page."""

    def __init__(self):
        super().__init__()
        self.tables, self._current, self._row = {}, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._current = self.tables.setdefault(dict(attrs).get("id"), {"header": 0, "rows": []})
        elif tag == "tr" and self._current is not None:
            self._row = {"th": 0, "td": 0}
        elif tag in ("th", "td") and self._row is not None:
            self._row[tag] += 1

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None and self._current is not None:
            if self._row["th"]:
                self._current["header"] = self._row["th"]
            else:
                self._current["rows"].append(self._row["td"])
            self._row = None
        elif tag == "table":
            self._current = None


def html_tables(html: str) -> dict:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def test_a_row_with_more_cells_than_columns_is_refused():
    with pytest.raises(ValueError, match="3 cells under 2 columns"):
        Table("t", [Cell("a"), Cell("b")], [[Cell("1"), Cell("2"), Cell("3")]])


def test_headline_has_one_column_list_when_labels_report_different_ks(fixture_run):
    summary = json.loads((fixture_run / "eval" / "summary.json").read_text())
    del summary["labels"]["base"]["scores"]["pass@2"]  # the first label lacks a k a later one has
    summary["labels"]["adapter"]["scores"]["pass@4"] = summary["labels"]["adapter"]["scores"]["pass@2"]
    (fixture_run / "eval" / "summary.json").write_text(json.dumps(summary))
    write_reports(fixture_run)
    headline = html_tables((fixture_run / "report.html").read_text())["headline-table"]
    assert headline["header"] == 6  # label, problems, samples, pass@1, pass@2, pass@4
    assert headline["rows"] == [6, 6, 6]
    md = (fixture_run / "report.md").read_text()
    assert "| label | problems | samples | pass@1 [95% CI] | pass@2 [95% CI] | pass@4 [95% CI] |" in md
    assert re.search(r"\| base \| 8 \| 32 \| [\d.]+% \[[\d.]+%, [\d.]+%\] \| – \| – \|", md)


def test_every_html_table_row_has_a_header_for_each_cell(fixture_run):
    for table_id, table in html_tables((fixture_run / "report.html").read_text()).items():
        assert table["rows"], table_id
        assert set(table["rows"]) == {table["header"]}, table_id


def test_markdown_and_html_say_the_same_sentences(fixture_run):
    html, md = (fixture_run / "report.html").read_text(), (fixture_run / "report.md").read_text()
    sentences = re.findall(r'<p class="evidence">([^<]+)</p>', html) + re.findall(r"<p>(Split: [^<]+)</p>", html)
    assert len(sentences) == 2
    for sentence in sentences:
        assert sentence.replace("&#39;", "'") in md


def test_markdown_shows_no_python_reprs(fixture_run):
    md = (fixture_run / "report.md").read_text()
    assert not re.search(r"\{'|': |\['", md), re.search(r".{0,40}(\{'|': |\[').{0,40}", md)
    assert "24 training, 8 held-out problems" in md


def test_each_label_pair_is_answered_once_with_its_ks(fixture_run):
    html, md = (fixture_run / "report.html").read_text(), (fixture_run / "report.md").read_text()
    for text in (html, md):
        assert text.count("adapter better than base:") == 1
        assert text.count("checkpoint-100 better than base:") == 1
        assert re.search(r"adapter better than base: (<[^>]+>)?(yes|no \(worse\)|cannot tell at this sample size) "
                         r"\(pass@1, pass@2\)", text.replace("**", ""))


def test_the_first_screen_answers_with_the_interval(fixture_run):
    summary = json.loads((fixture_run / "eval" / "summary.json").read_text())
    c = next(c for c in summary["comparisons"] if c["b"] == "adapter" and c["metric"] == "pass@1")
    html = (fixture_run / "report.html").read_text()
    answer = html[html.index('id="answers"'):html.index('id="headline-table"')]
    assert f"difference {100 * c['difference']:+.1f} pts [{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}]" in answer
    assert "<svg" in answer  # the pass@1 chart with its error bars sits beside the answer


def first_screen(text: str, marker: str) -> str:
    return text[:text.index(marker)]


@pytest.mark.parametrize("isolation", ["reduced", "full"])
def test_reduced_isolation_is_warned_on_the_first_screen_of_both_reports(tmp_path, isolation):
    run = write_run_dir(tmp_path / "run", Shape(problems=2, samples=2), isolation=isolation)
    write_reports(run)
    html, md = (run / "report.html").read_text(), (run / "report.md").read_text()
    warned = "Reduced sandbox isolation: the generated programs ran in the 'process' sandbox"
    assert (warned in first_screen(md, "## Does the adapter")) == (isolation == "reduced")
    assert (warned.replace("'", "&#39;") in first_screen(html, 'id="headline"')) == (isolation == "reduced")
    assert ('id="isolation"' in html) == (isolation == "reduced")


def test_sandbox_retries_are_counted_per_label_beside_the_verdicts(tmp_path):
    run = write_run_dir(tmp_path / "run", Shape(problems=4, samples=4), sandbox_retries={"adapter": 3})
    write_reports(run)
    html, md = (run / "report.html").read_text(), (run / "report.md").read_text()
    verdicts = md[md.index("## Verdicts"):]
    assert re.search(r"\| base \|[^\n]*\| 0 \|\n\| adapter \|[^\n]*\| 3 \|", verdicts)
    assert "sandbox retries |" in verdicts and "for adapter 3 sample(s)" in verdicts
    assert 'id="sandbox-retries"' in html[html.index('id="verdicts"'):html.index('id="problems"')]


def test_no_retry_column_when_the_sandbox_never_failed(fixture_run):
    assert "sandbox retries" not in (fixture_run / "report.md").read_text()
    assert 'id="sandbox-retries"' not in (fixture_run / "report.html").read_text()


def test_a_pair_whose_verdict_differs_by_k_lists_the_ks_of_each(fixture_run):
    summary = json.loads((fixture_run / "eval" / "summary.json").read_text())
    for c in summary["comparisons"]:
        if c["b"] == "adapter":
            c["verdict"] = "better" if c["metric"] == "pass@1" else "cannot tell"
    (fixture_run / "eval" / "summary.json").write_text(json.dumps(summary))
    write_reports(fixture_run)
    md = (fixture_run / "report.md").read_text()
    assert "**adapter better than base: yes on pass@1; cannot tell at this sample size on pass@2**" in md


def test_both_reports_say_in_words_what_each_interval_claims(fixture_run):
    summary = json.loads((fixture_run / "eval" / "summary.json").read_text())
    html, md = (fixture_run / "report.html").read_text(), (fixture_run / "report.md").read_text()
    for label, scored in summary["labels"].items():
        sentence = f"{label}: {scored['scores']['pass@1']['in_words']}"
        assert sentence in md.split("## Paired")[0] or sentence in md.split("### Paired")[0]
        assert sentence.replace("'", "&#39;") in html[html.index('id="interval-words"'):html.index('id="held-out"')]



def test_identical_labels_read_no_difference_and_repeat_no_k(tmp_path):
    """Both labels solve exactly the same samples: 'no difference', and pass@2 (saying the same) gets no row."""
    run = write_run_dir(tmp_path / "run", Shape(problems=8, samples=2, ks=(1, 2)),
                        outcome=lambda label, problem, sample: problem < 3)
    write_reports(run)
    md = (run / "report.md").read_text()
    assert "**adapter better than base: no difference (pass@1)**" in md
    rows = [line for line in md.splitlines() if line.startswith("| adapter − base |")]
    assert len(rows) == 1 and "| pass@1 |" in rows[0] and rows[0].endswith("| no difference |")
    html = (run / "report.html").read_text()
    assert 'class="answer-no-difference"' in html or "answer-no-difference" in html


def test_a_k_that_changes_the_difference_keeps_its_row(tmp_path):
    """The adapter solves a problem's second sample only: pass@1 and pass@2 differ, so both rows stay."""
    run = write_run_dir(tmp_path / "run", Shape(problems=8, samples=2, ks=(1, 2)),
                        outcome=lambda label, problem, sample: problem < 3 or (label == "adapter" and sample == 1))
    write_reports(run)
    md = (run / "report.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith("| adapter − base |")]
    assert [row.split("|")[2].strip() for row in rows] == ["pass@1", "pass@2"]


def test_the_servers_of_an_endpoint_fleet_get_one_row_in_words(fixture_run):
    env_path = fixture_run / "env.json"
    env = json.loads(env_path.read_text())
    env["engine"] = "endpoint"
    env["engine_settings"] = {"base_url": "http://a:8000,http://b:8000", "servers": [
        {"url": "http://a:8000", "answered": 11, "failed": 0, "in_rotation": True},
        {"url": "http://b:8000", "answered": 1, "failed": 4, "in_rotation": False, "left_rotation": "connection refused"}]}
    env_path.write_text(json.dumps(env))
    write_reports(fixture_run)
    for text in ((fixture_run / "report.md").read_text(), (fixture_run / "report.html").read_text()):
        assert ("http://a:8000: 11 answered, 0 failed; http://b:8000: 1 answered, 4 failed, "
                "out of rotation (connection refused)") in text
        assert "{'url'" not in text and "[{" not in text  # no reprs


def test_seen_problems_are_counted_and_listed_apart_from_the_held_out_ones(tmp_path):
    from reports import build_context, load_run

    run = write_run_dir(tmp_path / "run", Shape(problems=6))
    index = json.loads((run / "eval" / "problems.json").read_text())
    seen = {p["id"] for p in index["problems"][:2]}
    for problem in index["problems"]:
        problem["set"] = "seen" if problem["id"] in seen else "held_out"
    (run / "eval" / "problems.json").write_text(json.dumps(index))
    results = {label: [json.loads(line) for line in (run / "eval" / label / "results.jsonl").read_text().splitlines()]
               for label in ("base", "adapter")}

    context = build_context(load_run(run))
    rows = {row[0].text: row for row in context["verdicts"].rows}
    assert list(rows) == ["base", "adapter", "base (seen)", "adapter (seen)"]
    columns = [cell.text for cell in context["verdicts"].header]
    for label, records in results.items():
        for name, part in ((label, [r for r in records if r["problem_id"] not in seen]),
                           (f"{label} (seen)", [r for r in records if r["problem_id"] in seen])):
            counted = {column: int(cell.text) for column, cell in zip(columns, rows[name], strict=False)
                       if column.isupper() and cell.text.isdigit()}
            assert sum(counted.values()) == len(part) and counted.get("AC", 0) == sum(r["verdict"] == "AC" for r in part)
    problem_rows = context["problems"].rows
    set_column = [cell.text for cell in context["problems"].header].index("set")
    assert {row[1].text for row in problem_rows if row[set_column].text == "seen"} == seen
    assert sum(row[set_column].text == "held-out" for row in problem_rows) == 4
