"""An OpenAI-compatible endpoint (`vllm serve MODEL --enable-lora --lora-modules name=path ...`) as an engine.

The path to many GPUs and machines: one or several vLLM servers (tensor / data parallel)
behind a URL. Prompts are rendered here with the model's own chat template (the same text
the offline engines send) and go to `/v1/completions`; a label is the served LoRA module's
name, the base the served model's. Requests run concurrently up to a limit, each with a
timeout and retries with backoff (the `openai` client's). `LocalServer` starts such a
server on loopback, waits for `/v1/models` and stops it by its PID.
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

from harness.errors import HarnessError
from harness.generation.engine import Completion, Job, Request, Sampling, render_prompt, request_seed
from harness.generation.vllm_engine import CPU_KV_CACHE_BYTES, max_lora_rank


class EndpointEngine:
    """Completions from a running OpenAI-compatible server; `adapters` are the served LoRA module names."""

    name = "endpoint"

    def __init__(self, base_url: str, model: str, tokenizer_path: str, adapters: Sequence[str] = (),
                 chat_template_kwargs=None, concurrency: int = 8, timeout_s: float = 600.0, retries: int = 3):
        from openai import OpenAI
        from transformers import AutoTokenizer

        self.client = OpenAI(base_url=base_url.rstrip("/") + "/v1", api_key=os.environ.get("OPENAI_API_KEY", "none"),
                             timeout=timeout_s, max_retries=retries)
        self.model = model
        self.adapters = set(adapters)
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.concurrency = concurrency
        self.settings = {"base_url": base_url, "model": model, "concurrency": concurrency, "timeout_s": timeout_s,
                         "retries": retries}
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
        """Requests of any labels, sent concurrently; completions in job order."""
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(lambda job: self._one(job[0], job[1], sampling), jobs))

    def _one(self, request: Request, adapter: str | None, sampling: Sampling) -> list[Completion]:
        if adapter is not None and adapter not in self.adapters:
            raise HarnessError(f"endpoint: no LoRA module '{adapter}' is served (have: {', '.join(sorted(self.adapters))})")
        prompt = self.render(request.messages)
        greedy = sampling.temperature <= 0
        try:
            response = self.client.completions.create(
                model=adapter or self.model, prompt=prompt, n=sampling.n, temperature=max(sampling.temperature, 0.0),
                top_p=1.0 if greedy else sampling.top_p, max_tokens=sampling.max_new_tokens,
                seed=request_seed(sampling.seed, request.key))
        except Exception as exc:  # noqa: BLE001 - network, HTTP and server errors: one line for the user
            raise HarnessError(f"endpoint {self.settings['base_url']}: {type(exc).__name__}: {exc}") from None
        prompt_tokens = response.usage.prompt_tokens if response.usage else len(self.tokenizer(prompt).input_ids)
        choices = sorted(response.choices, key=lambda choice: choice.index)
        return [Completion(text=choice.text, finish_reason="length" if choice.finish_reason == "length" else "stop",
                           prompt_tokens=prompt_tokens,
                           completion_tokens=len(self.tokenizer(choice.text, add_special_tokens=False).input_ids))
                for choice in choices]


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
