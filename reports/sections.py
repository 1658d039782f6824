"""The report's secondary sections, prepared: run state and warnings, held-out set, training, breakdowns, metadata.

Dictionaries from the run's small files become sentences and `Table`s here (never a Python repr
in a report): `{'train': 45, 'held_out': 15}` is "45 training problems, 15 held-out".
"""

from __future__ import annotations

import re

import yaml

from reports.rundata import RunData
from reports.tables import Table, header, num, text

_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def status_line(status: dict) -> str:
    """`done`, or `failed: ValueError: ...`."""
    state = status.get("state", "unknown")
    return f"{state}: {status['error']}" if status.get("error") else state


def notices(data: RunData) -> list[dict]:
    """What a reader must know before trusting the first screen: reduced isolation, an unfinished run, gaps.

    Each is {"id", "text", "level"} ("danger" or "warn"), the same words in both reports.
    """
    said = []
    sandbox = data.env.get("sandbox", {})
    if sandbox.get("isolation") == "reduced":
        said.append({"id": "isolation", "level": "danger", "text": (
            f"Reduced sandbox isolation: the generated programs ran in the '{sandbox.get('kind', 'process')}' sandbox, "
            "which bounds time and memory but does not isolate the filesystem, the network or other processes of the "
            "harness's user. Set eval.sandbox=bwrap for untrusted code.")})
    state = data.status.get("state")
    if state and state != "done":
        said.append({"id": "state", "level": "warn",
                     "text": f"This run is {status_line(data.status)}; the report shows what it had written so far."})
    if data.missing:
        said.append({"id": "missing", "level": "warn", "text": "Missing from this run: " + "; ".join(data.missing) + "."})
    return said


def no_answer(data: RunData) -> str:
    """Why the first screen has no adapter-versus-base answer, when it has none."""
    if data.summary.get("comparisons"):
        return ""
    if not data.summary:
        return "No comparison yet: eval/summary.json is missing (the run has not been scored; `harness report` rescores)."
    if "base" not in data.summary.get("labels", {}):
        return "No comparison: the base model was not evaluated in this run."
    return "No comparison: only the base model was evaluated in this run."


def _words(value) -> str:
    """A small JSON value as words: `{'a': 1, 'b': True}` -> `a 1, b yes`."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {_words(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_words(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "–" if value is None else str(value)


def held_out(split: dict) -> dict:
    """How the held-out set was made and checked, as sentences and a table of contamination findings."""
    if not split:
        return {}
    counts = split.get("counts", {})
    seed = f" (seed {split['seed']})" if "seed" in split else ""
    lines = [f"Split: {split.get('method', '?')}{seed}: {counts_words(counts)}."]
    if split.get("replay"):
        lines.append(f"Self-replay: the adapter also trained on the base model's own answers to {len(split['replay'])} "
                     "more training-side problems (never held out, never scored).")
    c = split.get("contamination")
    if c:
        found = ", ".join(f"{kind} {n}" for kind, n in c.get("counts", {}).items()) or "nothing"
        removed, flagged = c.get("removed", []), c.get("flagged", [])
        lines.append(f"Contamination check ({c.get('ngram', '?')}-grams, threshold {c.get('threshold', '?')}) on "
                     f"{c.get('checked', 0)} problems: {found}; removed {len(removed)}"
                     + (f" ({', '.join(removed)})" if removed else "") + f", flagged {len(flagged)}"
                     + (f" ({', '.join(flagged)})" if flagged else "") + ".")
    for role, info in split.get("sources", {}).items():
        skipped = ", ".join(f"{n} {why}" for why, n in (info.get("skipped") or {}).items()) or "none"
        lines.append(f"{role.replace('_', ' ')} {info.get('name')}: {info.get('problems')} problems; skipped rows: {skipped}.")
    return {"lines": lines}


FLAT_LOSS_SHARE = 0.2  # the first share of logged steps looked at
FLAT_LOSS_DROP = 0.02  # less relative fall than this over them is "flat"


def training_warnings(metrics: list[dict]) -> list[str]:
    """The seed's failure modes, read off the curve: a flat loss, zero gradients, heavy padding."""
    warnings = []
    losses = [m["loss"] for m in metrics if isinstance(m.get("loss"), int | float)]
    head = losses[: max(3, round(len(losses) * FLAT_LOSS_SHARE))]
    if len(losses) >= 10 and head[0] > 0 and (head[0] - min(head)) / head[0] < FLAT_LOSS_DROP:
        warnings.append(f"flat loss over the first {len(head)} logged steps ({head[0]:.4g} → {min(head):.4g}): check "
                        "the chat template and pad token, that assistant tokens are trained, and the learning rate")
    if metrics and all(m.get("grad_norm") == 0 for m in metrics if "grad_norm" in m):
        warnings.append("grad_norm is 0 at every logged step: the adapter is not training")
    padding = metrics[-1].get("padding_fraction") if metrics else None
    if padding is not None and padding > 0.3:
        warnings.append(f"{100 * padding:.0f}% of the batched tokens were padding: train.packing (padding-free) "
                        "would save that compute")
    return warnings


def _number(value) -> str:
    return "–" if not isinstance(value, int | float) else f"{value:.4g}"


def training(metrics: list[dict]) -> dict | None:
    """First and last logged values of the main training metrics, and warnings read off the curve."""
    if not metrics:
        return None
    first, last = metrics[0], metrics[-1]
    keys = ["loss", "grad_norm", "mean_token_accuracy", "padding_fraction", "tokens_per_s"]
    rows = [[text(k), num(_number(first.get(k))), num(_number(last.get(k)))] for k in keys if k in last]
    return {"steps": last.get("step"), "warnings": training_warnings(metrics),
            "table": Table("training-table", header("metric", "first", f"last (step {last.get('step')})",
                                                    numeric=("first", f"last (step {last.get('step')})")), rows)}


def checkpoint_sweep(data: RunData, metric: str) -> list[tuple[int, float, float, float]]:
    """Scores of evaluated checkpoints by training step: base at 0, `checkpoint-N` at N, the final adapter last.

    Empty unless at least one checkpoint was evaluated (`harness eval --adapter RUN/train/checkpoint-N ...`).
    """
    scored = data.summary.get("labels", {})
    steps = {label: int(m.group(1)) for label in scored if (m := _CHECKPOINT.search(label))}
    if not steps:
        return []
    if "base" in scored:
        steps["base"] = 0
    if "adapter" in scored and data.metrics:
        steps["adapter"] = data.metrics[-1]["step"]
    sweep = []
    for label, step in steps.items():
        score = scored[label].get("scores", {}).get(metric)
        if score:
            sweep.append((step, score["estimate"], score["ci_low"], score["ci_high"]))
    return sweep


_LABEL_ORDER = ("easy", "medium", "hard")  # LiveCodeBench's difficulty labels, in their order


def _band_key(group: str) -> tuple:
    head = group.split("-")[0]
    label = _LABEL_ORDER.index(group.lower()) if group.lower() in _LABEL_ORDER else len(_LABEL_ORDER)
    return (not head.isdigit(), int(head) if head.isdigit() else label, group)


_BREAKDOWNS = (("by_rating", "Pass rate by rating", "rating"),
               ("by_difficulty", "Pass rate by difficulty", "difficulty"),
               ("by_tag", "Pass rate by tag", "tag"))


def breakdowns(data: RunData, metric: str) -> list[tuple[str, Table]]:
    """Pass rates (of `metric`) by rating band, difficulty label and tag: (title, table) pairs.

    Empty tables are left out, and so is a rating table whose problems are all unrated.
    """
    made = []
    for name, title, column in _BREAKDOWNS:
        groups: dict[str, dict] = {}
        for label, scored in data.summary.get("labels", {}).items():
            for group, row in scored.get(name, {}).items():
                groups.setdefault(group, {})[label] = row
        if set(groups) == {"unrated"}:
            continue
        order = sorted(groups, key=_band_key) if name != "by_tag" else sorted(groups)
        rows = [[text(group), num(next(iter(groups[group].values())).get("problems"))]
                + [num(f"{100 * r[metric]:.1f}%" if metric in (r := groups[group].get(label, {})) else None)
                   for label in data.labels] for group in order]
        table = Table(name, header(column, "problems", *data.labels, numeric=("problems", *data.labels)), rows)
        if table:
            made.append((f"{title} ({metric})", table))
    return made


def _sandbox_words(sandbox: dict) -> str:
    if not sandbox:
        return "–"
    extra = {k: v for k, v in sandbox.items() if k not in ("kind", "isolation")}
    return f"{sandbox.get('kind', '?')} ({sandbox.get('isolation', '?')} isolation" + (f"; {_words(extra)})" if extra else ")")


def _hardware_words(hardware: dict) -> str:
    if not hardware:
        return "–"
    gpus = hardware.get("gpus") or []
    parts = [hardware.get("machine"), f"{hardware['cpus']} CPUs" if hardware.get("cpus") else None,
             f"{hardware['memory_gb']} GB memory" if hardware.get("memory_gb") else None,
             ", ".join(gpus) if gpus else "no GPU", hardware.get("system")]
    return ", ".join(str(p) for p in parts if p)


def counts_words(counts: dict) -> str:
    """`{'train': 45, 'held_out': 15}` -> `45 training, 15 held-out problems`."""
    return f"{counts.get('train', '?')} training, {counts.get('held_out', '?')} held-out problems"


def _server_words(server: dict) -> str:
    """`http://a:8000: 11 answered, 0 failed` (and why it left the rotation, when it did)."""
    said = f"{server.get('url', '?')}: {server.get('answered', 0)} answered, {server.get('failed', 0)} failed"
    if not server.get("in_rotation", True):
        said += f", out of rotation ({server.get('left_rotation') or 'kept failing'})"
    return said


def metadata(data: RunData) -> Table:
    """Versions, hardware, seeds, sandbox, engine and split, one row each, in words."""
    env = data.env
    rows = [("python", env.get("python"))]
    rows += [(name, version) for name, version in env.get("packages", {}).items() if version]
    engine_settings = {k: v for k, v in (env.get("engine_settings") or {}).items() if k != "servers"}
    settings = f" ({_words(engine_settings)})" if engine_settings else ""
    rows += [("harness commit", env.get("harness_commit")), ("hardware", _hardware_words(env.get("hardware", {}))),
             ("seeds", _words(env.get("seeds", {}))), ("sandbox", _sandbox_words(env.get("sandbox", {}))),
             ("engine", (env.get("engine") or "–") + settings)]
    servers = (env.get("engine_settings") or {}).get("servers") or []
    if servers:
        rows.append(("servers", "; ".join(_server_words(s) for s in servers)))
    if env.get("fidelity"):
        rows.append(("fidelity checks", _words(env["fidelity"])))
    split = data.split
    if split:
        rows.append(("split", f"{split.get('method')}, seed {split.get('seed')}: " + counts_words(split.get("counts", {}))))
    return Table("metadata-table", header("what", "value"), [[text(name), text(value)] for name, value in rows])


def config_text(config: dict) -> str:
    """The resolved config as the YAML it was read from."""
    return yaml.safe_dump(config, sort_keys=False) if config else ""
