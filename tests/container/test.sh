#!/usr/bin/env bash
# tests/container/test.sh — builds the Dockerfile for real with podman and runs it.
#
# Checks: the image builds; the container starts as a non-root user with its
# configuration from OIDCD_* variables; discovery answers with the configured
# issuer; the JWKS has a usable key; a code flow works against it
# (tests/integration/container_flow.mjs); its logs are JSON lines; the image
# declares a HEALTHCHECK and the `oidcd health` command it uses reports
# healthy; SIGTERM stops it with exit 0.
#
# Needs root and ../shared/tools/container-env (relative to the repository
# root), which installs podman and a local debian:bookworm-slim base image.
# Without it the test is skipped (exit 77). Only loopback is used: the
# container shares the host network and listens on free 127.0.0.1 ports.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

envtool=../shared/tools/container-env
if [ ! -f "$envtool" ]; then
  echo "container test skipped: ../shared/tools/container-env not found"
  exit 77
fi
eval "$(bash "$envtool")"

image=oidcd:test
name=oidcd-test-$$
tmp=$(mktemp -d)
cleanup() {
  podman rm -f -v "$name" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "container test: FAIL: $*"
  if podman container exists "$name" 2>/dev/null; then
    echo "--- podman logs $name (last 40 lines)"
    podman logs --tail 40 "$name" 2>&1 || true
  fi
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "container test: podman build (log: $tmp/build.log)"
start=$(date +%s)
# --format docker: the OCI image format has no HEALTHCHECK.
if ! podman build --pull=never --network host --format docker -t "$image" . >"$tmp/build.log" 2>&1; then
  tail -n 60 "$tmp/build.log"
  fail "podman build"
fi
echo "container test: image built in $(($(date +%s) - start))s"

healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$image")
case $healthcheck in
*'oidcd'*health*) ;;
*) fail "the image declares no HEALTHCHECK running oidcd health (got: $healthcheck)" ;;
esac

public_port=$(free_port)
admin_port=$(free_port)
while [ "$admin_port" = "$public_port" ]; do admin_port=$(free_port); done
issuer="http://127.0.0.1:$public_port"
secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# The image's HEALTHCHECK targets port 4444; this run listens elsewhere, so the
# same command is given the port in use.
podman run -d --name "$name" --network host \
  -e OIDCD_ISSUER="$issuer" \
  -e OIDCD_PUBLIC_LISTEN="127.0.0.1:$public_port" \
  -e OIDCD_ADMIN_LISTEN="127.0.0.1:$admin_port" \
  -e OIDCD_SECRETS_SYSTEM="$secret" \
  --health-cmd "[\"/usr/local/bin/oidcd\",\"health\",\"--url\",\"$issuer/health/ready\"]" \
  --health-interval disable \
  "$image" >/dev/null || fail "podman run"

echo "container test: waiting for $issuer/.well-known/openid-configuration"
deadline=$(($(date +%s) + 60))
until curl -sf -o "$tmp/discovery.json" "$issuer/.well-known/openid-configuration"; do
  [ "$(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] ||
    fail "the container exited before serving"
  [ "$(date +%s)" -lt "$deadline" ] || fail "no discovery document within 60 s"
  sleep 0.5
done

python3 - "$tmp/discovery.json" "$issuer" <<'PY' || fail "discovery document"
import json, sys
doc = json.load(open(sys.argv[1]))
issuer = sys.argv[2]
assert doc.get("issuer") == issuer, f"issuer is {doc.get('issuer')!r}, wanted {issuer!r}"
assert doc.get("jwks_uri", "").startswith(issuer + "/"), f"jwks_uri {doc.get('jwks_uri')!r}"
print("container test: discovery ok, issuer", doc["issuer"])
PY

jwks_uri=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["jwks_uri"])' \
  "$tmp/discovery.json")
curl -sf -o "$tmp/jwks.json" "$jwks_uri" || fail "GET $jwks_uri"
python3 - "$tmp/jwks.json" <<'PY' || fail "JWKS"
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
assert keys, "the JWKS has no key"
for k in keys:
    for member in ("kty", "kid", "alg", "use"):
        assert member in k, f"key without {member}: {k}"
    assert not any(m in k for m in ("d", "p", "q", "dp", "dq", "qi")), "private key material"
print(f"container test: JWKS ok, {len(keys)} key(s), first kid {keys[0]['kid']}")
PY

# A code flow against the container (user and client through the admin API).
if command -v node >/dev/null && [ -d tests/integration/node_modules ]; then
  node tests/integration/container_flow.mjs "$issuer" "http://127.0.0.1:$admin_port" ||
    fail "code flow against the container"
else
  fail "node and tests/integration/node_modules are needed (scripts/setup.sh)"
fi

# Logs: JSON lines on stdout/stderr (OIDCD_LOG_FORMAT defaults to json in the image).
podman logs "$name" >"$tmp/logs.txt" 2>&1 || fail "podman logs"
python3 - "$tmp/logs.txt" <<'PY' || fail "container logs are not JSON lines"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no log lines"
for l in lines:
    json.loads(l)
print(f"container test: {len(lines)} log lines, all JSON")
PY

uid=$(podman exec "$name" id -u) || fail "podman exec id -u"
[ "$uid" != 0 ] || fail "the server runs as root"
echo "container test: runs as uid $uid"

podman healthcheck run "$name" >/dev/null 2>&1 || fail "podman healthcheck run: unhealthy"
echo "container test: healthcheck (oidcd health) healthy"

podman stop -t 15 "$name" >/dev/null || fail "podman stop"
code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || fail "exit status $code after SIGTERM, wanted 0"
echo "container test: SIGTERM -> exit 0"
echo "container test: PASS"
