/*-------------------------------------------------------------------------
 *
 * email.c
 *	  cdp.normalize_email(text, provider_rules): the canonical form of an
 *	  e-mail address, and the parser that the cdp.email type shares.
 *
 * The address is NFKC case-folded (full-width ＠ and letters typed in a
 * Japanese input method become ASCII), trimmed and checked:
 *	- exactly one '@', no white space or control characters inside;
 *	- local part of 1 to 64 bytes: letters, digits, !#$%&'*+-/=?^_`{|}~
 *	  and dots, or any non-ASCII letter (RFC 6531); no dot at either end
 *	  and no two dots in a row, except at the Japanese mobile carriers
 *	  that issued such addresses (docomo.ne.jp, ezweb.ne.jp, ...); quoted
 *	  local parts are not accepted;
 *	- domain: an internationalised domain is converted to ASCII with ICU's
 *	  UTS #46 (IDNA2008, non-transitional); labels of 1 to 63 letters,
 *	  digits and inner hyphens, at least two labels, a top-level domain that
 *	  is not all digits, at most 253 bytes, no address literals;
 *	- the whole address at most 254 bytes.
 * With provider rules, Gmail addresses lose the dots of the local part and
 * a +tag, googlemail.com becomes gmail.com, and the providers known to
 * deliver user+tag to user (README) lose the +tag.
 *
 * src/match/email.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include <unicode/uidna.h>

#include "match/normalize.h"

static UIDNA *idna = NULL;
static StringInfo email_scratch = NULL;

/* providers that deliver user+tag@domain to user@domain */
static const char *const plus_tag_domains[] = {
	"gmail.com", "outlook.com", "outlook.jp", "hotmail.com", "hotmail.co.jp",
	"hotmail.co.uk", "live.com", "live.jp", "msn.com", "icloud.com", "me.com",
	"mac.com", "fastmail.com", "fastmail.fm", "protonmail.com", "protonmail.ch",
	"proton.me", "pm.me", "yandex.ru", "yandex.com"
};

/* Japanese mobile carriers whose old addresses break the dot rules */
static const char *const legacy_dot_domains[] = {
	"docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp", "vodafone.ne.jp",
	"i.softbank.jp", "disney.ne.jp", "pdx.ne.jp"
};

/* true if domain is d or a subdomain of d */
static bool
domain_is(const char *domain, int dlen, const char *d)
{
	int			n = strlen(d);

	if (dlen == n)
		return memcmp(domain, d, n) == 0;
	return dlen > n && domain[dlen - n - 1] == '.' && memcmp(domain + dlen - n, d, n) == 0;
}

static bool
in_list(const char *domain, int dlen, const char *const *list, int n, bool subdomains)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (subdomains ? domain_is(domain, dlen, list[i]) :
			((int) strlen(list[i]) == dlen && memcmp(domain, list[i], dlen) == 0))
			return true;
	}
	return false;
}

static inline bool
local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 ||
		strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* Convert a non-ASCII domain to ASCII (IDNA), appended to out. */
static bool
domain_to_ascii(const char *domain, int dlen, StringInfo out, const char **reason)
{
	UErrorCode	status = U_ZERO_ERROR;
	UIDNAInfo	info = UIDNA_INFO_INITIALIZER;
	int32		n;

	if (idna == NULL)
	{
		idna = uidna_openUTS46(UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_CHECK_BIDI |
							   UIDNA_CHECK_CONTEXTJ | UIDNA_USE_STD3_RULES, &status);
		if (U_FAILURE(status))
		{
			idna = NULL;
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not open the ICU IDNA converter: %s", u_errorName(status))));
		}
	}
	enlargeStringInfo(out, 4 * dlen + 64);
	n = uidna_nameToASCII_UTF8(idna, domain, dlen, out->data + out->len,
							   out->maxlen - out->len - 1, &info, &status);
	if (U_FAILURE(status) || info.errors != 0 || n > 253)
	{
		*reason = "The domain is not a valid internationalised domain name.";
		return false;
	}
	out->len += n;
	out->data[out->len] = '\0';
	return true;
}

static bool
valid_domain(const char *d, int n, const char **reason)
{
	int			i;
	int			j;
	int			label_start = 0;
	int			labels = 0;
	bool		tld_digits = true;

	if (n == 0)
	{
		*reason = "An e-mail address needs a domain after the \"@\".";
		return false;
	}
	if (n > 253)
	{
		*reason = "The domain of an e-mail address has at most 253 characters.";
		return false;
	}
	if (d[0] == '[')
	{
		*reason = "Address literals such as user@[192.0.2.1] are not accepted.";
		return false;
	}
	for (i = 0; i <= n; i++)
	{
		char		c = (i < n) ? d[i] : '.';

		if (c == '.')
		{
			int			llen = i - label_start;

			if (llen == 0)
			{
				*reason = "The domain of an e-mail address has an empty label (a dot at either end or two in a row).";
				return false;
			}
			if (llen > 63)
			{
				*reason = "A label of a domain has at most 63 characters.";
				return false;
			}
			if (d[label_start] == '-' || d[i - 1] == '-')
			{
				*reason = "A label of a domain neither starts nor ends with a hyphen.";
				return false;
			}
			labels++;
			tld_digits = true;
			for (j = label_start; j < i; j++)
				if (!(d[j] >= '0' && d[j] <= '9'))
					tld_digits = false;
			label_start = i + 1;
		}
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
		{
			*reason = "The domain of an e-mail address has only letters, digits, hyphens and dots.";
			return false;
		}
	}
	if (labels < 2)
	{
		*reason = "The domain of an e-mail address has at least two labels (example.com).";
		return false;
	}
	if (tld_digits)
	{
		*reason = "The top-level domain of an e-mail address is not all digits.";
		return false;
	}
	return true;
}

bool
cdp_try_normalize_email(const char *str, int len, bool provider_rules,
						StringInfo out, const char **reason)
{
	StringInfo	s;
	char	   *a;
	int			n;
	int			at = -1;
	int			i;
	int			start;
	int			local_len;
	int			dstart;
	int			dlen;
	int			out_start = out->len;
	const char *domain;
	bool		legacy;
	bool		double_dot;

	if (len > 1024)
		s = makeStringInfo();	/* long input: a buffer of this call only */
	else
	{
		if (email_scratch == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			email_scratch = makeStringInfo();
			MemoryContextSwitchTo(old);
		}
		s = email_scratch;
		resetStringInfo(s);
	}

	/* NFKC case-folded UTF-8 */
	if (cdp_is_ascii(str, len))
	{
		enlargeStringInfo(s, len);
		for (i = 0; i < len; i++)
			s->data[i] = pg_ascii_tolower((unsigned char) str[i]);
		s->len = len;
	}
	else
	{
		pg_wchar   *codes = cdp_fold_text(str, len, &n);
		char	   *p;

		enlargeStringInfo(s, 4 * n);
		p = s->data;
		for (i = 0; i < n; i++)
			p = cdp_put_utf8(p, codes[i]);
		s->len = p - s->data;
	}
	s->data[s->len] = '\0';

	/* trim white space */
	a = s->data;
	n = s->len;
	while (n > 0 && (a[n - 1] == ' ' || (a[n - 1] >= '\t' && a[n - 1] <= '\r')))
		n--;
	for (start = 0; start < n && (a[start] == ' ' || (a[start] >= '\t' && a[start] <= '\r')); start++)
		;
	a += start;
	n -= start;

	if (n == 0)
	{
		*reason = "An e-mail address cannot be empty.";
		return false;
	}
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) a[i];

		if (c == '@')
		{
			if (at >= 0)
			{
				*reason = "An e-mail address has exactly one \"@\" (quoted local parts are not accepted).";
				return false;
			}
			at = i;
		}
		else if (c <= ' ' || c == 0x7F)
		{
			*reason = "An e-mail address has no white space or control characters inside.";
			return false;
		}
	}
	if (at < 0)
	{
		*reason = "An e-mail address needs an \"@\".";
		return false;
	}
	local_len = at;
	if (local_len == 0)
	{
		*reason = "An e-mail address needs a local part before the \"@\".";
		return false;
	}
	if (local_len > 64)
	{
		*reason = "The local part of an e-mail address has at most 64 bytes.";
		return false;
	}
	for (i = 0; i < local_len; i++)
	{
		if (!local_char((unsigned char) a[i]))
		{
			*reason = (a[i] == '"') ?
				"Quoted local parts are not accepted." :
				"The local part of an e-mail address has a character that is not allowed there.";
			return false;
		}
	}

	/* the domain, in ASCII, goes to out first; the local part is inserted */
	dstart = at + 1;
	dlen = n - dstart;
	appendStringInfoChar(out, '@');
	if (!cdp_is_ascii(a + dstart, dlen))
	{
		if (!domain_to_ascii(a + dstart, dlen, out, reason))
		{
			out->len = out_start;
			return false;
		}
	}
	else
		appendBinaryStringInfo(out, a + dstart, dlen);
	domain = out->data + out_start + 1;
	dlen = out->len - out_start - 1;
	if (!valid_domain(domain, dlen, reason))
	{
		out->len = out_start;
		return false;
	}

	legacy = in_list(domain, dlen, legacy_dot_domains, lengthof(legacy_dot_domains), true);
	double_dot = false;
	for (i = 0; i + 1 < local_len; i++)
		if (a[i] == '.' && a[i + 1] == '.')
			double_dot = true;
	if (!legacy && (a[0] == '.' || a[local_len - 1] == '.' || double_dot))
	{
		*reason = "The local part of an e-mail address has no dot at either end and no two dots in a row.";
		out->len = out_start;
		return false;
	}

	if (provider_rules)
	{
		bool		gmail = false;

		if (dlen == 14 && memcmp(domain, "googlemail.com", 14) == 0)
		{
			/* googlemail.com is gmail.com */
			out->len = out_start;
			appendStringInfoString(out, "@gmail.com");
			domain = out->data + out_start + 1;
			dlen = 9;
		}
		gmail = (dlen == 9 && memcmp(domain, "gmail.com", 9) == 0);
		if (in_list(domain, dlen, plus_tag_domains, lengthof(plus_tag_domains), false))
		{
			char	   *plus = memchr(a, '+', local_len);

			if (plus)
				local_len = plus - a;
		}
		if (gmail)
		{
			int			j = 0;

			for (i = 0; i < local_len; i++)
				if (a[i] != '.')
					a[j++] = a[i];
			local_len = j;
		}
		if (local_len == 0)
		{
			*reason = "An e-mail address needs a local part before the \"+\" tag.";
			out->len = out_start;
			return false;
		}
	}

	if (local_len + (out->len - out_start) > 254)
	{
		*reason = "An e-mail address has at most 254 characters.";
		out->len = out_start;
		return false;
	}

	/* insert the local part before "@domain" */
	enlargeStringInfo(out, local_len);
	memmove(out->data + out_start + local_len, out->data + out_start, out->len - out_start);
	memcpy(out->data + out_start, a, local_len);
	out->len += local_len;
	out->data[out->len] = '\0';
	return true;
}

PG_FUNCTION_INFO_V1(cdp_normalize_email_sql);

/* cdp.normalize_email(text, provider_rules boolean DEFAULT true) RETURNS text */
Datum
cdp_normalize_email_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	bool		provider_rules = PG_GETARG_BOOL(1);
	StringInfoData out;
	const char *reason = NULL;

	initStringInfo(&out);
	if (!cdp_try_normalize_email(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg),
								 provider_rules, &out, &reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid e-mail address: \"%s\"", cdp_error_value(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg))),
				 errdetail("%s", reason)));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
