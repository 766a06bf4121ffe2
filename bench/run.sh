#!/usr/bin/env bash
# bench/run.sh — oidcd's endpoints against the libmicrohttpd ceiling.
#
# Builds a release tree (build-bench/), starts bench/ceiling and
# `oidcd serve --dev` on 127.0.0.1 ports chosen by the kernel, then runs wrk
# against ceiling /x and oidcd's discovery, JWKS, registration, the RFC 7592
# read, POST /oauth2/token (client_credentials), GET /userinfo, POST
# /oauth2/token (refresh_token) and POST /admin/oauth2/introspect (admin
# listener), interleaved, RUNS times. Prints req/s and p99 latency per run and, per endpoint, the
# median of the per-run ratios oidcd/ceiling.
# Goals: discovery and JWKS >= 0.8 (issue 2); registration >= 0.12 and
# GET /oauth2/register/{id} >= 0.4 (issue 3); client_credentials token
# requests >= 0.25 and /userinfo with a valid token >= 0.4 (issue 4), with
# synchronous=FULL durability kept. The refresh-token grant and introspection
# (issue 5) have no goal yet: their ratios are reported. Numbers are only comparable within one run
# of this script: both servers share the machine with wrk.
# The client_credentials client (client_secret_basic) and, for /userinfo, a
# user and a client are created through the admin API at start-up; the access
# token comes from the authorization code flow driven without a browser by
# bench/access_token.mjs (needs node); it is also the token introspected.
# Refresh tokens rotate (each works once; a used one revokes its family), so
# bench/refresh_tokens.mjs makes a pool of independent ones (2 per connection
# per run) and refresh.lua starts each connection on a fresh token of the
# run's pool, then presents the refresh token each answer carried: every
# request is a valid, never-used refresh token (scope "openid offline_access":
# an ID token is signed per request, as an OpenID RP gets it; that RS256
# signature is ~75% of oidcd's CPU in this run under perf, so expect it far
# below client_credentials).
# Credential issuance (issue 7): POST /credentials needs a never-used nonce
# per request and a proof signed for it, so bench/credentials.mjs makes a
# pool of requests beforehand (BENCH_VC_POOL per run, default 6000: priming
# requests for the nonces, one ES256 proof each); credentials.lua gives each
# thread its share and stops the thread once it is spent, so a run may end
# before the duration (wrk's req/s is over the time it ran). Each request
# verifies the proof, consumes the nonce, stores a new one and the audit row
# (one durable write) and signs the credential with the active key.
#
# Usage: bench/run.sh [-t WRK_THREADS] [-c CONNECTIONS] [-d DURATION] [-n RUNS]
#   defaults: -t 2 -c 32 -d 10s -n 3 (also from BENCH_THREADS, BENCH_CONNECTIONS,
#   BENCH_DURATION, BENCH_RUNS); BENCH_BUILD names the build folder, BENCH_VC_POOL
#   the credential requests made per run.
# Only loopback is ever targeted.
set -euo pipefail

usage_lines='2,42p'
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

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

"$build/bench/ceiling" >"$tmp/ceiling.log" 2>&1 &
ceiling_pid=$!
ceiling_port=$(wait_for_port "$tmp/ceiling.log" 's/.*listening on 127\.0\.0\.1:([0-9]+).*/\1/p' \
  "$ceiling_pid" ceiling)

# The access log (one line per request) would fill the disk at these rates:
# keep the first lines for the start-up line and diagnostics, discard the rest.
(cd "$tmp" && exec "$build/server/oidcd" serve --dev --listen 127.0.0.1:0 \
  --admin-listen 127.0.0.1:0 --database "$tmp/oidcd.db") \
  2> >(sed -u 50q >"$tmp/oidcd.log"; cat >/dev/null) &
oidcd_pid=$!
oidcd_port=$(wait_for_port "$tmp/oidcd.log" \
  's/.*(public=|"public":")"?127\.0\.0\.1:([0-9]+).*/\2/p' "$oidcd_pid" oidcd)
admin_port=$(wait_for_port "$tmp/oidcd.log" \
  's/.*(admin=|"admin":")"?127\.0\.0\.1:([0-9]+).*/\2/p' "$oidcd_pid" oidcd)
public=http://127.0.0.1:$oidcd_port
admin=http://127.0.0.1:$admin_port

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

# Token endpoint (issue 4): client_credentials for a confidential client with
# client_secret_basic; every answer is a new token row made durable (group commit).
# The secret is generated by oidcd (an HMAC check per request); an admin-chosen
# secret is stored as an scrypt hash and would measure scrypt instead.
cc_id=bench-cc
cc_client='{"client_id":"'$cc_id'","client_name":"bench cc","grant_types":["client_credentials"],
  "response_types":[],"redirect_uris":[],"scope":"api.read api.write",
  "token_endpoint_auth_method":"client_secret_basic"}'
if ! out=$(curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "$cc_client" "$admin/admin/clients") || [ "${out##*$'\n'}" != 201 ]; then
  echo "bench: creating the client_credentials client failed: $out" >&2
  exit 1
fi
cc_secret=$(echo "$out" | sed -n -E 's/.*"client_secret":"([^"]+)".*/\1/p')
# RFC 6749 §2.3.1 form-encodes id and secret first; both are URL-safe already.
cc_basic=$(printf '%s:%s' "$cc_id" "$cc_secret" | base64 -w0)
cc_body='grant_type=client_credentials'
cat >"$tmp/token_cc.lua" <<LUA
wrk.method = "POST"
wrk.body = "$cc_body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $cc_basic"
LUA
# /userinfo with an access token from the authorization code flow.
if ! access_token=$(node "$root/bench/access_token.mjs" "$public" "$admin"); then
  echo "bench: no access token for /userinfo (see above)" >&2
  exit 1
fi
cat >"$tmp/userinfo.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $access_token"
LUA

# Refresh-token grant (issue 5): one pool file per run, each with two tokens per
# connection (a connection that loses its chain, e.g. to a reset, takes another),
# plus one token for the check below.
per_run=$((conns * 2))
if ! node "$root/bench/refresh_tokens.mjs" "$public" "$admin" $((per_run * runs + 1)) >"$tmp/refresh_pool.txt"; then
  echo "bench: no refresh tokens (see above)" >&2
  exit 1
fi
read -r rt_id rt_secret <"$tmp/refresh_pool.txt"
rt_basic=$(printf '%s:%s' "$rt_id" "$rt_secret" | base64 -w0)
rt_check=$(sed -n 2p "$tmp/refresh_pool.txt")
for run in $(seq 1 "$runs"); do
  tail -n +3 "$tmp/refresh_pool.txt" | sed -n "$(((run - 1) * per_run + 1)),$((run * per_run))p" \
    >"$tmp/refresh_$run.txt"
done
cat >"$tmp/refresh.lua" <<LUA
-- Every request presents a refresh token never used before: each thread takes
-- its share of the run's pool (args[1]; args[2] = wrk threads), then queues the
-- refresh_token of every answer for a later request (the rotated chain).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $rt_basic"

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local queue, head, tail = {}, 1, 0
function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if line ~= "" then
      if i % n == id then
        tail = tail + 1
        queue[tail] = line
      end
      i = i + 1
    end
  end
end

-- An empty queue (every chain broken) sends a token that cannot work: it shows
-- up as non-2xx answers instead of replaying a used token.
function request()
  local token = "pool-exhausted"
  if head <= tail then
    token = queue[head]
    queue[head] = nil
    head = head + 1
  end
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end
LUA

# Introspection (issue 5) of the /userinfo access token on the admin listener.
cat >"$tmp/introspect.lua" <<LUA
wrk.method = "POST"
wrk.body = "token=$access_token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

# Credential issuance (issue 7): one pool file per run of pre-made requests.
vc_pool=${BENCH_VC_POOL:-6000}
if ! node "$root/bench/credentials.mjs" "$public" "$admin" $((vc_pool * runs + 1)) \
  >"$tmp/vc_pool.txt"; then
  echo "bench: no credential requests (see above)" >&2
  exit 1
fi
vc_token=$(sed -n 1p "$tmp/vc_pool.txt")
sed -n 2p "$tmp/vc_pool.txt" >"$tmp/vc_check.json"
for run in $(seq 1 "$runs"); do
  tail -n +3 "$tmp/vc_pool.txt" | sed -n "$(((run - 1) * vc_pool + 1)),$((run * vc_pool))p" \
    >"$tmp/vc_$run.txt"
done
cat >"$tmp/credentials.lua" <<LUA
-- Each thread sends its share of the run's pool (args[1]; args[2] = wrk
-- threads), each body once, then stops: a used nonce would measure refusals.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $vc_token"

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local queue, head, tail = {}, 1, 0
function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if line ~= "" then
      if i % n == id then
        tail = tail + 1
        queue[tail] = line
      end
      i = i + 1
    end
  end
end

function request()
  if head > tail then
    wrk.thread:stop()
    return wrk.format(nil, nil, nil, "{}")
  end
  local body = queue[head]
  queue[head] = nil
  head = head + 1
  return wrk.format(nil, nil, nil, body)
end
LUA

names=(ceiling discovery jwks register get_client token_cc userinfo refresh introspect credentials)
urls=("http://127.0.0.1:$ceiling_port/x"
  "$public/.well-known/openid-configuration"
  "$public/.well-known/jwks.json"
  "$public/oauth2/register"
  "$public/oauth2/register/$reg_id"
  "$public/oauth2/token"
  "$public/userinfo"
  "$public/oauth2/token"
  "$admin/admin/oauth2/introspect"
  "$public/credentials")
scripts=("" "" "" "$tmp/register.lua" "$tmp/get.lua" "$tmp/token_cc.lua" "$tmp/userinfo.lua"
  "$tmp/refresh.lua" "$tmp/introspect.lua" "$tmp/credentials.lua")
# Arguments after wrk's "--" (@RUN@ is the run number).
wrk_args=("" "" "" "" "" "" "" "$tmp/refresh_@RUN@.txt $threads" "" "$tmp/vc_@RUN@.txt $threads")
goals=(- 0.8 0.8 0.12 0.4 0.25 0.4 - - -)

# Each endpoint answers 200 before anything is measured (the POSTs as wrk sends them).
check() {
  local name=$1 url=$2 body
  shift 2
  if ! body=$(curl -sf "$@" "$url"); then
    echo "bench: $name ($url) does not answer 200: $(curl -s "$@" "$url")" >&2
    exit 1
  fi
  printf '%-10s %6s bytes  %s\n' "$name" "$(printf %s "$body" | wc -c)" "$url"
}
for i in 0 1 2; do check "${names[$i]}" "${urls[$i]}"; done
check token_cc "$public/oauth2/token" -X POST -H "Authorization: Basic $cc_basic" \
  -H 'Content-Type: application/x-www-form-urlencoded' -d "$cc_body"
check userinfo "$public/userinfo" -H "Authorization: Bearer $access_token"
check refresh "$public/oauth2/token" -X POST -H "Authorization: Basic $rt_basic" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  -d "grant_type=refresh_token&refresh_token=$rt_check"
check introspect "$admin/admin/oauth2/introspect" -X POST \
  -H 'Content-Type: application/x-www-form-urlencoded' -d "token=$access_token"
check credentials "$public/credentials" -X POST -H "Authorization: Bearer $vc_token" \
  -H 'Content-Type: application/json' --data-binary "@$tmp/vc_check.json"
if ! curl -sf -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
  -d "token=$access_token" "$admin/admin/oauth2/introspect" | grep -q '"active":true'; then
  echo "bench: the introspected access token is not active" >&2
  exit 1
fi

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
    extra=()
    # shellcheck disable=SC2206 # the arguments are space-separated on purpose
    [ -n "${wrk_args[$i]}" ] && extra=(-- ${wrk_args[$i]//@RUN@/$run})
    out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "${script[@]}" "${urls[$i]}" \
      "${extra[@]}")
    r=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    bad=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i } END {print n + 0}')
    rps[$run,${names[$i]}]=$r
    p99[$run,${names[$i]}]=$p
    printf '%-4s %-10s %12.0f %10s %8s\n' "$run" "${names[$i]}" "$r" "$p" "$bad"
  done
done

echo "== median over $runs runs"
printf '%-10s %12s %10s %16s %6s\n' endpoint "req/s" "p99 ms" "oidcd/ceiling" goal
for idx in "${!names[@]}"; do
  name=${names[$idx]}
  goal=${goals[$idx]}
  run_medians "$name"
  if [ "$name" = ceiling ]; then
    printf '%-10s %12.0f %10.2f %16s\n' "$name" "$mr" "$mp" "-"
  elif [ "$goal" = - ]; then
    printf '%-10s %12.0f %10.2f %16.2f %6s\n' "$name" "$mr" "$mp" "$mratio" "-"
  else
    verdict=$(awk -v r="$mratio" -v g="$goal" 'BEGIN {print (r >= g) ? "ok" : "BELOW GOAL"}')
    printf '%-10s %12.0f %10.2f %16.2f %6s %s\n' "$name" "$mr" "$mp" "$mratio" "$goal" "$verdict"
  fi
done
