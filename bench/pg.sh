#!/usr/bin/env bash
# bench/pg.sh — userinfo and client_credentials throughput on PostgreSQL with one
# and with two oidcd instances, and on SQLite, against the libmicrohttpd ceiling
# (issue 10).
#
# Builds the release tree bench/run.sh uses (build-bench/), starts bench/ceiling,
# a throwaway PostgreSQL 15 cluster (scripts/pg.sh, fsync and synchronous_commit
# on) and three set-ups, all on 127.0.0.1 ports chosen by the kernel:
#   sqlite  one oidcd on an SQLite file (database.synchronous full)
#   pg1     one oidcd on a PostgreSQL database
#   pg2     two oidcd (A and B) on one PostgreSQL database, same secrets.system;
#           the load is split across both: two wrk processes at once, each with
#           half the connections and threads, one per instance (as a load
#           balancer would), their req/s added
# then, RUNS times, interleaved: wrk against ceiling /x, and for each set-up
# POST /oauth2/token (client_credentials, client_secret_basic: one durable token
# row per request) and GET /userinfo (a token lookup per request; the token from
# the code flow, bench/access_token.mjs). Prints req/s and p99 per run and, per
# measurement, the median of the per-run ratios to the same run's ceiling.
# Numbers are only comparable within one run: every server, PostgreSQL and wrk
# share the machine (on 2 cores, two instances mostly share the same CPUs: pg2
# shows what a second process adds there, not what a second machine would).
#
# Usage: bench/pg.sh [-t WRK_THREADS] [-c CONNECTIONS] [-d DURATION] [-n RUNS]
#   defaults: -t 2 -c 32 -d 10s -n 3 (also BENCH_THREADS, BENCH_CONNECTIONS,
#   BENCH_DURATION, BENCH_RUNS); BENCH_BUILD names the build folder.
# Only loopback is ever targeted.
set -euo pipefail

usage_lines='2,27p'
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

# A short path: the cluster's unix socket lives in it.
tmp=$(mktemp -d /tmp/oidcd-bench.XXXXXX)
chmod 0755 "$tmp"
pids=()
pg_started=0
cleanup() {
  local p
  for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$pg_started" = 1 ] && "$root/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$build/bench/ceiling" >"$tmp/ceiling.log" 2>&1 &
pids+=($!)
ceiling_port=$(wait_for_port "$tmp/ceiling.log" 's/.*listening on 127\.0\.0\.1:([0-9]+).*/\1/p' \
  "${pids[-1]}" ceiling)

echo "== PostgreSQL (scripts/pg.sh start $tmp/pg)"
pg_started=1
"$root/scripts/pg.sh" start "$tmp/pg" >/dev/null
db_pg1=$("$root/scripts/pg.sh" createdb "$tmp/pg" bench_one)
db_pg2=$("$root/scripts/pg.sh" createdb "$tmp/pg" bench_two)

# Every instance of a set-up shares this secret (it keys the stored token hashes).
secret=$(openssl rand -hex 32)

# start_oidcd NAME DATABASE: oidcd serve on loopback; sets public[NAME], admin[NAME].
declare -A public admin
start_oidcd() {
  local name=$1 db=$2 log="$tmp/$1.log" pid port aport
  # The access log (one line per request) would fill the disk at these rates:
  # keep the first lines for the start-up line and diagnostics, discard the rest.
  (cd "$tmp" && exec "$build/server/oidcd" serve --dev --listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 --database "$db" --set "secrets.system=$secret") \
    2> >(sed -u 50q >"$log"; cat >/dev/null) &
  pid=$!
  pids+=("$pid")
  port=$(wait_for_port "$log" 's/.*(public=|"public":")"?127\.0\.0\.1:([0-9]+).*/\2/p' "$pid" "$name")
  aport=$(wait_for_port "$log" 's/.*(admin=|"admin":")"?127\.0\.0\.1:([0-9]+).*/\2/p' "$pid" "$name")
  public[$name]=http://127.0.0.1:$port
  admin[$name]=http://127.0.0.1:$aport
}

start_oidcd sqlite "$tmp/oidcd.db"
start_oidcd pg1 "$db_pg1"
start_oidcd pg2a "$db_pg2"
start_oidcd pg2b "$db_pg2"

# Per set-up (the first instance's admin API; pg2b shares pg2a's database): the
# client_credentials client and an access token for /userinfo.
declare -A basic token
cc_client='{"client_id":"bench-cc","client_name":"bench cc","grant_types":["client_credentials"],
  "response_types":[],"redirect_uris":[],"scope":"api.read api.write",
  "token_endpoint_auth_method":"client_secret_basic"}'
for setup in sqlite pg1 pg2a; do
  if ! out=$(curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "$cc_client" "${admin[$setup]}/admin/clients") || [ "${out##*$'\n'}" != 201 ]; then
    echo "bench: creating the client_credentials client on $setup failed: $out" >&2
    exit 1
  fi
  cc_secret=$(echo "$out" | sed -n -E 's/.*"client_secret":"([^"]+)".*/\1/p')
  basic[$setup]=$(printf '%s:%s' bench-cc "$cc_secret" | base64 -w0)
  if ! token[$setup]=$(node "$root/bench/access_token.mjs" "${public[$setup]}" "${admin[$setup]}"); then
    echo "bench: no access token for /userinfo on $setup (see above)" >&2
    exit 1
  fi
done
basic[pg2b]=${basic[pg2a]}
token[pg2b]=${token[pg2a]}

# wrk scripts per instance.
for inst in sqlite pg1 pg2a pg2b; do
  cat >"$tmp/cc_$inst.lua" <<LUA
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic ${basic[$inst]}"
LUA
  cat >"$tmp/ui_$inst.lua" <<LUA
wrk.headers["Authorization"] = "Bearer ${token[$inst]}"
LUA
  # Each answers 200 before anything is measured (pg2b with what pg2a issued).
  curl -sf -X POST -H "Authorization: Basic ${basic[$inst]}" \
    -H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials \
    "${public[$inst]}/oauth2/token" >/dev/null ||
    { echo "bench: client_credentials on $inst does not answer 200" >&2; exit 1; }
  curl -sf -H "Authorization: Bearer ${token[$inst]}" "${public[$inst]}/userinfo" >/dev/null ||
    { echo "bench: /userinfo on $inst does not answer 200" >&2; exit 1; }
done

# p99 in wrk's unit (us, ms, s) to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

# wrk_one OUT THREADS CONNS URL [SCRIPT]: one wrk run, its summary in OUT
# (req/s, p99 ms, errors on one line).
wrk_one() {
  local out=$1 t=$2 c=$3 url=$4 script=() text
  [ $# -ge 5 ] && script=(-s "$5")
  text=$(wrk -t"$t" -c"$c" -d"$duration" --latency "${script[@]}" "$url")
  echo "$(echo "$text" | awk '/^Requests\/sec:/ {print $2}') \
$(to_ms "$(echo "$text" | awk '$1 == "99%" {print $2}')") \
$(echo "$text" | awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {
    for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i } END {print n + 0}')" >"$out"
}

half_t=$(((threads + 1) / 2))
half_c=$(((conns + 1) / 2))
names=(ceiling sqlite_cc sqlite_ui pg1_cc pg1_ui pg2_cc pg2_ui)
echo "== wrk -t$threads -c$conns -d$duration ($runs interleaved runs; pg2: two wrk -t$half_t -c$half_c at once)"
printf '%-4s %-10s %12s %10s %8s\n' run target "req/s" "p99 ms" errors
declare -A rps p99
for run in $(seq 1 "$runs"); do
  for name in "${names[@]}"; do
    case $name in
      ceiling) wrk_one "$tmp/r1" "$threads" "$conns" "http://127.0.0.1:$ceiling_port/x" ;;
      sqlite_* | pg1_*)
        inst=${name%_*} kind=${name##*_}
        url=${public[$inst]}/userinfo
        [ "$kind" = cc ] && url=${public[$inst]}/oauth2/token
        wrk_one "$tmp/r1" "$threads" "$conns" "$url" "$tmp/${kind}_$inst.lua"
        ;;
      pg2_*)
        kind=${name##*_}
        path=/userinfo
        [ "$kind" = cc ] && path=/oauth2/token
        wrk_one "$tmp/r1" "$half_t" "$half_c" "${public[pg2a]}$path" "$tmp/${kind}_pg2a.lua" &
        w1=$!
        wrk_one "$tmp/r2" "$half_t" "$half_c" "${public[pg2b]}$path" "$tmp/${kind}_pg2b.lua" &
        w2=$!
        wait "$w1" "$w2"
        # Sum of req/s, the worse p99, the sum of errors.
        read -r r_a p_a e_a <"$tmp/r1"
        read -r r_b p_b e_b <"$tmp/r2"
        awk -v ra="$r_a" -v rb="$r_b" -v pa="$p_a" -v pb="$p_b" -v ea="$e_a" -v eb="$e_b" \
          'BEGIN {printf "%.2f %.2f %d\n", ra + rb, (pa > pb ? pa : pb), ea + eb}' >"$tmp/r1"
        ;;
    esac
    read -r r p bad <"$tmp/r1"
    rps[$run,$name]=$r
    p99[$run,$name]=$p
    printf '%-4s %-10s %12.0f %10s %8s\n' "$run" "$name" "$r" "$p" "$bad"
  done
done

echo "== median over $runs runs (ratio: oidcd/ceiling of the same run)"
printf '%-10s %12s %10s %16s\n' measure "req/s" "p99 ms" "oidcd/ceiling"
for name in "${names[@]}"; do
  run_medians "$name"
  if [ "$name" = ceiling ]; then
    printf '%-10s %12.0f %10.2f %16s\n' "$name" "$mr" "$mp" "-"
  else
    printf '%-10s %12.0f %10.2f %16.2f\n' "$name" "$mr" "$mp" "$mratio"
  fi
done
