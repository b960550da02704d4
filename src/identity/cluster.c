/*-------------------------------------------------------------------------
 *
 * cluster.c
 *	  cdp._cluster(record_ids, progress_every): the records of cdp.source_records
 *	  (all of them, or the given ones) grouped into components by a
 *	  constrained union-find over their links.
 *
 * Links, strongest first:
 *	- deterministic: records sharing a normalised identifier value of a
 *	  linking kind, kinds in priority order (then name), values in the
 *	  order of a hash of their bytes (value_table.c), records by id;
 *	  blocked values, values held by more records
 *	  than the kind's max_records_per_value (call-centre phones, test
 *	  addresses) and, for kinds with shared_by_household_check, values
 *	  whose holders evidently are different people (a household's
 *	  landline: two holders with known, different given names) link
 *	  nothing;
 *	- probabilistic: the rows of cdp._probabilistic_edges, heaviest first.
 * A union is refused when the joined component would hold more distinct
 * values of a kind than its limit (one_per_person: 1; max_per_profile), or
 * a pair of records listed in cdp.link_exclusions.  Every record starts
 * with the values of its limited kinds registered, so even a strong link
 * (a shared CRM id) cannot put two loyalty cards in one profile.  The
 * order is fixed, so the result is deterministic, and a subset closed
 * under the links gets the same components as a full run (incremental
 * resolution relies on that; value frequencies are then counted over all
 * records, not just the subset).
 *
 * Each output row names a record, its component (the smallest record id
 * in it) and the first link that joined the record's component to another
 * (kind or rule, weight, the record at the other end).
 *
 * src/identity/cluster.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "identity/identity.h"

#define FETCH_BATCH 10000

typedef struct IdentifierKind
{
	char	   *kind;
	int			kind_len;
	int32		limit;			/* distinct values per profile, 0 = none */
	int64		cap;			/* records per value, 0 = none */
	bool		links;
	bool		household;		/* shared_by_household_check */
} IdentifierKind;

typedef struct Clustering
{
	/* records, by ascending record_id */
	int64	   *record_ids;
	int64		nrecords;
	int64		records_cap;
	bool	   *named;			/* has a given name, kana reading or romaji name */
	bool		any_named;
	/* full runs: each named record's entry in names, -1 for the others */
	int32	   *name_entry;
	HouseholdNames names;

	IdentifierKind *kinds;
	int			nkinds;

	/* distinct values and the identifier rows that hold them */
	ValueTable	vt;
	ValueTable	blocked;		/* cdp.blocked_identifiers (direct scans) */
	int16		last_kind;
	int32	   *row_record;
	int32	   *row_value;		/* id in vt */
	int64		nrows;
	int64		rows_cap;

	UnionFind	uf;

	/* per root: list of limited (kind, value) pairs it holds */
	int32	   *set_head;
	int16	   *node_kind;
	int32	   *node_value;
	int32	   *node_next;
	int64		nnodes;
	int64		nodes_cap;

	/* per root: list of records its members must not be linked with */
	int32	   *excl_head;
	int32	   *excl_partner;
	int32	   *excl_next;
	int64		nexcl;
	int64		excl_cap;

	/* per record: the first link that joined it */
	int16	   *via_kind;		/* -1 none */
	int32	   *via_rule;		/* 0 none */
	float8	   *via_weight;
	int32	   *via_record;		/* -1 none */

	int32	   *count_scratch;	/* nkinds counters */
	int64		progress_every;
	int64		unions;
	int64		refused;
} Clustering;

/* dense index of a record id, -1 if not among the records */
static int32
record_index(Clustering *c, int64 record_id)
{
	int64		lo = 0,
				hi = c->nrecords - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (c->record_ids[mid] == record_id)
			return (int32) mid;
		if (c->record_ids[mid] < record_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static void
progress(Clustering *c, const char *what, int64 done)
{
	if (c->progress_every > 0 && done > 0 && done % c->progress_every == 0)
		ereport(NOTICE, (errmsg("resolve: %s " INT64_FORMAT, what, done)));
}

/*
 * Plans of the queries below, prepared once per backend: incremental
 * resolution runs them for every record.  Keyed by the query literal's
 * address; saved plans are revalidated by the plan cache after DDL.
 */
#define MAX_CACHED_PLANS 16
static const char *cached_queries[MAX_CACHED_PLANS];
static SPIPlanPtr cached_plans[MAX_CACHED_PLANS];

static SPIPlanPtr
cached_plan(const char *query, int nargs)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	int			i;
	SPIPlanPtr	plan;

	for (i = 0; i < MAX_CACHED_PLANS && cached_queries[i] != NULL; i++)
		if (cached_queries[i] == query)
			return cached_plans[i];
	plan = SPI_prepare(query, nargs, argtypes);
	if (plan == NULL)
		elog(ERROR, "cdp._cluster: could not prepare a query: %s", SPI_result_code_string(SPI_result));
	if (i == MAX_CACHED_PLANS)
		return plan;			/* not kept; freed with the SPI context */
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "cdp._cluster: could not keep a plan");
	cached_queries[i] = query;
	cached_plans[i] = plan;
	return plan;
}

static Portal
open_cursor(const char *query, ArrayType *record_ids)
{
	Datum		args[1];
	char		nulls[1];
	Portal		portal;

	args[0] = PointerGetDatum(record_ids);
	nulls[0] = record_ids ? ' ' : 'n';
	portal = SPI_cursor_open(NULL, cached_plan(query, 1), args, nulls, true);
	if (portal == NULL)
		elog(ERROR, "cdp._cluster: could not open cursor: %s", SPI_result_code_string(SPI_result));
	return portal;
}

static void
load_kinds(Clustering *c, MemoryContext cxt)
{
	uint64		i;

	static const char query[] = "SELECT kind, one_per_person, max_per_profile, max_records_per_value, links,"
		" shared_by_household_check FROM cdp.identifier_kinds ORDER BY priority, kind COLLATE \"C\"";

	if (SPI_execute_plan(cached_plan(query, 0), NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cdp._cluster: reading cdp.identifier_kinds failed");
	c->nkinds = (int) SPI_processed;
	c->kinds = MemoryContextAllocZero(cxt, sizeof(IdentifierKind) * Max(c->nkinds, 1));
	c->count_scratch = MemoryContextAllocZero(cxt, sizeof(int32) * Max(c->nkinds, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *kind = SPI_getvalue(tup, desc, 1);

		c->kinds[i].kind = MemoryContextStrdup(cxt, kind);
		c->kinds[i].kind_len = strlen(kind);
		if (DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)))
			c->kinds[i].limit = 1;
		else
		{
			d = SPI_getbinval(tup, desc, 3, &isnull);
			c->kinds[i].limit = isnull ? 0 : DatumGetInt32(d);
		}
		d = SPI_getbinval(tup, desc, 4, &isnull);
		c->kinds[i].cap = isnull ? 0 : DatumGetInt32(d);
		c->kinds[i].links = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		c->kinds[i].household = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

typedef struct RecordRow
{
	int64		record_id;
	int32		name_entry;		/* -1: no name */
} RecordRow;

static int
compare_record_rows(const void *a, const void *b)
{
	int64		x = ((const RecordRow *) a)->record_id;
	int64		y = ((const RecordRow *) b)->record_id;

	return (x > y) - (x < y);
}

/*
 * A full run reads cdp.source_records with a plain table scan under the
 * statement's snapshot, as scan_identifiers does (same conditions), and
 * sorts the ids only if the heap order is not already theirs.
 */
static bool
scan_records(Clustering *c, MemoryContext cxt)
{
	Oid			relid = get_relname_relid("source_records", get_namespace_oid("cdp", false));
	AttrNumber	a_record,
				a_names[3];
	AttrNumber	maxatt;
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext old;
	RecordRow  *rows = NULL;
	int64		nrows = 0;
	int64		cap = 0;
	bool		sorted = true;
	int64		i;

	if (!OidIsValid(relid) ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return false;
	a_record = get_attnum(relid, "record_id");
	a_names[0] = get_attnum(relid, "given_name_kana");
	a_names[1] = get_attnum(relid, "given_name");
	a_names[2] = get_attnum(relid, "name_romaji");
	if (a_record == InvalidAttrNumber || a_names[0] == InvalidAttrNumber ||
		a_names[1] == InvalidAttrNumber || a_names[2] == InvalidAttrNumber)
		return false;
	maxatt = Max(a_record, Max(a_names[0], Max(a_names[1], a_names[2])));

	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	slot = table_slot_create(rel, NULL);
	old = MemoryContextSwitchTo(cxt);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		slot_getsomeattrs(slot, maxatt);
		if (nrows >= cap)
			rows = identity_grow_array(rows, sizeof(RecordRow), &cap, nrows + 1);
		rows[nrows].record_id = DatumGetInt64(slot->tts_values[a_record - 1]);
		rows[nrows].name_entry = -1;
		if (!slot->tts_isnull[a_names[0] - 1] || !slot->tts_isnull[a_names[1] - 1] ||
			!slot->tts_isnull[a_names[2] - 1])
		{
			text	   *names[3];

			for (int n = 0; n < 3; n++)
				names[n] = slot->tts_isnull[a_names[n] - 1] ? NULL
					: DatumGetTextPP(slot->tts_values[a_names[n] - 1]);
			rows[nrows].name_entry = household_names_add(&c->names, names[0], names[1], names[2]);
		}
		if (nrows > 0 && rows[nrows].record_id < rows[nrows - 1].record_id)
			sorted = false;
		nrows++;
		if ((nrows & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!sorted)
		qsort(rows, nrows, sizeof(RecordRow), compare_record_rows);
	c->records_cap = Max(nrows, 1);
	c->record_ids = MemoryContextAllocHuge(cxt, sizeof(int64) * c->records_cap);
	c->named = MemoryContextAllocHuge(cxt, sizeof(bool) * c->records_cap);
	c->name_entry = MemoryContextAllocHuge(cxt, sizeof(int32) * c->records_cap);
	for (i = 0; i < nrows; i++)
	{
		c->record_ids[i] = rows[i].record_id;
		c->name_entry[i] = rows[i].name_entry;
		c->named[i] = rows[i].name_entry >= 0;
		c->any_named |= c->named[i];
		progress(c, "records loaded:", i + 1);
	}
	c->nrecords = nrows;
	if (rows)
		pfree(rows);
	MemoryContextSwitchTo(old);
	return true;
}

static void
load_records(Clustering *c, MemoryContext cxt, ArrayType *record_ids)
{
	Portal		portal;
	MemoryContext old;

	if (record_ids == NULL && scan_records(c, cxt))
	{
		if (c->nrecords > PG_INT32_MAX - 1)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("cdp._cluster: too many records (" INT64_FORMAT ")", c->nrecords)));
		return;
	}

	/* (whether a record has a name matters to the household check) */
	portal = open_cursor(record_ids
						 ? "SELECT record_id, false FROM cdp.source_records WHERE record_id = ANY($1) ORDER BY record_id"
						 : "SELECT record_id, (given_name_kana IS NOT NULL OR given_name IS NOT NULL"
						 " OR name_romaji IS NOT NULL) FROM cdp.source_records ORDER BY record_id",
						 record_ids);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(cxt);
		{
			int64		cap = c->records_cap;

			c->record_ids = identity_grow_array(c->record_ids, sizeof(int64), &cap,
												c->nrecords + SPI_processed);
			cap = c->records_cap;
			c->named = identity_grow_array(c->named, sizeof(bool), &cap, c->nrecords + SPI_processed);
			c->records_cap = cap;
		}
		MemoryContextSwitchTo(old);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;

			c->record_ids[c->nrecords] =
				DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			c->named[c->nrecords] =
				DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			c->any_named |= c->named[c->nrecords];
			c->nrecords++;
			progress(c, "records loaded:", c->nrecords);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	if (c->nrecords > PG_INT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cdp._cluster: too many records (" INT64_FORMAT ")", c->nrecords)));
}

static int16
kind_index(Clustering *c, const char *kind, int len, int16 guess)
{
	int			k;

	if (guess >= 0 && c->kinds[guess].kind_len == len && memcmp(c->kinds[guess].kind, kind, len) == 0)
		return guess;
	for (k = 0; k < c->nkinds; k++)
		if (c->kinds[k].kind_len == len && memcmp(c->kinds[k].kind, kind, len) == 0)
			return (int16) k;
	return -1;
}

/* whether identifiers of kind k (-1: unknown) take part in clustering */
static inline bool
kind_clustered(Clustering *c, int16 k)
{
	return k >= 0 && (c->kinds[k].links || c->kinds[k].limit != 0);
}

/*
 * One identifier row of a clustered kind k, its value (data, len) of hash
 * h = value_table_hash(k, data, len): intern the value, count it, keep
 * (record, value).
 */
static void
add_identifier_hashed(Clustering *c, int64 record_id, int16 k, const char *data, int len,
					  uint64 h, int64 count)
{
	int32		r;
	int32		v;

	c->last_kind = k;
	/* (the blocked values' table hashes as the values' does) */
	if (c->blocked.nvalues > 0 && value_table_lookup_hashed(&c->blocked, h, k, data, len) >= 0)
		return;
	r = record_index(c, record_id);
	v = value_table_intern_hashed(&c->vt, h, k, data, len);
	if (count >= 0)
		c->vt.count[v] = count;
	else
		c->vt.count[v]++;
	if (r < 0)
		return;					/* a record added since the records were read */
	if (c->nrows >= c->rows_cap)
	{
		int64		cap = c->rows_cap;

		c->row_record = identity_grow_array(c->row_record, sizeof(int32), &cap, c->nrows + 1);
		cap = c->rows_cap;
		c->row_value = identity_grow_array(c->row_value, sizeof(int32), &cap, c->nrows + 1);
		c->rows_cap = cap;
	}
	c->row_record[c->nrows] = r;
	c->row_value[c->nrows] = v;
	c->nrows++;
	progress(c, "identifiers loaded:", c->nrows);
}

/* one identifier row as SQL returns it */
static void
add_identifier(Clustering *c, int64 record_id, text *kind, text *value, int64 count)
{
	int16		k = kind_index(c, VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind), c->last_kind);

	if (!kind_clustered(c, k))
		return;
	add_identifier_hashed(c, record_id, k, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
						  value_table_hash(k, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)),
						  count);
}

/* the blocked values, interned like identifiers */
static void
load_blocked(Clustering *c, MemoryContext cxt)
{
	uint64		i;
	MemoryContext old;

	if (SPI_execute("SELECT kind, value FROM cdp.blocked_identifiers", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cdp._cluster: reading cdp.blocked_identifiers failed");
	old = MemoryContextSwitchTo(cxt);
	value_table_init(&c->blocked);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		text	   *kind = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		text	   *value = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		int16		k = kind_index(c, VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind), -1);

		if (k >= 0)
			value_table_intern(&c->blocked, k, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * A full run reads cdp.identifiers with a plain table scan under the
 * statement's snapshot: several times faster than rows through SPI.  Only
 * when the caller may read the table and no row security applies to it;
 * otherwise (false) the rows come through SPI, policies included.
 */
static bool
scan_identifiers(Clustering *c, MemoryContext cxt, Oid relid)
{
	AttrNumber	a_record,
				a_kind,
				a_value;
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	MemoryContext old;
	int64		n = 0;
	bool		have_pending = false;
	int64		pending_record = 0;
	int16		pending_kind = 0;
	char	   *pending_value;
	int			pending_len = 0;
	int			pending_cap;
	uint64		pending_hash = 0;

	if (!OidIsValid(relid) ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return false;
	a_record = get_attnum(relid, "record_id");
	a_kind = get_attnum(relid, "kind");
	a_value = get_attnum(relid, "value");
	if (a_record == InvalidAttrNumber || a_kind == InvalidAttrNumber || a_value == InvalidAttrNumber)
		return false;

	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	slot = table_slot_create(rel, NULL);
	old = MemoryContextSwitchTo(cxt);
	/* distinct values are fewer than rows: room for half as many up front */
	if (rel->rd_rel->reltuples > 0)
		value_table_reserve(&c->vt, (int64) rel->rd_rel->reltuples / 2);
	/*
	 * Each row's value is hashed, and the hash table's slot for it
	 * requested from memory, one row ahead of interning it: the previous
	 * row (its value copied out of the slot) is interned while that load is
	 * under way.
	 */
	pending_cap = 256;
	pending_value = palloc(pending_cap);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		int64		record_id;
		text	   *kind;
		text	   *value;
		int16		k;
		int			len;
		uint64		h;

		if ((++n & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(slot, Max(a_record, Max(a_kind, a_value)));
		record_id = DatumGetInt64(slot->tts_values[a_record - 1]);
		kind = DatumGetTextPP(slot->tts_values[a_kind - 1]);
		k = kind_index(c, VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind), c->last_kind);
		if (!kind_clustered(c, k))
			continue;
		value = DatumGetTextPP(slot->tts_values[a_value - 1]);
		len = VARSIZE_ANY_EXHDR(value);
		h = value_table_hash(k, VARDATA_ANY(value), len);
		value_table_prefetch(&c->vt, h);
		if (have_pending)
			add_identifier_hashed(c, pending_record, pending_kind, pending_value, pending_len,
								  pending_hash, -1);
		if (len > pending_cap)
		{
			pending_cap = Max(len, pending_cap * 2);
			pending_value = repalloc(pending_value, pending_cap);
		}
		memcpy(pending_value, VARDATA_ANY(value), len);
		pending_record = record_id;
		pending_kind = k;
		pending_len = len;
		pending_hash = h;
		have_pending = true;
	}
	if (have_pending)
		add_identifier_hashed(c, pending_record, pending_kind, pending_value, pending_len,
							  pending_hash, -1);
	pfree(pending_value);
	MemoryContextSwitchTo(old);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return true;
}

/* the temporary table of a batch's staged identifiers, InvalidOid if none */
static Oid
staged_identifiers(void)
{
	return RangeVarGetRelid(makeRangeVar("pg_temp", "cdp_staged_identifiers", -1), NoLock, true);
}

/*
 * Read the identifiers (of the records, or of all) that are not blocked;
 * a full run counts the records per value itself, a subset run asks for
 * the count over all records, up to one past the kind's cap (all that
 * value_is_junk needs: a junk value held by half the records is not
 * counted through for every incremental resolution; a kind without a cap
 * needs no count).
 */
static void
load_identifiers(Clustering *c, MemoryContext cxt, ArrayType *record_ids)
{
	Portal		portal;
	MemoryContext old;

	old = MemoryContextSwitchTo(cxt);
	value_table_init(&c->vt);
	MemoryContextSwitchTo(old);
	c->last_kind = -1;
	if (record_ids == NULL)
	{
		Oid			staged = staged_identifiers();

		load_blocked(c, cxt);
		if (scan_identifiers(c, cxt, get_relname_relid("identifiers", get_namespace_oid("cdp", false))))
		{
			/*
			 * A batch's new identifiers wait in a temporary table until
			 * their records have profiles (cdp._extract_identifiers).
			 */
			if (OidIsValid(staged) && !scan_identifiers(c, cxt, staged))
				elog(ERROR, "cdp._cluster: cannot read the staged identifiers");
			return;
		}
		if (OidIsValid(staged))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("cdp._cluster: staged identifiers need a direct scan of cdp.identifiers"),
					 errdetail("Batch resolution runs as the extension's owner, who must bypass row security.")));
		c->blocked.nvalues = 0; /* the query below filters them */
	}

	portal = open_cursor(record_ids
						 ? "SELECT i.record_id, i.kind, i.value,"
						 " CASE WHEN k.max_records_per_value IS NOT NULL THEN"
						 " (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM cdp.identifiers j"
						 "   WHERE j.kind OPERATOR(pg_catalog.=) i.kind AND j.value OPERATOR(pg_catalog.=) i.value"
						 "   LIMIT (k.max_records_per_value OPERATOR(pg_catalog.+) 1)) z) END"
						 " FROM cdp.identifiers i"
						 " JOIN cdp.identifier_kinds k ON k.kind OPERATOR(pg_catalog.=) i.kind"
						 " WHERE i.record_id OPERATOR(pg_catalog.=) ANY ($1)"
						 " AND NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers b"
						 "   WHERE b.kind OPERATOR(pg_catalog.=) i.kind AND b.value OPERATOR(pg_catalog.=) i.value)"
						 : "SELECT i.record_id, i.kind, i.value, NULL::pg_catalog.int8"
						 " FROM cdp.identifiers i"
						 " WHERE NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers b"
						 "   WHERE b.kind OPERATOR(pg_catalog.=) i.kind AND b.value OPERATOR(pg_catalog.=) i.value)",
						 record_ids);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(cxt);
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		record_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			text	   *kind = DatumGetTextPP(SPI_getbinval(tup, desc, 2, &isnull));
			text	   *value = DatumGetTextPP(SPI_getbinval(tup, desc, 3, &isnull));
			Datum		count = SPI_getbinval(tup, desc, 4, &isnull);

			add_identifier(c, record_id, kind, value, isnull ? -1 : DatumGetInt64(count));
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/*
 * Values whose holders evidently are different people, of the kinds that
 * check for that: two holders whose given names are both known and differ.
 * Names are compared in the first form both holders have: the kana
 * reading keys; else the normalised given names (kanji); else the romaji
 * names, as sorted sets of romaji_key tokens (web forms write the name in
 * either order); else, when one has a kana reading and the other only a
 * romaji name, whether the reading's romaji_key is one of the other's
 * tokens.  A missing name differs from nothing.  Only holders with some
 * name take part, only values of two holders or more are looked at, and
 * holders are counted over all records, also when only some are
 * clustered, so a subset run decides as a full run does.
 */
/* the sorted romaji_key words of a romaji name (NULL: none; household.c) */
#define ROMAJI_WORDS(col) "cdp._romaji_words(" col ")"
#define ROMAJI_KNOWN(col) \
	"(pg_catalog.cardinality(" ROMAJI_WORDS(col) ") OPERATOR(pg_catalog.>) 0)"

/* the holders of the values s */
#define SHARED_HOLDERS \
	" h AS MATERIALIZED (" \
	"  SELECT s.kind, s.value, x.record_id, r.given_name_kana, r.name_romaji," \
	"   NULLIF(cdp.kana_key(r.given_name_kana), '') AS kana," \
	"   NULLIF(cdp.normalize_name(r.given_name), '') AS name" \
	"  FROM s JOIN cdp.identifiers x" \
	"   ON x.kind OPERATOR(pg_catalog.=) s.kind AND x.value OPERATOR(pg_catalog.=) s.value" \
	"  JOIN cdp.source_records r ON r.record_id OPERATOR(pg_catalog.=) x.record_id" \
	"  WHERE r.given_name_kana IS NOT NULL OR r.given_name IS NOT NULL OR r.name_romaji IS NOT NULL)"

/* the values two of their holders h differ on */
#define SHARED_PAIRS \
	" SELECT DISTINCT a.kind, a.value FROM h a JOIN h b" \
	"  ON b.kind OPERATOR(pg_catalog.=) a.kind AND b.value OPERATOR(pg_catalog.=) a.value" \
	"  AND b.record_id OPERATOR(pg_catalog.>) a.record_id" \
	" WHERE CASE" \
	"  WHEN a.kana IS NOT NULL AND b.kana IS NOT NULL THEN a.kana OPERATOR(pg_catalog.<>) b.kana" \
	"  WHEN a.name IS NOT NULL AND b.name IS NOT NULL THEN a.name OPERATOR(pg_catalog.<>) b.name" \
	"  WHEN a.name_romaji IS NULL AND b.name_romaji IS NULL THEN false" \
	"  WHEN " ROMAJI_KNOWN("a.name_romaji") " AND " ROMAJI_KNOWN("b.name_romaji") \
	"   THEN " ROMAJI_WORDS("a.name_romaji") " OPERATOR(pg_catalog.<>) " ROMAJI_WORDS("b.name_romaji") \
	"  WHEN a.kana IS NOT NULL AND " ROMAJI_KNOWN("b.name_romaji") \
	"   THEN NOT NULLIF(cdp.romaji_key(a.given_name_kana), '') OPERATOR(pg_catalog.=) ANY (" ROMAJI_WORDS("b.name_romaji") ")" \
	"  WHEN b.kana IS NOT NULL AND " ROMAJI_KNOWN("a.name_romaji") \
	"   THEN NOT NULLIF(cdp.romaji_key(b.given_name_kana), '') OPERATOR(pg_catalog.=) ANY (" ROMAJI_WORDS("a.name_romaji") ")" \
	"  ELSE false END"

/*
 * The named holders of the values of two holders or more, not blocked and
 * within the kind's cap (the others link nothing anyway): of all records
 * (one sort of the identifiers, counted with a window), or of the values of
 * the records $1 (holders still counted over all records).
 */
static const char shared_all_query[] =
"WITH h AS MATERIALIZED ("
" SELECT z.kind, z.value, z.record_id, z.given_name_kana, z.name_romaji, z.kana, z.name FROM ("
"  SELECT x.kind, x.value, x.record_id, r.given_name_kana, r.name_romaji,"
"   NULLIF(cdp.kana_key(r.given_name_kana), '') AS kana,"
"   NULLIF(cdp.normalize_name(r.given_name), '') AS name,"
"   r.given_name_kana IS NOT NULL OR r.given_name IS NOT NULL OR r.name_romaji IS NOT NULL AS named,"
"   pg_catalog.count(*) OVER w AS n,"
"   pg_catalog.count(*) FILTER (WHERE r.given_name_kana IS NOT NULL OR r.given_name IS NOT NULL"
"    OR r.name_romaji IS NOT NULL) OVER w AS n_named,"
"   k.max_records_per_value AS cap"
"  FROM cdp.identifiers x"
"  JOIN cdp.identifier_kinds k ON k.kind OPERATOR(pg_catalog.=) x.kind"
"  JOIN cdp.source_records r ON r.record_id OPERATOR(pg_catalog.=) x.record_id"
"  WHERE k.shared_by_household_check AND k.links"
"  AND NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers bl"
"   WHERE bl.kind OPERATOR(pg_catalog.=) x.kind AND bl.value OPERATOR(pg_catalog.=) x.value)"
"  WINDOW w AS (PARTITION BY x.kind, x.value)) z"
" WHERE z.named AND z.n_named OPERATOR(pg_catalog.>) 1"
" AND (z.cap IS NULL OR z.n OPERATOR(pg_catalog.<=) z.cap))"
SHARED_PAIRS;

static const char shared_subset_query[] =
"WITH s AS ("
" SELECT DISTINCT i.kind, i.value FROM cdp.identifiers i"
" JOIN cdp.identifier_kinds k ON k.kind OPERATOR(pg_catalog.=) i.kind"
" WHERE k.shared_by_household_check AND k.links"
" AND i.record_id OPERATOR(pg_catalog.=) ANY ($1)"
" AND NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers bl"
"  WHERE bl.kind OPERATOR(pg_catalog.=) i.kind AND bl.value OPERATOR(pg_catalog.=) i.value)"
" AND (k.max_records_per_value IS NULL"
"  OR (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM cdp.identifiers c"
"      WHERE c.kind OPERATOR(pg_catalog.=) i.kind AND c.value OPERATOR(pg_catalog.=) i.value"
"      LIMIT (k.max_records_per_value OPERATOR(pg_catalog.+) 1)) z)"
"   OPERATOR(pg_catalog.<=) k.max_records_per_value)),"
SHARED_HOLDERS
SHARED_PAIRS;

/*
 * The same for the values a full run found held by two named records or
 * more ($1 kinds, $2 values): only their holders are read and compared.
 */
static const char shared_values_query[] =
"WITH s AS ("
" SELECT DISTINCT u.kind, u.value FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) u(kind, value)),"
SHARED_HOLDERS
SHARED_PAIRS;

/*
 * How many named records hold each value (named_holders, nvalues entries),
 * counted only for the values the household check looks at: of a kind with
 * the check that links, within its cap (blocked values were never
 * interned).  Returns how many values two named records or more hold.
 */
static int32
count_named_holders(Clustering *c, int32 *named_holders)
{
	int32		ncand = 0;
	int64		row;

	memset(named_holders, 0, sizeof(int32) * c->vt.nvalues);
	for (row = 0; row < c->nrows; row++)
	{
		int32		v = c->row_value[row];
		IdentifierKind *k = &c->kinds[c->vt.kind[v]];

		if (c->named[c->row_record[row]] && k->household && k->links &&
			(k->cap == 0 || c->vt.count[v] <= k->cap) &&
			++named_holders[v] == 2)
			ncand++;
	}
	return ncand;
}

/*
 * A full run knows each value's holders and which records have a name:
 * only values held by two named records or more (of a kind with the check,
 * linking, within its cap; blocked values were never interned) can be
 * shared by a household.  None: nothing to ask (NULL).  Few: a query over
 * just those values.  Many: the query over all identifiers, one sort.
 */
static Portal
open_shared_values(Clustering *c)
{
	int32	   *named_holders;
	int32		ncand;
	int32		v;
	Datum	   *kinds;
	Datum	   *values;
	Datum		args[2];
	Oid			argtypes[2] = {TEXTARRAYOID, TEXTARRAYOID};
	static SPIPlanPtr plan = NULL;
	Portal		portal;

	if (!c->any_named)
		return NULL;
	named_holders = palloc_array(int32, Max(c->vt.nvalues, 1));
	ncand = count_named_holders(c, named_holders);
	if (ncand == 0)
		return NULL;
	if ((int64) ncand * 8 > c->nrows)
		return open_cursor(shared_all_query, NULL);

	kinds = palloc_array(Datum, ncand);
	values = palloc_array(Datum, ncand);
	ncand = 0;
	for (v = 0; v < c->vt.nvalues; v++)
		if (named_holders[v] >= 2)
		{
			kinds[ncand] = CStringGetTextDatum(c->kinds[c->vt.kind[v]].kind);
			values[ncand] = PointerGetDatum(cstring_to_text_with_len(c->vt.arena + c->vt.offset[v],
																	 c->vt.length[v]));
			ncand++;
		}
	args[0] = PointerGetDatum(construct_array(kinds, ncand, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(values, ncand, TEXTOID, -1, false, TYPALIGN_INT));
	if (plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(shared_values_query, 2, argtypes);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "cdp._cluster: could not prepare a query: %s", SPI_result_code_string(SPI_result));
		plan = p;
	}
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	if (portal == NULL)
		elog(ERROR, "cdp._cluster: could not open cursor: %s", SPI_result_code_string(SPI_result));
	return portal;
}

/*
 * A full run that scanned the records has their names' keys: the holders
 * of each value that two named records or more hold (of a kind with the
 * check, linking, within its cap) are compared here, pair by pair until
 * two differ, as the queries above compare them.
 */
static void
mark_shared_from_names(Clustering *c)
{
	int32	   *named_holders = palloc_array(int32, Max(c->vt.nvalues, 1));
	int64	   *first;
	int32	   *holders;
	int64		nholders = 0;
	int64		row;
	int32		v;

	if (count_named_holders(c, named_holders) == 0)
	{
		pfree(named_holders);
		return;
	}
	first = palloc_array(int64, (Size) c->vt.nvalues + 1);
	for (v = 0; v < c->vt.nvalues; v++)
	{
		first[v] = nholders;
		if (named_holders[v] >= 2)
			nholders += named_holders[v];
		named_holders[v] = 0;	/* now: how many are filled in */
	}
	first[c->vt.nvalues] = nholders;
	holders = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * nholders);
	for (row = 0; row < c->nrows; row++)
	{
		int32		r = c->row_record[row];

		v = c->row_value[row];
		if (first[v + 1] > first[v] && c->named[r])
			holders[first[v] + named_holders[v]++] = c->name_entry[r];
	}
	for (v = 0; v < c->vt.nvalues; v++)
	{
		int64		i,
					j;
		bool		differ = false;

		for (i = first[v]; i < first[v + 1] && !differ; i++)
			for (j = i + 1; j < first[v + 1] && !differ; j++)
				differ = household_names_differ(&c->names, holders[i], holders[j]);
		if (differ)
			c->vt.count[v] = -1;
		if ((v & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(holders);
	pfree(first);
	pfree(named_holders);
}

/* mark the shared values (count -1: junk, see value_is_junk) */
static void
mark_shared(Clustering *c, ArrayType *record_ids)
{
	Portal		portal;

	if (c->vt.nvalues == 0)
		return;
	if (record_ids == NULL && c->name_entry != NULL)
	{
		mark_shared_from_names(c);
		return;
	}
	if (record_ids == NULL && OidIsValid(staged_identifiers()))
		elog(ERROR, "cdp._cluster: the household check of staged identifiers needs the records' names");
	if (record_ids)
		portal = open_cursor(shared_subset_query, record_ids);
	else if ((portal = open_shared_values(c)) == NULL)
		return;
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			text	   *kind = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			text	   *value = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			int16		k = kind_index(c, VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind), -1);
			int32		v;

			if (k < 0)
				continue;
			v = value_table_lookup(&c->vt, k, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
			if (v >= 0)
				c->vt.count[v] = -1;
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/*
 * A value held by more records than its kind's cap, or shared by a
 * household (count -1): links and limits nothing.
 */
static bool
value_is_junk(Clustering *c, int32 v)
{
	int64		cap = c->kinds[c->vt.kind[v]].cap;

	return c->vt.count[v] < 0 || (cap > 0 && c->vt.count[v] > cap);
}

/* every record's own values of kinds with a per-profile limit */
static void
register_limited_values(Clustering *c, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int64		row;

	c->set_head = MemoryContextAllocHuge(cxt, sizeof(int32) * Max(c->nrecords, 1));
	memset(c->set_head, -1, sizeof(int32) * Max(c->nrecords, 1));
	for (row = 0; row < c->nrows; row++)
	{
		int32		r = c->row_record[row];
		int32		v = c->row_value[row];
		int64		cap;

		if (c->kinds[c->vt.kind[v]].limit == 0 || value_is_junk(c, v))
			continue;
		if (c->nnodes >= c->nodes_cap)
		{
			cap = c->nodes_cap;
			c->node_kind = identity_grow_array(c->node_kind, sizeof(int16), &cap, c->nnodes + 1);
			cap = c->nodes_cap;
			c->node_value = identity_grow_array(c->node_value, sizeof(int32), &cap, c->nnodes + 1);
			cap = c->nodes_cap;
			c->node_next = identity_grow_array(c->node_next, sizeof(int32), &cap, c->nnodes + 1);
			c->nodes_cap = cap;
		}
		c->node_kind[c->nnodes] = c->vt.kind[v];
		c->node_value[c->nnodes] = v;
		c->node_next[c->nnodes] = c->set_head[r];
		c->set_head[r] = (int32) c->nnodes;
		c->nnodes++;
	}
	MemoryContextSwitchTo(old);
}


static void
add_exclusion(Clustering *c, int32 a, int32 b)
{
	int64		cap;

	if (c->nexcl >= c->excl_cap)
	{
		cap = c->excl_cap;
		c->excl_partner = identity_grow_array(c->excl_partner, sizeof(int32), &cap, c->nexcl + 1);
		cap = c->excl_cap;
		c->excl_next = identity_grow_array(c->excl_next, sizeof(int32), &cap, c->nexcl + 1);
		c->excl_cap = cap;
	}
	c->excl_partner[c->nexcl] = b;
	c->excl_next[c->nexcl] = c->excl_head[a];
	c->excl_head[a] = (int32) c->nexcl;
	c->nexcl++;
}

static void
load_exclusions(Clustering *c, MemoryContext cxt, ArrayType *record_ids)
{
	Portal		portal;
	MemoryContext old;

	c->excl_head = MemoryContextAllocHuge(cxt, sizeof(int32) * Max(c->nrecords, 1));
	memset(c->excl_head, -1, sizeof(int32) * Max(c->nrecords, 1));
	portal = open_cursor(record_ids
						 ? "SELECT record_a, record_b FROM cdp.link_exclusions"
						 " WHERE record_a OPERATOR(pg_catalog.=) ANY ($1) OR record_b OPERATOR(pg_catalog.=) ANY ($1)"
						 : "SELECT record_a, record_b FROM cdp.link_exclusions",
						 record_ids);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(cxt);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			int32		a = record_index(c, DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
																		SPI_tuptable->tupdesc, 1, &isnull)));
			int32		b = record_index(c, DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
																		SPI_tuptable->tupdesc, 2, &isnull)));

			if (a < 0 || b < 0 || a == b)
				continue;
			add_exclusion(c, a, b);
			add_exclusion(c, b, a);
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

static bool
set_contains(Clustering *c, int32 head, int16 kind, int32 value)
{
	int32		n;

	for (n = head; n >= 0; n = c->node_next[n])
		if (c->node_value[n] == value && c->node_kind[n] == kind)
			return true;
	return false;
}

/*
 * Join the components of records a and b unless a limit or an exclusion
 * forbids it.  Returns whether they are (now) in one component.
 */
static bool
try_union(Clustering *c, int32 a, int32 b, int16 kind, int32 rule, float8 weight)
{
	int32		ra = union_find_find(&c->uf, a);
	int32		rb = union_find_find(&c->uf, b);
	int32		n,
				next,
				root,
				merged;
	bool		conflict = false;

	if (ra == rb)
		return true;

	/* exclusions: the lists are symmetric, so one side suffices */
	for (n = c->excl_head[ra]; n >= 0; n = c->excl_next[n])
		if (union_find_find(&c->uf, c->excl_partner[n]) == rb)
		{
			c->refused++;
			return false;
		}

	/* limits: count the distinct values per kind the union would hold */
	if (c->set_head[ra] >= 0 && c->set_head[rb] >= 0)
	{
		for (n = c->set_head[ra]; n >= 0; n = c->node_next[n])
			c->count_scratch[c->node_kind[n]]++;
		for (n = c->set_head[rb]; n >= 0; n = c->node_next[n])
		{
			int16		k = c->node_kind[n];

			if (!set_contains(c, c->set_head[ra], k, c->node_value[n]) &&
				++c->count_scratch[k] > c->kinds[k].limit)
			{
				conflict = true;
				break;
			}
		}
		for (n = c->set_head[ra]; n >= 0; n = c->node_next[n])
			c->count_scratch[c->node_kind[n]] = 0;
		for (n = c->set_head[rb]; n >= 0; n = c->node_next[n])
			c->count_scratch[c->node_kind[n]] = 0;
		if (conflict)
		{
			c->refused++;
			return false;
		}
	}

	/* join; the survivor root takes both lists (b's values without repeats) */
	merged = c->set_head[ra];
	for (n = c->set_head[rb]; n >= 0; n = next)
	{
		next = c->node_next[n];
		if (!set_contains(c, c->set_head[ra], c->node_kind[n], c->node_value[n]))
		{
			c->node_next[n] = merged;
			merged = n;
		}
	}
	root = union_find_link(&c->uf, ra, rb);
	c->set_head[root] = merged;

	if (c->excl_head[rb] >= 0)
	{
		if (c->excl_head[ra] < 0)
			c->excl_head[root] = c->excl_head[rb];
		else
		{
			int32		head = c->excl_head[ra];

			for (n = head; c->excl_next[n] >= 0; n = c->excl_next[n])
				;
			c->excl_next[n] = c->excl_head[rb];
			c->excl_head[root] = head;
		}
	}
	else
		c->excl_head[root] = c->excl_head[ra];

	if (c->via_record[a] < 0)
	{
		c->via_kind[a] = kind;
		c->via_rule[a] = rule;
		c->via_weight[a] = weight;
		c->via_record[a] = b;
	}
	if (c->via_record[b] < 0)
	{
		c->via_kind[b] = kind;
		c->via_rule[b] = rule;
		c->via_weight[b] = weight;
		c->via_record[b] = a;
	}
	c->unions++;
	return true;
}

/*
 * A linked value with the leading keys of its order copied beside it, so
 * that sorting compares neighbouring memory instead of reading the value
 * table's arrays at random (a cache miss per comparison); the rare equal
 * (kind, hash) pairs are ordered by the table.
 */
typedef struct LinkedValue
{
	uint64		hash;
	int32		v;
	int16		kind;
} LinkedValue;

/* records sharing a value of a linking kind: a star from the group's first */
static int
compare_linked_values(const void *a, const void *b, void *arg)
{
	const LinkedValue *x = (const LinkedValue *) a;
	const LinkedValue *y = (const LinkedValue *) b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return value_table_compare((const ValueTable *) arg, x->v, y->v);
}

static int
compare_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/*
 * Records sharing a value of a linking kind: values in (kind, hash, bytes)
 * order, each a star from its first record (by id) to the others.  Rows
 * are bucketed by value with a counting sort.
 */
static void
link_identifier_groups(Clustering *c)
{
	ValueTable *vt = &c->vt;
	int64	   *start = palloc_extended(sizeof(int64) * Max(vt->nvalues, 1), MCXT_ALLOC_HUGE);
	int32	   *fill = palloc_extended(sizeof(int32) * Max(vt->nvalues, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	LinkedValue *linked = palloc_extended(sizeof(LinkedValue) * Max(vt->nvalues, 1), MCXT_ALLOC_HUGE);
	int32	   *members;
	int32		nlinked = 0;
	int64		total = 0;
	int64		row;
	int32		i;

	/* rows per value (fill is the local count for now) */
	for (row = 0; row < c->nrows; row++)
		fill[c->row_value[row]]++;
	for (i = 0; i < vt->nvalues; i++)
	{
		start[i] = -1;
		if (fill[i] >= 2 && c->kinds[vt->kind[i]].links && !value_is_junk(c, i))
		{
			linked[nlinked].hash = vt->hash[i];
			linked[nlinked].v = i;
			linked[nlinked].kind = vt->kind[i];
			nlinked++;
		}
	}
	qsort_arg(linked, nlinked, sizeof(LinkedValue), compare_linked_values, vt);
	for (i = 0; i < nlinked; i++)
	{
		start[linked[i].v] = total;
		total += fill[linked[i].v];
	}
	members = palloc_extended(sizeof(int32) * Max(total, 1), MCXT_ALLOC_HUGE);
	memset(fill, 0, sizeof(int32) * Max(vt->nvalues, 1));
	for (row = 0; row < c->nrows; row++)
	{
		int32		v = c->row_value[row];

		if (start[v] >= 0)
			members[start[v] + fill[v]++] = c->row_record[row];
	}

	for (i = 0; i < nlinked; i++)
	{
		int32		v = linked[i].v;
		int32	   *m = members + start[v];
		int32		j;

		if (fill[v] > 2)
			qsort(m, fill[v], sizeof(int32), compare_int32);
		else if (m[1] < m[0])
		{
			int32		t = m[0];

			m[0] = m[1];
			m[1] = t;
		}
		for (j = 1; j < fill[v]; j++)
			try_union(c, m[0], m[j], linked[i].kind, 0, 0.0);
		if (c->progress_every > 0 && (i + 1) % c->progress_every == 0)
			ereport(NOTICE, (errmsg("resolve: shared values linked: %d of %d", i + 1, nlinked)));
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}


static void
link_probabilistic(Clustering *c, ArrayType *record_ids)
{
	static const char any_rule[] = "SELECT 1 FROM cdp.match_rules"
		" WHERE rule_type OPERATOR(pg_catalog.=) 'probabilistic' AND enabled LIMIT 1";
	Portal		portal;

	/* without an enabled probabilistic rule there are no edges to ask for */
	if (SPI_execute_plan(cached_plan(any_rule, 0), NULL, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cdp._cluster: reading cdp.match_rules failed");
	if (SPI_processed == 0)
		return;
	SPI_freetuptable(SPI_tuptable);

	portal = open_cursor("SELECT record_a, record_b, rule_id, match_weight"
						 " FROM cdp._probabilistic_edges($1)"
						 " WHERE record_a IS NOT NULL AND record_b IS NOT NULL"
						 " ORDER BY match_weight DESC NULLS LAST, record_a, record_b",
						 record_ids);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int32		a = record_index(c, DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));
			int32		b = record_index(c, DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull)));
			Datum		rule = SPI_getbinval(tup, desc, 3, &isnull);
			int32		rule_id = isnull ? 0 : DatumGetInt32(rule);
			Datum		weight = SPI_getbinval(tup, desc, 4, &isnull);

			if (a < 0 || b < 0 || a == b)
				continue;
			try_union(c, a, b, -1, rule_id, isnull ? 0.0 : DatumGetFloat8(weight));
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

PG_FUNCTION_INFO_V1(cdp_cluster);

/*
 * cdp._cluster(record_ids int8[], progress_every int8)
 *	  RETURNS TABLE (record_id int8, component int8, via_kind text,
 *					 via_rule int4, via_weight float8, via_record int8)
 */
Datum
cdp_cluster(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *record_ids = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	MemoryContext cxt;
	MemoryContext old;
	Clustering *c;
	int64	   *label;
	Datum	   *kind_texts;
	int64		i;

	if (record_ids && ARR_NDIM(record_ids) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("record_ids must be a one-dimensional array")));

	InitMaterializedSRF(fcinfo, 0);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "cdp clustering", ALLOCSET_DEFAULT_SIZES);
	c = MemoryContextAllocZero(cxt, sizeof(Clustering));
	c->progress_every = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_kinds(c, cxt);
	load_records(c, cxt, record_ids);
	load_identifiers(c, cxt, record_ids);
	mark_shared(c, record_ids);

	old = MemoryContextSwitchTo(cxt);
	union_find_init(&c->uf, (int32) c->nrecords);
	c->via_kind = MemoryContextAllocHuge(cxt, sizeof(int16) * Max(c->nrecords, 1));
	c->via_rule = MemoryContextAllocHuge(cxt, sizeof(int32) * Max(c->nrecords, 1));
	c->via_weight = MemoryContextAllocHuge(cxt, sizeof(float8) * Max(c->nrecords, 1));
	c->via_record = MemoryContextAllocHuge(cxt, sizeof(int32) * Max(c->nrecords, 1));
	for (i = 0; i < c->nrecords; i++)
	{
		c->via_kind[i] = -1;
		c->via_rule[i] = 0;
		c->via_weight[i] = 0.0;
		c->via_record[i] = -1;
	}
	MemoryContextSwitchTo(old);
	register_limited_values(c, cxt);
	load_exclusions(c, cxt, record_ids);

	old = MemoryContextSwitchTo(cxt);
	link_identifier_groups(c);
	MemoryContextSwitchTo(old);
	link_probabilistic(c, record_ids);
	SPI_finish();

	/* a component is named by its smallest record id: the first one seen */
	kind_texts = MemoryContextAlloc(cxt, sizeof(Datum) * Max(c->nkinds, 1));
	for (i = 0; i < c->nkinds; i++)
		kind_texts[i] = PointerGetDatum(cstring_to_text(c->kinds[i].kind));
	label = MemoryContextAllocHuge(cxt, sizeof(int64) * Max(c->nrecords, 1));
	for (i = 0; i < c->nrecords; i++)
		label[i] = 0;
	for (i = 0; i < c->nrecords; i++)
	{
		int32		root = union_find_find(&c->uf, (int32) i);
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		if (label[root] == 0)
			label[root] = c->record_ids[i];
		values[0] = Int64GetDatum(c->record_ids[i]);
		values[1] = Int64GetDatum(label[root]);
		if (c->via_kind[i] >= 0)
			values[2] = kind_texts[c->via_kind[i]];
		else
			nulls[2] = true;
		values[3] = Int32GetDatum(c->via_rule[i]);
		nulls[3] = c->via_rule[i] == 0;
		values[4] = Float8GetDatum(c->via_weight[i]);
		nulls[4] = c->via_rule[i] == 0;
		values[5] = Int64GetDatum(c->via_record[i] >= 0 ? c->record_ids[c->via_record[i]] : 0);
		nulls[5] = c->via_record[i] < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (c->progress_every > 0 && c->nrecords >= c->progress_every)
		ereport(NOTICE, (errmsg("resolve: " INT64_FORMAT " records, " INT64_FORMAT " links, "
								INT64_FORMAT " refused by limits or exclusions",
								c->nrecords, c->unions, c->refused)));
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
