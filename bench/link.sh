#!/usr/bin/env bash
# Side by side on the same files: `zizhu link` (release binary) and Splink 5
# (DuckDB backend, bench/link_splink.py, in the virtualenv bench/venv.sh
# makes), on generated lists with ground truth. Each side is timed with
# /usr/bin/time -v (wall, user+sys CPU, peak RSS) and scored against the
# truth. Prints a markdown table.
#
#   bench/link.sh                # 100k × 30k
#   BENCH_FULL=1 bench/link.sh   # 100k × 30k, then 1M × 300k
#   BENCH_SIZES="1m" bench/link.sh
#   BENCH_DIR=/tmp/link-bench bench/link.sh   # keep (and reuse) the lists
#
# The lists come from crates/zizhu-link/tests/common (households with
# siblings and twins, a skewed surname distribution, two list profiles with
# their own error models), written by `examples/link_bench.rs --write`.
# zizhu runs with its defaults (threshold chosen by the model). Splink is
# given the same Chinese normalisation (see bench/link_splink.py) and is
# scored at match probability 0.5 and at the best threshold of a sweep,
# with and without a one-to-one step.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

if [ -n "${BENCH_SIZES:-}" ]; then
  sizes="$BENCH_SIZES"
elif [ "${BENCH_FULL:-0}" = 1 ]; then
  sizes="100k 1m"
else
  sizes="100k"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
work="${BENCH_DIR:-$(mktemp -d /tmp/zizhu-link-bench.XXXXXX)}"
mkdir -p "$work"
threads="$(nproc)"

venv="$("$here/bench/venv.sh" | tail -n 1)"
py="$venv/bin/python"

echo "building (release) …" >&2
cargo build --release -q -p zizhu
zizhu="$CARGO_TARGET_DIR/release/zizhu"
gen="$CARGO_TARGET_DIR/release/examples/link_bench"
gen_built=0

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

# Precision, recall, F1 and link count of a links CSV against the truth.
score() {
  "$py" - "$1" "$2" <<'PY'
import csv, sys
with open(sys.argv[2], newline="") as f:
    truth = {(r["left_id"], r["right_id"]) for r in csv.DictReader(f)}
with open(sys.argv[1], newline="") as f:
    links = [(r["left_id"], r["right_id"]) for r in csv.DictReader(f)]
c = sum(1 for p in links if p in truth)
p = c / len(links) if links else 0.0
r = c / len(truth) if truth else 0.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
print(f"{p:.4f} {r:.4f} {f1:.4f} {len(links)}")
PY
}

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

table=()
for size in $sizes; do
  dir="$work/$size"
  if [ ! -s "$dir/truth.csv" ]; then
    if [ "$gen_built" = 0 ]; then
      cargo build --release -q -p zizhu-link --example link_bench
      gen_built=1
    fi
    echo "generating $size lists in $dir …" >&2
    "$gen" "$size" --write "$dir" --no-link >&2
  fi
  left="$dir/left.csv" right="$dir/right.csv" truth="$dir/truth.csv"
  nl=$(($(wc -l <"$left") - 1)) nr=$(($(wc -l <"$right") - 1)) nt=$(($(wc -l <"$truth") - 1))
  echo "$size: $nl × $nr rows, $nt true pairs" >&2
  cat "$left" "$right" >/dev/null # warm the page cache for both sides

  load_before="$(uptime | sed 's/.*load average: //')"
  echo "zizhu link …" >&2
  z="$(timed "$dir/zizhu" "$zizhu" link "$left" "$right" --out "$dir/zizhu-links.csv")"
  zq="$(score "$dir/zizhu-links.csv" "$truth")"
  echo "  time: $z; P R F1 links: $zq" >&2

  echo "Splink …" >&2
  s="$(timed "$dir/splink" "$py" "$here/bench/link_splink.py" "$left" "$right" "$truth" "$dir" --threads "$threads")"
  load_after="$(uptime | sed 's/.*load average: //')"
  sq_default="$(score "$dir/splink-default.csv" "$truth")"
  phases="$(awk -F'\t' '$1 == "phase" { printf "%s %s s; ", $2, $3 }' "$dir/splink.out")"
  echo "  time: $s; $phases" >&2
  grep -P '^(best|default)\t' "$dir/splink.out" >&2

  read -r zw zc zr <<<"$z"
  read -r sw sc sr <<<"$s"
  read -r zp zrec zf zn <<<"$zq"
  read -r sp srec sf sn <<<"$sq_default"
  best_line() { awk -F'\t' -v k="$1" '$1 == "best" && $2 == k { printf "%s / %s / %s (p ≥ %s, %s links)", $4, $5, $6, $3, $7 }' "$dir/splink.out"; }
  table+=("| $size | $nl × $nr | **zizhu link** (default) | $zp / $zrec / $zf ($zn links) | $zw | $zc | $(mib "$zr") | $load_before |")
  table+=("| $size | $nl × $nr | Splink, p ≥ 0.5 | $sp / $srec / $sf ($sn links) | $sw | $sc | $(mib "$sr") | $load_after |")
  table+=("| $size | | Splink, best threshold | $(best_line raw) | | | | |")
  table+=("| $size | | Splink + one-to-one, best threshold | $(best_line one_to_one) | | | | |")
  ratio="$(awk -v a="$zw" -v b="$sw" 'BEGIN { printf "%.1f", b / a }')"
  echo "  zizhu is ${ratio}× faster (wall); Splink phases: $phases" >&2
done

echo
echo "Run on $(date -u +%Y-%m-%d), $(nproc) cores, work folder $work"
echo
echo "| size | rows | side | P / R / F1 | wall (s) | CPU (s) | peak RSS (MiB) | load average |"
echo "|---|---|---|---|---:|---:|---:|---|"
printf '%s\n' "${table[@]}"
