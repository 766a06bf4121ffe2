#!/usr/bin/env bash
# scripts/setup.sh — everything oidcd needs on Debian 12, then a build in build/.
#
# Idempotent: packages already installed are not fetched again, `npm ci` runs
# only when tests/integration/package-lock.json changed since the last run, and
# meson/ninja only redo what is out of date. Run as root, or as a user with
# sudo (used only for apt-get).
#
#   ./scripts/setup.sh            # packages, npm modules, build/
#   SETUP_NO_BUILD=1 ./scripts/setup.sh   # the same without building
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

log() { printf '[setup] %s\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  log "run this as root, or install sudo"
  exit 1
fi

packages=(
  libmicrohttpd-dev libjansson-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev libcmocka-dev
  meson ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  wrk chromium curl git sqlite3 nginx-light
)
# Node.js and npm come from Debian only when missing: a NodeSource node ships
# its own npm, and Debian's npm package conflicts with it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
# systemd-analyze: tests/integration/systemd.test.mjs verifies examples/oidcd.service
# (it needs no running systemd).
packages+=(systemd)
# PostgreSQL 15 (issue 10): libpq for the storage backend, and the server for the
# throwaway cluster scripts/pg.sh starts (scripts/test.sh's PostgreSQL pass, bench/pg.sh).
packages+=(postgresql-15 libpq-dev)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "Debian packages: all present"
fi

# Integration test dependencies (node --test, openid-client, jose, ...).
integration=tests/integration
npm_changed=0
if [ -f "$integration/package-lock.json" ]; then
  want=$(sha256sum "$integration/package-lock.json" | cut -d' ' -f1)
  stamp="$integration/node_modules/.oidcd-lock-sha256"
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    log "npm ci in $integration"
    (cd "$integration" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
    npm_changed=1
  else
    log "npm modules: up to date"
  fi
fi

if [ "${SETUP_NO_BUILD:-0}" = 1 ]; then
  exit 0
fi

# build/: the default (debugoptimized) build that scripts/dev.sh runs.
if [ ! -f build/build.ninja ]; then
  log "meson setup build"
  meson setup build >/dev/null
elif [ "$npm_changed" = 1 ]; then
  # meson decides at configure time whether integration tests can be registered.
  meson setup --reconfigure build >/dev/null
fi
log "ninja -C build"
ninja -C build >/dev/null || { ninja -C build; exit 1; }
log "done: build/server/oidcd"
