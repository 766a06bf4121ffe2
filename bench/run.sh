#!/usr/bin/env bash
# bench/run.sh — oidcd's discovery and JWKS against the libmicrohttpd ceiling.
#
# Builds a release tree (build-bench/), starts bench/ceiling and
# `oidcd serve --dev` on 127.0.0.1 ports chosen by the kernel, then runs wrk
# against ceiling /x, oidcd /.well-known/openid-configuration and
# /.well-known/jwks.json, interleaved, RUNS times. Prints req/s and p99 latency
# per run and, per endpoint, the median of the per-run ratios oidcd/ceiling.
# Goals: discovery and JWKS >= 0.8 (issue 2); registration >= 0.12 and
# GET /oauth2/register/{id} >= 0.4 (issue 3). Numbers are only comparable
# within one run of this script: both servers share the machine with wrk.
#
# Usage: bench/run.sh [-t WRK_THREADS] [-c CONNECTIONS] [-d DURATION] [-n RUNS]
#   defaults: -t 2 -c 32 -d 10s -n 3 (also from BENCH_THREADS, BENCH_CONNECTIONS,
#   BENCH_DURATION, BENCH_RUNS); BENCH_BUILD names the build folder.
# Only loopback is ever targeted.
set -euo pipefail

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
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

echo "== building (release) in $build"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --buildtype=release -Dtests=false -Dwerror=false >/dev/null
fi
# werror is off here: a warning that only -O3 shows must not stop a measurement
# (the debug, sanitizer and container builds still treat it as an error).
ninja -C "$build" server/oidcd bench/ceiling >/dev/null

tmp=$(mktemp -d)
ceiling_pid=""
oidcd_pid=""
cleanup() {
  [ -n "$ceiling_pid" ] && kill -TERM "$ceiling_pid" 2>/dev/null || true
  [ -n "$oidcd_pid" ] && kill -TERM "$oidcd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for_port FILE REGEX_SED PID NAME: print the port once FILE has the line.
wait_for_port() {
  local file=$1 expr=$2 pid=$3 name=$4 port="" i
  for i in $(seq 1 200); do
    port=$(sed -n -E "$expr" "$file" 2>/dev/null | head -n 1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: $name did not report its port; its output:" >&2
  cat "$file" >&2
  return 1
}

"$build/bench/ceiling" >"$tmp/ceiling.log" 2>&1 &
ceiling_pid=$!
ceiling_port=$(wait_for_port "$tmp/ceiling.log" 's/.*listening on 127\.0\.0\.1:([0-9]+).*/\1/p' \
  "$ceiling_pid" ceiling)

# The access log (one line per request) would fill the disk at these rates:
# keep the first lines for the start-up line and diagnostics, discard the rest.
(cd "$tmp" && exec "$build/server/oidcd" serve --dev --listen 127.0.0.1:0 --admin-listen off \
  --database "$tmp/oidcd.db") \
  2> >(sed -u 50q >"$tmp/oidcd.log"; cat >/dev/null) &
oidcd_pid=$!
oidcd_port=$(wait_for_port "$tmp/oidcd.log" \
  's/.*(public=|"public":")"?127\.0\.0\.1:([0-9]+).*/\2/p' "$oidcd_pid" oidcd)

# Dynamic registration (issue 3): a durable write per request (synchronous=FULL,
# group commit), and the RFC 7592 read of one client with its token.
reg_body='{"redirect_uris":["https://rp.example/cb"],"client_name":"bench","contacts":["ops@rp.example"]}'
cat >"$tmp/register.lua" <<LUA
wrk.method = "POST"
wrk.body = '$reg_body'
wrk.headers["Content-Type"] = "application/json"
LUA
reg=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$reg_body" \
  "http://127.0.0.1:$oidcd_port/oauth2/register")
reg_id=$(echo "$reg" | sed -E 's/.*"client_id":"([^"]+)".*/\1/')
reg_token=$(echo "$reg" | sed -E 's/.*"registration_access_token":"([^"]+)".*/\1/')
cat >"$tmp/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $reg_token"
LUA

names=(ceiling discovery jwks register get_client)
urls=("http://127.0.0.1:$ceiling_port/x"
  "http://127.0.0.1:$oidcd_port/.well-known/openid-configuration"
  "http://127.0.0.1:$oidcd_port/.well-known/jwks.json"
  "http://127.0.0.1:$oidcd_port/oauth2/register"
  "http://127.0.0.1:$oidcd_port/oauth2/register/$reg_id")
scripts=("" "" "" "$tmp/register.lua" "$tmp/get.lua")
goals=(- 0.8 0.8 0.12 0.4)

for i in 0 1 2; do
  if ! curl -sf -o /dev/null "${urls[$i]}"; then
    echo "bench: ${names[$i]} (${urls[$i]}) does not answer 200" >&2
    exit 1
  fi
  printf '%-9s %6s bytes  %s\n' "${names[$i]}" "$(curl -s "${urls[$i]}" | wc -c)" "${urls[$i]}"
done

# p99 in wrk's unit (us, ms, s) to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

echo "== wrk -t$threads -c$conns -d$duration, $runs interleaved runs"
printf '%-4s %-10s %12s %10s %8s\n' run target "req/s" "p99 ms" errors
declare -A rps p99
for run in $(seq 1 "$runs"); do
  for i in "${!names[@]}"; do
    script=()
    [ -n "${scripts[$i]}" ] && script=(-s "${scripts[$i]}")
    out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "${script[@]}" "${urls[$i]}")
    r=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    bad=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i } END {print n + 0}')
    rps[$run,${names[$i]}]=$r
    p99[$run,${names[$i]}]=$p
    printf '%-4s %-10s %12.0f %10s %8s\n' "$run" "${names[$i]}" "$r" "$p" "$bad"
  done
done

# Median of the per-run ratios (each run's oidcd figure over the same run's ceiling).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {
  if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== median over $runs runs"
printf '%-10s %12s %10s %16s %6s\n' endpoint "req/s" "p99 ms" "oidcd/ceiling" goal
for idx in "${!names[@]}"; do
  name=${names[$idx]}
  goal=${goals[$idx]}
  rs="" ps="" ratios=""
  for run in $(seq 1 "$runs"); do
    rs="$rs ${rps[$run,$name]}"
    ps="$ps ${p99[$run,$name]}"
    ratios="$ratios $(awk -v a="${rps[$run,$name]}" -v b="${rps[$run,ceiling]}" \
      'BEGIN {printf "%.3f", a / b}')"
  done
  mr=$(echo "$rs" | median)
  mp=$(echo "$ps" | median)
  if [ "$name" = ceiling ]; then
    printf '%-10s %12.0f %10.2f %16s\n' "$name" "$mr" "$mp" "-"
  else
    mratio=$(echo "$ratios" | median)
    verdict=$(awk -v r="$mratio" -v g="$goal" 'BEGIN {print (r >= g) ? "ok" : "BELOW GOAL"}')
    printf '%-10s %12.0f %10.2f %16.2f %6s %s\n' "$name" "$mr" "$mp" "$mratio" "$goal" "$verdict"
  fi
done
