/*-------------------------------------------------------------------------
 *
 * phone.c
 *	  cdp.normalize_phone(text, region): a phone number to E.164
 *	  ('+819012345678'), and the parser that the cdp.phone type shares.
 *
 * What is accepted:
 *	- digits (full-width too), with spaces, hyphens and dashes (including
 *	  ー and －, which Japanese input often has), periods, slashes and
 *	  parentheses between them;
 *	- a leading '+' for an international number, where a "(0)" after the
 *	  country code and a trunk 0 written after +81 or +44 are dropped;
 *	- the international call prefix of the region (010 from JP, 011 from
 *	  US/CA, 00 from GB) in place of '+';
 *	- otherwise a national number of the region: JP and GB numbers start
 *	  with the trunk prefix 0; US/CA numbers have 10 digits, or 11 with the
 *	  leading 1.
 *
 * What is checked: the national number lengths of JP (0 + 9 digits for
 * fixed lines, 0120, 0570 and other 0AB0 services; 0 + 10 digits for
 * 070/080/090 mobiles, 050 IP phones, 020 and 0800), NANP (area code and
 * exchange start with 2-9, no N11 area code), GB (national numbers of 9
 * or 10 digits by their first digit), and for other country codes the
 * E.164 rule: 7 to 15 digits, not starting with 0.  Anything else -
 * letters, extensions, '*' or '#', too few or too many digits - is not a
 * number: cdp never guesses a missing digit or prefix.
 *
 * src/match/phone.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "match/normalize.h"

#define MAX_RAW_DIGITS 24

int64
cdp_phone_pack(const char *digits, int ndigits)
{
	int64		value = 0;
	int			i;

	Assert(ndigits >= 1 && ndigits <= CDP_PHONE_MAX_DIGITS);
	for (i = 0; i < CDP_PHONE_MAX_DIGITS; i++)
		value = value * 10 + (i < ndigits ? digits[i] - '0' : 0);
	return value * 16 + ndigits;
}

int
cdp_phone_format(int64 packed, char *buf)
{
	int			ndigits = (int) (packed & 15);
	int64		value = packed >> 4;
	char		digits[CDP_PHONE_MAX_DIGITS];
	int			i;

	for (i = CDP_PHONE_MAX_DIGITS - 1; i >= 0; i--)
	{
		digits[i] = (char) ('0' + value % 10);
		value /= 10;
	}
	buf[0] = '+';
	memcpy(buf + 1, digits, ndigits);
	buf[ndigits + 1] = '\0';
	return ndigits + 1;
}

/* Japanese national significant number (without the trunk 0) */
static bool
valid_jp(const char *nsn, int n, const char **reason)
{
	bool		ten;

	if (n == 0 || nsn[0] == '0')
	{
		*reason = "A Japanese number has one trunk prefix 0 followed by an area or service code.";
		return false;
	}
	/* 020, 050, 060, 070, 080, 090 and 0800 numbers have 11 digits with the 0 */
	ten = n >= 2 && nsn[1] == '0' && strchr("256789", nsn[0]) != NULL;
	if (ten && n != 10)
	{
		*reason = "A Japanese mobile, IP phone or 0800 number (070, 080, 090, 050, 020, 0800) has 11 digits including the 0.";
		return false;
	}
	if (!ten && n != 9)
	{
		*reason = "A Japanese fixed-line number, or a 0120, 0570 or similar service number, has 10 digits including the 0.";
		return false;
	}
	return true;
}

/* North American Numbering Plan: 10 digits NPA-NXX-XXXX */
static bool
valid_nanp(const char *nsn, int n, const char **reason)
{
	if (n != 10)
	{
		*reason = "A North American number has 10 digits (11 with the leading 1).";
		return false;
	}
	if (nsn[0] < '2' || nsn[3] < '2')
	{
		*reason = "A North American area code and exchange start with a digit from 2 to 9.";
		return false;
	}
	if (nsn[1] == '1' && nsn[2] == '1')
	{
		*reason = "A North American area code cannot be a service code such as 211 or 911.";
		return false;
	}
	return true;
}

/* United Kingdom national significant number (without the trunk 0) */
static bool
valid_gb(const char *nsn, int n, const char **reason)
{
	if (n == 0)
	{
		*reason = "A United Kingdom number has a trunk prefix 0 followed by 9 or 10 digits.";
		return false;
	}
	switch (nsn[0])
	{
		case '1':
		case '8':
			if (n == 9 || n == 10)
				return true;
			break;
		case '2':
		case '3':
		case '5':
		case '7':
		case '9':
			if (n == 10)
				return true;
			break;
		default:
			*reason = "A United Kingdom national number starts with 01, 02, 03, 05, 07, 08 or 09.";
			return false;
	}
	*reason = "A United Kingdom number has 10 or 11 digits including the trunk prefix 0 (11 for 02, 03, 05, 07 and 09 numbers).";
	return false;
}

/*
 * Validate an international number: digits are the country code and the
 * national number.  A trunk 0 written after +81 or +44 is dropped.
 */
static bool
international(char *digits, int *n, const char **reason)
{
	int			len = *n;

	if (len > 0 && digits[0] == '1')
		return valid_nanp(digits + 1, len - 1, reason);
	if (len > 2 && (strncmp(digits, "81", 2) == 0 || strncmp(digits, "44", 2) == 0))
	{
		bool		jp = digits[0] == '8';

		if (digits[2] == '0')
		{
			memmove(digits + 2, digits + 3, len - 3);
			len--;
			*n = len;
		}
		return jp ? valid_jp(digits + 2, len - 2, reason) :
			valid_gb(digits + 2, len - 2, reason);
	}
	if (len == 0 || digits[0] == '0')
	{
		*reason = "An international number starts with a country code, which never starts with 0.";
		return false;
	}
	if (len < 7 || len > CDP_PHONE_MAX_DIGITS)
	{
		*reason = "An international number has 7 to 15 digits including the country code (E.164).";
		return false;
	}
	return true;
}

bool
cdp_try_parse_phone(const char *str, int len, const char *region,
					int64 *packed, const char **reason)
{
	pg_wchar   *codes;
	int			n;
	int			i;
	char		raw[MAX_RAW_DIGITS + 4];
	char		e164[MAX_RAW_DIGITS + 4];
	int			nraw = 0;
	int			ne164;
	bool		plus = false;
	bool		seen = false;	/* a digit or '+' seen */
	bool		intl = false;

	codes = cdp_fold_text(str, len, &n);
	for (i = 0; i < n; i++)
	{
		pg_wchar	c = codes[i];

		if (c >= '0' && c <= '9')
		{
			if (nraw >= MAX_RAW_DIGITS)
			{
				*reason = "A phone number has at most 15 digits (E.164).";
				return false;
			}
			raw[nraw++] = (char) c;
			seen = true;
		}
		else if (c == '+')
		{
			if (seen)
			{
				*reason = "A '+' may only begin a phone number.";
				return false;
			}
			plus = true;
			seen = true;
		}
		else if (c == '(' && plus && i + 2 < n && codes[i + 1] == '0' && codes[i + 2] == ')')
			i += 2;				/* +44 (0)20 ...: the (0) is not dialled */
		else if (c == ' ' || c == '\t' || c == '.' || c == '/' || c == '(' ||
				 c == ')' || c == 0x30FC || cdp_is_hyphen(c))
			continue;
		else
		{
			*reason = "A phone number has only digits, a leading '+', spaces, hyphens, periods and parentheses (no letters or extensions).";
			return false;
		}
	}
	if (nraw == 0)
	{
		*reason = "A phone number needs digits.";
		return false;
	}
	raw[nraw] = '\0';

	/* the international call prefix of the region stands for '+' */
	if (!plus)
	{
		int			skip = 0;

		if (strcmp(region, "JP") == 0 && strncmp(raw, "010", 3) == 0)
			skip = 3;
		else if ((strcmp(region, "US") == 0 || strcmp(region, "CA") == 0) &&
				 strncmp(raw, "011", 3) == 0)
			skip = 3;
		else if (strcmp(region, "GB") == 0 && strncmp(raw, "00", 2) == 0)
			skip = 2;
		if (skip > 0)
		{
			memmove(raw, raw + skip, nraw - skip + 1);
			nraw -= skip;
			intl = true;
		}
	}

	if (plus || intl)
	{
		memcpy(e164, raw, nraw);
		ne164 = nraw;
		if (!international(e164, &ne164, reason))
			return false;
	}
	else if (strcmp(region, "JP") == 0 || strcmp(region, "GB") == 0)
	{
		bool		jp = region[0] == 'J';

		if (raw[0] != '0')
		{
			*reason = jp ?
				"A Japanese number starts with the trunk prefix 0 (or is written with +81)." :
				"A United Kingdom number starts with the trunk prefix 0 (or is written with +44).";
			return false;
		}
		if (jp ? !valid_jp(raw + 1, nraw - 1, reason) : !valid_gb(raw + 1, nraw - 1, reason))
			return false;
		memcpy(e164, jp ? "81" : "44", 2);
		memcpy(e164 + 2, raw + 1, nraw - 1);
		ne164 = nraw + 1;
	}
	else
	{
		/* US, CA: the North American Numbering Plan */
		const char *nsn = raw;
		int			nn = nraw;

		if (nn == 11 && raw[0] == '1')
		{
			nsn++;
			nn--;
		}
		if (!valid_nanp(nsn, nn, reason))
			return false;
		e164[0] = '1';
		memcpy(e164 + 1, nsn, nn);
		ne164 = nn + 1;
	}

	if (ne164 > CDP_PHONE_MAX_DIGITS)
	{
		*reason = "A phone number has at most 15 digits (E.164).";
		return false;
	}
	*packed = cdp_phone_pack(e164, ne164);
	return true;
}

bool
cdp_try_normalize_phone(const char *str, int len, const char *region,
						StringInfo out, const char **reason)
{
	int64		packed;
	char		buf[CDP_PHONE_MAX_DIGITS + 2];
	int			n;

	if (!cdp_try_parse_phone(str, len, region, &packed, reason))
		return false;
	n = cdp_phone_format(packed, buf);
	appendBinaryStringInfo(out, buf, n);
	return true;
}

/* The region argument of a SQL function: NULL means cdp.default_region. */
const char *
cdp_region_argument(text *region)
{
	char	   *r;
	char	   *p;

	if (region == NULL)
		return cdp_default_region();
	r = text_to_cstring(region);
	if (!cdp_region_supported(r))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported region \"%s\"", r),
				 errhint("Supported regions are JP, US, CA and GB (ISO 3166-1 alpha-2 codes).")));
	for (p = r; *p; p++)
		*p = pg_toupper((unsigned char) *p);
	return r;
}

PG_FUNCTION_INFO_V1(cdp_normalize_phone_sql);

/*
 * cdp.normalize_phone(text, region text DEFAULT NULL) RETURNS text
 *
 * Not STRICT: a NULL region means cdp.default_region; a NULL number is NULL.
 */
Datum
cdp_normalize_phone_sql(PG_FUNCTION_ARGS)
{
	text	   *arg;
	const char *region;
	const char *reason = NULL;
	int64		packed;
	char		buf[CDP_PHONE_MAX_DIGITS + 2];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	arg = PG_GETARG_TEXT_PP(0);
	region = cdp_region_argument(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));
	if (!cdp_try_parse_phone(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), region,
							 &packed, &reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid phone number: \"%s\"", cdp_error_value(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg))),
				 errdetail("%s", reason)));
	cdp_phone_format(packed, buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
