#!/usr/bin/env bash
# Side by side: one term's aid entitlements (湖南 2018 policies, 2018秋) for a
# synthetic population, computed by zizhu-policy's engine (release build of
# the bench_entitle example) and by the equivalent hand-written SQL in
# DuckDB (bench/entitle_duckdb.py), both reading the same facts CSV. Each
# side is timed with /usr/bin/time -v (wall, user+sys CPU, peak RSS); the
# per-policy payable 人次 and 金额 (fen) of the two must be identical, or the
# script fails. Prints a markdown table.
#
#   bench/entitle.sh                  # 1,000,000 students
#   BENCH_FULL=1 bench/entitle.sh     # 12,000,000 students (a province)
#   BENCH_STUDENTS=N bench/entitle.sh
#
# Env: BENCH_DIR (facts CSV and logs; default target/bench-entitle, the CSV
# is reused when present), BENCH_SEED, DUCKDB_THREADS (default 2),
# DUCKDB_MEMORY_LIMIT (default: DuckDB's own, 80% of RAM).
#
# The facts come from bench_entitle --write-facts (a synthetic population
# with ~500 students a school and 15 schools a township), not from
# zizhu-gen's generated registry: zizhu-policy does not depend on zizhu-gen.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

if [ "${BENCH_FULL:-0}" = 1 ]; then
  students="${BENCH_STUDENTS:-12000000}"
else
  students="${BENCH_STUDENTS:-1000000}"
fi
seed="${BENCH_SEED:-2312617254971244545}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
work="${BENCH_DIR:-$here/target/bench-entitle}"
mkdir -p "$work"

venv="$("$here/bench/venv.sh" | tail -n 1)"
py="$venv/bin/python"

echo "building (release) …" >&2
cargo build --release -q -p zizhu-policy --example bench_entitle
bin="$CARGO_TARGET_DIR/release/examples/bench_entitle"

facts="$work/facts-$students-$seed.csv"
if [ ! -s "$facts" ]; then
  echo "writing $students students' facts to $facts …" >&2
  "$bin" --write-facts "$facts.tmp" "$students" --seed "$seed" >&2
  mv "$facts.tmp" "$facts"
fi
echo "facts: $facts ($(du -h "$facts" | cut -f1), $(($(wc -l <"$facts") - 1)) rows)" >&2

# Runs one timed command; prints "wall_s cpu_s peak_rss_kb".
timed() {
  local log="$1"
  shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log.time" || {
    echo "failed: $*" >&2
    cat "$log.out" "$log.time" >&2
    exit 1
  }
  local wall user sys rss
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log.time" |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
  user="$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$log.time")"
  sys="$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$log.time")"
  rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.time")"
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') $rss"
}

# Inner timings printed by each side: "load_ms entitle_ms".
inner() {
  local l e
  l="$(awk -F'\t' '$1 == "load_ms" {print $2}' "$1.out")"
  e="$(awk -F'\t' '$1 == "entitle_ms" {print $2}' "$1.out")"
  echo "$l $e"
}

load_before="$(uptime | sed 's/.*load average: //')"
# Warm the page cache so neither side pays for the first read from disk.
cat "$facts" >/dev/null

duck_args=(--threads "${DUCKDB_THREADS:-2}")
[ -n "${DUCKDB_MEMORY_LIMIT:-}" ] && duck_args+=(--memory-limit "$DUCKDB_MEMORY_LIMIT")

echo "zizhu …" >&2
z="$(timed "$work/zizhu-$students" "$bin" --facts "$facts")"
echo "  $z" >&2
echo "DuckDB …" >&2
d="$(timed "$work/duckdb-$students" "$py" "$here/bench/entitle_duckdb.py" "$facts" "${duck_args[@]}")"
echo "  $d" >&2
load_after="$(uptime | sed 's/.*load average: //')"

grep -P '^P\t' "$work/zizhu-$students.out" >"$work/zizhu-$students.totals"
grep -P '^P\t' "$work/duckdb-$students.out" >"$work/duckdb-$students.totals"
if ! diff -u "$work/zizhu-$students.totals" "$work/duckdb-$students.totals" >"$work/totals-$students.diff"; then
  echo >&2
  echo "MISMATCH: per-policy totals differ between zizhu and DuckDB ($students students):" >&2
  cat "$work/totals-$students.diff" >&2
  exit 1
fi
echo "per-policy totals identical (zizhu = DuckDB)" >&2

row() { # side wall cpu rss inner_load inner_entitle
  local side="$1" res="$2" in="$3"
  read -r wall cpu rss <<<"$res"
  read -r lms ems <<<"$in"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$side" "$students" "$wall" "$cpu" \
    "$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')" \
    "$(awk -v m="$lms" 'BEGIN { printf "%.2f", m / 1000 }')" \
    "$(awk -v m="$ems" 'BEGIN { printf "%.2f", m / 1000 }')"
}

echo
echo "Entitlements 2018秋, 湖南 2018 policies; $students students ($(du -h "$facts" | cut -f1) CSV); $(nproc) CPUs; load average before: $load_before; after: $load_after"
echo
echo "| side | students | wall (s) | CPU user+sys (s) | peak RSS (MiB) | load CSV (s) | entitle (s) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "zizhu (bench_entitle --facts)" "$z" "$(inner "$work/zizhu-$students")"
row "DuckDB $("$py" -c 'import duckdb; print(duckdb.__version__)') (one SQL query)" "$d" "$(inner "$work/duckdb-$students")"
echo
echo "Per-policy payable totals (identical on both sides):"
echo
echo "| policy | 人次 | 金额 (fen) |"
echo "|---|---:|---:|"
awk -F'\t' '{ printf "| %s | %s | %s |\n", $2, $3, $4 }' "$work/zizhu-$students.totals"
echo
echo "zizhu: load = read + parse CSV into StudentFacts (rayon); entitle = entitle_owned + summarize."
echo "DuckDB: load = read_csv into a table; entitle = the one query. Wall and RSS are whole processes (DuckDB's includes starting Python)."
echo "logs: $work"
