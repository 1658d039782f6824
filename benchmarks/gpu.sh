#!/usr/bin/env bash
# The GPU check (benchmarks/gpu.py): one command, on the GPU machine, in well under 10 minutes.
#
#   benchmarks/gpu.sh --fetch           here, with network: the wheels and the .deb the GPU machine lacks, into .whl/
#   benchmarks/gpu.sh OUT [--lengths F] there: installs .whl/ into a temporary site, runs every step, writes OUT/gpu.json
#   benchmarks/gpu.sh --dry-run OUT     anywhere: the same steps on the CPU at tiny sizes, no wheels (the suite runs it)
#
# The GPU machine has Python 3.12 with torch, transformers, peft and accelerate but no TRL or
# datasets (and no network), so those travel as wheels; bubblewrap travels as Debian's .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=.whl
if [[ "${1:-}" == "--fetch" ]]; then
    mkdir -p "$WHEELS"
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$WHEELS" trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19
    (cd "$WHEELS" && apt-get download bubblewrap)
    echo "fetched into $WHEELS/: $(ls "$WHEELS" | tr '\n' ' ')"
    exit 0
fi
if [[ "${1:-}" != "--dry-run" ]] && compgen -G "$WHEELS/*.whl" >/dev/null; then
    site=$(mktemp -d /tmp/gpu-site.XXXX)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$WHEELS"/*.whl
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
    for deb in "$WHEELS"/*.deb; do
        [[ -e "$deb" ]] || continue
        root=$(mktemp -d /tmp/gpu-deb.XXXX)
        dpkg -x "$deb" "$root"
        export PATH="$root/usr/bin:$PATH"
    done
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [[ "${1:-}" == "--dry-run" ]]; then
    shift
    exec python3 benchmarks/gpu.py --dry-run "$@"
fi
exec python3 benchmarks/gpu.py "$@"
