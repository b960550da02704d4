/*-------------------------------------------------------------------------
 *
 * dsr_reingest.c
 *	  The re-ingestion guard: a BEFORE INSERT OR UPDATE row trigger on
 *	  cdp.identifiers and cdp.source_records that refuses (or, with the
 *	  setting reingestion = 'flag', lets through with a warning and an audit
 *	  row) an identifier whose tombstone says its person was erased.
 *
 * It runs for every row a loader writes, so it is C: no SECURITY DEFINER
 * call, no plpgsql, no subtransaction.  The loader may not read the
 * tombstones or their key; the trigger reads them with the storage-level
 * scan functions, which check no privileges, and tells the loader only
 * "refused".  The tables are found in the schema of the table that fired
 * the trigger (cdp), never through search_path.
 *
 * Concurrency: cdp.erase_person takes an exclusive advisory lock keyed by
 * the OID of cdp.tombstones before it writes tombstones; the trigger takes
 * it shared (as pg_advisory_xact_lock_shared does), so a load waits for a
 * running erasure, and then reads the tombstones with the latest snapshot,
 * which includes the erasure's.  While a transaction holds that lock no
 * other erasure can run, so what the trigger read (the tombstone table's
 * OID, whether it is empty, the key, the setting) holds until the lock had
 * to be taken anew or a command of the same transaction (an erasure of its
 * own) changed something: it is cached for the transaction and command id.
 * With no tombstone at all a row then costs a local lock-table lookup.
 *
 * Trigger arguments: none for cdp.identifiers (the kind is the column
 * "kind", the value the column "value"); for other tables, the names of the
 * columns to check, each column's name being the identifier kind ('email',
 * 'phone').
 *
 * src/consent/dsr_reingest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "consent/dsr.h"

/* what a transaction's command read, see above */
typedef struct ReingestState
{
	LocalTransactionId lxid;
	CommandId	cid;
	Oid			namespace;
	Oid			tombstones;		/* InvalidOid: cdp has no tombstone table */
	bool		empty;
	bytea	   *secret;			/* in TopTransactionContext; NULL: none yet */
} ReingestState;

static ReingestState state = {InvalidLocalTransactionId, InvalidCommandId, InvalidOid, InvalidOid, true, NULL};

/* a tombstone that matched */
typedef struct TombstoneHit
{
	const char *kind;
	int64		request_id;
} TombstoneHit;

/* attribute number of a column by name, or InvalidAttrNumber */
static AttrNumber
column_number(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return InvalidAttrNumber;
}

/* the value of a text column of a tuple as a palloc'd string, or NULL */
static char *
text_column(HeapTuple tuple, TupleDesc desc, const char *name, int *len)
{
	AttrNumber	attnum = column_number(desc, name);
	bool		isnull;
	Datum		d;
	text	   *t;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("cdp._tombstone_check: table has no column \"%s\"", name)));
	d = heap_getattr(tuple, attnum, desc, &isnull);
	if (isnull)
		return NULL;
	t = DatumGetTextPP(d);
	*len = VARSIZE_ANY_EXHDR(t);
	return pnstrdup(VARDATA_ANY(t), *len);
}

/* the key of the tombstone hashes (cdp.dsr_secret), or NULL if none yet */
static bytea *
read_secret(Oid namespace, Snapshot snapshot)
{
	Oid			relid = get_relname_relid("dsr_secret", namespace);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	bytea	   *secret = NULL;

	if (!OidIsValid(relid))
		return NULL;
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, snapshot, 0, NULL);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, column_number(RelationGetDescr(rel), "secret"),
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			secret = DatumGetByteaPCopy(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return secret;
}

/* the setting reingestion of cdp.dsr_settings ('refuse' if missing) */
static char *
read_reingestion_setting(Oid namespace, Snapshot snapshot)
{
	Oid			relid = get_relname_relid("dsr_settings", namespace);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *mode = "refuse";

	if (!OidIsValid(relid))
		return mode;
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, snapshot, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		int			len;
		char	   *setting = text_column(tuple, RelationGetDescr(rel), "setting", &len);

		if (setting != NULL && strcmp(setting, "reingestion") == 0)
		{
			char	   *value = text_column(tuple, RelationGetDescr(rel), "value", &len);

			if (value != NULL)
				mode = value;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return mode;
}

/*
 * Whether the tombstones hold this kind and value; sets *request_id to the
 * erasure that made the tombstone.
 */
static bool
tombstoned(Relation tombstones, Oid pkey, Snapshot snapshot, const bytea *secret,
		   const char *kind, int kind_len, const char *value, int value_len, int64 *request_id)
{
	TupleDesc	desc = RelationGetDescr(tombstones);
	char	   *key;
	int			key_len;
	bytea	   *hash;
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	key = cdp_tombstone_key(kind, kind_len, value, value_len, &key_len);
	if (key == NULL)
		return false;
	hash = cdp_tombstone_hmac(VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret),
							  kind, kind_len, key, key_len);
	ScanKeyInit(&skey, column_number(desc, "value_hash"), BTEqualStrategyNumber, F_BYTEAEQ,
				PointerGetDatum(hash));
	scan = systable_beginscan(tombstones, pkey, OidIsValid(pkey), snapshot, 1, &skey);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		int			len;
		char	   *tkind = text_column(tuple, desc, "kind", &len);
		Datum		d;

		if (tkind == NULL || len != kind_len || memcmp(tkind, kind, kind_len) != 0)
			continue;
		d = heap_getattr(tuple, column_number(desc, "request_id"), desc, &isnull);
		*request_id = isnull ? 0 : DatumGetInt64(d);
		found = true;
		break;
	}
	systable_endscan(scan);
	return found;
}

/* a bigint column of the new row, if the table has it and it is not NULL */
static bool
int8_column(HeapTuple tuple, TupleDesc desc, const char *name, int64 *value)
{
	AttrNumber	attnum = column_number(desc, name);
	bool		isnull;
	Datum		d;

	if (attnum == InvalidAttrNumber || TupleDescAttr(desc, attnum - 1)->atttypid != INT8OID)
		return false;
	d = heap_getattr(tuple, attnum, desc, &isnull);
	if (isnull)
		return false;
	*value = DatumGetInt64(d);
	return true;
}

/* the audit row of a flagged re-ingestion, written by cdp._audit */
static void
audit_hit(Relation rel, HeapTuple newtuple, const TombstoneHit *hit)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			argtypes[4] = {TEXTOID, INT8ARRAYOID, JSONBOID, INT8ARRAYOID};
	Oid			audit;
	int64		id;
	Datum		profile;
	ArrayType  *profiles;
	StringInfoData details;

	audit = LookupFuncName(list_make2(makeString(get_namespace_name(RelationGetNamespace(rel))),
									  makeString("_audit")),
						   4, argtypes, false);
	if (int8_column(newtuple, desc, "profile_id", &id))
	{
		profile = Int64GetDatum(id);
		profiles = construct_array(&profile, 1, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	}
	else
		profiles = construct_empty_array(INT8OID);

	initStringInfo(&details);
	appendStringInfo(&details, "{\"request_id\": " INT64_FORMAT ", \"table\": ", hit->request_id);
	escape_json(&details, RelationGetRelationName(rel));
	appendStringInfoString(&details, ", \"kind\": ");
	escape_json(&details, hit->kind);
	if (int8_column(newtuple, desc, "record_id", &id))
		appendStringInfo(&details, ", \"record_id\": " INT64_FORMAT, id);
	appendStringInfoChar(&details, '}');

	/* the record id is in details already: no record_ids */
	OidFunctionCall4(audit, CStringGetTextDatum("tombstone_match"), PointerGetDatum(profiles),
					 DirectFunctionCall1(jsonb_in, CStringGetDatum(details.data)),
					 PointerGetDatum(construct_empty_array(INT8OID)));
}

/* pg_advisory_xact_lock_shared(oid of cdp.tombstones), as erasures take it exclusively */
static LockAcquireResult
lock_tombstones_shared(Oid tombstones_oid)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0, (uint32) tombstones_oid, 1);
	return LockAcquire(&tag, ShareLock, false, false);
}

/* whether the tombstone table has no pages (no snapshot can hide a row) */
static bool
tombstones_empty(Oid tombstones_oid)
{
	Relation	tombstones = table_open(tombstones_oid, AccessShareLock);
	bool		empty = RelationGetNumberOfBlocks(tombstones) == 0;

	table_close(tombstones, AccessShareLock);
	return empty;
}

PG_FUNCTION_INFO_V1(cdp_tombstone_check);

/*
 * cdp._tombstone_check(): the trigger function.
 */
Datum
cdp_tombstone_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtuple;
	Oid			namespace;
	bool		valid;
	LockAcquireResult acquired;
	Relation	tombstones;
	Snapshot	snapshot;
	TombstoneHit hit = {NULL, 0};
	char	   *mode = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cdp._tombstone_check must run as a BEFORE INSERT OR UPDATE row trigger")));
	trigger = trigdata->tg_trigger;
	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	newtuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;

	namespace = RelationGetNamespace(rel);
	valid = state.lxid == MyProc->lxid && state.cid == GetCurrentCommandId(false) &&
		state.namespace == namespace;
	if (!valid)
		state.tombstones = get_relname_relid("tombstones", namespace);
	if (!OidIsValid(state.tombstones))
		return PointerGetDatum(newtuple);

	/* the erasures' lock, shared; re-read if we had to take it */
	acquired = lock_tombstones_shared(state.tombstones);
	if (acquired != LOCKACQUIRE_ALREADY_HELD && acquired != LOCKACQUIRE_ALREADY_CLEAR)
		valid = false;

	if (!valid)
	{
		state.lxid = InvalidLocalTransactionId;
		state.secret = NULL;
		state.empty = tombstones_empty(state.tombstones);
		if (!state.empty)
		{
			MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

			snapshot = RegisterSnapshot(GetLatestSnapshot());
			state.secret = read_secret(namespace, snapshot);
			UnregisterSnapshot(snapshot);
			MemoryContextSwitchTo(old);
		}
		state.namespace = namespace;
		state.cid = GetCurrentCommandId(false);
		state.lxid = MyProc->lxid;
	}
	if (state.empty || state.secret == NULL)
		return PointerGetDatum(newtuple);

	tombstones = table_open(state.tombstones, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	{
		Oid			pkey = RelationGetPrimaryKeyIndex(tombstones);
		int			ncolumns = trigger->tgnargs == 0 ? 1 : trigger->tgnargs;

		for (int i = 0; i < ncolumns && hit.kind == NULL; i++)
		{
			char	   *kind;
			char	   *value;
			int			kind_len;
			int			value_len;

			if (trigger->tgnargs == 0)
			{
				kind = text_column(newtuple, desc, "kind", &kind_len);
				value = text_column(newtuple, desc, "value", &value_len);
			}
			else
			{
				kind = trigger->tgargs[i];
				kind_len = strlen(kind);
				value = text_column(newtuple, desc, kind, &value_len);
			}
			if (kind == NULL || value == NULL)
				continue;
			if (tombstoned(tombstones, pkey, snapshot, state.secret, kind, kind_len, value, value_len,
						   &hit.request_id))
				hit.kind = pnstrdup(kind, kind_len);
		}
		if (hit.kind != NULL)
			mode = read_reingestion_setting(namespace, snapshot);
	}
	UnregisterSnapshot(snapshot);
	table_close(tombstones, AccessShareLock);

	if (hit.kind == NULL)
		return PointerGetDatum(newtuple);
	if (strcmp(mode, "flag") == 0)
	{
		audit_hit(rel, newtuple, &hit);
		ereport(WARNING,
				(errmsg("loading the %s of an erased person", hit.kind),
				 errdetail("The value matches the tombstone of erasure request " INT64_FORMAT ".",
						   hit.request_id),
				 errhint("The person asked to be erased; remove the row unless they came back of their own accord.")));
		return PointerGetDatum(newtuple);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("refusing to load the %s of an erased person", hit.kind),
			 errdetail("The value matches the tombstone of erasure request " INT64_FORMAT ".",
					   hit.request_id),
			 errhint("The person asked to be erased: do not load their data again.  The setting reingestion in cdp.dsr_settings can flag instead of refuse.")));
	PG_RETURN_NULL();			/* not reached */
}

PG_FUNCTION_INFO_V1(cdp_tombstones_absent);

/*
 * cdp._tombstones_absent() returns whether no tombstone can match anything
 * this transaction loads: cdp.tombstones does not exist or has no pages.
 * It takes the shared advisory lock the trigger takes, so the answer holds
 * until the transaction ends: no erasure can write a tombstone meanwhile.
 * A batch that skips the row triggers (session_replication_role =
 * replica) asks it first and skips them only when it is true; the size is
 * checked, not the rows, so no snapshot can hide an erasure's tombstones.
 */
Datum
cdp_tombstones_absent(PG_FUNCTION_ARGS)
{
	Oid			namespace = get_namespace_oid("cdp", false);
	Oid			tombstones_oid = get_relname_relid("tombstones", namespace);

	if (!OidIsValid(tombstones_oid))
		PG_RETURN_BOOL(true);
	(void) lock_tombstones_shared(tombstones_oid);
	PG_RETURN_BOOL(tombstones_empty(tombstones_oid));
}
