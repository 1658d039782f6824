"""`eval.executor: ray` on a real Ray cluster of this host: a head and worker nodes, each a `ray start --block` of ours.

The same completions judged by both executors give the same results and summary; a worker
killed mid-task is retried and its result journaled once; a run judged half by one executor
is finished by the other; a node that cannot sandbox refuses with a one-line error.
Ray is imported only inside the tests (the fast tier's collection must not load it).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from harness.problems.bundled import load_bundled
from reports.records import ResultRecord
from tests.conftest import REPO, run_cli
from tests.harness.test_cli_errors import assert_one_line_error

pytestmark = pytest.mark.slow  # each cluster takes seconds to start

PROBLEMS = load_bundled()[1:4]  # quick ones: every program takes about 0.1 s
RAY = str(Path(sys.executable).parent / "ray")
CRASH = "import sys\nsys.exit(3)\n"
BROKEN = "def main(:\n    pass\n"


def fenced(code: str) -> str:
    return f"<think>\nreasoning\n</think>\n\n```python\n{code}```"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalCluster:
    """Ray nodes on this host, each a `ray start --block` child of ours in its own session; stopped by pid."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
        self.nodes: list[subprocess.Popen] = []
        self.address = ""

    def _start(self, args: list[str], env: dict[str, str] | None) -> subprocess.Popen:
        ports = [f"--{name}={_free_port()}" for name in ("node-manager-port", "object-manager-port",
                                                          "dashboard-agent-listen-port", "dashboard-agent-grpc-port",
                                                          "metrics-export-port", "runtime-env-agent-port")]
        log = self.root / f"node-{len(self.nodes)}.log"
        node = subprocess.Popen([RAY, "start", "--block", "--disable-usage-stats", *ports, *args],
                                stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})})
        self.nodes.append(node)
        deadline = time.monotonic() + 120
        while "Ray runtime started." not in log.read_text():
            assert node.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        return node

    def head(self, cpus: int) -> LocalCluster:
        port = _free_port()
        self._start(["--head", f"--port={port}", f"--num-cpus={cpus}", f"--temp-dir={self.root / 'ray'}",
                     "--include-dashboard=false", f"--dashboard-port={_free_port()}",
                     f"--ray-client-server-port={_free_port()}"], None)
        self.address = f"127.0.0.1:{port}"
        return self

    def worker(self, cpus: int, env: dict[str, str] | None = None) -> subprocess.Popen:
        return self._start([f"--address={self.address}", f"--num-cpus={cpus}"], env)

    def busy_judges(self) -> list[int]:
        """Pids of our nodes' Ray workers running a judging task now (their process title names the task)."""
        ours = {node.pid for node in self.nodes}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getsid(int(entry.name)) in ours and (entry / "cmdline").read_bytes().startswith(b"ray::_judge_task"):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.terminate()  # `ray start --block` stops its node's processes on SIGTERM
        for node in self.nodes:
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(node.pid, signal.SIGKILL)  # whatever of that node's session is left
            except ProcessLookupError:
                pass
            node.wait()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def ray_token():
    """Token authentication for every node and driver of this module, from the environment (nothing in ~/.ray)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_AUTH_MODE", "token")
        patch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(32))
        yield


@pytest.fixture(scope="module")
def cluster(harness_home, ray_token):
    """A head and one worker node, one CPU each."""
    pytest.importorskip("ray")
    from sandboxes import bwrap_available

    if bwrap_available() is not None:
        pytest.skip(f"the cluster's nodes judge in bubblewrap: {bwrap_available()}")
    made = LocalCluster()
    try:
        made.head(cpus=1)
        made.worker(cpus=1)
        yield made
    finally:
        made.stop()


def completions_file(path: Path, slow: float = 0.0) -> Path:
    """Every bundled verdict path we can make quickly: AC, WA, RE, a syntax error, no code; two labels."""
    pause = f"import time\ntime.sleep({slow})\n" if slow else ""
    lines: list[dict] = []
    for problem in PROBLEMS:
        lines += [{"problem_id": problem.id, "label": "base", "text": fenced(pause + code)}
                  for code in (*problem.wrong_solutions, CRASH, BROKEN)]
        lines.append({"problem_id": problem.id, "label": "base", "text": "no program here"})
        lines += [{"problem_id": problem.id, "label": "api", "sample": sample,
                   "text": fenced(pause + (problem.reference_solution or ""))} for sample in range(2)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def eval_cli(completions: Path, out: Path, *extra: str):
    return run_cli("eval", "--completions", str(completions), "--config", "configs/test-tiny.yaml", "--out", str(out),
                   "--quiet", "--set", "eval.k=[1,2]", *extra)


def judged(out: Path) -> dict[str, tuple]:
    """Each result's identity and what it says (timings aside); every key must appear once."""
    rows: dict[str, tuple] = {}
    for label in ("base", "api"):
        for r in (out / "eval" / label / "results.jsonl").read_text().splitlines():
            record = ResultRecord.from_json(json.loads(r), "results")
            assert record.key not in rows, f"{record.key} journaled twice"
            rows[record.key] = (record.label, record.problem_id, record.sample, record.verdict, record.detail,
                                record.code, [(t.name, t.verdict) for t in record.tests])
    return rows


def test_ray_gives_the_local_executors_results_and_summary(cluster, tmp_path):
    path = completions_file(tmp_path / "c.jsonl")
    local = eval_cli(path, tmp_path / "local")
    ray = eval_cli(path, tmp_path / "ray", "--set", "eval.executor=ray", "--set", f"eval.ray_address={cluster.address}")
    assert local.returncode == 0, local.stderr[-3000:]
    assert ray.returncode == 0, ray.stderr[-3000:]
    results = judged(tmp_path / "ray")
    assert results == judged(tmp_path / "local")
    assert {row[3] for row in results.values()} >= {"AC", "WA", "RE", "NO_CODE"}
    summaries = [json.loads((tmp_path / run / "eval" / "summary.json").read_text()) for run in ("local", "ray")]
    assert summaries[0] == summaries[1]
    assert summaries[1]["labels"]["api"]["scores"]["pass@1"]["estimate"] == 1.0
    from harness.config import load_config

    recorded = load_config(tmp_path / "ray" / "config.yaml").eval
    assert (recorded.executor, recorded.ray_address) == ("ray", cluster.address)


def _judge(run_dir: Path, *overrides: str):
    """judge_completions over a run directory whose completions are journaled (in this process: the Ray driver)."""
    from harness.config import load_config
    from harness.evaluation import Judging, judge_completions
    from harness.progress import SilentProgress
    from harness.rundir import RunDir
    from sandboxes import make_sandbox

    config = load_config(REPO / "configs" / "test-tiny.yaml", list(overrides))
    judging = Judging(config.eval, config.generation.language, make_sandbox(config.eval.sandbox))
    judge_completions(RunDir(run_dir), ["base", "api"], {p.id: p for p in PROBLEMS}, judging, SilentProgress())


def _imported(completions: Path, run_dir: Path) -> Path:
    from harness import imported
    from harness.rundir import RunDir

    known = {p.id: p for p in PROBLEMS}
    imported.import_completions(RunDir(run_dir), completions, known, imported.check_completions(completions, known))
    return run_dir


def test_a_worker_killed_mid_task_is_retried_and_its_result_journaled_once(cluster, tmp_path):
    run_dir = _imported(completions_file(tmp_path / "c.jsonl", slow=0.15), tmp_path / "run")
    killed: list[int] = []

    def kill_one_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for pid in cluster.busy_judges():
                os.kill(pid, signal.SIGKILL)  # a Ray worker of our cluster, in the middle of judging a program
                killed.append(pid)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_busy_worker)
    killer.start()
    _judge(run_dir, "eval.executor=ray", f"eval.ray_address={cluster.address}")
    killer.join()
    assert killed, "no judging worker was seen busy"
    results = judged(run_dir)  # asserts every key once
    assert len(results) == len((run_dir / "eval" / "base" / "completions.jsonl").read_text().splitlines()) + len(
        (run_dir / "eval" / "api" / "completions.jsonl").read_text().splitlines())
    assert all(row[3] == "AC" for row in results.values() if row[0] == "api")


def test_a_run_killed_half_way_under_one_executor_resumes_under_the_other(cluster, tmp_path):
    path = completions_file(tmp_path / "c.jsonl")
    done = eval_cli(path, tmp_path / "full")
    assert done.returncode == 0, done.stderr[-3000:]
    shutil.copytree(tmp_path / "full", tmp_path / "half")
    for label in ("base", "api"):  # as if the local run had been killed mid-way: half of each journal survives
        journal = tmp_path / "half" / "eval" / label / "results.jsonl"
        lines = journal.read_text().splitlines(keepends=True)
        journal.write_text("".join(lines[: len(lines) // 2]))
    resumed = eval_cli(path, tmp_path / "half", "--resume", "--set", "eval.executor=ray",
                       "--set", f"eval.ray_address={cluster.address}")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert judged(tmp_path / "half") == judged(tmp_path / "full")  # each result once, the missing half judged by Ray
    summaries = [json.loads((tmp_path / run / "eval" / "summary.json").read_text()) for run in ("full", "half")]
    assert summaries[0] == summaries[1]


def test_a_node_that_cannot_sandbox_refuses_with_one_line(harness_home, tmp_path):
    pytest.importorskip("ray")
    # The only node with a CPU has no bubblewrap on its PATH: the sandbox's own probe (shutil.which) finds none,
    # as on a host where it is not installed.
    bare = tmp_path / "bin"
    bare.mkdir()
    path = f"{Path(sys.executable).parent}:{bare}"
    assert shutil.which("bwrap", path=path) is None
    cluster = LocalCluster()
    try:
        cluster.head(cpus=0)
        cluster.worker(cpus=1, env={"PATH": path})
        out = tmp_path / "run"
        result = eval_cli(completions_file(tmp_path / "c.jsonl"), out, "--set", "eval.executor=ray",
                          "--set", f"eval.ray_address={cluster.address}")
    finally:
        cluster.stop()
    assert_one_line_error(result, "eval.executor ray: node", "refuses to judge", "eval.sandbox auto",
                          "bubblewrap is not installed")
    judged_lines = [line for label in ("base", "api") if (out / "eval" / label / "results.jsonl").exists()
                    for line in (out / "eval" / label / "results.jsonl").read_text().splitlines()]
    assert all('"NO_CODE"' in line for line in judged_lines)  # nothing that needs a sandbox was judged
    assert json.loads((out / "status.json").read_text())["state"] == "failed"


def test_an_address_nothing_answers_on_is_one_line_at_once(tmp_path):
    pytest.importorskip("ray")
    address = f"127.0.0.1:{_free_port()}"
    started = time.monotonic()
    result = eval_cli(completions_file(tmp_path / "c.jsonl"), tmp_path / "run", "--set", "eval.executor=ray",
                      "--set", f"eval.ray_address={address}")
    assert_one_line_error(result, f"eval.ray_address '{address}'", "no Ray head answers there")
    assert time.monotonic() - started < 60  # not Ray's minutes of retries
