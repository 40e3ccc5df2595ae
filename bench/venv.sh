#!/usr/bin/env bash
# Creates the virtualenv the peer benchmarks run in (pandas, DuckDB, Splink),
# so that no benchmark relies on packages installed by hand. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${ZIZHU_BENCH_VENV:-$here/.venv-bench}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check \
  "pandas==3.1.1" "openpyxl==3.1.5" "duckdb==2.0.1" "splink==5.0.0" \
  "pypinyin==0.55.0" "opencc-python-reimplemented==0.1.7"
echo "$venv"
