#!/bin/sh
# tests/check_layers_test.sh — proves that check_layers.sh can fail: it builds
# small trees in a temporary folder, one clean and one per rule broken, and
# expects exit 0 for the clean one and exit 1 naming the line for each other.
set -u

guard=$(cd "$(dirname "$0")" && pwd)/check_layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# mktree NAME: a minimal clean tree in $tmp/NAME
mktree() {
	t="$tmp/$1"
	mkdir -p "$t/common" "$t/config" "$t/crypto" "$t/storage" "$t/server"
	printf '#include <stdio.h>\n' >"$t/common/err.c"
	printf '#include "common/err.h"\n' >"$t/config/config.c"
	printf '#include "config/config.h"\n#include <openssl/evp.h>\n#include <jansson.h>\n' \
		>"$t/crypto/jws.c"
	printf '#include "crypto/digest.h"\n#include <sqlite3.h>\n' >"$t/storage/store.c"
	printf '#include "storage/store.h"\n#include <jansson.h>\n' >"$t/server/router.c"
	printf '#include <microhttpd.h>\n' >"$t/server/http.c"
}

# expect NAME WANT_RC [FILE LINE_TEXT]: run the guard on tree NAME
expect() {
	name=$1 want=$2
	out=$("$guard" "$tmp/$name" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, wanted $want"
		echo "$out" | sed 's/^/    /'
		failures=$((failures + 1))
	elif [ "$want" -ne 0 ] && ! echo "$out" | grep -q "^$3:"; then
		echo "FAIL $name: no line naming $3"
		echo "$out" | sed 's/^/    /'
		failures=$((failures + 1))
	else
		echo "ok   $name"
	fi
}

mktree clean
expect clean 0

mktree upward
printf '#include "server/router.h"\n' >>"$tmp/upward/storage/store.c"
expect upward 1 storage/store.c:3

mktree crypto_uses_storage
printf '#include "storage/store.h"\n' >>"$tmp/crypto_uses_storage/crypto/jws.c"
expect crypto_uses_storage 1 crypto/jws.c:4

mktree common_uses_config
printf '# include "config/config.h"\n' >>"$tmp/common_uses_config/common/err.c"
expect common_uses_config 1 common/err.c:2

mktree mhd_outside_http
printf '#include <microhttpd.h>\n' >>"$tmp/mhd_outside_http/server/router.c"
expect mhd_outside_http 1 server/router.c:3

mktree sqlite_in_server
printf '#include <sqlite3.h>\n' >>"$tmp/sqlite_in_server/server/router.c"
expect sqlite_in_server 1 server/router.c:3

mktree openssl_in_storage
printf '#include <openssl/sha.h>\n' >>"$tmp/openssl_in_storage/storage/store.c"
expect openssl_in_storage 1 storage/store.c:3

mktree jansson_in_storage
printf '#include <jansson.h>\n' >>"$tmp/jansson_in_storage/storage/store.c"
expect jansson_in_storage 1 storage/store.c:3

mktree jansson_in_config
printf '#include "jansson.h"\n' >>"$tmp/jansson_in_config/config/config.c"
expect jansson_in_config 1 config/config.c:2

if [ "$failures" -ne 0 ]; then
	echo "check_layers_test: $failures case(s) failed"
	exit 1
fi
echo "check_layers_test: all cases behave"
