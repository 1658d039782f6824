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
