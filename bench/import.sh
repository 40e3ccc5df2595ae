#!/usr/bin/env bash
# Side by side: one generated 学籍 roster imported into a fresh SQLite file
# by zizhu (release build) and by pandas (read_csv / read_excel + to_sql),
# CSV and xlsx, each timed with /usr/bin/time -v (wall clock, peak RSS).
# Prints a markdown table.
#
#   bench/import.sh              # ~100k roster rows
#   BENCH_FULL=1 bench/import.sh # ~1M roster rows
#   BENCH_STUDENTS=N bench/import.sh
#
# zizhu's run includes what pandas does not do: validating every cell
# (ID check digits, codes against the school register, …), merging with
# the registry, an audit entry per written row, provenance per source row
# and the rejection report. The regions and schools it needs are imported
# first, untimed, as the roster's import requires them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

if [ "${BENCH_FULL:-0}" = 1 ]; then
  students="${BENCH_STUDENTS:-1000000}"
else
  students="${BENCH_STUDENTS:-100000}"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
work="${BENCH_DIR:-$(mktemp -d /tmp/zizhu-bench.XXXXXX)}"
mkdir -p "$work"

venv="$("$here/bench/venv.sh" | tail -n 1)"
py="$venv/bin/python"

echo "building (release) …" >&2
cargo build --release -q -p zizhu-io --example import_bench
bench_bin="$CARGO_TARGET_DIR/release/examples/import_bench"
# The generator's own example, the same generator `zizhu gen` runs, so the
# benchmark need not build the whole application (web server included).
cargo build --release -q -p zizhu-gen --example county
gen_cmd() {
  "$CARGO_TARGET_DIR/release/examples/county" "$1" "$2" both
}

gen="$work/gen"   # an existing $BENCH_DIR/gen is reused
if [ ! -d "$gen" ]; then
  echo "generating a county of $students students in $gen …" >&2
  gen_cmd "$gen" "$students" >/dev/null 2>&1
fi
csv="$gen/教育局-学籍名册.csv"
xlsx="$gen/教育局-学籍名册.xlsx"
[ -f "$csv" ] && [ -f "$xlsx" ] || { echo "roster not found in $gen" >&2; exit 1; }

cat >"$work/pandas_import.py" <<'PY'
"""pandas peer: read the roster (CSV or xlsx) and write it to a fresh SQLite file."""
import sqlite3
import sys

import pandas as pd

path, db = sys.argv[1], sys.argv[2]
KEY = "身份证件号"


def framed(raw: pd.DataFrame) -> pd.DataFrame:
    """Uses the first row naming 身份证件号 as the header (titles above it)."""
    for i in range(min(30, len(raw))):
        if KEY in raw.iloc[i].astype(str).tolist():
            df = raw.iloc[i + 1 :]
            df.columns = raw.iloc[i].astype(str).tolist()
            return df
    raise SystemExit(f"no header in {path}")


if path.endswith(".csv"):
    frames = [framed(pd.read_csv(path, header=None, dtype=str, encoding="utf-8-sig"))]
else:
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str)
    frames = [framed(s) for s in sheets.values()]
df = pd.concat(frames, ignore_index=True)
df = df[df[KEY].notna() | df.iloc[:, 1].notna()]
con = sqlite3.connect(db)
df.to_sql("roster", con, index=False, chunksize=10_000)
con.commit()
n = con.execute("select count(*) from roster").fetchone()[0]
con.close()
print(f"rows={n}")
PY

# Runs one timed command; prints "wall_seconds peak_rss_kb cpu_seconds".
timed() {
  local log="$1"
  shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log.time" || {
    echo "failed: $*" >&2
    cat "$log.out" "$log.time" >&2
    exit 1
  }
  local wall rss cpu
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log.time" |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
  rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.time")"
  cpu="$(awk -F': ' '/(User|System) time \(seconds\)/ {t += $2} END {print t}' "$log.time")"
  echo "$wall $rss $cpu"
}

rows_of() { # rows read, from zizhu's summary or pandas' output
  grep -oE '完整导入：[0-9]+ 行|rows=[0-9]+' "$1.out" | grep -oE '[0-9]+' | tail -n 1
}

declare -a table
run() {
  local tool="$1" fmt="$2" file="$3" log="$work/$1-$2"
  rm -rf "$work/db-$tool-$fmt" && mkdir -p "$work/db-$tool-$fmt"
  local res
  if [ "$tool" = zizhu ]; then
    # import_bench makes its own fresh SQLite file, imports regions and
    # schools untimed, then reports the roster import alone.
    res="$(timed "$log" env ZIZHU_BENCH_IMPORT_ONLY=1 TMPDIR="$work/db-$tool-$fmt" "$bench_bin" "$file")"
  else
    res="$(timed "$log" "$py" "$work/pandas_import.py" "$file" "$work/db-$tool-$fmt/roster.db")"
  fi
  local wall rss cpu rows
  read -r wall rss cpu <<<"$res"
  rows="$(rows_of "$log")"
  local inner=""
  if [ "$tool" = zizhu ]; then
    inner="$(grep -oE '完整导入：[0-9]+ 行，[0-9.]+ 秒' "$log.out" | grep -oE '[0-9.]+ 秒' | grep -oE '[0-9.]+')"
  fi
  table+=("$tool|$fmt|$rows|$wall|$inner|$cpu|$rss")
  echo "  $tool $fmt: ${wall}s, $((rss / 1024)) MB" >&2
}

echo "importing …" >&2
run zizhu csv "$csv"
run pandas csv "$csv"
run zizhu xlsx "$xlsx"
run pandas xlsx "$xlsx"

echo
echo "Roster: $students students, $(wc -l <"$csv") CSV lines, $(du -h "$xlsx" | cut -f1) xlsx; $(nproc) CPUs; load:$(uptime | sed 's/.*load average://')"
echo
echo "| tool | format | rows | wall (s) | import alone (s) | rows/s (import) | CPU user+sys (s) | rows per CPU-s | peak RSS (MB) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for line in "${table[@]}"; do
  IFS='|' read -r tool fmt rows wall inner cpu rss <<<"$line"
  t="${inner:-$wall}"
  rate="$(awk -v r="$rows" -v t="$t" 'BEGIN { if (t > 0) printf "%.0f", r / t; else print "-" }')"
  cpurate="$(awk -v r="$rows" -v t="$cpu" 'BEGIN { if (t > 0) printf "%.0f", r / t; else print "-" }')"
  echo "| $tool | $fmt | $rows | $wall | ${inner:--} | $rate | $cpu | $cpurate | $((rss / 1024)) |"
done
echo
echo "zizhu's wall time includes creating the schema and the untimed regions/schools import it needs; 'import alone' is the roster import itself (read + validate + merge + write + audit + provenance + rejection report)."
echo "work files: $work"
