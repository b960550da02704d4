/*-------------------------------------------------------------------------
 *
 * normalize_identifier.c
 *	  cdp._normalize_identifier(kind, raw): the value identity resolution
 *	  stores for a raw identifier, or the reason it cannot be one.
 *
 * Extraction must skip junk without failing a batch, so this calls the
 * "try" normalisers of src/match: e-mail addresses with provider rules,
 * phone numbers in E.164 under cdp.default_region; any other kind (CRM id,
 * loyalty card, device or cookie id) is trimmed of white space.  The result
 * is (value, NULL) or (NULL, reason).
 *
 * src/identity/normalize_identifier.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "match/normalize.h"

PG_FUNCTION_INFO_V1(cdp_normalize_identifier);

static bool
is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

Datum
cdp_normalize_identifier(PG_FUNCTION_ARGS)
{
	text	   *kind_text = PG_GETARG_TEXT_PP(0);
	text	   *raw_text = PG_GETARG_TEXT_PP(1);
	const char *raw = VARDATA_ANY(raw_text);
	int			len = VARSIZE_ANY_EXHDR(raw_text);
	StringInfoData out;
	const char *reason = NULL;
	CdpIdentifierNormalization normalization;
	bool		ok;
	TupleDesc	desc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	/* the row type, looked up once per calling expression (a batch calls this a million times) */
	desc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (desc == NULL)
	{
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = desc;
	}

	initStringInfo(&out);
	normalization = cdp_try_normalize_identifier(VARDATA_ANY(kind_text),
												 VARSIZE_ANY_EXHDR(kind_text),
												 raw, len, &out, &reason);
	if (normalization != CDP_IDENTIFIER_OTHER_KIND)
		ok = normalization == CDP_IDENTIFIER_NORMALIZED;
	else
	{
		int			start = 0,
					end = len;

		while (start < end && is_space((unsigned char) raw[start]))
			start++;
		while (end > start && is_space((unsigned char) raw[end - 1]))
			end--;
		ok = end > start;
		if (ok)
			appendBinaryStringInfo(&out, raw + start, end - start);
		else
			reason = "The value is blank.";
	}

	if (ok)
	{
		values[0] = PointerGetDatum(cstring_to_text_with_len(out.data, out.len));
		nulls[1] = true;
	}
	else
	{
		nulls[0] = true;
		values[1] = CStringGetTextDatum(reason ? reason : "The value is not valid.");
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
