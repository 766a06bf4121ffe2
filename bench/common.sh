# bench/common.sh — what bench/run.sh and bench/pg.sh share; sourced, not run.
# Before sourcing, set usage_lines to the sed range of the caller's usage
# comment (e.g. '2,42p'). Sets threads, conns, duration, runs (options -t -c
# -d -n, or BENCH_THREADS, BENCH_CONNECTIONS, BENCH_DURATION, BENCH_RUNS),
# root and build (BENCH_BUILD), checks for wrk and node, builds the release
# oidcd and the ceiling server, and defines wait_for_port.

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
