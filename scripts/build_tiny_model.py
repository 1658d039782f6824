"""Build (or find) the pre-trained tiny model (builtin:tiny-qwen3-coder): folder, weights digest, build record.

`--ship` rebuilds the seed-0 model that ships in harness/models/shipped/ (commit what it writes).
Run it twice with a fresh HARNESS_HOME to check that a build is repeatable bit for bit:
    HARNESS_HOME=$(mktemp -d) python3 scripts/build_tiny_model.py --seed 1
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    """Build the model for `--seed` (or the shipped one) and print where it is and what it is."""
    from harness.models.tiny import SHIPPED_CODER, build_coder_model, coder_sources, tiny_qwen3_coder, weights_digest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="init and data-order seed (builtin:tiny-qwen3-coder-sSEED)")
    parser.add_argument("--ship", action="store_true", help="rebuild the seed-0 model shipped in the package")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.monotonic()
    if args.ship:
        shutil.rmtree(SHIPPED_CODER, ignore_errors=True)
        path = build_coder_model(SHIPPED_CODER, *coder_sources(), seed=0)
    else:
        path = tiny_qwen3_coder(seed=args.seed)
    record = json.loads((path / "pretraining.json").read_text())
    print(json.dumps({"path": str(path), "key": record["key"], "weights_sha256": weights_digest(path),
                      "build_s": record["build_s"], "first_loss": record["losses"][:1],
                      "last_loss": record["losses"][-1:], "this_call_s": round(time.monotonic() - started, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
