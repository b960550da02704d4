/*-------------------------------------------------------------------------
 *
 * email_type.c
 *	  The cdp.email type: an e-mail address in the canonical form of
 *	  cdp.normalize_email(x, false).
 *
 * Input normalises (trim, NFKC, lower case, IDN domain to ASCII) and
 * rejects what is not an address (22P02).  Provider rules (Gmail dots,
 * +tags) are not applied: the value keeps the address the person gave,
 * and cdp.normalize_email(e::text) gives the matching key.  The value is
 * stored as its text; binary send/receive use that text, and binary input
 * is validated like text input.  Comparison is bytewise (the order of
 * the C collation), so it needs no collation and is the same everywhere.
 *
 * src/match/email_type.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "match/normalize.h"

static text *
email_parse(const char *str, int len)
{
	StringInfoData out;
	const char *reason = NULL;
	text	   *result;

	initStringInfo(&out);
	if (!cdp_try_normalize_email(str, len, false, &out, &reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid e-mail address: \"%s\"", cdp_error_value(str, len)),
				 errdetail("%s", reason)));
	result = cstring_to_text_with_len(out.data, out.len);
	pfree(out.data);
	return result;
}

PG_FUNCTION_INFO_V1(cdp_email_in);

Datum
cdp_email_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	PG_RETURN_TEXT_P(email_parse(str, strlen(str)));
}

PG_FUNCTION_INFO_V1(cdp_email_out);

Datum
cdp_email_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(text_to_cstring(PG_GETARG_TEXT_PP(0)));
}

PG_FUNCTION_INFO_V1(cdp_email_recv);

Datum
cdp_email_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes;
	char	   *str = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);

	PG_RETURN_TEXT_P(email_parse(str, nbytes));
}

PG_FUNCTION_INFO_V1(cdp_email_send);

Datum
cdp_email_send(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendtext(&buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bytewise three-way comparison */
static int
email_cmp(text *a, text *b)
{
	int			la = VARSIZE_ANY_EXHDR(a);
	int			lb = VARSIZE_ANY_EXHDR(b);
	int			r = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	if (r != 0)
		return (r > 0) - (r < 0);
	return (la > lb) - (la < lb);
}

PG_FUNCTION_INFO_V1(cdp_email_eq);
PG_FUNCTION_INFO_V1(cdp_email_ne);
PG_FUNCTION_INFO_V1(cdp_email_lt);
PG_FUNCTION_INFO_V1(cdp_email_le);
PG_FUNCTION_INFO_V1(cdp_email_gt);
PG_FUNCTION_INFO_V1(cdp_email_ge);
PG_FUNCTION_INFO_V1(cdp_email_cmp);
PG_FUNCTION_INFO_V1(cdp_email_hash);
PG_FUNCTION_INFO_V1(cdp_email_hash_extended);

Datum
cdp_email_eq(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);

	PG_RETURN_BOOL(VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
				   memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0);
}

Datum
cdp_email_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(email_cmp(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)) != 0);
}

Datum
cdp_email_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(email_cmp(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)) < 0);
}

Datum
cdp_email_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(email_cmp(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)) <= 0);
}

Datum
cdp_email_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(email_cmp(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)) > 0);
}

Datum
cdp_email_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(email_cmp(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)) >= 0);
}

Datum
cdp_email_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(email_cmp(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)));
}

Datum
cdp_email_hash(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);

	return hash_any((const unsigned char *) VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a));
}

Datum
cdp_email_hash_extended(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);

	return hash_any_extended((const unsigned char *) VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a),
							 PG_GETARG_INT64(1));
}
