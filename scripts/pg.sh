#!/usr/bin/env bash
# scripts/pg.sh — a throwaway PostgreSQL 15 cluster for tests and benchmarks
# (issue 10).
#
#   scripts/pg.sh start DIR          initdb into DIR, start, print the URL
#   scripts/pg.sh stop DIR           stop the cluster (pg_ctl -m fast)
#   scripts/pg.sh createdb DIR NAME  make another database, print its URL
#
# start prints exactly one line on stdout:
#   postgres://oidcd@127.0.0.1:PORT/oidcd
# (progress and errors go to stderr). The cluster listens on 127.0.0.1 only,
# on a free port, with its unix socket in DIR; authentication is trust for
# loopback and the socket (nothing else is accepted). fsync stays on: the
# numbers measured against it are real durability. Run as root, the cluster
# is owned by and runs as the system user oidcd-test (created if missing),
# since PostgreSQL refuses to run as root; DIR's parents must be traversable
# by that user (e.g. a directory under /tmp).
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=oidcd-test

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 start DIR | stop DIR | createdb DIR NAME" >&2
	exit 2
}

# as_owner CMD...: runs CMD as the cluster's owner (oidcd-test under root).
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	if ! id "$PG_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$PG_USER" 2>/dev/null ||
			id "$PG_USER" >/dev/null 2>&1 || die "cannot create user $PG_USER"
	fi
}

cmd_start() {
	local dir=$1
	[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL binaries in $PG_BIN"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ ! -e "$dir/data" ] || die "$dir/data exists (stop and remove it first)"
	# the unix socket path must fit in sun_path (107 bytes)
	[ ${#dir} -le 80 ] || die "DIR path too long for a unix socket: $dir"
	ensure_user
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER" "$dir"
	fi
	chmod 0700 "$dir"

	as_owner "$PG_BIN/initdb" --pgdata="$dir/data" --username=oidcd --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 ||
		{
			cat "$dir/initdb.log" >&2
			die "initdb failed"
		}
	# loopback and the socket only; nothing else may connect
	as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<'EOF'
# scripts/pg.sh: throwaway test cluster, trust on loopback only
local   all   all                  trust
host    all   all   127.0.0.1/32   trust
EOF

	local try port ok=0
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
			continue
		fi
		as_owner tee "$dir/data/postgresql.auto.conf" >/dev/null <<EOF
# scripts/pg.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 300
log_min_messages = warning
log_destination = 'stderr'
EOF
		if as_owner "$PG_BIN/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" \
			--wait --timeout=60 start >/dev/null 2>&1; then
			ok=1
			break
		fi
		echo "pg.sh: start on port $port failed (attempt $try), retrying" >&2
	done
	[ "$ok" -eq 1 ] || {
		tail -n 20 "$dir/postgres.log" >&2 || true
		die "could not start PostgreSQL"
	}
	echo "$port" >"$dir/port"
	as_owner "$PG_BIN/createdb" --host="$dir" --port="$port" --username=oidcd oidcd ||
		die "createdb oidcd failed"
	echo "postgres://oidcd@127.0.0.1:$port/oidcd"
}

cmd_stop() {
	local dir=$1
	[ -d "$dir/data" ] || die "no cluster in $dir"
	as_owner "$PG_BIN/pg_ctl" --pgdata="$dir/data" --mode=fast --wait --timeout=60 stop \
		>/dev/null
}

cmd_createdb() {
	local dir=$1 name=$2 port
	[ -f "$dir/port" ] || die "no running cluster in $dir"
	[[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name: $name"
	port=$(cat "$dir/port")
	dir=$(cd "$dir" && pwd)
	as_owner "$PG_BIN/createdb" --host="$dir" --port="$port" --username=oidcd "$name" ||
		die "createdb $name failed"
	echo "postgres://oidcd@127.0.0.1:$port/$name"
}

[ $# -ge 2 ] || usage
case "$1" in
start)
	[ $# -eq 2 ] || usage
	cmd_start "$2"
	;;
stop)
	[ $# -eq 2 ] || usage
	cmd_stop "$2"
	;;
createdb)
	[ $# -eq 3 ] || usage
	cmd_createdb "$2" "$3"
	;;
*) usage ;;
esac
