"""Reports are pure renderers of a run directory's files."""

import json
import re
import shutil

from reports import write_reports


def test_html_is_self_contained_with_every_section(smoke_run):
    html = (smoke_run / "report.html").read_text()
    for section in ('id="headline"', 'id="training"', 'id="verdicts"', 'id="problems"', 'id="metadata"'):
        assert section in html
    assert html.count("<svg") >= 3  # training, pass@k, verdicts charts inline
    assert not re.search(r'(src|href)="https?://', html)


def test_held_out_section_reports_the_contamination_check(smoke_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    split = json.loads((run / "split.json").read_text())
    split["contamination"]["removed"] = ["bundled/planted-copy"]
    split["contamination"]["counts"]["ngram"] = 1
    (run / "split.json").write_text(json.dumps(split))
    write_reports(run)
    html = (run / "report.html").read_text()
    served_by_vllm = json.loads((run / "env.json").read_text()).get("engine") == "vllm"
    assert ('id="fidelity"' in html) == served_by_vllm  # the checks run, and show, for vLLM evaluations
    assert 'id="held-out"' in html and "removed 1 (bundled/planted-copy)" in html and "ngram 1" in html
    assert "Contamination check (13-grams, threshold 0.1)" in (run / "report.md").read_text()


def test_markdown_tables_are_well_formed(smoke_run):
    lines = (smoke_run / "report.md").read_text().splitlines()
    tables, current = [], []
    for line in lines + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 3
    for table in tables:
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
        assert set(table[1].replace("|", "")) <= {"-"}
    for chart in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", "\n".join(lines)):
        assert (smoke_run / chart).is_file()


def test_interrupted_eval_renders_what_exists_and_says_what_is_missing(smoke_run, tmp_path):
    run = tmp_path / "partial"
    shutil.copytree(smoke_run, run)
    (run / "eval" / "summary.json").unlink()
    results = run / "eval" / "adapter" / "results.jsonl"
    results.write_text(results.read_text().splitlines(keepends=True)[0])
    write_reports(run)
    html = (run / "report.html").read_text()
    assert 'id="missing"' in html and "eval/summary.json" in html and "not judged yet" in html


def test_training_warnings_flag_a_flat_loss_and_heavy_padding():
    from reports.context import training_warnings

    flat = [{"step": i, "loss": 2.0 - 0.001 * i, "grad_norm": 0.5, "padding_fraction": 0.45} for i in range(1, 21)]
    assert not any(w.startswith("flat") for w in training_warnings(flat[:6]))  # too short a run to tell
    falling = [{"step": i, "loss": 2.0 - 0.05 * i, "grad_norm": 0.5, "padding_fraction": 0.1} for i in range(1, 21)]
    warnings = training_warnings(flat)
    assert any(w.startswith("flat loss over the first 4 logged steps") for w in warnings)
    assert any("45% of the batched tokens were padding" in w for w in warnings)
    assert training_warnings(falling) == []


def test_checkpoint_sweep_sits_on_the_training_step_axis(smoke_run, tmp_path):
    from reports.context import checkpoint_sweep
    from reports.rundata import load_run

    run = tmp_path / "sweep"
    shutil.copytree(smoke_run, run)
    summary = json.loads((run / "eval" / "summary.json").read_text())
    for step in (2, 4):
        summary["labels"][f"checkpoint-{step}"] = summary["labels"]["adapter"]
    (run / "eval" / "summary.json").write_text(json.dumps(summary))
    last_step = json.loads((run / "train" / "metrics.jsonl").read_text().splitlines()[-1])["step"]
    sweep = checkpoint_sweep(load_run(run), "pass@1")
    assert sorted(point[0] for point in sweep) == [0, 2, 4, last_step]
    write_reports(run)
    assert "pass@1 by checkpoint" in (run / "report.html").read_text()


def test_compare_pairs_the_same_label_across_runs(smoke_run, tmp_path):
    from tests.conftest import run_cli

    other = tmp_path / "other-run"
    shutil.copytree(smoke_run, other)
    summary = json.loads((other / "eval" / "summary.json").read_text())
    for entry in summary["labels"]["adapter"]["per_problem"].values():
        entry["c"] = entry["n"]  # the other run's adapter solves everything
    (other / "eval" / "summary.json").write_text(json.dumps(summary))
    result = run_cli("compare", str(smoke_run), str(other), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    adapter = [c for c in data["comparisons"] if c["label"] == "adapter" and c["metric"] == "pass@1"]
    assert adapter and adapter[0]["difference"] == 1.0 and adapter[0]["b"] == "other-run"
    assert "Paired differences" in (tmp_path / "cmp" / "compare.md").read_text()
    assert 'id="paired"' in (tmp_path / "cmp" / "compare.html").read_text()
    missing = run_cli("compare", str(smoke_run), str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "summary.json not found" in missing.stderr
