/*-------------------------------------------------------------------------
 *
 * error_value.c
 *	  How the normalisers quote a rejected value in an error message.
 *
 * An error names the value it rejects, but a value can be a megabyte of
 * junk: the message shows its first CDP_ERROR_VALUE_MAX characters and
 * says how long it was.
 *
 * src/match/error_value.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "match/normalize.h"

#define CDP_ERROR_VALUE_MAX 100

char *
cdp_error_value(const char *str, int len)
{
	int			clip;

	if (len <= CDP_ERROR_VALUE_MAX)
		return pnstrdup(str, len);
	clip = pg_mbcliplen(str, len, CDP_ERROR_VALUE_MAX);
	return psprintf("%.*s... (%d bytes)", clip, str, len);
}
