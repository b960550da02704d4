/*-------------------------------------------------------------------------
 *
 * postal_code.c
 *	  cdp.normalize_postal_code(text, region): a postal code in the form the
 *	  post office of its region writes it.
 *
 *	JP	'100-0001': 7 digits, with 〒, full-width digits and any hyphen or
 *		dash (ー included) between the third and fourth digit accepted;
 *	US	'12345' or '12345-6789' (ZIP and ZIP+4);
 *	CA	'K1A 0B1': letter digit letter, digit letter digit;
 *	GB	'SW1A 1AA': outward code A9, A99, AA9, AA99, A9A or AA9A, a space,
 *		inward code digit letter letter (and GIR 0AA).
 * White space around and inside is ignored; letters may be in any case.
 * Anything else is not a postal code of the region (22P02).
 *
 * src/match/postal_code.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "match/normalize.h"

#define MAX_POSTAL 16

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

bool
cdp_try_normalize_postal_code(const char *str, int len, const char *region,
							  StringInfo out, const char **reason)
{
	pg_wchar   *codes;
	int			n;
	int			i;
	char		s[MAX_POSTAL + 1];	/* letters and digits, upper case */
	int			ns = 0;
	int			hyphens = 0;
	int			hyphen_at = -1;

	codes = cdp_fold_text(str, len, &n);
	for (i = 0; i < n; i++)
	{
		pg_wchar	c = codes[i];

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			continue;
		if (c == 0x3012 && ns == 0 && hyphens == 0)
			continue;			/* 〒 */
		if (cdp_is_hyphen(c) || c == 0x30FC)
		{
			hyphens++;
			hyphen_at = ns;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) || ns >= MAX_POSTAL)
		{
			*reason = "A postal code has only letters, digits, spaces and one hyphen.";
			return false;
		}
		s[ns++] = (c >= 'a' && c <= 'z') ? (char) (c - ('a' - 'A')) : (char) c;
	}
	s[ns] = '\0';

	if (strcmp(region, "JP") == 0)
	{
		for (i = 0; i < ns; i++)
			if (!is_digit(s[i]))
				break;
		if (ns != 7 || i != 7 || hyphens > 1 || (hyphens == 1 && hyphen_at != 3))
		{
			*reason = "A Japanese postal code has 7 digits, written 123-4567.";
			return false;
		}
		appendStringInfo(out, "%.3s-%.4s", s, s + 3);
		return true;
	}
	if (strcmp(region, "US") == 0)
	{
		for (i = 0; i < ns; i++)
			if (!is_digit(s[i]))
				break;
		if (i != ns || !((ns == 5 && hyphens == 0) ||
						 (ns == 9 && (hyphens == 0 || (hyphens == 1 && hyphen_at == 5)))))
		{
			*reason = "A United States ZIP code has 5 digits, or 9 written 12345-6789.";
			return false;
		}
		if (ns == 5)
			appendBinaryStringInfo(out, s, 5);
		else
			appendStringInfo(out, "%.5s-%.4s", s, s + 5);
		return true;
	}
	if (strcmp(region, "CA") == 0)
	{
		/* letters D F I O Q U are never used, W and Z never first */
		if (ns != 6 || hyphens > 1 ||
			!is_upper(s[0]) || !is_digit(s[1]) || !is_upper(s[2]) ||
			!is_digit(s[3]) || !is_upper(s[4]) || !is_digit(s[5]) ||
			strchr("DFIOQUWZ", s[0]) || strchr("DFIOQU", s[2]) || strchr("DFIOQU", s[4]))
		{
			*reason = "A Canadian postal code is letter, digit, letter, digit, letter, digit (K1A 0B1).";
			return false;
		}
		appendStringInfo(out, "%.3s %.3s", s, s + 3);
		return true;
	}
	/* GB */
	{
		const char *in;
		int			no = ns - 3;
		bool		ok;

		ok = hyphens == 0 && ns >= 5 && ns <= 7;
		if (ok)
		{
			in = s + no;
			ok = is_digit(in[0]) && is_upper(in[1]) && is_upper(in[2]) &&
				!strchr("CIKMOV", in[1]) && !strchr("CIKMOV", in[2]);
		}
		if (ok && !(no == 3 && strncmp(s, "GIR", 3) == 0))
		{
			/* A9 A99 AA9 AA99 A9A AA9A */
			const char *o = s;

			if (no == 2)
				ok = is_upper(o[0]) && is_digit(o[1]);
			else if (no == 3)
				ok = is_upper(o[0]) &&
					((is_digit(o[1]) && (is_digit(o[2]) || is_upper(o[2]))) ||
					 (is_upper(o[1]) && is_digit(o[2])));
			else
				ok = is_upper(o[0]) && is_upper(o[1]) && is_digit(o[2]) &&
					(is_digit(o[3]) || is_upper(o[3]));
		}
		if (!ok)
		{
			*reason = "A United Kingdom postcode is an outward code such as SW1A and an inward code such as 1AA.";
			return false;
		}
		appendStringInfo(out, "%.*s %.3s", no, s, s + no);
		return true;
	}
}

PG_FUNCTION_INFO_V1(cdp_normalize_postal_code_sql);

/*
 * cdp.normalize_postal_code(text, region text DEFAULT NULL) RETURNS text
 *
 * Not STRICT: a NULL region means cdp.default_region; a NULL code is NULL.
 */
Datum
cdp_normalize_postal_code_sql(PG_FUNCTION_ARGS)
{
	text	   *arg;
	const char *region;
	const char *reason = NULL;
	StringInfoData out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	arg = PG_GETARG_TEXT_PP(0);
	region = cdp_region_argument(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));
	initStringInfo(&out);
	if (!cdp_try_normalize_postal_code(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg),
									   region, &out, &reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid postal code for region %s: \"%s\"", region,
						cdp_error_value(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg))),
				 errdetail("%s", reason)));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
