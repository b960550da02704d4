/*-------------------------------------------------------------------------
 *
 * consent_allows.c
 *	  cdp.consent_allows(profile_id, purpose): whether a profile's consent
 *	  allows processing for a purpose now, for applications that ask about
 *	  one person ("may I send this e-mail?") rather than set cdp.purpose.
 *
 * The caller must be allowed to act for the purpose (cdp.role_purposes),
 * so the function tells nobody more than they could see by setting
 * cdp.purpose and reading the profile.  The answer comes from
 * cdp.consent_current, read as the bootstrap superuser with the latest
 * committed state: granted, not expired at the statement's start, and the
 * profile's processing not restricted.
 *
 * src/consent/consent_allows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "consent/consent.h"

PG_FUNCTION_INFO_V1(cdp_consent_allows);

Datum
cdp_consent_allows(PG_FUNCTION_ARGS)
{
	int64		profile_id = PG_GETARG_INT64(0);
	char	   *purpose = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			argtypes[3] = {INT8OID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[3];
	Oid			saved_userid;
	int			saved_sec_context;
	bool		allowed;
	int			ret;

	switch (cdp_purpose_status(purpose, GetUserId()))
	{
		case CDP_PURPOSE_NO_EXTENSION:
		case CDP_PURPOSE_UNKNOWN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown purpose \"%s\"", purpose),
					 errhint("The purposes are the rows of cdp.purposes.")));
			break;
		case CDP_PURPOSE_NOT_GRANTED:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role \"%s\" may not act for purpose \"%s\"",
							GetUserNameFromId(GetUserId(), false), purpose)));
			break;
		case CDP_PURPOSE_GRANTED:
			break;
	}

	values[0] = Int64GetDatum(profile_id);
	values[1] = PointerGetDatum(PG_GETARG_TEXT_PP(1));
	values[2] = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());

	cdp_switch_to_superuser(&saved_userid, &saved_sec_context);
	cdp_push_fresh_snapshot();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(
								"SELECT EXISTS (SELECT FROM cdp.consent_current c"
								" WHERE c.profile_id OPERATOR(pg_catalog.=) $1"
								"   AND c.purpose OPERATOR(pg_catalog.=) $2 AND c.granted"
								"   AND (c.expires_at IS NULL OR c.expires_at OPERATOR(pg_catalog.>) $3)"
								"   AND NOT EXISTS (SELECT FROM cdp.processing_restrictions r"
								"                    WHERE r.profile_id OPERATOR(pg_catalog.=) $1))",
								3, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "cdp: consent look-up failed");
	{
		bool		isnull;

		allowed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	PopActiveSnapshot();
	cdp_restore_user(saved_userid, saved_sec_context);

	PG_RETURN_BOOL(allowed);
}
