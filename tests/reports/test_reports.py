"""Reports are pure renderers of a run directory's files: sections, tables, partial runs, a real run."""

import json
import re
import shutil

from reports import write_reports
from reports.rundata import load_run
from tests.fixtures.rundir import Shape, write_run_dir


def md_tables(text: str) -> list[list[str]]:
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_html_is_self_contained_with_every_section(fixture_run):
    html = (fixture_run / "report.html").read_text()
    for section in ('id="headline"', 'id="held-out"', 'id="training"', 'id="verdicts"', 'id="problems"', 'id="metadata"'):
        assert section in html
    assert html.count("<svg") >= 3  # training, pass@k, verdicts charts inline
    assert not re.search(r'(src|href)="https?://', html)
    assert "<script src" not in html and "<link" not in html


def rendered(run) -> tuple[str, str]:
    """Write the reports of `run` and read both back: (HTML, markdown)."""
    write_reports(run)
    return (run / "report.html").read_text(), (run / "report.md").read_text()


def test_held_out_section_reports_the_contamination_check(fixture_run):
    split = json.loads((fixture_run / "split.json").read_text())
    split["contamination"]["removed"] = ["fixture/planted-copy"]
    split["contamination"]["counts"]["ngram"] = 1
    (fixture_run / "split.json").write_text(json.dumps(split))
    html, md = rendered(fixture_run)
    for text in (html, md):
        assert "removed 1 (fixture/planted-copy)" in text and "ngram 1" in text
        assert "Contamination check (13-grams, threshold 0.1) on 8 problems" in text
        assert "Split: hash (seed 0): 24 training, 8 held-out problems." in text


def test_markdown_tables_are_well_formed_and_charts_exist(fixture_run):
    text = (fixture_run / "report.md").read_text()
    tables = md_tables(text)
    assert len(tables) >= 6  # headline, comparisons, training, verdicts, breakdowns, problems, metadata
    for table in tables:
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
        assert set(table[1].replace("|", "")) <= {"-"}
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(charts) == 3
    for chart in charts:
        assert (fixture_run / chart).is_file()


def test_markdown_is_a_summary_without_sample_dumps(fixture_run):
    text = (fixture_run / "report.md").read_text()
    assert "MARKER" not in text and "```" not in text  # no raw completion, no code
    links = re.findall(r"\]\((report-problems/[^)]+)\)", text)
    assert len(links) == 8 and all((fixture_run / link).is_file() for link in links)


def test_interrupted_eval_renders_what_exists_and_says_what_is_missing(fixture_run):
    (fixture_run / "eval" / "summary.json").unlink()
    (fixture_run / "status.json").write_text(json.dumps({"state": "interrupted", "error": "interrupted by the user"}))
    results = fixture_run / "eval" / "adapter" / "results.jsonl"
    results.write_text("".join(results.read_text().splitlines(keepends=True)[:3]) + '{"schema": 3, "key": "to')  # torn
    completions = fixture_run / "eval" / "adapter" / "completions.jsonl"
    with completions.open("a") as handle:
        handle.write('{"schema": 3, "key": "torn-mid-wri')
    html, md = rendered(fixture_run)
    for text in (html, md):
        assert "eval/summary.json" in text and "eval/adapter: 29 completion(s) not judged yet" in text
        assert "This run is interrupted: interrupted by the user" in text
        assert "No comparison yet" in text
    assert 'id="missing"' in html
    first = (fixture_run / "report-problems" / "fixture_p0000.html").read_text()
    assert first.count('<span class="v-pending">pending</span>') == 1  # sample 3 of the adapter: generated, not judged
    assert "MARKER adapter fixture/p0000 #3" in first  # ... and still reachable


def test_a_run_that_has_only_generated_renders_its_completions(tmp_path):
    run = write_run_dir(tmp_path / "run", Shape(problems=2, samples=2, labels=1))
    (run / "eval" / "base" / "results.jsonl").unlink()
    (run / "eval" / "summary.json").unlink()
    write_reports(run)
    page = (run / "report-problems" / "fixture_p0001.html").read_text()
    assert page.count('<span class="v-pending">pending</span>') == 2 and "MARKER base fixture/p0001 #1" in page
    assert "eval/base: 4 completion(s) not judged yet" in (run / "report.md").read_text()


def test_an_empty_run_directory_still_renders(tmp_path):
    files = write_reports(tmp_path)
    assert [p.name for p in files] == ["report.md", "report.html", "report-problems"]
    assert "Missing from this run: config.yaml; env.json; split.json; eval/summary.json" in files.html.read_text()
    assert files.page_count == 0


def test_training_warnings_flag_a_flat_loss_and_heavy_padding():
    from reports.sections import training_warnings

    flat = [{"step": i, "loss": 2.0 - 0.001 * i, "grad_norm": 0.5, "padding_fraction": 0.45} for i in range(1, 21)]
    assert not any(w.startswith("flat") for w in training_warnings(flat[:6]))  # too short a run to tell
    falling = [{"step": i, "loss": 2.0 - 0.05 * i, "grad_norm": 0.5, "padding_fraction": 0.1} for i in range(1, 21)]
    warnings = training_warnings(flat)
    assert any(w.startswith("flat loss over the first 4 logged steps") for w in warnings)
    assert any("45% of the batched tokens were padding" in w for w in warnings)
    assert training_warnings(falling) == []


def test_checkpoint_sweep_sits_on_the_training_step_axis(tmp_path):
    from reports.sections import checkpoint_sweep

    run = write_run_dir(tmp_path / "sweep", Shape(problems=4, samples=2, labels=5))  # base, adapter, checkpoint-100..300
    data = load_run(run)
    assert data.labels == ["base", "adapter", "checkpoint-100", "checkpoint-200", "checkpoint-300"]
    assert sorted(point[0] for point in checkpoint_sweep(data, "pass@1")) == [0, 100, 200, 300, 400]
    write_reports(run)
    assert "pass@1 by checkpoint" in (run / "report.html").read_text()


def test_compare_pairs_the_same_label_across_runs(fixture_run, tmp_path):
    from tests.conftest import call_cli

    other = tmp_path / "other-run"
    shutil.copytree(fixture_run, other)
    summary = json.loads((other / "eval" / "summary.json").read_text())
    for entry in summary["labels"]["adapter"]["per_problem"].values():
        entry["c"] = entry["n"]  # the other run's adapter solves everything
    (other / "eval" / "summary.json").write_text(json.dumps(summary))
    result = call_cli("compare", str(fixture_run), str(other), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    adapter = [c for c in data["comparisons"] if c["label"] == "adapter" and c["metric"] == "pass@1"]
    before = json.loads((fixture_run / "eval" / "summary.json").read_text())["labels"]["adapter"]["scores"]["pass@1"]
    assert adapter and abs(adapter[0]["difference"] - (1 - before["estimate"])) < 1e-9 and adapter[0]["b"] == "other-run"
    assert "Paired differences" in (tmp_path / "cmp" / "compare.md").read_text()
    assert 'id="paired"' in (tmp_path / "cmp" / "compare.html").read_text()
    missing = call_cli("compare", str(fixture_run), str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "summary.json not found" in missing.stderr


def test_a_real_run_reports_every_problem_and_its_engine_checks(smoke_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    files = write_reports(run)
    html = files.html.read_text()
    problems = json.loads((run / "eval" / "problems.json").read_text())["problems"]
    assert files.page_count == len(problems) == 2
    for problem in problems:
        assert f">{problem['title']}</a>" in html
    served_by_vllm = json.loads((run / "env.json").read_text()).get("engine") == "vllm"
    assert ("fidelity checks" in html) == served_by_vllm  # the checks run, and show, for vLLM evaluations
    samples = sum(1 for label in ("base", "adapter") for _ in (run / "eval" / label / "results.jsonl").open())
    pages = "".join(p.read_text() for p in files.pages.glob("*.html"))
    assert pages.count('<details id="') == samples  # every judged sample of the real run has its drill-down


def test_held_out_section_says_when_the_adapter_also_trained_on_the_base_models_own_answers():
    from reports.sections import held_out

    split = {"method": "hash", "seed": 0, "counts": {"train": 8, "held_out": 15}}
    assert not any("Self-replay" in line for line in held_out(split)["lines"])
    lines = held_out({**split, "replay": ["bundled/a", "bundled/b"]})["lines"]
    assert any(line.startswith("Self-replay:") and "own answers to 2 more training-side problems" in line for line in lines)
