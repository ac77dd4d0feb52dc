#!/usr/bin/env bash
# Run every benchmark in bench/ one after another (each makes its own database). Results go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in bench/bench_*.py; do
    echo "==> $bench"
    .venv/bin/python "$bench"
done
