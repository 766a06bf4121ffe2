/*
 * server/json_patch.h — JSON Patch (RFC 6902) over jansson values, with JSON
 * Pointer (RFC 6901) paths. Used by PATCH /admin/clients/{id} (Hydra's
 * patchOAuth2Client).
 *
 * The patch is applied to a deep copy of the document, so a failing patch
 * changes nothing (RFC 6902 §5). Every limit below is ST_INVALID, never an
 * abort, so a request body cannot make the server run out of memory.
 *
 * Callers should parse the patch with JSON_REJECT_DUPLICATES: RFC 6902 §4 and
 * Appendix A.13 call an operation with two "op" members an error, and only the
 * parser can still see the duplicate.
 */
#ifndef SERVER_JSON_PATCH_H
#define SERVER_JSON_PATCH_H

#include <jansson.h>

#include "common/err.h"

/* At most this many operations in one patch. */
#define JSON_PATCH_MAX_OPS 256
/* At most this many reference tokens in one JSON Pointer. */
#define JSON_PATCH_MAX_DEPTH 32
/*
 * At most this many JSON values duplicated by "copy" operations in one patch
 * (counting every nested value). Without it, 256 copies of the root into
 * itself would double the document 256 times.
 */
#define JSON_PATCH_MAX_COPY_VALUES 10000

/*
 * Applies patch (borrowed; must be a JSON array of operation objects) to a
 * deep copy of doc (borrowed; any JSON value) and returns the result in *out
 * (new reference, shares nothing with doc or patch). doc is never modified and
 * *out is written only on ST_OK.
 *
 * ST_INVALID, with a one-line reason in err->msg naming the operation index
 * ("patch[2]: path /foo does not exist"), for: a malformed operation, an
 * unknown op, a bad JSON Pointer (RFC 6901: ~0 ~1 escapes, array indices
 * without leading zeros, "-" only where a value is added), a missing target, a
 * failed "test", or a limit above exceeded. Members of an operation other
 * than op, path, from and value are ignored (RFC 6902 §4).
 */
enum status json_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct err *err);

#endif
