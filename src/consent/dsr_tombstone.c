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
 * What is hashed is the value's tombstone key (cdp._tombstone_key): e-mail
 * addresses and phone numbers as cdp.normalize_email and
 * cdp.normalize_phone write them, so that every spelling that normalises
 * equal matches; a value they refuse, trimmed and lower-cased; other kinds
 * trimmed.  It uses the normalisers' "try" forms: the re-ingestion trigger
 * computes it for every loaded row and must not pay for a subtransaction
 * to catch an error.
 *
 * src/consent/dsr_tombstone.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "common/hmac.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "consent/dsr.h"
#include "match/normalize.h"

/* a shorter key makes the hash guessable; cdp.dsr_secret makes 32 bytes */
#define CDP_TOMBSTONE_MIN_KEY 16

char *
cdp_tombstone_key(const char *kind, int kind_len, const char *value, int value_len,
				  int *key_len)
{
	bool		lower = false;
	const char *reason;
	StringInfoData out;
	char	   *key;

	initStringInfo(&out);
	switch (cdp_try_normalize_identifier(kind, kind_len, value, value_len, &out, &reason))
	{
		case CDP_IDENTIFIER_NORMALIZED:
			*key_len = out.len;
			return out.data;
		case CDP_IDENTIFIER_REFUSED:
			lower = true;
			break;
		case CDP_IDENTIFIER_OTHER_KIND:
			break;
	}
	pfree(out.data);

	/* trim spaces as btrim() does */
	while (value_len > 0 && value[0] == ' ')
	{
		value++;
		value_len--;
	}
	while (value_len > 0 && value[value_len - 1] == ' ')
		value_len--;
	if (value_len == 0)
		return NULL;
	key = lower ? str_tolower(value, value_len, DEFAULT_COLLATION_OID) : pnstrdup(value, value_len);
	*key_len = strlen(key);
	return key;
}

bytea *
cdp_tombstone_hmac(const char *secret, int secret_len,
				   const char *kind, int kind_len, const char *key, int key_len)
{
	const uint8 separator = 0;
	pg_hmac_ctx *ctx;
	bytea	   *result;

	if (secret_len < CDP_TOMBSTONE_MIN_KEY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tombstone key is too short"),
				 errdetail("The key has %d bytes; at least %d are needed.",
						   secret_len, CDP_TOMBSTONE_MIN_KEY)));

	result = (bytea *) palloc(VARHDRSZ + CDP_TOMBSTONE_HASH_LEN);
	SET_VARSIZE(result, VARHDRSZ + CDP_TOMBSTONE_HASH_LEN);

	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_hmac_init(ctx, (const uint8 *) secret, secret_len) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) kind, kind_len) < 0 ||
		pg_hmac_update(ctx, &separator, 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) key, key_len) < 0 ||
		pg_hmac_final(ctx, (uint8 *) VARDATA(result), CDP_TOMBSTONE_HASH_LEN) < 0)
	{
		const char *reason = pg_hmac_error(ctx);

		pg_hmac_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the tombstone hash: %s", reason)));
	}
	pg_hmac_free(ctx);
	return result;
}

PG_FUNCTION_INFO_V1(cdp_tombstone_hash);

/*
 * cdp._tombstone_hash(secret bytea, kind text, value text) returns the
 * 32-byte HMAC-SHA256 of kind || '\0' || value keyed with secret; value is
 * hashed as given (pass it through cdp._tombstone_key first).
 */
Datum
cdp_tombstone_hash(PG_FUNCTION_ARGS)
{
	bytea	   *secret = PG_GETARG_BYTEA_PP(0);
	text	   *kind = PG_GETARG_TEXT_PP(1);
	text	   *value = PG_GETARG_TEXT_PP(2);

	PG_RETURN_BYTEA_P(cdp_tombstone_hmac(VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret),
										 VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind),
										 VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)));
}

PG_FUNCTION_INFO_V1(cdp_tombstone_key_sql);

/*
 * cdp._tombstone_key(kind text, value text) returns the form of an
 * identifier that a tombstone hashes, or NULL for a blank value.
 */
Datum
cdp_tombstone_key_sql(PG_FUNCTION_ARGS)
{
	text	   *kind = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	char	   *key;
	int			key_len;

	key = cdp_tombstone_key(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind),
							VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), &key_len);
	if (key == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(key, key_len));
}
