"""Reading a run directory: journals as offsets, the harness's torn-line and latest-result rules, label order."""

import json
from dataclasses import replace

from judges import Verdict
from reports import write_reports
from reports.records import CompletionRecord, ResultRecord
from reports.rundata import JournalReader, label_order, load_run


def test_every_indexed_offset_reads_back_its_own_record(fixture_run):
    data = load_run(fixture_run)
    with JournalReader() as reader:
        for label, index in data.completions.items():
            assert len(index) == 32
            for key, where in index.items():
                record = reader.record(data.journal(label, "completions"), where.offset, CompletionRecord)
                assert (record.key, record.problem_id, record.sample) == (key, where.problem_id, where.sample)
                assert record.text.startswith(f"MARKER {label} {where.problem_id} #{where.sample}")
        for label, judged in data.results.items():
            for j in judged:
                record = reader.record(data.journal(label, "results"), j.offset, ResultRecord)
                assert (record.completion_key, record.verdict) == (j.completion_key, j.verdict)


def test_a_last_line_without_its_newline_is_torn_even_when_it_parses(fixture_run):
    path = fixture_run / "eval" / "base" / "completions.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1].rstrip("\n"))  # the harness's journal cuts this before appending
    data = load_run(fixture_run)
    assert len(data.completions["base"]) == 31


def test_the_latest_result_per_completion_is_the_one_shown(fixture_run):
    path = fixture_run / "eval" / "base" / "results.jsonl"
    first = ResultRecord.from_json(json.loads(path.read_text().splitlines()[0]))
    verdict = Verdict.TLE if first.verdict is not Verdict.TLE else Verdict.WA
    rejudged = replace(first, key="rejudged-under-new-limits", verdict=verdict, detail="rejudged: new limits")
    with path.open("a") as handle:
        handle.write(json.dumps(rejudged.to_json()) + "\n")
    data = load_run(fixture_run)
    assert len(data.results["base"]) == 32
    assert [j.verdict for j in data.results["base"] if j.completion_key == first.completion_key] == [verdict]
    write_reports(fixture_run)
    page = (fixture_run / "report-problems" / "fixture_p0000.html").read_text()
    assert "rejudged: new limits" in page


def test_labels_are_ordered_base_adapter_then_checkpoints_by_step():
    labels = ["checkpoint-100", "zeta", "adapter", "checkpoint-20", "base"]
    assert sorted(labels, key=label_order) == ["base", "adapter", "checkpoint-20", "checkpoint-100", "zeta"]


def test_rendering_imports_nothing_of_harness_or_the_ml_stack(fixture_run):
    import subprocess
    import sys

    from tests.conftest import REPO

    forbidden = "{'harness', 'torch', 'transformers', 'vllm', 'trl', 'peft'}"
    script = ("import sys; from reports import write_reports; write_reports(sys.argv[1]); "
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {forbidden}))")
    result = subprocess.run([sys.executable, "-c", script, str(fixture_run)], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
