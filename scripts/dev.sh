#!/usr/bin/env bash
# scripts/dev.sh — set up, build and run a development provider in one command.
#
# Runs scripts/setup.sh, then `oidcd serve --dev` from the repository root:
# issuer http://127.0.0.1:4444, admin API on 127.0.0.1:4445, database
# ./oidcd.db, and a generated development secret beside it (oidcd.db's
# folder, mode 0600). Not for production: see README.md. Extra arguments are
# passed to `oidcd serve`, e.g. `./scripts/dev.sh --set log.format=json`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
exec build/server/oidcd serve --dev --database ./oidcd.db "$@"
