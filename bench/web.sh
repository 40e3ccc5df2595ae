#!/usr/bin/env bash
# Load benchmark of the web application with wrk: a generated county of
# BENCH_STUDENTS students (default 1,000,000) imported into a fresh SQLite
# file, `zizhu serve` on a free loopback port, one signed-in 县资助中心
# account, then wrk (2 threads, 32 connections) against
#   (a) the student list with a filter (one township, 小学, page 1), and
#   (b) the dashboard `/`.
# Prints p50/p95/p99 latency, requests/s and the count of non-2xx
# responses per endpoint as a markdown table, plus `uptime`. Any non-2xx
# response, socket error (a timeout after 60 s is one) or a run in which no
# request completed fails the script. Goals (issue): p95 < 50 ms for the
# list, < 200 ms for the dashboard (reported, not enforced).
#
#   bench/web.sh                          # 1,000,000 students
#   BENCH_STUDENTS=100000 bench/web.sh    # smaller, to try it out
#
# Env:
#   ZIZHU_BIN        the zizhu binary (default target/release/zizhu; built
#                    with `cargo build --release -p zizhu` when absent)
#   BENCH_STUDENTS   students to generate (default 1000000)
#   BENCH_SECONDS    wrk duration per endpoint (default 30)
#   BENCH_WARMUP     sequential warm-up requests before each run (default 5);
#                    their median is reported as the one-connection latency
#   BENCH_CONNECTIONS / BENCH_THREADS   wrk -c / -t (default 32 / 2)
#   BENCH_DIR        work dir (default target/bench-web); the generated
#                    lists and the database are reused when complete
#   BENCH_HOUSEHOLDS 1 (default) imports the 建档立卡 households too, 0 skips
#   BENCH_ENTITLE    1 (default) runs `zizhu entitle` for the term after the
#                    imports, so the dashboard shows its 资助 section (the
#                    ledger tally); 0 skips
#   BENCH_TOWNSHIP   the township filter (9 digits; default: the first
#                    township of the generated 统计局-行政区划.csv)
#   BENCH_STAGE      the stage filter (default 小学)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

students="${BENCH_STUDENTS:-1000000}"
seconds="${BENCH_SECONDS:-30}"
warmup="${BENCH_WARMUP:-5}"
conns="${BENCH_CONNECTIONS:-32}"
threads="${BENCH_THREADS:-2}"
work="${BENCH_DIR:-$here/target/bench-web}"
households="${BENCH_HOUSEHOLDS:-1}"
entitle="${BENCH_ENTITLE:-1}"
stage="${BENCH_STAGE:-小学}"
term="2018秋"
user="loadtest"
pw_initial="Initial2018pw"
pw="Wrkbench2018"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

say() { echo "[web.sh $(date +%H:%M:%S)] $*" >&2; }
die() {
  echo "[web.sh] FAILED: $*" >&2
  exit 1
}

# --- tools -------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  say "installing wrk …"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
  else
    sudo apt-get install -y wrk >&2 || { sudo apt-get update >&2 && sudo apt-get install -y wrk >&2; }
  fi
fi
command -v curl >/dev/null || die "curl is needed"

bin="${ZIZHU_BIN:-target/release/zizhu}"
if [ ! -x "$bin" ]; then
  say "building zizhu (release) …"
  cargo build --release -q -p zizhu
  bin="${CARGO_TARGET_DIR:-target}/release/zizhu"
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -x "$bin" ] || die "no zizhu binary at $bin"

# --- data --------------------------------------------------------------
gen="$work/gen-$students"
if [ ! -f "$gen/.complete" ]; then
  rm -rf "$gen"
  say "generating a county of $students students in $gen …"
  "$bin" gen --out "$gen" --students "$students" --format csv >"$work/gen-$students.log" 2>&1 ||
    { cat "$work/gen-$students.log" >&2; die "zizhu gen"; }
  touch "$gen/.complete"
fi
regions_csv="$gen/统计局-行政区划.csv"
schools_csv="$gen/教育局-学校名册.csv"
roster_csv="$gen/教育局-学籍名册.csv"
hh_csvs=("$gen/扶贫办-建档立卡贫困户.csv" "$gen/扶贫办-建档立卡贫困人口.csv")
for f in "$regions_csv" "$schools_csv" "$roster_csv"; do
  [ -f "$f" ] || die "missing $f"
done

db="$work/zizhu-$students.sqlite"
url="sqlite://$db"
marker="$work/zizhu-$students.complete"
wanted="students=$students households=$households entitle=$entitle"
if [ -f "$db" ] && [ -f "$marker" ] && [ "$(head -n 1 "$marker")" = "$wanted" ]; then
  say "reusing the database $db ($(du -h "$db" | cut -f1))"
else
  rm -f "$marker" "$db" "$db-wal" "$db-shm"
  "$bin" init --database "$url" >/dev/null
  timings=()
  do_import() { # kind file
    local kind="$1" file="$2" log
    log="$work/import-$students-$(basename "$file" .csv).log"
    say "importing $kind: $(basename "$file") ($(($(wc -l <"$file") - 1)) lines) …"
    local t0 t1
    t0="$(date +%s.%N)"
    "$bin" import "$kind" "$file" --term "$term" --database "$url" \
      --report-dir "$work/reports-$students" >"$log" 2>&1 ||
      { tail -n 30 "$log" >&2; die "zizhu import $kind $file"; }
    t1="$(date +%s.%N)"
    local s
    s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
    say "  $kind done in ${s}s"
    timings+=("$kind $(basename "$file" .csv): ${s}s")
  }
  mkdir -p "$work/reports-$students"
  do_import regions "$regions_csv"
  do_import schools "$schools_csv"
  if [ "$households" = 1 ]; then
    for f in "${hh_csvs[@]}"; do
      if [ -f "$f" ]; then do_import households "$f"; else say "no $(basename "$f"), skipped"; fi
    done
  fi
  do_import roster "$roster_csv"
  if [ "$entitle" = 1 ]; then
    say "zizhu entitle --term $term …"
    t0="$(date +%s.%N)"
    "$bin" entitle --term "$term" --database "$url" >"$work/entitle-$students.log" 2>&1 ||
      { tail -n 30 "$work/entitle-$students.log" >&2; die "zizhu entitle"; }
    t1="$(date +%s.%N)"
    timings+=("entitle: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s")
  fi
  { echo "$wanted"; printf '%s\n' "${timings[@]}"; } >"$marker"
fi
import_times="$(tail -n +2 "$marker" | paste -sd ';' - | sed 's/;/; /g')"

# --- account -----------------------------------------------------------
# A new (or reset) account must change its password at first sign-in;
# the script does that through the form, as a user would.
if ! "$bin" user add "$user" --role county --name 压测 --password "$pw_initial" \
  --database "$url" >"$work/user.log" 2>&1; then
  "$bin" user passwd "$user" --password "$pw_initial" --database "$url" >>"$work/user.log" 2>&1 ||
    { cat "$work/user.log" >&2; die "could not create or reset the account $user"; }
fi

# --- server ------------------------------------------------------------
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || true)"
if [ -z "$port" ]; then
  for p in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      port="$p"
      break
    fi
  done
fi
[ -n "$port" ] || die "no free port"
base="http://127.0.0.1:$port"
server_pid=""
jar="$work/cookies.txt"
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -f "$jar"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say "starting zizhu serve on $base …"
"$bin" serve --database "$url" --listen "127.0.0.1:$port" --data-dir "$work/serve-data" \
  >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; die "zizhu serve exited"; }
  sleep 0.2
done
curl -fsS -o /dev/null "$base/healthz" || die "server not answering on $base"

# --- sign in -----------------------------------------------------------
rm -f "$jar"
login_page="$(curl -fsS -c "$jar" -b "$jar" "$base/login")"
login_csrf="$(grep -m1 -oE 'name="csrf" value="[0-9a-f]+"' <<<"$login_page" | grep -oE '[0-9a-f]{64}')" ||
  die "no CSRF token on the login form"
where="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" \
  --data-urlencode "csrf=$login_csrf" --data-urlencode "username=$user" \
  --data-urlencode "password=$pw_initial" --data-urlencode "next=/" "$base/login")"
case "$where" in
303* | 302*) ;;
*) die "login answered $where" ;;
esac
if [[ "$where" == *"/password" ]]; then
  pw_page="$(curl -fsS -c "$jar" -b "$jar" "$base/password")"
  csrf="$(grep -m1 -oE 'name="csrf" value="[0-9a-f]+"' <<<"$pw_page" | grep -oE '[0-9a-f]{64}')" ||
    die "no CSRF token on the password form"
  where="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" \
    --data-urlencode "csrf=$csrf" --data-urlencode "current=$pw_initial" \
    --data-urlencode "new=$pw" --data-urlencode "confirm=$pw" "$base/password")"
  case "$where" in
  303*/ | 302*/) ;;
  *) die "password change answered $where" ;;
  esac
fi
session="$(awk '$6 == "zizhu_session" { v = $7 } END { print v }' "$jar")"
[ -n "$session" ] || die "no session cookie after signing in"
cookie="zizhu_session=$session"

# --- targets -----------------------------------------------------------
# Township: the first 乡级 row of the 统计局 list; the list page takes the
# first nine digits of its 12-digit code.
township="${BENCH_TOWNSHIP:-$(awk -F, '$4 == "乡级" && t == "" { t = substr($2, 1, 9) } END { print t }' "$regions_csv")}"
[ -n "$township" ] || die "no township code in $regions_csv"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1" 2>/dev/null ||
  printf '%s' "$1" | od -An -tx1 | tr -s ' \n' | sed 's/ $//; s/^ //; s/ /%/g; s/^/%/' | tr a-f A-F; }
list_path="/students?term=$(enc "$term")&township=$township&stage=$(enc "$stage")"
dash_path="/"

check() { # name path pattern: one request, must be 200 and show the pattern
  local name="$1" path="$2" pattern="$3" out="$work/page-$1.html" res
  res="$(curl -sS -o "$out" -w '%{http_code} %{time_total}' -b "$cookie" "$base$path")"
  [ "${res% *}" = 200 ] || die "$name ($path) answered ${res% *}: $(head -c 400 "$out")"
  grep -q -- "$pattern" "$out" || die "$name ($path): page lacks '$pattern' ($out)"
  echo "${res#* }"
}
list_first="$(check list "$list_path" '/persons/')"
dash_first="$(check dashboard "$dash_path" '在籍学生')"
if [ "$entitle" = 1 ]; then
  grep -q '资助人次' "$work/page-dashboard.html" || die "the dashboard lacks the 资助 section after zizhu entitle"
fi
list_total="$(grep -m1 -oE '共 <strong>[0-9,]+</strong> 名学生' "$work/page-list.html" | sed 's/<[^>]*>//g' || true)"

# --- wrk ---------------------------------------------------------------
lua="$work/report.lua"
cat >"$lua" <<'LUA'
-- Counts non-2xx answers (wrk itself only counts >= 400) and prints one
-- machine-readable line at the end.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  non2xx = 0
  first_bad = 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == 0 then first_bad = status end
  end
end
function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    local f = t:get("first_bad") or 0
    if first == 0 then first = f end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT p50=%.1f p95=%.1f p99=%.1f max=%.1f rps=%.1f requests=%d non2xx=%d first_bad=%d sockerr=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    bad, first, e.connect + e.read + e.write + e.timeout))
end
LUA

declare -a rows
failed=0
run() { # name path
  local name="$1" path="$2" out="$work/wrk-${1%% *}.txt" line i t seq=()
  # Warm-up: sequential requests, one at a time (a concurrent warm-up would
  # leave requests queued in the server when the measured run starts).
  # Their median is the one-connection latency in the table.
  for i in $(seq 1 "$warmup"); do
    t="$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -b "$cookie" "$base$path")"
    [ "${t% *}" = 200 ] || die "$name: warm-up request answered ${t% *}"
    seq+=("${t#* }")
  done
  local single="-"
  if [ "${#seq[@]}" -gt 0 ]; then
    single="$(printf '%s\n' "${seq[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", 1000 * v[int((NR + 1) / 2)] }')"
  fi
  say "wrk -t$threads -c$conns -d${seconds}s --latency $base$path"
  wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 60s --latency \
    -H "Cookie: $cookie" -s "$lua" "$base$path" | tee "$out" >&2
  line="$(grep '^RESULT ' "$out")" || die "no result from wrk for $name"
  local p50 p95 p99 rps n bad first sock
  p50="$(grep -oE 'p50=[0-9.]+' <<<"$line" | cut -d= -f2)"
  p95="$(grep -oE 'p95=[0-9.]+' <<<"$line" | cut -d= -f2)"
  p99="$(grep -oE 'p99=[0-9.]+' <<<"$line" | cut -d= -f2)"
  rps="$(grep -oE 'rps=[0-9.]+' <<<"$line" | cut -d= -f2)"
  n="$(grep -oE 'requests=[0-9]+' <<<"$line" | cut -d= -f2)"
  bad="$(grep -oE 'non2xx=[0-9]+' <<<"$line" | cut -d= -f2)"
  first="$(grep -oE 'first_bad=[0-9]+' <<<"$line" | cut -d= -f2)"
  sock="$(grep -oE 'sockerr=[0-9]+' <<<"$line" | cut -d= -f2)"
  if [ "$n" = 0 ]; then
    p50="-" p95="-" p99="-"
  fi
  rows+=("$name|$path|$single|$p50|$p95|$p99|$rps|$n|$bad|$sock")
  if [ "$bad" != 0 ] || [ "$sock" != 0 ] || [ "$n" = 0 ]; then
    echo "[web.sh] FAILED: $name: $n requests completed, $bad non-2xx responses (first: $first), $sock socket errors (timeouts after 60 s count here)" >&2
    failed=1
  fi
}
load_before="$(uptime | sed 's/.*load average: //')"
run "student list (filtered)" "$list_path"
run "dashboard" "$dash_path"
load_after="$(uptime | sed 's/.*load average: //')"

# --- report ------------------------------------------------------------
cleanup # stop the server (it checkpoints the WAL) before measuring the file
db_size="$(du -h "$db" | cut -f1)"
if [ -s "$db-wal" ]; then db_size="$db_size (+ WAL $(du -h "$db-wal" | cut -f1))"; fi
echo
echo "Database: $students generated students ($(basename "$roster_csv"): $(($(wc -l <"$roster_csv") - 1)) lines), SQLite $db_size; import: $import_times"
echo "Filter: township $township, stage $stage, term $term${list_total:+ ($list_total)}; signed in as 县资助中心 (whole county)."
echo "wrk -t$threads -c$conns -d${seconds}s --latency --timeout 60s (after $warmup sequential warm-up requests, whose median is the '1 conn.' column), $(nproc) CPUs, wrk and the server on the same machine; first single request: list ${list_first}s, dashboard ${dash_first}s."
echo
echo "| endpoint | path | 1 conn. median (ms) | p50 (ms) | p95 (ms) | p99 (ms) | req/s | requests | non-2xx | socket errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
  IFS='|' read -r name path single p50 p95 p99 rps n bad sock <<<"$r"
  echo "| $name | \`$path\` | $single | $p50 | $p95 | $p99 | $rps | $n | $bad | $sock |"
done
echo
goal() { # name p95 limit
  if [ "$2" = - ]; then
    echo "- $1: no request completed within ${seconds}s, goal < $3 ms: NOT met"
    return
  fi
  awk -v p="$2" -v l="$3" -v n="$1" 'BEGIN { printf "- %s: p95 %s ms, goal < %s ms: %s\n", n, p, l, (p + 0 < l + 0 ? "met" : "NOT met") }'
}
IFS='|' read -r _ _ _ _ lp95 _ <<<"${rows[0]}"
IFS='|' read -r _ _ _ _ dp95 _ <<<"${rows[1]}"
goal "student list" "$lp95" 50
goal "dashboard" "$dp95" 200
echo
echo "load average before: $load_before; after: $load_after"
echo "uptime:$(uptime)"
[ "$failed" = 0 ] || die "a run had non-2xx responses, socket errors or no completed request (see above)"
