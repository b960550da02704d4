/*-------------------------------------------------------------------------
 *
 * consent_cache.c
 *	  cdp._consent_visible(profile_id), the function every consent policy
 *	  calls, and the backend-local cache it answers from.
 *
 * A policy must not run a query per row.  So the first call of each
 * statement builds (or reuses) a set of the profile ids whose current
 * consent covers the session's purpose, for the role that runs the
 * statement, and every row is then a bit test (a binary search when ids
 * are too sparse for a bitmap).  A summary of the bitmap with a bit per
 * block of 512 ids (one cache line of it), set when the whole block
 * consents, answers a look-up in such a block from a few cache lines
 * instead of a cache miss on the bitmap: the usual case for a purpose
 * nearly everyone granted.
 *
 * A set is built from cdp.consent_current (rows granted, not expired at the
 * statement's start, profile not in cdp.processing_restrictions), after
 * checking that the role still may act for the purpose; a role that may not
 * gets the empty set.  It is reused by later statements.  A consent
 * change anywhere (the triggers of consent_changes.c on
 * cdp.consent_current and cdp.processing_restrictions log the profiles a
 * statement changed and send a relcache invalidation of
 * cdp.consent_current, which every backend of the database receives: this
 * one at its next command, others before their next statement, as the
 * first call of each statement reads pending invalidations) makes the next
 * statement patch the set: it rereads only the profiles that
 * cdp.consent_changes lists for transactions from the xmin of the snapshot
 * the set reflects on (a superset of those it has not seen; rereading a
 * profile is idempotent).  The set is rebuilt in full instead after:
 *	- a change of cdp.role_purposes (its trigger invalidates that table),
 *	  of role membership or of a role (syscache invalidation), or a reset
 *	  of this backend's caches;
 *	- the statement time reaching the earliest expiry among the grants in
 *	  the set (grants lapse by time without any new event);
 *	- a bulk change (a NULL in the log), a log pruned past the set's
 *	  snapshot, or more than CONSENT_PATCH_MAX profiles to reread;
 *	- a change of consent by this backend's own transaction: it sees its
 *	  own uncommitted changes, whose log rows would vanish with a rollback,
 *	  so until it ends sets are built in full (and dropped if it aborts).
 * Sets are read with a fresh snapshot taken after the invalidations were
 * read; a committing transaction becomes visible before it sends its
 * invalidation and its COMMIT returns after, so a statement that starts
 * after a withdrawal's COMMIT returned never shows the withdrawn rows, at
 * any isolation level.  Each statement re-checks at its first row, and so
 * does each FETCH from a cursor opened earlier (a new statement) and each
 * row after a command of the same transaction (the command id changed):
 * an open cursor stops showing a withdrawn profile at its next FETCH.
 *
 * A row must not pay for those checks either.  A backend-wide epoch is
 * bumped whenever they might give another answer: by hooks at each
 * executor start and run (every statement, nested or not, and every FETCH
 * of a cursor), at each utility command, when cdp.purpose changes and on
 * the invalidations that concern consent.  A call site remembers the epoch
 * (and the user) it last validated at; a row that finds both unchanged is
 * one comparison and a call of GetUserId (user switches, by SET ROLE or a
 * SECURITY DEFINER function, bump nothing and are checked on every row).
 * Otherwise the row checks the statement start time, the command id, the
 * user and the purpose setting as above: unchanged after a nested
 * statement, the call site keeps its set (a running statement keeps the
 * state it started with) and only takes the new epoch.  This is the check
 * of every row before, made rarely: the statement start time changes only
 * with a new top-level statement, which bumps the epoch (executor start or
 * run, or utility command) before any of its rows is checked; the command
 * id changes with statements and utility commands too, and where it
 * matters (the transaction's own change of consent, of role purposes or of
 * roles) the invalidations that the change queued bump the epoch when the
 * command ends; cdp.purpose bumps it from its assign hook, which also runs
 * when a function's SET clause or an abort restores the setting.  A new
 * statement's first row still reads the pending invalidations and looks
 * the set up (trying the slot the previous look-up used first).
 *
 * The function's own FmgrInfo remembers the set for the statement (with a
 * reference count, released when the executor's memory goes), so a nested
 * statement that rebuilds the cache never pulls the set from under a
 * running scan.  Sets live in their own memory contexts under
 * CacheMemoryContext; at most CONSENT_CACHE_SLOTS are kept.
 *
 * src/consent/consent_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/supportnodes.h"
#include "storage/sinval.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "cdp.h"
#include "consent/consent.h"

#define CONSENT_CACHE_SLOTS 8
#define CONSENT_PATCH_MAX 50000

/*
 * A block of the bitmap: 512 ids, the 64 bytes of one cache line.  The
 * summary ("full") has a bit per block, set when every id of the block is
 * in the set, and is small enough to stay in the CPU cache (256 bytes for a
 * million ids): when nearly every profile consents, a look-up of a random
 * profile finds its answer there instead of missing the cache on the
 * bitmap.
 */
#define CONSENT_BLOCK_SHIFT 9
#define CONSENT_BLOCK_WORDS (1 << (CONSENT_BLOCK_SHIFT - 6))

typedef struct ConsentSet
{
	Oid			userid;
	char		purpose[NAMEDATALEN];
	uint64		generation;		/* consent_generation when built or patched */
	uint64		full_generation;	/* full_generation when built */
	uint64		snapshot_xmin;	/* xmin (xid8) of the snapshot it reflects */
	bool		granted;		/* the role may act for the purpose */
	TimestampTz valid_until;	/* earliest expiry of a grant in the set */
	int			refcount;		/* cache slot + statements using it */
	MemoryContext context;		/* holds this struct and its ids */
	int64		nids;
	int64		max_id;			/* -1 when empty */
	uint64	   *bits;			/* bitmap over 0..max_id, or NULL */
	uint64	   *full;			/* with bits: a bit per block of
								 * CONSENT_BLOCK_IDS ids, set when all of
								 * its bits are */
	int64	   *ids;			/* sorted ids when there is no bitmap */
} ConsentSet;

/* what a call site (FmgrInfo) remembers for its statement */
typedef struct ConsentRef
{
	ConsentSet *set;
	uint64		epoch;			/* consent_epoch when last validated */
	Oid			userid;
	TimestampTz statement_ts;
	CommandId	command_id;
	uint64		purpose_generation;
	MemoryContextCallback release;
} ConsentRef;

static ConsentSet empty_set = {InvalidOid, "", 0, 0, 0, false, DT_NOEND, 1, NULL, 0, -1, NULL, NULL, NULL};
static ConsentSet *cache_slots[CONSENT_CACHE_SLOTS];
static int	last_slot = 0;		/* the slot the last look-up used */

/*
 * Bumped whenever a call site's statement may have changed: at the start
 * and each run of an executor (a statement, nested or not, and each FETCH
 * of a cursor), at each utility command, when cdp.purpose changes and on
 * the invalidations that concern consent.  A row whose call site saw the
 * same epoch (and the same user) needs no other check.
 */
static uint64 consent_epoch = 1;

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorRun_hook_type prev_executor_run = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

/* bumped by a consent change: sets are patched */
static uint64 consent_generation = 1;

/* bumped by a change of who may act for what: sets are rebuilt */
static uint64 full_generation = 1;
static Oid	watched_relid = InvalidOid; /* cdp.consent_current */
static Oid	watched_full_relid = InvalidOid;	/* cdp.role_purposes */

static void
consent_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == watched_full_relid)
	{
		full_generation++;
		consent_epoch++;
	}
	else if (relid == watched_relid)
	{
		consent_generation++;
		consent_epoch++;
	}
}

static void
consent_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	full_generation++;
	consent_epoch++;
}

/* drop every set (this transaction changed consent and ended) */
void
cdp_consent_cache_forget_all(void)
{
	full_generation++;
	consent_epoch++;
}

/* cdp.purpose changed */
void
cdp_consent_purpose_changed(void)
{
	consent_epoch++;
}

static void
consent_executor_start(QueryDesc *queryDesc, int eflags)
{
	consent_epoch++;
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
consent_executor_run(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
					 bool execute_once)
{
	consent_epoch++;
	if (prev_executor_run)
		prev_executor_run(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);
}

static void
consent_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	consent_epoch++;
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

void
cdp_consent_cache_init(void)
{
	CacheRegisterRelcacheCallback(consent_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMMEMROLE, consent_syscache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, consent_syscache_callback, (Datum) 0);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = consent_executor_start;
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = consent_executor_run;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = consent_process_utility;
}

static void
consent_set_release(ConsentSet *set)
{
	if (set == NULL || set == &empty_set)
		return;
	Assert(set->refcount > 0);
	if (--set->refcount == 0)
		MemoryContextDelete(set->context);
}

static inline bool
consent_set_contains(const ConsentSet *set, int64 id)
{
	int64		lo,
				hi;

	if (id < 0 || id > set->max_id)
		return false;
	if (set->bits)
	{
		int64		block = id >> CONSENT_BLOCK_SHIFT;

		if ((set->full[block >> 6] >> (block & 63)) & 1)
			return true;
		return (set->bits[id >> 6] >> (id & 63)) & 1;
	}
	lo = 0;
	hi = set->nids - 1;
	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (set->ids[mid] == id)
			return true;
		if (set->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* the number of words of the bitmap and of its summary for ids up to max_id */
static inline Size
bitmap_words(int64 max_id)
{
	return max_id < 0 ? 0 : max_id / 64 + 1;
}

static inline Size
summary_words(int64 max_id)
{
	return max_id < 0 ? 0 : (max_id >> CONSENT_BLOCK_SHIFT) / 64 + 1;
}

/* recompute the summary bit of every block of set's bitmap */
static void
consent_set_summarise(ConsentSet *set)
{
	Size		words = bitmap_words(set->max_id);
	Size		block;

	if (set->bits == NULL)
		return;
	memset(set->full, 0, summary_words(set->max_id) * sizeof(uint64));
	for (block = 0; block * CONSENT_BLOCK_WORDS < words; block++)
	{
		const uint64 *w = set->bits + block * CONSENT_BLOCK_WORDS;
		uint64		all = ~UINT64CONST(0);
		int			i;

		/* a block past the end of the bitmap is partial: never full */
		if ((block + 1) * CONSENT_BLOCK_WORDS > words)
			break;
		for (i = 0; i < CONSENT_BLOCK_WORDS; i++)
			all &= w[i];
		if (all == ~UINT64CONST(0))
			set->full[block >> 6] |= UINT64CONST(1) << (block & 63);
	}
}

/*
 * The xid8 of an xid that is not older than 2^31 transactions before the
 * next one (a snapshot's xmin is such an xid).
 */
static uint64
widen_xid(TransactionId xid)
{
	FullTransactionId next = ReadNextFullTransactionId();
	uint32		epoch = EpochFromFullTransactionId(next);

	if (!TransactionIdIsNormal(xid))
		return (uint64) xid;
	if (xid > XidFromFullTransactionId(next))
		epoch--;
	return U64FromFullTransactionId(FullTransactionIdFromEpochAndXid(epoch, xid));
}

/* the number of column name of relation rel, which must have type typid */
static AttrNumber
column_number(Relation rel, const char *name, Oid typid)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0 &&
			att->atttypid == typid)
			return att->attnum;
	}
	elog(ERROR, "cdp: column %s of %s is missing", name, RelationGetRelationName(rel));
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

/*
 * Read the profile ids whose consent covers purpose at statement time ts
 * into set (whose context is the current one's child until it is cached):
 * rows of cdp.consent_current for the purpose, granted, not expired at ts,
 * whose profile is not in cdp.processing_restrictions.  A direct scan of
 * both tables with a fresh snapshot: no privilege checks or row-level
 * security apply (this is the policy's own read), and no executor per row.
 */
static void
consent_set_load(ConsentSet *set, Oid nsp, TimestampTz ts)
{
	Oid			restrictions_relid = get_relname_relid("processing_restrictions", nsp);
	Relation	current_rel;
	Relation	restrictions_rel;
	AttrNumber	att_profile,
				att_purpose,
				att_granted,
				att_expires,
				att_restricted;
	TableScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;
	int64		capacity = 1024;
	int64	   *ids;
	int64	   *restricted;
	int64		nrestricted = 0,
				restricted_capacity = 64;
	Size		purpose_len = strlen(set->purpose);
	uint64		rows = 0;

	if (!OidIsValid(restrictions_relid))
		elog(ERROR, "cdp: table cdp.processing_restrictions is missing");
	ids = MemoryContextAllocHuge(set->context, capacity * sizeof(int64));
	restricted = palloc(restricted_capacity * sizeof(int64));

	cdp_push_fresh_snapshot();
	snapshot = GetActiveSnapshot();
	set->snapshot_xmin = widen_xid(snapshot->xmin);

	/* the restricted profiles (few), sorted for a binary search */
	restrictions_rel = table_open(restrictions_relid, AccessShareLock);
	att_restricted = column_number(restrictions_rel, "profile_id", INT8OID);
	scan = table_beginscan(restrictions_rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		id = heap_getattr(tuple, att_restricted,
									  RelationGetDescr(restrictions_rel), &isnull);

		if (isnull)
			continue;
		if (nrestricted == restricted_capacity)
		{
			restricted_capacity *= 2;
			restricted = repalloc_huge(restricted, restricted_capacity * sizeof(int64));
		}
		restricted[nrestricted++] = DatumGetInt64(id);
	}
	table_endscan(scan);
	table_close(restrictions_rel, AccessShareLock);
	qsort(restricted, nrestricted, sizeof(int64), int64_cmp);

	current_rel = table_open(watched_relid, AccessShareLock);
	att_profile = column_number(current_rel, "profile_id", INT8OID);
	att_purpose = column_number(current_rel, "purpose", TEXTOID);
	att_granted = column_number(current_rel, "granted", BOOLOID);
	att_expires = column_number(current_rel, "expires_at", TIMESTAMPTZOID);
	scan = table_beginscan(current_rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		TupleDesc	desc = RelationGetDescr(current_rel);
		bool		isnull;
		Datum		value;
		text	   *purpose;
		int64		id;

		if ((++rows & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		value = heap_getattr(tuple, att_granted, desc, &isnull);
		if (isnull || !DatumGetBool(value))
			continue;
		value = heap_getattr(tuple, att_purpose, desc, &isnull);
		if (isnull)
			continue;
		purpose = (text *) DatumGetPointer(value);
		if (VARATT_IS_EXTENDED(purpose))
			purpose = pg_detoast_datum_packed(purpose);
		if (VARSIZE_ANY_EXHDR(purpose) != purpose_len ||
			memcmp(VARDATA_ANY(purpose), set->purpose, purpose_len) != 0)
			continue;
		value = heap_getattr(tuple, att_profile, desc, &isnull);
		if (isnull || DatumGetInt64(value) < 0)
			continue;
		id = DatumGetInt64(value);
		if (nrestricted > 0 &&
			bsearch(&id, restricted, nrestricted, sizeof(int64), int64_cmp) != NULL)
			continue;
		value = heap_getattr(tuple, att_expires, desc, &isnull);
		if (!isnull)
		{
			if (DatumGetTimestampTz(value) <= ts)
				continue;
			if (DatumGetTimestampTz(value) < set->valid_until)
				set->valid_until = DatumGetTimestampTz(value);
		}
		if (set->nids == capacity)
		{
			capacity *= 2;
			ids = repalloc_huge(ids, capacity * sizeof(int64));
		}
		ids[set->nids++] = id;
		if (id > set->max_id)
			set->max_id = id;
	}
	table_endscan(scan);
	table_close(current_rel, AccessShareLock);
	PopActiveSnapshot();
	pfree(restricted);

	/*
	 * A bitmap when it costs at most 8 bytes an id plus 1 MB (dense ids, the
	 * usual case for identity columns), a sorted array otherwise.
	 */
	if (set->nids > 0 && set->max_id / 64 + 1 <= set->nids + 131072)
	{
		Size		words = bitmap_words(set->max_id);
		int64		i;

		set->bits = MemoryContextAllocExtended(set->context, words * sizeof(uint64),
											   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		set->full = MemoryContextAlloc(set->context,
									   summary_words(set->max_id) * sizeof(uint64));
		for (i = 0; i < set->nids; i++)
			set->bits[ids[i] >> 6] |= UINT64CONST(1) << (ids[i] & 63);
		pfree(ids);
		consent_set_summarise(set);
	}
	else
	{
		qsort(ids, set->nids, sizeof(int64), int64_cmp);
		set->ids = ids;
	}
}

/*
 * Build the set for (userid, purpose) at statement time ts.  The set is
 * empty unless the role may act for the purpose now.
 */
static ConsentSet *
consent_set_build(Oid userid, const char *purpose, TimestampTz ts, uint64 generation)
{
	MemoryContext context;
	ConsentSet *set;
	Oid			nsp;

	/* a child of the current context until complete: an error frees it */
	context = AllocSetContextCreate(CurrentMemoryContext, "cdp consent set",
									ALLOCSET_DEFAULT_SIZES);
	set = MemoryContextAllocZero(context, sizeof(ConsentSet));
	set->context = context;
	set->userid = userid;
	strlcpy(set->purpose, purpose, NAMEDATALEN);
	set->generation = generation;
	set->full_generation = full_generation;
	set->valid_until = DT_NOEND;
	set->max_id = -1;
	set->refcount = 0;

	nsp = get_namespace_oid("cdp", true);
	if (OidIsValid(nsp))
	{
		watched_relid = get_relname_relid("consent_current", nsp);
		watched_full_relid = get_relname_relid("role_purposes", nsp);
	}
	set->granted = OidIsValid(watched_relid) &&
		cdp_purpose_status(purpose, userid) == CDP_PURPOSE_GRANTED;
	if (set->granted)
	{
		consent_set_load(set, nsp, ts);
		elog(DEBUG1, "cdp: consent set for purpose \"%s\" built (%lld profiles)",
			 purpose, (long long) set->nids);
	}

	MemoryContextSetParent(context, CacheMemoryContext);
	return set;
}

/*
 * Copy set (its bitmap sized for ids up to max_id) into a new context, a
 * child of the current one until the caller caches it.
 */
static ConsentSet *
consent_set_copy(const ConsentSet *set, int64 max_id)
{
	MemoryContext context;
	ConsentSet *copy;
	Size		words = bitmap_words(max_id);
	Size		old_words = bitmap_words(set->max_id);

	context = AllocSetContextCreate(CurrentMemoryContext, "cdp consent set",
									ALLOCSET_DEFAULT_SIZES);
	copy = MemoryContextAlloc(context, sizeof(ConsentSet));
	memcpy(copy, set, sizeof(ConsentSet));
	copy->context = context;
	copy->refcount = 0;
	copy->bits = MemoryContextAllocExtended(context, words * sizeof(uint64),
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (old_words > 0)
		memcpy(copy->bits, set->bits, old_words * sizeof(uint64));
	/* the caller patches the bitmap, then summarises it */
	copy->full = MemoryContextAlloc(context, summary_words(max_id) * sizeof(uint64));
	return copy;
}

/*
 * Bring set up to date with the changes logged since the snapshot it
 * reflects, at statement time ts.  Returns the set patched (in place when
 * only the cache holds it, else a copy, which the caller caches), or NULL
 * when it must be rebuilt in full.
 */
static ConsentSet *
consent_set_patch(ConsentSet *set, TimestampTz ts, uint64 generation)
{
	static SPIPlanPtr patch_plan = NULL;
	static const char *query =
		"SELECT ch.profile_id,"
		"       c.granted AND (c.expires_at IS NULL OR c.expires_at OPERATOR(pg_catalog.>) $2)"
		"       AND NOT EXISTS (SELECT FROM cdp.processing_restrictions r"
		"                        WHERE r.profile_id OPERATOR(pg_catalog.=) ch.profile_id),"
		"       c.expires_at"
		"  FROM (SELECT DISTINCT x.profile_id FROM cdp.consent_changes x"
		"         WHERE x.xid OPERATOR(pg_catalog.>=) $3"
		"        UNION ALL"
		"        SELECT NULL::pg_catalog.int8 FROM cdp.consent_changes_pruned h"
		"         WHERE h.horizon OPERATOR(pg_catalog.>=) $3) ch"
		"  LEFT JOIN cdp.consent_current c ON c.profile_id OPERATOR(pg_catalog.=) ch.profile_id"
		"   AND c.purpose OPERATOR(pg_catalog.=) $1";
	Oid			argtypes[3] = {TEXTOID, TIMESTAMPTZOID, XID8OID};
	Datum		values[3];
	Oid			saved_userid;
	int			saved_sec_context;
	SPITupleTable *changes;
	uint64		nchanges;
	uint64		new_xmin;
	uint64		i;
	int64		max_id;
	ConsentSet *target = NULL;

	/* a role that may not act for the purpose sees nobody, whatever changed */
	if (!set->granted)
	{
		set->generation = generation;
		return set;
	}
	/* sparse ids are kept sorted: rebuild */
	if (set->bits == NULL && set->nids > 0)
		return NULL;

	values[0] = CStringGetTextDatum(set->purpose);
	values[1] = TimestampTzGetDatum(ts);
	values[2] = FullTransactionIdGetDatum(FullTransactionIdFromU64(set->snapshot_xmin));

	cdp_switch_to_superuser(&saved_userid, &saved_sec_context);
	cdp_push_fresh_snapshot();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* planned once per session (a patch costs a few index probes) */
	if (patch_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(query, 3, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "cdp: could not prepare the consent change query: %s",
				 SPI_result_code_string(SPI_result));
		patch_plan = plan;
	}
	if (SPI_execute_plan(patch_plan, values, NULL, true,
						 CONSENT_PATCH_MAX + 1) != SPI_OK_SELECT)
		elog(ERROR, "cdp: could not read the consent changes");
	changes = SPI_tuptable;
	nchanges = SPI_processed;
	new_xmin = widen_xid(GetActiveSnapshot()->xmin);

	/* too many, a bulk change or a pruned log: rebuild */
	max_id = set->max_id;
	for (i = 0; i < nchanges && nchanges <= CONSENT_PATCH_MAX; i++)
	{
		bool		isnull;
		int64		id;

		id = DatumGetInt64(SPI_getbinval(changes->vals[i], changes->tupdesc, 1, &isnull));
		if (isnull)
			break;
		if (id > max_id)
			max_id = id;
	}
	/* ids far beyond the bitmap: rebuild, which picks the representation */
	if (i == nchanges && max_id / 64 > set->max_id / 64 + 131072)
		i = 0;
	if (i == nchanges)
	{
		if (set->refcount > 1 || max_id > set->max_id)
			target = consent_set_copy(set, max_id);
		else
			target = set;
		for (i = 0; i < nchanges; i++)
		{
			HeapTuple	tuple = changes->vals[i];
			bool		isnull;
			bool		visible;
			int64		id;
			Datum		expires;

			id = DatumGetInt64(SPI_getbinval(tuple, changes->tupdesc, 1, &isnull));
			if (id < 0 || id > max_id)
				continue;
			visible = DatumGetBool(SPI_getbinval(tuple, changes->tupdesc, 2, &isnull));
			if (isnull || !visible)
			{
				target->bits[id >> 6] &= ~(UINT64CONST(1) << (id & 63));
				continue;
			}
			target->bits[id >> 6] |= UINT64CONST(1) << (id & 63);
			expires = SPI_getbinval(tuple, changes->tupdesc, 3, &isnull);
			if (!isnull && DatumGetTimestampTz(expires) < target->valid_until)
				target->valid_until = DatumGetTimestampTz(expires);
		}
		elog(DEBUG1, "cdp: consent set for purpose \"%s\" patched (%llu profiles reread)",
			 set->purpose, (unsigned long long) nchanges);
		target->max_id = max_id;
		consent_set_summarise(target);
		target->generation = generation;
		target->snapshot_xmin = new_xmin;
		if (target != set)
			MemoryContextSetParent(target->context, CacheMemoryContext);
	}
	SPI_finish();
	PopActiveSnapshot();
	cdp_restore_user(saved_userid, saved_sec_context);
	return target;
}

/*
 * The set for (userid, purpose) at statement time ts: a cached one that is
 * still valid, or a new one.  The caller gets a reference.
 */
static ConsentSet *
consent_set_lookup(Oid userid, const char *purpose, TimestampTz ts)
{
	ConsentSet *set;
	uint64		generation;
	int			i,
				free_slot = -1;

	/* read pending invalidations: commits of other sessions, own changes */
	AcceptInvalidationMessages();
	generation = consent_generation;

	/*
	 * The usual case: the set the last look-up used is current and is the
	 * one wanted (the conditions of the loop below, in short).
	 */
	set = cache_slots[last_slot];
	if (set != NULL && set->generation == generation &&
		set->full_generation == full_generation && ts < set->valid_until &&
		set->userid == userid && strcmp(set->purpose, purpose) == 0)
	{
		set->refcount++;
		return set;
	}

	for (i = 0; i < CONSENT_CACHE_SLOTS; i++)
	{
		set = cache_slots[i];
		if (set == NULL)
		{
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (set->full_generation != full_generation || ts >= set->valid_until ||
			(set->generation != generation && cdp_consent_changed_in_xact()))
		{
			/* stale: drop it from the cache (statements using it keep it) */
			cache_slots[i] = NULL;
			consent_set_release(set);
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (set->userid == userid && strcmp(set->purpose, purpose) == 0)
		{
			if (set->generation != generation)
			{
				ConsentSet *patched = consent_set_patch(set, ts, generation);

				if (patched == NULL)
				{
					cache_slots[i] = NULL;
					consent_set_release(set);
					if (free_slot < 0)
						free_slot = i;
					break;
				}
				if (patched != set)
				{
					cache_slots[i] = patched;
					patched->refcount = 1;
					consent_set_release(set);
					set = patched;
				}
			}
			set->refcount++;
			last_slot = i;
			return set;
		}
	}

	set = consent_set_build(userid, purpose, ts, generation);
	if (free_slot < 0)
	{
		/* full: evict the slot this (userid, purpose) hashes to */
		free_slot = (int) ((userid + hash_bytes((const unsigned char *) purpose,
												strlen(purpose))) % CONSENT_CACHE_SLOTS);
		consent_set_release(cache_slots[free_slot]);
	}
	cache_slots[free_slot] = set;
	set->refcount = 2;			/* the slot and the caller */
	last_slot = free_slot;
	return set;
}

static void
consent_ref_release(void *arg)
{
	ConsentRef *ref = (ConsentRef *) arg;

	consent_set_release(ref->set);
	ref->set = NULL;
	ref->epoch = 0;				/* never current */
}

/*
 * Point the call site's reference at the set for the current statement,
 * role and purpose.
 */
static ConsentRef *
consent_ref_refresh(FmgrInfo *flinfo)
{
	ConsentRef *ref = (ConsentRef *) flinfo->fn_extra;
	const char *purpose = cdp_consent_purpose();
	Oid			userid = GetUserId();
	TimestampTz ts = GetCurrentStatementStartTimestamp();
	ConsentSet *set;

	if (ref == NULL)
	{
		ref = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(ConsentRef));
		ref->set = NULL;
		ref->release.func = consent_ref_release;
		ref->release.arg = ref;
		MemoryContextRegisterResetCallback(flinfo->fn_mcxt, &ref->release);
		flinfo->fn_extra = ref;
	}

	/* the keys change only once the new set is in hand (lookup may fail) */
	if (purpose[0] == '\0')
		set = &empty_set;
	else
		set = consent_set_lookup(userid, purpose, ts);
	consent_set_release(ref->set);
	ref->set = set;
	ref->statement_ts = ts;
	ref->command_id = GetCurrentCommandId(false);
	ref->userid = userid;
	ref->purpose_generation = cdp_consent_purpose_generation();
	ref->epoch = consent_epoch;
	return ref;
}

/*
 * Whether the call site's set is still the one for its statement, after
 * the epoch moved on: the same statement (a nested statement, another
 * cursor's FETCH or an invalidation came in between), the same command of
 * the transaction, user and purpose setting.
 */
static bool
consent_ref_still_current(ConsentRef *ref)
{
	if (ref->set == NULL ||
		ref->statement_ts != GetCurrentStatementStartTimestamp() ||
		ref->command_id != GetCurrentCommandId(false) ||
		ref->userid != GetUserId() ||
		ref->purpose_generation != cdp_consent_purpose_generation())
		return false;
	ref->epoch = consent_epoch;
	return true;
}

PG_FUNCTION_INFO_V1(cdp_consent_visible);

/*
 * cdp._consent_visible(profile_id bigint) returns whether rows of the
 * profile may be shown to the current role for the session's purpose, as of
 * the statement's start.  STRICT: a row without a profile is not visible
 * through consent (policies let the roles that may see it in separately).
 * It is not LEAKPROOF: it reads tables and can fail for reasons of its own
 * (out of memory, a missing table), and policy quals run before the user's
 * quals anyway, so nothing would be gained.
 */
Datum
cdp_consent_visible(PG_FUNCTION_ARGS)
{
	int64		profile_id = PG_GETARG_INT64(0);
	ConsentRef *ref = (ConsentRef *) fcinfo->flinfo->fn_extra;

	/* nothing happened since the last row: one comparison and the user */
	if (unlikely(ref == NULL || ref->epoch != consent_epoch ||
				 ref->userid != GetUserId()) &&
		(ref == NULL || !consent_ref_still_current(ref)))
		ref = consent_ref_refresh(fcinfo->flinfo);
	PG_RETURN_BOOL(consent_set_contains(ref->set, profile_id));
}

PG_FUNCTION_INFO_V1(cdp_consent_invalidate);

/*
 * Statement trigger on cdp.role_purposes: tell every backend of the
 * database that its consent sets are stale and must be rebuilt in full (who
 * may act for which purpose changed), by a relcache invalidation of the
 * table (sent when the transaction commits; replayed locally at the next
 * command and on abort).
 */
Datum
cdp_consent_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cdp._consent_invalidate() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(cdp_consent_visible_support);

/*
 * Planner support for cdp._consent_visible: its selectivity.  Without it
 * the planner takes a boolean function to keep a third of the rows, and a
 * policy on every personal table would turn plans upside down (a hash
 * aggregate spilling to disk where the unfiltered query streams a sorted
 * index).  The planner is told 1.0, the plan of the same query without
 * row-level security: the set of consented profiles depends on the
 * session's purpose and changes without invalidating cached plans, and
 * over-estimating rows is the harmless direction.
 */
Datum
cdp_consent_visible_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;

		req->selectivity = 1.0;
		PG_RETURN_POINTER(req);
	}
	PG_RETURN_POINTER(NULL);
}
