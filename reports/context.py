"""Turn `RunData` into the prepared context both renderers print, so markdown and HTML agree.

Every number is formatted and every column chosen here, into `Table`s and sentences; the
markdown renderer and the HTML template only lay them out. The first screen answers one
question — does each adapter beat the base, with its interval — before any table.
"""

from __future__ import annotations

from itertools import groupby

from judges import Verdict
from reports import charts, sections
from reports.headline import gap_sentence, headline_sentence, samples_sentence
from reports.pages import PAGE_DIR, page_names
from reports.rundata import RunData
from reports.tables import Cell, Table, header, num, text

VERDICT_ORDER = [verdict.value for verdict in Verdict]  # the enum's order: AC first, the failures after
WORDS = {"better": "yes", "worse": "no (worse)", "cannot tell": "cannot tell at this sample size",
         "no difference": "no difference"}


def verdict_of(c: dict) -> str:
    """A comparison's verdict; 'no difference' where the two labels solved exactly the same (nothing won or lost)."""
    if c.get("difference") == 0 and not c.get("won") and not c.get("lost"):
        return "no difference"
    return c["verdict"]


def _informative(rows: list[dict]) -> list[dict]:
    """A pair's rows by k, without a k that says what the k before it said (same difference, interval, won and lost)."""
    kept: list[dict] = []
    for row in rows:
        same = kept and all(kept[-1].get(f) == row.get(f) for f in ("difference", "ci_low", "ci_high", "won", "lost"))
        if not same:
            kept.append(row)
    return kept


def pct(value) -> str:
    """A share as a percentage with one decimal; a dash when absent or NaN."""
    return "–" if value is None or value != value else f"{100 * value:.1f}%"


def pts(value) -> str:
    """A difference of shares in percentage points, signed."""
    return "–" if value is None or value != value else f"{100 * value:+.1f}"


def score_text(score: dict) -> str:
    """`12.5% [8.1%, 17.9%]`: an estimate and its 95% interval."""
    return f"{pct(score.get('estimate'))} [{pct(score.get('ci_low'))}, {pct(score.get('ci_high'))}]"


def metric_columns(*summaries: dict) -> list[str]:
    """Every pass@k any label of any summary has, by k: one column list for every row of a table."""
    metrics = {m for summary in summaries for scored in summary.get("labels", {}).values() for m in scored.get("scores", {})}
    return sorted(metrics, key=lambda m: int(m.split("@")[1]) if m.split("@")[-1].isdigit() else 1 << 30)


def score_table(table_id: str, labels: list[str], summary: dict, columns: list[str], samples: bool = True) -> Table:
    """One row per label, one cell per metric column (a dash where that label lacks it)."""
    names = ["label", "problems"] + (["samples"] if samples else []) + [f"{m} [95% CI]" for m in columns]
    rows = []
    for label in labels:
        scored = summary.get("labels", {}).get(label)
        if scored is None:
            continue
        scores = scored.get("scores", {})
        rows.append([text(label), num(scored.get("problems", 0))] + ([num(scored.get("samples", 0))] if samples else [])
                    + [text(score_text(scores[m]) if m in scores else None) for m in columns])
    return Table(table_id, header(*names, numeric=("problems", "samples")), rows)


def _pairs(data: RunData) -> list[tuple[tuple[str, str], list[dict]]]:
    """Comparisons grouped per (baseline, label) pair, pairs in label order, each pair's rows by k."""
    def k(row: dict) -> int:
        return int(row["metric"].split("@")[1])

    order = {label: i for i, label in enumerate(data.labels)}
    rows = sorted(data.summary.get("comparisons", []), key=lambda c: (order.get(c["b"], 99), c["b"], c["a"], k(c)))
    return [(pair, _informative(list(group))) for pair, group in groupby(rows, key=lambda c: (c["a"], c["b"]))]


def answers(data: RunData) -> list[dict]:
    """Per label pair, once: is the label better than the base, with the k's it holds for, and the evidence."""
    made = []
    for (a, b), rows in _pairs(data):
        verdicts: dict[str, list[str]] = {}  # verdict -> the k's it holds for, in k order
        for r in rows:
            verdicts.setdefault(verdict_of(r), []).append(r["metric"])
        if len(verdicts) == 1:
            [(verdict, metrics)] = verdicts.items()
            said = f"{WORDS.get(verdict, verdict)} ({', '.join(metrics)})"
        else:
            said = "; ".join(f"{WORDS.get(v, v)} on {', '.join(ms)}" for v, ms in verdicts.items())
        first = rows[0]
        scores = {label: data.summary.get("labels", {}).get(label, {}).get("scores", {}).get(first["metric"], {})
                  for label in (a, b)}
        evidence = (f"{first['metric']}: {b} {pct(scores[b].get('estimate'))} vs {a} {pct(scores[a].get('estimate'))}, "
                    f"difference {difference_text(first)} over {first['problems']} problems")
        if "p_value" in first:
            evidence += f", p = {first['p_value']:.3g}"
        mde = mde_text(first.get("minimum_detectable_effect"))
        made.append({"question": f"{b} better than {a}", "answer": said, "evidence": evidence + "." + (f" {mde}." if mde else ""),
                     "brief": f"{first['metric']} {difference_text(first)}", "verdict": verdict_of(first).replace(" ", "-"),
                     "primary": False, "label": b})
    if made:  # the final adapter's answer in full; checkpoints and other labels one line each beneath it
        next((a for a in made if a["label"] == "adapter"), made[0])["primary"] = True
    return made


def interval_words(data: RunData, metric: str) -> list[str]:
    """What each label's interval claims, in words (most telling when few problems are solved)."""
    said = []
    for label in data.labels:
        score = data.summary.get("labels", {}).get(label, {}).get("scores", {}).get(metric, {})
        if score.get("in_words"):
            said.append(f"{label}: {score['in_words']}")
    return said


def difference_text(c: dict) -> str:
    """`+4.2 pts [-1.0, +9.5]`."""
    return f"{pts(c['difference'])} pts [{pts(c['ci_low'])}, {pts(c['ci_high'])}]"


def mde_text(mde: float | None) -> str:
    """The smallest difference this many problems would detect, in words (empty when unknown)."""
    if mde is None or mde != mde:  # absent or NaN (fewer than two problems)
        return ""
    if mde >= 1:
        return "The smallest difference detectable here (80% power) is over 100 pts: too few problems to tell anything"
    return f"The smallest difference detectable here (80% power) is {100 * mde:.1f} pts"


def _detectable(mde: float | None) -> str | None:
    if mde is None or mde != mde:
        return None
    return "over 100 pts" if mde >= 1 else f"{100 * mde:.1f} pts"  # a difference of shares cannot exceed 100 pts


def comparison_table(data: RunData) -> Table:
    """Every paired difference, one row per pair and k."""
    rows = [[text(f"{c['b']} − {c['a']}"), text(c["metric"]), text(difference_text(c)),
             num(f"{c['p_value']:.3g}" if "p_value" in c else None), num(c["problems"]),
             num(f"{len(c.get('won', []))} / {len(c.get('lost', []))}"),
             num(_detectable(c.get("minimum_detectable_effect"))),
             Cell(WORDS.get(verdict_of(c), verdict_of(c)), css=f"answer-{verdict_of(c).replace(' ', '-')}")]
            for _, group in _pairs(data) for c in group]
    return Table("comparisons", header("comparison", "metric", "difference [95% CI]", "p", "problems", "won / lost",
                                       "detectable", "better?", numeric=("p", "problems", "won / lost", "detectable")), rows)


SEEN_ROW = " (seen)"  # a seen-problems row of the verdict table and chart: the label, then this


def seen_ids(data: RunData) -> set[str]:
    """The training problems the run also evaluated (eval.seen_problems), scored apart from the held-out ones."""
    return {pid for pid, info in data.problems.items() if info.get("set") == "seen"}


def _row_results(data: RunData) -> dict[str, list]:
    """Each verdict row's results, in one pass: held-out problems under the label, seen ones under "label (seen)".

    Held-out rows first, then seen ones, each in label order; so that no row mixes the two, as the scores do not.
    """
    seen = seen_ids(data)
    rows: dict[str, list] = {label + part: [] for part in ("", SEEN_ROW) for label in data.labels}
    for label in data.labels:
        for record in data.results.get(label, []):
            rows[label + SEEN_ROW if record.problem_id in seen else label].append(record)
    return {row: records for row, records in rows.items() if records}


def verdict_counts(data: RunData) -> dict[str, dict[str, int]]:
    """Row -> verdict -> count, from the journaled results (the latest per completion)."""
    counts: dict[str, dict[str, int]] = {}
    for row, records in _row_results(data).items():
        tally = counts.setdefault(row, {})
        for record in records:
            tally[record.verdict.value] = tally.get(record.verdict.value, 0) + 1
    return counts


def _scored(data: RunData, row: str) -> dict:
    """The summary's entry for a verdict row: the label's held-out scores, or its seen ones."""
    label, seen = (row[: -len(SEEN_ROW)], True) if row.endswith(SEEN_ROW) else (row, False)
    return (data.summary.get("seen", {}) if seen else data.summary).get("labels", {}).get(label, {})


def retries(data: RunData) -> dict[str, int]:
    """Sandbox failures each row's results survived (summary.json's count, else the journal's)."""
    return {row: _scored(data, row).get("sandbox_retries", sum(r.sandbox_retries for r in records))
            for row, records in _row_results(data).items()}


def verdict_table(data: RunData) -> Table:
    """Verdict counts (the verdicts that occur), extraction health and, when any, sandbox retries per row."""
    counts = verdict_counts(data)
    order = [v for v in VERDICT_ORDER if any(v in c for c in counts.values())]
    retried = retries(data)
    extra = ["no code", "unclosed <think>", "truncated"] + (["sandbox retries"] if any(retried.values()) else [])
    rows = []
    for row_name, tally in counts.items():
        health = _scored(data, row_name).get("extraction", {})
        row = [text(row_name)] + [Cell(str(tally.get(v, 0)), css=f"num v-{v}" if tally.get(v) else "num") for v in order]
        row += [num(pct(health[k]) if k in health else None) for k in ("no_code", "think_unclosed", "truncated")]
        rows.append(row + ([num(retried.get(row_name, 0))] if any(retried.values()) else []))
    return Table("verdict-table", header("label", *order, *extra, numeric=(*order, *extra)), rows)


def retries_note(data: RunData) -> str:
    """A sentence naming the rows whose judging survived sandbox failures; empty when none did."""
    retried = {label: n for label, n in retries(data).items() if n}
    if not retried:
        return ""
    listed = ", ".join(f"{label} {n}" for label, n in retried.items())
    return (f"The sandbox failed and was retried in a fresh one for {listed} sample(s); their verdicts come from the "
            "retry. Many retries point at the host (memory, uids, bubblewrap), not at the programs.")


def problem_table(data: RunData) -> Table:
    """Per-problem solved counts per label, by difficulty; each title links to the problem's detail page.

    With seen (training) problems in the run, a column says which set each problem is in.
    """
    ids = data.problem_ids()
    seen = seen_ids(data)
    pages = page_names(ids)
    by_problem: dict[str, dict[str, list[int]]] = {}
    for label, records in data.results.items():
        for r in records:
            tally = by_problem.setdefault(r.problem_id, {}).setdefault(label, [0, 0])
            tally[0] += r.solved
            tally[1] += 1
    rows = []
    for pid in ids:
        info = data.problems.get(pid, {})
        tallies = by_problem.get(pid, {})
        rows.append([Cell(info.get("title") or pid, href=f"{PAGE_DIR}/{pages[pid]}"), text(pid, "id"),
                     *([text("seen" if pid in seen else "held-out")] if seen else []), num(info.get("rating"))]
                    + [num(f"{tallies[label][0]}/{tallies[label][1]}" if label in tallies else None) for label in data.labels])
    solved = tuple(f"{label} solved" for label in data.labels)
    return Table("problem-table", header("problem", "id", *(["set"] if seen else []), "rating", *solved,
                                         numeric=("rating", *solved)), rows)


def figures(data: RunData, metric: str) -> dict[str, str]:
    """Every chart the run's data supports, as SVG text keyed by name."""
    made = {"training": charts.training_chart(data.metrics, sections.checkpoint_sweep(data, metric), metric)}
    scored = data.summary.get("labels", {})
    bars = [(label, s["estimate"], s["ci_low"], s["ci_high"])
            for label in data.labels if (s := scored.get(label, {}).get("scores", {}).get(metric))]
    made["pass_at_k"] = charts.pass_at_k_chart(bars, metric)
    made["verdicts"] = charts.verdict_chart(verdict_counts(data), VERDICT_ORDER)
    return {name: svg for name, svg in made.items() if svg}


def build_context(data: RunData) -> dict:
    """Everything both renderers need, prepared."""
    columns = metric_columns(data.summary, data.summary.get("seen", {}))
    first_metric = columns[0] if columns else "pass@1"
    answered = answers(data)
    primary = next((a for a in answered if a["primary"]), None)
    return {
        "root": str(data.root),
        "status_line": sections.status_line(data.status),
        "notices": sections.notices(data),
        "sentence": headline_sentence(data.summary, primary["label"]) if primary else "",
        "gap_sentence": gap_sentence(data.summary, primary["label"]) if primary else "",
        "samples_sentence": samples_sentence(data.summary, primary["label"]) if primary else "",
        "answers": answered,
        "no_answer": sections.no_answer(data),
        "headline": score_table("headline-table", data.labels, data.summary, columns),
        "interval_words": interval_words(data, first_metric),
        "comparisons": comparison_table(data),
        "seen": score_table("seen", data.labels, data.summary.get("seen", {}), columns, samples=False),
        "held_out": sections.held_out(data.split),
        "training": sections.training(data.metrics),
        "verdicts": verdict_table(data),
        "retries_note": retries_note(data),
        "first_metric": first_metric,
        "breakdowns": sections.breakdowns(data, first_metric),
        "problems": problem_table(data),
        "metadata": sections.metadata(data),
        "config_text": sections.config_text(data.config),
        "figures": figures(data, first_metric),
    }
