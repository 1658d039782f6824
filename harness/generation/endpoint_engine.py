"""OpenAI-compatible endpoints (`vllm serve MODEL --enable-lora --lora-modules name=path ...`) as an engine.

The path to many GPUs and machines: one server (vLLM's own tensor / data parallelism behind
it) or a fleet of them, `generation.endpoint_url` listing their base URLs. Prompts are
rendered here with the model's own chat template (the same text the offline engines send)
and go to `/v1/completions`; a label is the served LoRA module's name, the base the served
model's. Before anything is sent, every server's `/v1/models` must list the base and every
label the run needs. Requests run concurrently, spread, retried and taken out of rotation as
`harness.generation.fleet` says; `settings["servers"]` (env.json) records which server answered
how many. `LocalServer` starts such a server on loopback, waits for `/v1/models` and stops it
by its PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from harness.errors import ConfigError, HarnessError
from harness.generation.engine import Completion, Job, Request, Sampling, render_prompt, request_seed
from harness.generation.fleet import Fleet, Server, one_line
from harness.generation.vllm_engine import CPU_KV_CACHE_BYTES, max_lora_rank

_RETRIED_STATUS = (408, 409, 429)  # and every 5xx: what the `openai` client retries


def is_server_failure(exc: BaseException) -> bool:
    """True when another server may answer (no connection, a timeout, 408/409/429/5xx); False: the request's fault."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRIED_STATUS or exc.status_code >= 500
    return False


class EndpointEngine:
    """Completions from running OpenAI-compatible servers; `adapters` are the served LoRA module names."""

    name = "endpoint"

    def __init__(self, base_url: str | Sequence[str], model: str, tokenizer_path: str, adapters: Sequence[str] = (),
                 chat_template_kwargs=None, concurrency: int = 8, timeout_s: float = 600.0, retries: int = 3):
        from openai import OpenAI
        from transformers import AutoTokenizer

        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        key = os.environ.get("OPENAI_API_KEY", "none")
        # The fleet retries (on another server where there is one), so each client sends once.
        servers = [Server(url, OpenAI(base_url=url.rstrip("/") + "/v1", api_key=key, timeout=timeout_s, max_retries=0))
                   for url in urls]
        self.model = model
        self.adapters = set(adapters)
        check_served(servers, model, sorted(self.adapters), timeout_s=min(timeout_s, 60.0))
        self.fleet = Fleet(servers, concurrency, retries, is_server_failure)
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.concurrency = concurrency
        self.settings = {"base_url": ", ".join(urls), "model": model, "concurrency": concurrency,
                         "timeout_s": timeout_s, "retries": retries, "servers": self.fleet.records()}
        self.server: LocalServer | None = None  # a server this engine started, stopped by `close`

    def close(self) -> None:
        """Stop the local server, if this engine started one."""
        if self.server is not None:
            self.server.__exit__()
            self.server = None

    def render(self, messages: list[dict[str, str]]) -> str:
        """The shared chat-template rendering: the same prompt text the offline engines send."""
        return render_prompt(self.tokenizer, messages, self.chat_template_kwargs)

    def generate_mixed(self, jobs: Sequence[Job], sampling: Sampling) -> list[list[Completion]]:
        """Requests of any labels, sent concurrently over the servers; completions in job order."""
        try:
            with ThreadPoolExecutor(self.fleet.workers) as pool:
                futures = [pool.submit(self._one, request, label, sampling) for request, label in jobs]
                try:
                    return [future.result() for future in futures]
                except BaseException:
                    for future in futures:  # the run stops: send nothing more
                        future.cancel()
                    raise
        finally:
            self.settings["servers"] = self.fleet.records()

    def _one(self, request: Request, adapter: str | None, sampling: Sampling) -> list[Completion]:
        if adapter is not None and adapter not in self.adapters:
            raise HarnessError(f"endpoint: no LoRA module '{adapter}' is served (have: {', '.join(sorted(self.adapters))})")
        prompt = self.render(request.messages)
        greedy = sampling.temperature <= 0

        def send(server: Server):
            return server.client.completions.create(
                model=adapter or self.model, prompt=prompt, n=sampling.n, temperature=max(sampling.temperature, 0.0),
                top_p=1.0 if greedy else sampling.top_p, max_tokens=sampling.max_new_tokens,
                seed=request_seed(sampling.seed, request.key))

        response = self.fleet.call(send)
        prompt_tokens = response.usage.prompt_tokens if response.usage else len(self.tokenizer(prompt).input_ids)
        choices = sorted(response.choices, key=lambda choice: choice.index)
        return [Completion(text=choice.text, finish_reason="length" if choice.finish_reason == "length" else "stop",
                           prompt_tokens=prompt_tokens,
                           completion_tokens=len(self.tokenizer(choice.text, add_special_tokens=False).input_ids))
                for choice in choices]


def check_served(servers: Sequence[Server], model: str, labels: Sequence[str], timeout_s: float = 60.0) -> None:
    """Every server's `/v1/models` lists `model` and every label; else one `ConfigError` naming each server at fault."""
    problems = []
    for server in servers:
        try:
            served = {entry.id for entry in server.client.with_options(timeout=timeout_s, max_retries=2).models.list()}
        except Exception as exc:  # noqa: BLE001 - unreachable, refused, not an OpenAI server: one line for the user
            problems.append(f"{server.url} does not list its models ({one_line(exc)})")
            continue
        missing = [name for name in (model, *labels) if name not in served]
        if model in missing:
            problems.append(f"{server.url} does not serve the base model '{model}' (it serves {', '.join(sorted(served))}; "
                            "set generation.endpoint_model to the served name)")
        elif missing:
            problems.append(f"{server.url} does not serve the LoRA module(s) {', '.join(missing)} this run needs (it "
                            f"serves {', '.join(sorted(served))}; start it with --lora-modules LABEL=PATH)")
    if problems:
        raise ConfigError("generation.endpoint_url: " + "; ".join(problems))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    """`python -m vllm.entrypoints.openai.api_server` on loopback for a model and its adapters (a context manager)."""

    def __init__(self, model_path: str, adapters: Mapping[str, str], dtype: str = "auto", max_model_len: int = 8192,
                 start_timeout_s: float = 300.0, log_path: str | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_path,
                "--served-model-name", "base", "--host", "127.0.0.1", "--port", str(self.port), "--dtype", dtype,
                "--max-model-len", str(max_model_len), "--seed", "0"]
        if adapters:  # one LoRA slot more than adapters: see vllm_engine's docstring
            argv += ["--enable-lora", "--max-lora-rank", str(max_lora_rank(adapters)), "--max-loras",
                     str(len(adapters) + 1), "--lora-modules", *(f"{label}={path}" for label, path in adapters.items())]
        import torch

        if not torch.cuda.is_available():
            argv += ["--kv-cache-memory-bytes", str(CPU_KV_CACHE_BYTES), "--no-enable-chunked-prefill"]
        self.argv = argv
        self.start_timeout_s = start_timeout_s
        self.log_path = log_path or os.devnull
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> LocalServer:
        env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"vLLM server exited with status {self.proc.returncode} before serving "
                                   f"(log: {self.log_path})")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/models", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise HarnessError(f"vLLM server did not answer on {self.url} within {self.start_timeout_s:.0f} s")

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.proc = None
