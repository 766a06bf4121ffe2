/*
 * server/device.h — the user codes of the device authorization grant
 * (RFC 8628 §6.1): eight characters from an alphabet of 20 consonants
 * (BCDFGHJKLMNPQRSTVWXZ: no vowels, so no words; no digits to confuse
 * with letters), shown as "XXXX-XXXX". 20^8 ≈ 2^34.6 codes: guessing is
 * kept out of reach by the short lifetime and the throttled entry page.
 * Pure: no storage, no handler state.
 */
#ifndef SERVER_DEVICE_H
#define SERVER_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define DEVICE_USER_CODE_LEN       8                          /* significant characters */
#define DEVICE_USER_CODE_SHOWN_LEN (DEVICE_USER_CODE_LEN + 1) /* with the dash */
#define DEVICE_CODE_PREFIX         "oidcd_dc_"
#define DEVICE_VERIFY_PATH         "/oauth2/device/verify"

/* A new random user code, normalised (8 characters + NUL). ST_CRYPTO when the RNG fails. */
enum status device_user_code_new(char out[DEVICE_USER_CODE_LEN + 1], struct err *err);

/*
 * What the user typed, normalised: letters upper-cased, dashes and spaces
 * dropped (RFC 8628 §6.1: be forgiving). False when the rest is not exactly
 * eight characters of the alphabet (out is then "").
 */
bool device_user_code_normalize(const char *typed, char out[DEVICE_USER_CODE_LEN + 1]);

/* "BCDFGHJK" -> "BCDF-GHJK". */
void device_user_code_format(const char code[DEVICE_USER_CODE_LEN + 1],
                             char out[DEVICE_USER_CODE_SHOWN_LEN + 1]);

#endif
