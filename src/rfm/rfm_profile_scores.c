/*-------------------------------------------------------------------------
 *
 * rfm_profile_scores.c
 *	  cdp.rfm_profile_scores(as_of, scores, window_length, purchase_type,
 *	  scheme): RFM metrics, score and segment of every profile in
 *	  cdp.events, in one call.
 *
 * It reads the purchases of cdp.events through SPI, as the calling user
 * (so row-level security applies), takes the rows in a DestReceiver
 * without copying them into a tuple table, and sums them per profile in a
 * hash table with the same per-purchase update as cdp.rfm_agg.  Then it
 * computes the quantile cuts (or reads a threshold scheme), scores and
 * segments each profile in C and returns the rows.
 *
 * The SQL composition of cdp.rfm_agg, cdp.rfm_quantiles and cdp.rfm_score
 * gives the same result for any customer key; this function saves it the
 * hash aggregate's spilling (every profile is kept in memory here anyway,
 * to be scored), the materialised CTE, the join with the cuts and the
 * per-row calls.  test/bench/rfm.sql times both and checks they agree.
 *
 * Memory: about 100 bytes per profile while the profiles fit in the
 * memory a hash aggregate may use (work_mem * hash_mem_multiplier).  Past
 * that, as a hash aggregate does, it spills: the partial sums of the
 * profiles seen so far go into a tuplesort by profile_id and the hash
 * table starts afresh.  At the end the sorted partial sums are merged per
 * profile, the merged profiles kept in a tuplestore and their metrics fed
 * to three tuplesorts, from which the quantile cuts are read; then the
 * profiles are scored from the tuplestore.  Everything is then bounded by
 * work_mem, at the price of sorting; the result is the same.  The result
 * tuplestore spills to disk past work_mem in both cases.
 *
 * src/rfm/rfm_profile_scores.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_operator_d.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "rfm/rfm.h"

/* profile_id -> index into the dense arrays */
typedef struct ProfileEntry
{
	int64		profile_id;
	uint32		index;
	char		status;
} ProfileEntry;

/* the 64-bit finaliser of MurmurHash3 */
static inline uint32
hash_profile_id(int64 id)
{
	uint64		h = (uint64) id;

	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32) h;
}

#define SH_PREFIX profiles
#define SH_ELEMENT_TYPE ProfileEntry
#define SH_KEY_TYPE int64
#define SH_KEY profile_id
#define SH_HASH_KEY(tb, key) hash_profile_id(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define INITIAL_PROFILES 1024

typedef struct ProfileReceiver
{
	DestReceiver pub;
	MemoryContext context;		/* where everything is kept */
	RfmWindow	window;
	/* the profiles in memory, in hash_context */
	MemoryContext hash_context;
	Size		memory_limit;
	profiles_hash *hash;
	int64	   *ids;
	RfmCustomer *customers;
	uint32		count;
	uint32		capacity;
	/* partial sums spilled so far, by profile_id (NULL until needed) */
	Tuplesortstate *spill;
	TupleDesc	spill_desc;		/* (profile_id bigint, state bytea) */
	TupleTableSlot *spill_slot;
	bool		inexact;		/* some sum needs numeric arithmetic */
} ProfileReceiver;

static void
receiver_reset(ProfileReceiver *receiver)
{
	MemoryContextReset(receiver->hash_context);
	receiver->count = 0;
	receiver->capacity = INITIAL_PROFILES;
	receiver->ids = MemoryContextAlloc(receiver->hash_context, receiver->capacity * sizeof(int64));
	receiver->customers = MemoryContextAlloc(receiver->hash_context,
											 receiver->capacity * sizeof(RfmCustomer));
	receiver->hash = profiles_create(receiver->hash_context, INITIAL_PROFILES, NULL);
}

/* One profile's sums as a bytea, in the current memory context. */
static bytea *
customer_serialize(const RfmCustomer *c)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, c->first_at);
	pq_sendint64(&buf, c->last_at);
	pq_sendint64(&buf, c->frequency);
	cdp_amount_sum_send(&buf, &c->monetary);
	return pq_endtypsend(&buf);
}

static void
customer_deserialize(bytea *bytes, RfmCustomer *c, MemoryContext context)
{
	StringInfoData buf;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	c->first_at = pq_getmsgint64(&buf);
	c->last_at = pq_getmsgint64(&buf);
	c->frequency = pq_getmsgint64(&buf);
	cdp_amount_sum_receive(&buf, &c->monetary, context);
}

/*
 * Move the profiles in memory to the spill tuplesort, and empty the hash
 * table.
 */
static void
receiver_spill(ProfileReceiver *receiver)
{
	MemoryContext old = MemoryContextSwitchTo(receiver->context);
	MemoryContext scratch;
	uint32		i;

	if (receiver->spill == NULL)
	{
		AttrNumber	key = 1;
		Oid			op = Int8LessOperator;
		Oid			collation = InvalidOid;
		bool		nulls_first = false;

		receiver->spill_desc = CreateTemplateTupleDesc(2);
		TupleDescInitEntry(receiver->spill_desc, 1, "profile_id", INT8OID, -1, 0);
		TupleDescInitEntry(receiver->spill_desc, 2, "state", BYTEAOID, -1, 0);
		receiver->spill_slot = MakeSingleTupleTableSlot(receiver->spill_desc, &TTSOpsVirtual);
		receiver->spill = tuplesort_begin_heap(receiver->spill_desc, 1, &key, &op, &collation,
											   &nulls_first, work_mem, NULL, TUPLESORT_NONE);
	}
	scratch = AllocSetContextCreate(receiver->context, "spill", ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(scratch);
	for (i = 0; i < receiver->count; i++)
	{
		TupleTableSlot *slot = receiver->spill_slot;

		ExecClearTuple(slot);
		slot->tts_values[0] = Int64GetDatum(receiver->ids[i]);
		slot->tts_values[1] = PointerGetDatum(customer_serialize(&receiver->customers[i]));
		slot->tts_isnull[0] = slot->tts_isnull[1] = false;
		ExecStoreVirtualTuple(slot);
		tuplesort_puttupleslot(receiver->spill, slot);
		MemoryContextReset(scratch);
		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	receiver_reset(receiver);
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
receiver_shutdown(DestReceiver *self)
{
}

static void
receiver_destroy(DestReceiver *self)
{
}

/*
 * One purchase: (profile_id, occurred_at, amount).
 */
static bool
receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ProfileReceiver *receiver = (ProfileReceiver *) self;
	ProfileEntry *entry;
	bool		found;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return true;			/* the query leaves these out already */
	entry = profiles_insert(receiver->hash, DatumGetInt64(slot->tts_values[0]), &found);
	if (!found)
	{
		if (receiver->count == receiver->capacity)
		{
			/* doubling the arrays roughly doubles what the profiles take */
			if (2 * MemoryContextMemAllocated(receiver->hash_context, true) > receiver->memory_limit)
			{
				receiver_spill(receiver);
				entry = profiles_insert(receiver->hash, DatumGetInt64(slot->tts_values[0]), &found);
			}
			else
			{
				if (receiver->capacity >= PG_UINT32_MAX / 2)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("cdp.rfm_profile_scores: too many profiles")));
				receiver->capacity *= 2;
				receiver->ids = repalloc_huge(receiver->ids, receiver->capacity * sizeof(int64));
				receiver->customers = repalloc_huge(receiver->customers,
													receiver->capacity * sizeof(RfmCustomer));
			}
		}
		entry->index = receiver->count++;
		receiver->ids[entry->index] = entry->profile_id;
		rfm_customer_init(&receiver->customers[entry->index]);
	}
	rfm_customer_add(&receiver->customers[entry->index], &receiver->window,
					 DatumGetTimestampTz(slot->tts_values[1]), slot->tts_values[2],
					 slot->tts_isnull[2], "cdp.rfm_profile_scores", receiver->hash_context);
	if (unlikely(receiver->customers[entry->index].monetary.slow != NULL))
		receiver->inexact = true;
	return true;
}

/* Read the cuts of a threshold scheme with cdp.rfm_threshold_cuts. */
static void
threshold_cuts(text *scheme, RfmCuts *cuts, MemoryContext context)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(scheme)};
	bool		isnull;
	Datum		datum;
	MemoryContext old;

	if (SPI_execute_with_args("SELECT cdp.rfm_threshold_cuts($1)", 1, argtypes, args, NULL,
							  true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "reading the threshold scheme failed");
	datum = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	Assert(!isnull);
	old = MemoryContextSwitchTo(context);
	rfm_cuts_from_datum(datum, cuts);
	MemoryContextSwitchTo(old);
}

/* Score one profile and add its row to the result. */
static void
emit_profile(ReturnSetInfo *rsinfo, int64 profile_id, const RfmCustomer *c,
			 const RfmWindow *window, const RfmCuts *cuts, const RfmSegmentMap *map)
{
	int32		recency_days = rfm_recency_days(window, c);
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	Numeric		monetary;
	RfmScore	score;
	const RfmSegmentRule *rule;

	monetary = cdp_amount_sum_result(&c->monetary);
	score = RFM_SCORE_MAKE(rfm_score_recency(cuts, recency_days),
						   rfm_score_frequency(cuts, c->frequency),
						   c->monetary.slow == NULL && cuts->monetary_exact
						   ? rfm_score_monetary_units(cuts, c->monetary.units)
						   : rfm_score_monetary(cuts, NumericGetDatum(monetary)));
	rule = rfm_segment_lookup(map, score);
	values[0] = Int64GetDatum(profile_id);
	values[1] = Int32GetDatum(recency_days);
	values[2] = Int64GetDatum(c->frequency);
	values[3] = NumericGetDatum(monetary);
	values[4] = TimestampTzGetDatum(c->first_at);
	values[5] = TimestampTzGetDatum(c->last_at);
	values[6] = RfmScoreGetDatum(score);
	if (rule != NULL)
		values[7] = PointerGetDatum(rule->segment_text);
	else
		nulls[7] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	pfree(monetary);
}

/*
 * The values at the quantile cuts of a sorted metric: for each level 2..N
 * the last value of the level below, counting from the top when
 * "descending".  The datum sort is ascending; it is read once, skipping.
 */
static void
read_cuts(Tuplesortstate *sort, int64 n, int scores, bool descending, Datum *cut)
{
	int64		consumed = 0;
	Datum		value = (Datum) 0;
	int			k;

	tuplesort_performsort(sort);
	for (k = 0; k < scores - 1; k++)
	{
		int			level = descending ? scores - k : k + 2;
		int64		position = rfm_ntile_start(n, scores, level) - 1;
		int64		index = descending ? n - 1 - position : position;
		bool		isnull;

		if (index >= consumed)
		{
			if (index > consumed && !tuplesort_skiptuples(sort, index - consumed, true))
				elog(ERROR, "cdp.rfm_profile_scores: a sorted metric ended early");
			if (!tuplesort_getdatum(sort, true, &value, &isnull, NULL))
				elog(ERROR, "cdp.rfm_profile_scores: a sorted metric ended early");
			consumed = index + 1;
		}
		cut[level - 2] = value;
	}
}

/*
 * After a spill: merge the partial sums of each profile, compute the cuts
 * (unless a threshold scheme gave them) and score every profile.
 */
static void
score_spilled(ProfileReceiver *receiver, ReturnSetInfo *rsinfo, int scores, bool have_cuts,
			  RfmCuts *cuts, const RfmSegmentMap *map)
{
	MemoryContext old;
	MemoryContext current_context;
	MemoryContext row_context;
	Tuplestorestate *merged;
	Tuplesortstate *by_recency = NULL;
	Tuplesortstate *by_frequency = NULL;
	Tuplesortstate *by_monetary = NULL;
	TupleTableSlot *slot;
	RfmCustomer current;
	RfmCustomer other;
	int64		current_id = 0;
	bool		have = false;
	int64		n = 0;
	bool		more;

	if (receiver->count > 0)
		receiver_spill(receiver);
	MemoryContextDelete(receiver->hash_context);
	old = MemoryContextSwitchTo(receiver->context);
	current_context = AllocSetContextCreate(receiver->context, "profile", ALLOCSET_SMALL_SIZES);
	row_context = AllocSetContextCreate(receiver->context, "row", ALLOCSET_SMALL_SIZES);
	slot = MakeSingleTupleTableSlot(receiver->spill_desc, &TTSOpsMinimalTuple);
	merged = tuplestore_begin_heap(false, false, work_mem);
	if (!have_cuts)
	{
		by_recency = tuplesort_begin_datum(INT4OID, Int4LessOperator, InvalidOid, false,
										   work_mem, NULL, TUPLESORT_NONE);
		by_frequency = tuplesort_begin_datum(INT8OID, Int8LessOperator, InvalidOid, false,
											 work_mem, NULL, TUPLESORT_NONE);
		/* sums in 1/10000 units when all are exact, as numeric otherwise */
		if (receiver->inexact)
			by_monetary = tuplesort_begin_datum(NUMERICOID,
												lookup_type_cache(NUMERICOID, TYPECACHE_LT_OPR)->lt_opr,
												InvalidOid, false, work_mem, NULL, TUPLESORT_NONE);
		else
			by_monetary = tuplesort_begin_datum(INT8OID, Int8LessOperator, InvalidOid, false,
												work_mem, NULL, TUPLESORT_NONE);
	}
	tuplesort_performsort(receiver->spill);

	/* merge the partial sums, which come sorted by profile_id */
	do
	{
		int64		id = 0;

		CHECK_FOR_INTERRUPTS();
		more = tuplesort_gettupleslot(receiver->spill, true, false, slot, NULL);
		if (more)
		{
			bool		isnull;

			id = DatumGetInt64(slot_getattr(slot, 1, &isnull));
			if (have && id == current_id)
			{
				MemoryContextSwitchTo(row_context);
				customer_deserialize(DatumGetByteaPP(slot_getattr(slot, 2, &isnull)), &other,
									 row_context);
				if (other.first_at < current.first_at)
					current.first_at = other.first_at;
				if (other.last_at > current.last_at)
					current.last_at = other.last_at;
				current.frequency += other.frequency;
				cdp_amount_sum_combine(&current.monetary, &other.monetary, current_context);
				MemoryContextReset(row_context);
				continue;
			}
		}
		if (have)
		{
			/* a profile is complete */
			Datum		values[2];
			bool		nulls[2] = {false, false};

			MemoryContextSwitchTo(row_context);
			values[0] = Int64GetDatum(current_id);
			values[1] = PointerGetDatum(customer_serialize(&current));
			tuplestore_putvalues(merged, receiver->spill_desc, values, nulls);
			if (!have_cuts)
			{
				tuplesort_putdatum(by_recency, Int32GetDatum(rfm_recency_days(&receiver->window, &current)),
								   false);
				tuplesort_putdatum(by_frequency, Int64GetDatum(current.frequency), false);
				tuplesort_putdatum(by_monetary,
								   receiver->inexact
								   ? NumericGetDatum(cdp_amount_sum_result(&current.monetary))
								   : Int64GetDatum(current.monetary.units),
								   false);
			}
			n++;
			MemoryContextReset(row_context);
		}
		if (more)
		{
			bool		isnull;

			MemoryContextReset(current_context);
			MemoryContextSwitchTo(current_context);
			customer_deserialize(DatumGetByteaPP(slot_getattr(slot, 2, &isnull)), &current,
								 current_context);
			current_id = id;
			have = true;
		}
	} while (more);
	MemoryContextSwitchTo(receiver->context);
	tuplesort_end(receiver->spill);
	receiver->spill = NULL;

	if (!have_cuts)
	{
		Datum		cut[RFM_MAX_SCORE];
		int			level;

		memset(cuts, 0, sizeof(RfmCuts));
		cuts->scores = scores;
		cuts->inclusive = false;
		cuts->monetary_exact = !receiver->inexact;
		read_cuts(by_recency, n, scores, true, cut);
		for (level = 2; level <= scores; level++)
			cuts->recency[level - 2] = DatumGetInt32(cut[level - 2]);
		read_cuts(by_frequency, n, scores, false, cut);
		for (level = 2; level <= scores; level++)
			cuts->frequency[level - 2] = DatumGetInt64(cut[level - 2]);
		/* numerics come back as copies in receiver->context */
		read_cuts(by_monetary, n, scores, false, cut);
		for (level = 2; level <= scores; level++)
		{
			if (receiver->inexact)
				cuts->monetary[level - 2] = DatumGetNumeric(cut[level - 2]);
			else
				cuts->monetary_units[level - 2] = DatumGetInt64(cut[level - 2]);
		}
		tuplesort_end(by_recency);
		tuplesort_end(by_frequency);
		tuplesort_end(by_monetary);
	}

	/* score the merged profiles */
	tuplestore_rescan(merged);
	while (tuplestore_gettupleslot(merged, true, false, slot))
	{
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(row_context);
		customer_deserialize(DatumGetByteaPP(slot_getattr(slot, 2, &isnull)), &current,
							 row_context);
		emit_profile(rsinfo, DatumGetInt64(slot_getattr(slot, 1, &isnull)), &current,
					 &receiver->window, cuts, map);
		/* a tuple read back from disk is the slot's to free: not in row_context */
		MemoryContextSwitchTo(receiver->context);
		MemoryContextReset(row_context);
	}
	tuplestore_end(merged);
	ExecDropSingleTupleTableSlot(slot);
	ExecDropSingleTupleTableSlot(receiver->spill_slot);
	MemoryContextSwitchTo(old);
}

PG_FUNCTION_INFO_V1(cdp_rfm_profile_scores);

Datum
cdp_rfm_profile_scores(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext context;
	MemoryContext old;
	ProfileReceiver receiver;
	SPIExecuteOptions options;
	ParamListInfo params;
	RfmCuts		cuts;
	RfmSegmentMap *map;
	bool		exact = true;
	int			scores = 0;
	uint32		n;
	uint32		i;
	int			ret;

	/* as_of, scores, window_length, purchase_type, scheme */
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cdp.rfm_profile_scores: as_of must not be null")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cdp.rfm_profile_scores: purchase_type must not be null")));
	if (PG_ARGISNULL(4))
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("cdp.rfm_profile_scores: scores must not be null without a threshold scheme")));
		scores = PG_GETARG_INT32(1);
		rfm_check_scores(scores, "cdp.rfm_profile_scores");
	}

	InitMaterializedSRF(fcinfo, 0);
	context = AllocSetContextCreate(CurrentMemoryContext, "cdp.rfm_profile_scores",
									ALLOCSET_DEFAULT_SIZES);

	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = receiver_receive;
	receiver.pub.rStartup = receiver_startup;
	receiver.pub.rShutdown = receiver_shutdown;
	receiver.pub.rDestroy = receiver_destroy;
	receiver.pub.mydest = DestNone;
	receiver.context = context;
	rfm_window_init(&receiver.window, PG_GETARG_TIMESTAMPTZ(0),
					PG_ARGISNULL(2) ? NULL : PG_GETARG_INTERVAL_P(2), "cdp.rfm_profile_scores");
	receiver.hash_context = AllocSetContextCreate(context, "profiles", ALLOCSET_DEFAULT_SIZES);
	receiver.memory_limit = get_hash_memory_limit();
	receiver_reset(&receiver);

	params = makeParamList(2);
	params->numParams = 2;
	params->params[0].value = PG_GETARG_DATUM(0);
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = TIMESTAMPTZOID;
	params->params[1].value = PG_GETARG_DATUM(3);
	params->params[1].isnull = false;
	params->params[1].pflags = PARAM_FLAG_CONST;
	params->params[1].ptype = TEXTOID;

	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = true;
	options.dest = (DestReceiver *) &receiver;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_extended("SELECT e.profile_id, e.occurred_at, e.amount "
							   "FROM cdp.events e "
							   "WHERE e.profile_id IS NOT NULL "
							   "AND e.event_type OPERATOR(pg_catalog.=) $2 "
							   "AND e.occurred_at OPERATOR(pg_catalog.<=) $1", &options);
	/* rows sent to a DestNone receiver count as a "utility" result */
	if (ret != SPI_OK_SELECT && ret != SPI_OK_UTILITY)
		elog(ERROR, "reading cdp.events failed: %s", SPI_result_code_string(ret));
	if (!PG_ARGISNULL(4))
		threshold_cuts(PG_GETARG_TEXT_PP(4), &cuts, context);
	map = rfm_segment_map_load(context);
	SPI_finish();

	if (receiver.spill != NULL)
	{
		score_spilled(&receiver, rsinfo, scores, !PG_ARGISNULL(4), &cuts, map);
		MemoryContextDelete(context);
		return (Datum) 0;
	}

	n = receiver.count;
	if (n == 0)
	{
		MemoryContextDelete(context);
		return (Datum) 0;
	}
	profiles_destroy(receiver.hash);
	for (i = 0; i < n; i++)
		if (receiver.customers[i].monetary.slow != NULL)
			exact = false;

	old = MemoryContextSwitchTo(context);
	if (PG_ARGISNULL(4))
	{
		int32	   *recency = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
		int64	   *frequency = palloc_extended(n * sizeof(int64), MCXT_ALLOC_HUGE);
		int64	   *monetary = palloc_extended(n * sizeof(int64), MCXT_ALLOC_HUGE);
		Numeric    *numerics = NULL;

		if (!exact)
			numerics = palloc_extended(n * sizeof(Numeric), MCXT_ALLOC_HUGE);
		for (i = 0; i < n; i++)
		{
			const RfmCustomer *c = &receiver.customers[i];

			recency[i] = rfm_recency_days(&receiver.window, c);
			frequency[i] = c->frequency;
			monetary[i] = c->monetary.units;
			if (!exact)
				numerics[i] = cdp_amount_sum_result(&c->monetary);
		}
		rfm_cuts_compute(scores, n, recency, frequency, monetary, numerics, &cuts);
		pfree(recency);
		pfree(frequency);
		pfree(monetary);
	}
	MemoryContextSwitchTo(old);

	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		emit_profile(rsinfo, receiver.ids[i], &receiver.customers[i], &receiver.window, &cuts, map);
	}
	MemoryContextDelete(context);
	return (Datum) 0;
}
