#!/bin/sh
# tests/check_layers.sh — the include-line half of the layering guard (STYLE.md B2).
#
# Layers, lowest first: common <- config <- crypto <- storage <- server.
# A file may include project headers from its own layer and the layers below
# it, never from a layer above (meson's static libraries enforce the same
# order at link time). Third-party headers stay in their lanes:
#   microhttpd.h  only in server/http.c
#   sqlite3.h     only in storage/
#   openssl/...   only in crypto/
#   jansson.h     not in common/, config/ or storage/
# tests/ and bench/ are outside the layers and are not checked.
#
# Usage: tests/check_layers.sh [SOURCE_ROOT]   (default: the folder above this script)
# Prints every offending line as file:line: reason: text, exits 1 if there is any.
set -eu

root=${1:-$(dirname "$0")/..}
cd "$root"

layers="common config crypto storage server"
files=$(for d in $layers; do
	[ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.h' \)
done | sort)

if [ -z "$files" ]; then
	echo "check_layers: no sources found under $(pwd)" >&2
	exit 1
fi

# shellcheck disable=SC2086 # word splitting of the file list is intended
awk -v layers="$layers" '
BEGIN {
	n = split(layers, names, " ")
	for (i = 1; i <= n; i++)
		rank[names[i]] = i
	bad = 0
}
FNR == 1 {
	split(FILENAME, parts, "/")
	layer = parts[1]
}
/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
	line = $0
	hdr = line
	sub(/^[ \t]*#[ \t]*include[ \t]*[<"]/, "", hdr)
	sub(/[>"].*$/, "", hdr)
	why = ""
	if (line ~ /#[ \t]*include[ \t]*"/ && index(hdr, "/") > 0) {
		top = substr(hdr, 1, index(hdr, "/") - 1)
		if ((top in rank) && rank[top] > rank[layer])
			why = layer "/ includes a header of the higher layer " top "/"
	}
	if (hdr == "microhttpd.h" && FILENAME != "server/http.c")
		why = "microhttpd.h is allowed only in server/http.c"
	else if (hdr == "sqlite3.h" && layer != "storage")
		why = "sqlite3.h is allowed only in storage/"
	else if (hdr ~ /^openssl\// && layer != "crypto")
		why = "OpenSSL headers are allowed only in crypto/"
	else if (hdr == "jansson.h" && (layer == "common" || layer == "config" || layer == "storage"))
		why = "jansson.h is not allowed in " layer "/"
	if (why != "") {
		printf "%s:%d: %s: %s\n", FILENAME, FNR, why, line
		bad = 1
	}
}
END {
	exit bad
}' $files && status=0 || status=$?

if [ "$status" -ne 0 ]; then
	echo "check_layers: FAILED (layer order: $layers)" >&2
	exit 1
fi
echo "check_layers: OK ($(echo "$files" | wc -l) files)"
