/*-------------------------------------------------------------------------
 *
 * identifier_kind.c
 *	  The normaliser of an identifier kind: e-mail addresses and phone
 *	  numbers have one in src/match, other kinds (CRM ids, loyalty cards,
 *	  devices, cookies) are left to the caller.
 *
 * src/match/identifier_kind.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "match/normalize.h"

static bool
kind_is(const char *kind, int kind_len, const char *word)
{
	return kind_len == (int) strlen(word) && memcmp(kind, word, kind_len) == 0;
}

CdpIdentifierNormalization
cdp_try_normalize_identifier(const char *kind, int kind_len, const char *str, int len,
							 StringInfo out, const char **reason)
{
	bool		ok;

	if (kind_is(kind, kind_len, "email"))
		ok = cdp_try_normalize_email(str, len, true, out, reason);
	else if (kind_is(kind, kind_len, "phone"))
		ok = cdp_try_normalize_phone(str, len, cdp_default_region(), out, reason);
	else
		return CDP_IDENTIFIER_OTHER_KIND;
	return ok ? CDP_IDENTIFIER_NORMALIZED : CDP_IDENTIFIER_REFUSED;
}
