/*-------------------------------------------------------------------------
 *
 * phone_type.c
 *	  The cdp.phone type: a phone number in E.164, stored as 8 bytes.
 *
 * Input accepts what cdp.normalize_phone accepts, with cdp.default_region
 * for numbers written without '+', so the input function is STABLE (like
 * timestamptz input, which reads TimeZone).  Output is the E.164 text
 * ('+819012345678').  The binary form is that text as well; binary input
 * accepts only the '+' form, so it does not depend on the setting.
 *
 * The value is the packed form of phone.c (cdp_phone_pack): comparing
 * two values as integers orders them as their E.164 strings, so btree
 * order is the order of the text.
 *
 * src/match/phone_type.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "match/normalize.h"

#define DatumGetPhone(d) DatumGetInt64(d)
#define PhoneGetDatum(p) Int64GetDatum(p)
#define PG_GETARG_PHONE(n) DatumGetPhone(PG_GETARG_DATUM(n))
#define PG_RETURN_PHONE(p) return PhoneGetDatum(p)

static int64
phone_parse(const char *str, int len, const char *region, bool plus_only)
{
	int64		packed;
	const char *reason = NULL;
	int			i;

	if (plus_only)
	{
		for (i = 0; i < len && (str[i] == ' ' || str[i] == '\t'); i++)
			;
		if (i == len || str[i] != '+')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary cdp.phone value: \"%s\"", cdp_error_value(str, len)),
					 errdetail("The binary form of cdp.phone is the E.164 text, which starts with '+'.")));
	}
	if (!cdp_try_parse_phone(str, len, region, &packed, &reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid phone number: \"%s\"", cdp_error_value(str, len)),
				 errdetail("%s", reason)));
	return packed;
}

PG_FUNCTION_INFO_V1(cdp_phone_in);

Datum
cdp_phone_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	PG_RETURN_PHONE(phone_parse(str, strlen(str), cdp_default_region(), false));
}

PG_FUNCTION_INFO_V1(cdp_phone_out);

Datum
cdp_phone_out(PG_FUNCTION_ARGS)
{
	int64		packed = PG_GETARG_PHONE(0);
	char	   *buf = palloc(CDP_PHONE_MAX_DIGITS + 2);

	cdp_phone_format(packed, buf);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(cdp_phone_recv);

Datum
cdp_phone_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes;
	char	   *str = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);

	PG_RETURN_PHONE(phone_parse(str, nbytes, "JP", true));
}

PG_FUNCTION_INFO_V1(cdp_phone_send);

Datum
cdp_phone_send(PG_FUNCTION_ARGS)
{
	int64		packed = PG_GETARG_PHONE(0);
	char		text[CDP_PHONE_MAX_DIGITS + 2];
	int			n;
	StringInfoData buf;

	n = cdp_phone_format(packed, text);
	pq_begintypsend(&buf);
	pq_sendtext(&buf, text, n);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* comparison: the packed values order as the E.164 strings */

PG_FUNCTION_INFO_V1(cdp_phone_eq);
PG_FUNCTION_INFO_V1(cdp_phone_ne);
PG_FUNCTION_INFO_V1(cdp_phone_lt);
PG_FUNCTION_INFO_V1(cdp_phone_le);
PG_FUNCTION_INFO_V1(cdp_phone_gt);
PG_FUNCTION_INFO_V1(cdp_phone_ge);
PG_FUNCTION_INFO_V1(cdp_phone_cmp);
PG_FUNCTION_INFO_V1(cdp_phone_hash);
PG_FUNCTION_INFO_V1(cdp_phone_hash_extended);

Datum
cdp_phone_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PG_GETARG_PHONE(0) == PG_GETARG_PHONE(1));
}

Datum
cdp_phone_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PG_GETARG_PHONE(0) != PG_GETARG_PHONE(1));
}

Datum
cdp_phone_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PG_GETARG_PHONE(0) < PG_GETARG_PHONE(1));
}

Datum
cdp_phone_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PG_GETARG_PHONE(0) <= PG_GETARG_PHONE(1));
}

Datum
cdp_phone_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PG_GETARG_PHONE(0) > PG_GETARG_PHONE(1));
}

Datum
cdp_phone_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PG_GETARG_PHONE(0) >= PG_GETARG_PHONE(1));
}

Datum
cdp_phone_cmp(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_PHONE(0);
	int64		b = PG_GETARG_PHONE(1);

	PG_RETURN_INT32((a > b) - (a < b));
}

Datum
cdp_phone_hash(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_PHONE(0);

	return hash_any((const unsigned char *) &a, sizeof(a));
}

Datum
cdp_phone_hash_extended(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_PHONE(0);

	return hash_any_extended((const unsigned char *) &a, sizeof(a), PG_GETARG_INT64(1));
}
