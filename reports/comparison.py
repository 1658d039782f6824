"""`compare.md` and `compare.html` from a `compare.json` written by `harness compare`."""

from __future__ import annotations

import json
from pathlib import Path

from reports.html import render
from reports.markdown import md_table


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def comparison_context(data: dict) -> dict:
    """Rows for both renderers."""
    metrics = sorted({m for row in data["rows"] for m in row["scores"]}, key=lambda m: int(m.split("@")[1]))
    rows = [[row["run"], row["label"], row["problems"]] +
            [(f"{_pct(s['estimate'])} [{_pct(s['ci_low'])}, {_pct(s['ci_high'])}]" if (s := row["scores"].get(m)) else "–")
             for m in metrics] for row in data["rows"]]
    words = {"better": "better", "worse": "worse", "cannot tell": "cannot tell at this sample size"}
    pairs = [[c["label"], f"{c['b']} − {c['a']}", c["metric"],
              f"{100 * c['difference']:+.1f} pts [{100 * c['ci_low']:+.1f}, {100 * c['ci_high']:+.1f}]",
              f"{c['p_value']:.3g}", c["problems"], words.get(c["verdict"], c["verdict"])] for c in data["comparisons"]]
    return {"runs": data["runs"], "metrics": metrics, "rows": rows, "pairs": pairs}


def write_comparison(out: Path) -> list[Path]:
    """Render `out/compare.json` as `compare.md` and a self-contained `compare.html`."""
    context = comparison_context(json.loads((out / "compare.json").read_text(encoding="utf-8")))
    lines = ["# Run comparison", ""] + [f"- `{name}`: {path}" for name, path in context["runs"].items()] + [""]
    lines += ["## Scores", ""] + md_table(["run", "label", "problems"] + [f"{m} [95% CI]" for m in context["metrics"]],
                                        context["rows"])
    lines += ["## Paired differences (problems both runs scored)", ""]
    lines += md_table(["label", "runs", "metric", "difference [95% CI]", "p", "problems", "verdict"], context["pairs"])
    md, html = out / "compare.md", out / "compare.html"
    md.write_text("\n".join(lines), encoding="utf-8")
    html.write_text(render("compare.html.j2", context), encoding="utf-8")
    return [md, html]
