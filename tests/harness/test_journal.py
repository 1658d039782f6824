from pathlib import Path

from harness.journal import Journal


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"key": "a"})
    with journal.path.open("a") as handle:
        handle.write('{"key": "b", "te')  # killed mid-write
    journal = Journal(journal.path)  # the resumed run opens it again
    assert journal.keys() == {"a"}
    journal.append({"key": "c"})
    assert [r["key"] for r in journal.read()] == ["a", "c"]


def _bytes_read() -> int:
    """Bytes this process has read through read(2) and friends, as the kernel counts them."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def _cost_of_appends(journal: Journal, count: int) -> int:
    before = _bytes_read()
    for i in range(count):
        journal.append({"key": f"new-{i}"})
    return _bytes_read() - before


def test_append_cost_does_not_grow_with_the_journal(tmp_path):
    small, large = Journal(tmp_path / "small.jsonl"), Journal(tmp_path / "large.jsonl")
    small.append({"key": "x", "text": "y" * 100})
    large.append_many([{"key": f"k{i}", "text": "y" * 10_000} for i in range(2_000)])  # 20 MB
    large = Journal(large.path)  # a fresh object, as a resumed run opens it
    assert _cost_of_appends(large, 200) < 4096  # the tail check reads a byte, not the file
    assert _cost_of_appends(small, 200) < 4096


def test_a_torn_tail_is_repaired_by_reading_back_to_the_last_newline_only(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append_many([{"key": f"k{i}", "text": "y" * 10_000} for i in range(1_000)])  # 10 MB
    with journal.path.open("a") as handle:
        handle.write('{"key": "torn", "text": "' + "z" * 100_000)
    reopened = Journal(journal.path)
    assert _cost_of_appends(reopened, 1) < 300_000  # the torn line's chunks, not the 10 MB before it
    assert [r["key"] for r in reopened][-2:] == ["k999", "new-0"]


def test_keys_are_read_once_and_kept_current_by_appends(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append_many([{"key": f"k{i}"} for i in range(100)])
    journal = Journal(journal.path)
    assert len(journal.keys()) == 100
    journal.append({"key": "later"})
    before = _bytes_read()
    assert "later" in journal.keys() and len(journal.keys()) == 101
    assert _bytes_read() - before < 1000  # reading /proc/self/io itself, not the journal
