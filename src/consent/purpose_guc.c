/*-------------------------------------------------------------------------
 *
 * purpose_guc.c
 *	  The setting cdp.purpose: the purpose the session processes personal
 *	  data for.  Row-level security shows a row of personal data only when
 *	  the person's consent covers this purpose and the current role may act
 *	  for it.  Empty (the default) means no purpose: no personal rows.
 *
 * The setting is PGC_USERSET so that SET, SET LOCAL (which suits
 * transaction-pooling connection poolers), set_config() and a function's
 * SET clause all work.  Its check hook refuses a purpose that is not in
 * cdp.purposes (22023) or that the current role holds no cdp.role_purposes
 * row for (42501).  The hook consults the tables only inside a transaction
 * and never in a parallel worker: at server start, on reload and when a
 * parallel worker restores the leader's settings there is no transaction
 * (or no point asking again).  That is why the hook is only a courtesy that
 * gives an early, clear error: the real guard is the use-time check in
 * consent_cache.c, which asks again for the role that runs each statement
 * (so SET cdp.purpose followed by SET ROLE to a role without the purpose
 * sees nothing).
 *
 * src/consent/purpose_guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "cdp.h"
#include "consent/consent.h"

static char *purpose_setting = NULL;

/* bumped whenever the setting changes, so that caches keyed on it notice */
static uint64 purpose_generation = 0;

/*
 * A purpose name has the format cdp.purposes enforces: a lower-case letter,
 * then up to 62 lower-case letters, digits or underscores.
 */
bool
cdp_purpose_name_valid(const char *purpose)
{
	const char *p;

	if (purpose == NULL || !(purpose[0] >= 'a' && purpose[0] <= 'z'))
		return false;
	for (p = purpose + 1; *p; p++)
	{
		if (p - purpose >= 63)
			return false;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

static bool
check_purpose(char **newval, void **extra, GucSource source)
{
	const char *value = *newval;

	/* no purpose: always allowed, and it shows no personal rows */
	if (value == NULL || value[0] == '\0')
		return true;

	if (!cdp_purpose_name_valid(value))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("A purpose is a name of cdp.purposes: a lower-case letter followed by lower-case letters, digits or underscores.");
		return false;
	}

	/* outside a transaction, or restoring a parallel worker: no look-up */
	if (!IsTransactionState() || IsParallelWorker() || InitializingParallelWorker)
		return true;

	switch (cdp_purpose_status(value, GetUserId()))
	{
		case CDP_PURPOSE_NO_EXTENSION:
			GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
			GUC_check_errdetail("Extension cdp is not installed in this database.");
			return false;
		case CDP_PURPOSE_UNKNOWN:
			GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
			GUC_check_errdetail("Purpose \"%s\" is not in cdp.purposes.", value);
			return false;
		case CDP_PURPOSE_NOT_GRANTED:

			/*
			 * ALTER ROLE/DATABASE ... SET validates the value with source
			 * PGC_S_TEST as the administrator; the grant is checked for the
			 * role that logs in, when the setting is applied.
			 */
			if (source == PGC_S_TEST)
				return true;
			GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
			GUC_check_errdetail("Role \"%s\" may not act for purpose \"%s\".",
								GetUserNameFromId(GetUserId(), false), value);
			GUC_check_errhint("A role acts for the purposes that cdp.role_purposes grants to it or to a role it is a member of.");
			return false;
		case CDP_PURPOSE_GRANTED:
			return true;
	}
	return false;
}

static void
assign_purpose(const char *newval, void *extra)
{
	purpose_generation++;
	cdp_consent_purpose_changed();
}

/* the session's purpose, "" when none */
const char *
cdp_consent_purpose(void)
{
	return purpose_setting ? purpose_setting : "";
}

uint64
cdp_consent_purpose_generation(void)
{
	return purpose_generation;
}

void
cdp_purpose_init(void)
{
	DefineCustomStringVariable("cdp.purpose",
							   "Purpose the session processes personal data for.",
							   "A purpose of cdp.purposes that the current role may act for; rows of personal data are visible only when the person's consent covers it. Empty: no personal rows.",
							   &purpose_setting,
							   "",
							   PGC_USERSET,
							   0,
							   check_purpose,
							   assign_purpose,
							   NULL);
}
