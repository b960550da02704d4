/*-------------------------------------------------------------------------
 *
 * dsr_tombstone.c
 *	  The keyed hash that erasure tombstones store: HMAC-SHA256 of an
 *	  identifier's kind and normalised value under a per-database secret.
 *
 * A tombstone must let cdp recognise an erased person's e-mail address or
 * phone number when it arrives again, without keeping the value.  A plain
 * SHA-256 of an address can be reversed by hashing candidate addresses, so
 * the hash is keyed with a secret that only the extension's owner can read
 * (cdp.dsr_secret).  HMAC, not sha256(secret || value), because HMAC is
 * the construction whose keyed use is proven; PostgreSQL's own HMAC
 * (common/hmac.h) does the work.  The message is the kind, a zero byte and
 * the value, so that equal values of different kinds never collide.
 *
 * src/consent/dsr_tombstone.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hmac.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

/* a shorter key makes the hash guessable; cdp.dsr_secret makes 32 bytes */
#define CDP_TOMBSTONE_MIN_KEY 16

PG_FUNCTION_INFO_V1(cdp_tombstone_hash);

/*
 * cdp._tombstone_hash(secret bytea, kind text, value text) returns the
 * 32-byte HMAC-SHA256 of kind || '\0' || value keyed with secret.
 */
Datum
cdp_tombstone_hash(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	text	   *kind = PG_GETARG_TEXT_PP(1);
	text	   *value = PG_GETARG_TEXT_PP(2);
	const uint8 separator = 0;
	pg_hmac_ctx *ctx;
	bytea	   *result;

	if (VARSIZE_ANY_EXHDR(key) < CDP_TOMBSTONE_MIN_KEY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tombstone key is too short"),
				 errdetail("The key has %d bytes; at least %d are needed.",
						   (int) VARSIZE_ANY_EXHDR(key), CDP_TOMBSTONE_MIN_KEY)));

	result = (bytea *) palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_hmac_init(ctx, (const uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind)) < 0 ||
		pg_hmac_update(ctx, &separator, 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)) < 0 ||
		pg_hmac_final(ctx, (uint8 *) VARDATA(result), PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *reason = pg_hmac_error(ctx);

		pg_hmac_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the tombstone hash: %s", reason)));
	}
	pg_hmac_free(ctx);

	PG_RETURN_BYTEA_P(result);
}
