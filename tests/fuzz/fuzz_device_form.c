/*
 * tests/fuzz/fuzz_device_form.c — the forms of the device authorization
 * grant (RFC 8628): a form body (server/form.c) as POST /oauth2/device/auth,
 * the device's token-endpoint poll and the verification pages receive it,
 * and the user code found in it (server/device.c).
 *
 * Invariants checked on every input: a user code is accepted exactly when
 * it holds eight letters of the alphabet once dashes and spaces are
 * dropped and letters upper-cased; the normalised code is those eight
 * letters; showing it ("XXXX-XXXX") and normalising that again, in upper or
 * lower case, gives the same code; input over 64 bytes is never accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "server/device.h"
#include "server/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";

/* The reference: what normalisation must accept, written the slow way. */
static int
expect_code(const char *s, char want[DEVICE_USER_CODE_LEN + 1])
{
	size_t n = 0;

	if (strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (memchr(alphabet, c, sizeof alphabet - 1) == NULL || n == DEVICE_USER_CODE_LEN)
			return 0;
		want[n++] = c;
	}
	want[n] = '\0';
	return n == DEVICE_USER_CODE_LEN;
}

static void
check_code(const char *typed)
{
	char got[DEVICE_USER_CODE_LEN + 1], want[DEVICE_USER_CODE_LEN + 1];
	char shown[DEVICE_USER_CODE_SHOWN_LEN + 1], again[DEVICE_USER_CODE_LEN + 1];
	int ok = device_user_code_normalize(typed, got);

	if (ok != expect_code(typed, want))
		abort();
	if (!ok) {
		if (got[0] != '\0')
			abort();
		return;
	}
	if (strcmp(got, want) != 0)
		abort();
	device_user_code_format(got, shown);
	if (strlen(shown) != DEVICE_USER_CODE_SHOWN_LEN || shown[4] != '-')
		abort();
	if (!device_user_code_normalize(shown, again) || strcmp(again, got) != 0)
		abort();
	for (char *p = shown; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	if (!device_user_code_normalize(shown, again) || strcmp(again, got) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {"user_code", "device_code", "grant_type", "scope",
	                                     "client_id", "step",        "consent",    "csrf"};
	struct arena *arena = arena_new();
	char *raw = arena_alloc(arena, size + 1);
	struct form f;

	memcpy(raw, data, size);
	raw[size] = '\0';
	/* The raw bytes as a typed code (stops at a NUL, as a C string would). */
	check_code(raw);
	if (form_parse((const char *)data, size, arena, &f, NULL) == ST_OK) {
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			const char *v = form_get(&f, fields[i]);

			if (v != NULL)
				check_code(v);
		}
	}
	arena_free(arena);
	return 0;
}
