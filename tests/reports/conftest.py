"""Report fixtures: synthetic run directories (tests/fixtures/rundir.py), no torch, no sandbox, rendered once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reports import write_reports
from tests.fixtures.rundir import Shape, write_run_dir


def rendered(root: Path, shape: Shape, **options) -> Path:
    """A fixture run of `shape` written into `root`, with its reports."""
    write_run_dir(root, shape, **options)
    write_reports(root)
    return root


@pytest.fixture(scope="session")
def _small_run(tmp_path_factory) -> Path:
    return rendered(tmp_path_factory.mktemp("fixture-runs") / "small", Shape(problems=8, samples=4, labels=3, ks=(1, 2)))


@pytest.fixture
def fixture_run(_small_run, tmp_path) -> Path:
    """A small finished run (8 problems x 4 samples x base, adapter, checkpoint-100), reports rendered; a private copy."""
    run = tmp_path / "run"
    shutil.copytree(_small_run, run)
    return run


@pytest.fixture(scope="session")
def wide_run(tmp_path_factory) -> Path:
    """120 problems x 4 samples x 3 labels of 3k-character completions, rendered (read-only: shared by tests)."""
    return rendered(tmp_path_factory.mktemp("fixture-runs") / "wide", Shape(problems=120, samples=4, labels=3, chars=3000))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: $HARNESS_ARTIFACTS when set, else test-artifacts/ in the checkout (git-ignored; CI keeps it)."""
    named = os.environ.get("HARNESS_ARTIFACTS")
    folder = Path(named) if named else Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
