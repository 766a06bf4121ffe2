#!/bin/sh
# tests/check_headers.sh — every project header compiles on its own (STYLE.md B13 guards).
#
# Each header of common/ config/ crypto/ storage/ server/ and tests/support/ is
# compiled as the only content of an empty translation unit, twice in a row (so
# a missing include guard fails too), with the project's warnings as errors. A
# header that relies on its includer to pull in <stddef.h>, a struct or a
# typedef fails here instead of in some later, unrelated edit.
#
# Usage: tests/check_headers.sh SOURCE_ROOT BUILD_ROOT [COMPILER...]
# The compiler defaults to $CC, then cc. Third-party include paths come from
# pkg-config.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 SOURCE_ROOT BUILD_ROOT [COMPILER...]" >&2
	exit 2
fi
root=$1
build=$2
shift 2
if [ $# -eq 0 ]; then
	set -- "${CC:-cc}"
fi

pkgs="jansson openssl sqlite3 libmicrohttpd libcurl"
deps_cflags=$(pkg-config --cflags $pkgs 2>/dev/null) || deps_cflags=""
warn="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes
 -Wmissing-prototypes -Wmissing-declarations -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
 -Wundef"

headers=$(cd "$root" && for d in common config crypto storage server tests/support; do
	[ -d "$d" ] && find "$d" -maxdepth 1 -type f -name '*.h'
done | sort)
if [ -z "$headers" ]; then
	echo "check_headers: no headers found under $root" >&2
	exit 1
fi

failed=0
count=0
for h in $headers; do
	count=$((count + 1))
	# shellcheck disable=SC2086 # flag lists are meant to be split
	if ! out=$("$@" -fsyntax-only $warn -I"$root" -I"$build" $deps_cflags \
		-include "$root/$h" -include "$root/$h" -x c /dev/null 2>&1); then
		echo "FAIL $h"
		echo "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done

if [ "$failed" -ne 0 ]; then
	echo "check_headers: $failed of $count headers do not compile on their own"
	exit 1
fi
echo "check_headers: OK ($count headers)"
