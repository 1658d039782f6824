from harness.journal import Journal


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"key": "a"})
    with journal.path.open("a") as handle:
        handle.write('{"key": "b", "te')  # killed mid-write
    assert journal.keys() == {"a"}
    journal.append({"key": "c"})
    assert [r["key"] for r in journal.read()] == ["a", "c"]
