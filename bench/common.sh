# bench/common.sh — what bench/run.sh and bench/pg.sh share; sourced, not run.
# Before sourcing, set usage_lines to the sed range of the caller's usage
# comment (e.g. '2,42p'). Sets threads, conns, duration, runs (options -t -c
# -d -n, or BENCH_THREADS, BENCH_CONNECTIONS, BENCH_DURATION, BENCH_RUNS),
# root and build (BENCH_BUILD), checks for wrk and node, builds the release
# oidcd and the ceiling server, and defines wait_for_port, median and
# run_medians.

threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-32}
duration=${BENCH_DURATION:-10s}
runs=${BENCH_RUNS:-3}
while getopts "t:c:d:n:h" opt; do
  case $opt in
    t) threads=$OPTARG ;;
    c) conns=$OPTARG ;;
    d) duration=$OPTARG ;;
    n) runs=$OPTARG ;;
    *) sed -n "$usage_lines" "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench: node is not installed (scripts/setup.sh)" >&2; exit 1; }

echo "== building (release) in $build"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
fi
# werror is off here: a warning that only -O3 shows must not stop a measurement
# (the debug, sanitizer and container builds still treat it as an error).
ninja -C "$build" server/oidcd bench/ceiling >/dev/null

# wait_for_port FILE REGEX_SED PID NAME: print the port once FILE has the line.
wait_for_port() {
  local file=$1 expr=$2 pid=$3 name=$4 port="" i
  for i in $(seq 1 400); do
    port=$(sed -n -E "$expr" "$file" 2>/dev/null | head -n 1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: $name did not report its port; its output:" >&2
  cat "$file" >&2
  return 1
}

# median: the median of the numbers on stdin (separated by spaces or lines).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {
  if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# run_medians NAME: over runs 1..$runs of the caller's rps[run,NAME] and
# p99[run,NAME], sets mr (median req/s), mp (median p99 ms) and mratio (the
# median of the per-run ratios NAME/ceiling, each over the same run's ceiling).
run_medians() {
  local name=$1 run rs="" ps="" ratios=""
  for run in $(seq 1 "$runs"); do
    rs="$rs ${rps[$run,$name]}"
    ps="$ps ${p99[$run,$name]}"
    ratios="$ratios $(awk -v a="${rps[$run,$name]}" -v b="${rps[$run,ceiling]}" \
      'BEGIN {printf "%.3f", a / b}')"
  done
  mr=$(echo "$rs" | median)
  mp=$(echo "$ps" | median)
  mratio=$(echo "$ratios" | median)
}
