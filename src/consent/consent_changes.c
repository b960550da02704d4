/*-------------------------------------------------------------------------
 *
 * consent_changes.c
 *	  cdp._consent_log_changes(), the statement trigger on
 *	  cdp.consent_current and cdp.processing_restrictions that appends the
 *	  profile ids a statement changed to cdp.consent_changes and tells every
 *	  session of the database that its consent cache is stale.
 *
 * With the log, a session patches its cache from the rows of the
 * transactions it has not seen (consent_cache.c) instead of rereading the
 * consent of every profile after each change anywhere.  A statement that
 * changes more than CONSENT_LOG_MAX_IDS rows logs one NULL instead ("reread
 * everything"), and so does TRUNCATE.  Every CONSENT_PRUNE_EVERY log rows
 * the oldest rows beyond the newest CONSENT_KEEP_ROWS are deleted and
 * cdp.consent_changes_pruned advances to the newest transaction deleted:
 * a cache built before that rereads everything.
 *
 * A transaction that changed consent itself sees its own changes; if it
 * rolls back (or a subtransaction does), the log rows go with it and could
 * not patch them out.  So while a transaction has logged changes, its
 * session rebuilds its sets in full (consent_cache.c asks
 * cdp_consent_changed_in_xact()), and when it aborts or is prepared every
 * set is dropped; after a commit the sets are right as they are.
 *
 * src/consent/consent_changes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "consent/consent.h"

#define CONSENT_LOG_MAX_IDS 100000
#define CONSENT_PRUNE_EVERY 10000
#define CONSENT_KEEP_ROWS	10000

static bool changed_in_xact = false;
static bool callback_registered = false;

static void
consent_changes_xact_callback(XactEvent event, void *arg)
{
	if (!changed_in_xact)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			/* the sets reflect committed changes now; the log rows stay */
			changed_in_xact = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* sets may hold changes that vanish (or may vanish) */
			changed_in_xact = false;
			cdp_consent_cache_forget_all();
			break;
		default:
			break;
	}
}

/* whether this transaction has changed consent state (logged changes) */
bool
cdp_consent_changed_in_xact(void)
{
	return changed_in_xact;
}

/* run query with the trigger's transition tables; the first column as int8 */
static int64
log_query_int8(const char *query)
{
	bool		isnull;
	Datum		value;

	if (SPI_execute(query, false, 1) < 0 || SPI_processed != 1)
		elog(ERROR, "cdp: logging consent changes failed");
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(value);
}

/* delete all but the newest CONSENT_KEEP_ROWS rows, advance the horizon */
static void
prune_log(int64 last_change_id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];

	values[0] = Int64GetDatum(last_change_id - CONSENT_KEEP_ROWS);
	if (SPI_execute_with_args(
							  "WITH d AS (DELETE FROM cdp.consent_changes c"
							  "            WHERE c.change_id OPERATOR(pg_catalog.<=) $1"
							  "           RETURNING c.xid)"
							  " UPDATE cdp.consent_changes_pruned"
							  "    SET horizon = GREATEST(horizon, (SELECT pg_catalog.max(d.xid) FROM d))"
							  "  WHERE EXISTS (SELECT FROM d)",
							  1, argtypes, values, NULL, false, 0) < 0)
		elog(ERROR, "cdp: pruning cdp.consent_changes failed");
}

PG_FUNCTION_INFO_V1(cdp_consent_log_changes);

Datum
cdp_consent_log_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Oid			saved_userid;
	int			saved_sec_context;
	int64		changed = 0;
	int64		last_id;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cdp._consent_log_changes() must be called as an AFTER ... FOR EACH STATEMENT trigger")));

	/* the log is read and written as the bootstrap superuser (RLS forced) */
	cdp_switch_to_superuser(&saved_userid, &saved_sec_context);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "cdp: could not register the transition tables");

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		changed = -1;
	else
		changed = log_query_int8("SELECT pg_catalog.count(*) FROM changed_rows");

	if (changed != 0)
	{
		if (changed < 0 || changed > CONSENT_LOG_MAX_IDS)
			last_id = log_query_int8(
									 "INSERT INTO cdp.consent_changes (profile_id) VALUES (NULL)"
									 " RETURNING change_id");
		else if (trigdata->tg_newtable != NULL && trigdata->tg_oldtable != NULL)
			last_id = log_query_int8(
									 "WITH i AS (INSERT INTO cdp.consent_changes (profile_id)"
									 "           SELECT DISTINCT x.profile_id"
									 "             FROM (SELECT o.profile_id FROM changed_rows o"
									 "                   UNION ALL SELECT n.profile_id FROM new_rows n) x"
									 "           RETURNING change_id)"
									 " SELECT pg_catalog.max(i.change_id) FROM i");
		else
			last_id = log_query_int8(
									 "WITH i AS (INSERT INTO cdp.consent_changes (profile_id)"
									 "           SELECT DISTINCT o.profile_id FROM changed_rows o"
									 "           RETURNING change_id)"
									 " SELECT pg_catalog.max(i.change_id) FROM i");

		/* crossed a multiple of CONSENT_PRUNE_EVERY: prune */
		if (last_id > CONSENT_KEEP_ROWS &&
			last_id / CONSENT_PRUNE_EVERY !=
			(last_id - Min(changed < 0 ? 1 : changed, last_id)) / CONSENT_PRUNE_EVERY)
			prune_log(last_id);
	}
	SPI_finish();
	cdp_restore_user(saved_userid, saved_sec_context);

	if (changed != 0)
	{
		if (!callback_registered)
		{
			RegisterXactCallback(consent_changes_xact_callback, NULL);
			callback_registered = true;
		}
		changed_in_xact = true;
		relid = get_relname_relid("consent_current",
								  RelationGetNamespace(trigdata->tg_relation));
		if (OidIsValid(relid))
			CacheInvalidateRelcacheByRelid(relid);
	}
	return PointerGetDatum(NULL);
}
