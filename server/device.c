/*
 * server/device.c — user codes of the device authorization grant
 * (RFC 8628 §6.1). See device.h.
 */
#include "server/device.h"

#include <string.h>

#include "crypto/random.h"

static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
#define ALPHABET_LEN (sizeof alphabet - 1)
#define TYPED_MAX    64 /* longer input is not a user code, however it is spaced */

enum status
device_user_code_new(char out[DEVICE_USER_CODE_LEN + 1], struct err *err)
{
	unsigned char pool[32];
	size_t n = 0, used = sizeof pool;
	enum status st;

	while (n < DEVICE_USER_CODE_LEN) {
		if (used == sizeof pool) {
			st = random_bytes(pool, sizeof pool, err);
			if (st != ST_OK)
				return st;
			used = 0;
		}
		/* Rejection sampling: 240 = 12 * 20, so every letter is equally likely. */
		if (pool[used] < 240)
			out[n++] = alphabet[pool[used] % ALPHABET_LEN];
		used++;
	}
	out[n] = '\0';
	return ST_OK;
}

bool
device_user_code_normalize(const char *typed, char out[DEVICE_USER_CODE_LEN + 1])
{
	size_t n = 0;

	out[0] = '\0';
	if (typed == NULL || strlen(typed) > TYPED_MAX)
		return false;
	for (const char *p = typed; *p != '\0'; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '\0' || strchr(alphabet, c) == NULL || n == DEVICE_USER_CODE_LEN) {
			out[0] = '\0';
			return false;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (n != DEVICE_USER_CODE_LEN) {
		out[0] = '\0';
		return false;
	}
	return true;
}

void
device_user_code_format(const char code[DEVICE_USER_CODE_LEN + 1],
                        char out[DEVICE_USER_CODE_SHOWN_LEN + 1])
{
	memcpy(out, code, 4);
	out[4] = '-';
	memcpy(out + 5, code + 4, 4);
	out[9] = '\0';
}
