"""The engine interface without a model: which engine a config builds, server clean-up, fidelity by capability."""

import pytest

import harness.generation.endpoint_engine as endpoint
from harness.config import load_config
from harness.generation import BUILDERS, EngineKind, fidelity, make_engine, render_prompt
from harness.generation.engine import Completion


class Server:
    """Stands in for `LocalServer` (which would start vLLM): records being started and stopped."""

    events: list[str] = []
    url = "http://127.0.0.1:9"

    def __init__(self, *args, **kwargs):
        Server.events = []

    def __enter__(self):
        Server.events.append("started")
        return self

    def __exit__(self, *exc):
        Server.events.append("stopped")


def endpoint_config():
    config = load_config(None, ["generation.engine=endpoint"])
    return config.generation, config.model


def test_every_engine_kind_but_auto_has_a_builder():
    assert set(BUILDERS) == set(EngineKind) - {EngineKind.AUTO}


def test_a_local_server_is_stopped_when_the_engine_cannot_be_built(monkeypatch):
    def failing(*args, **kwargs):
        raise OSError("no tokenizer in /model")

    monkeypatch.setattr(endpoint, "LocalServer", Server)
    monkeypatch.setattr(endpoint, "EndpointEngine", failing)
    with pytest.raises(OSError, match="no tokenizer"):
        make_engine(*endpoint_config(), "/model", {})
    assert Server.events == ["started", "stopped"]


def test_a_built_endpoint_engine_owns_the_server_it_started(monkeypatch):
    class Built:
        def __init__(self, url, *args):
            self.url, self.server = url, None

    monkeypatch.setattr(endpoint, "LocalServer", Server)
    monkeypatch.setattr(endpoint, "EndpointEngine", Built)
    engine = make_engine(*endpoint_config(), "/model", {})
    assert Server.events == ["started"] and isinstance(engine.server, Server) and engine.url == Server.url


def test_render_prompt_asks_for_the_generation_prompt_with_the_configured_switches():
    class Tokenizer:
        def apply_chat_template(self, messages, **kwargs):
            return repr((messages, sorted(kwargs.items())))

    rendered = render_prompt(Tokenizer(), [{"role": "user", "content": "hi"}], {"enable_thinking": False})
    assert rendered == repr(([{"role": "user", "content": "hi"}],
                             [("add_generation_prompt", True), ("enable_thinking", False), ("tokenize", False)]))


class Logprobs:
    """An engine with log-probabilities whose adapters change nothing: the fidelity check must stop it."""

    name, settings = "logprobs", {}

    def render(self, messages):
        return ""

    def generate_mixed(self, jobs, sampling):
        return self.generate_with_logprobs(jobs, sampling)

    def generate_with_logprobs(self, jobs, sampling):
        return [[Completion("x", "stop", 1, 1, token_logprobs=((7, -0.5),))] for _ in jobs]

    def close(self):
        pass


def test_fidelity_runs_on_engines_that_give_log_probabilities():
    from harness.problems.bundled import load_bundled

    config = load_config(None)
    problems = load_bundled()[:2]
    with pytest.raises(fidelity.FidelityError, match="adapter\\(s\\) a1 change nothing"):
        fidelity.before_evaluation(Logprobs(), config.generation, config.model, "/model", {"a1": "/a1"}, problems)
    assert fidelity.before_evaluation(Logprobs(), config.generation, config.model, "/model", {}, problems) is None


def test_fidelity_is_skipped_for_engines_without_log_probabilities():
    class Plain:
        name, settings = "plain", {}

        def render(self, messages):
            return ""

        def generate_mixed(self, jobs, sampling):
            raise AssertionError("a check without log-probabilities has nothing to compare")

        def close(self):
            pass

    config = load_config(None)
    assert fidelity.before_evaluation(Plain(), config.generation, config.model, "/m", {"a1": "/a1"}, []) is None

