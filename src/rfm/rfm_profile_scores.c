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
 * Memory: about 100 bytes per profile, not bounded by work_mem (10
 * million profiles take about 1 GB), plus the result tuplestore, which
 * spills to disk past work_mem.
 *
 * src/rfm/rfm_profile_scores.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

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

typedef struct ProfileReceiver
{
	DestReceiver pub;
	MemoryContext context;		/* where everything is kept */
	RfmWindow	window;
	profiles_hash *hash;
	int64	   *ids;
	RfmCustomer *customers;
	uint32		count;
	uint32		capacity;
} ProfileReceiver;

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
			if (receiver->capacity >= PG_UINT32_MAX / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("cdp.rfm_profile_scores: too many profiles")));
			receiver->capacity *= 2;
			receiver->ids = repalloc_huge(receiver->ids, receiver->capacity * sizeof(int64));
			receiver->customers = repalloc_huge(receiver->customers,
												receiver->capacity * sizeof(RfmCustomer));
		}
		entry->index = receiver->count++;
		receiver->ids[entry->index] = entry->profile_id;
		rfm_customer_init(&receiver->customers[entry->index]);
	}
	rfm_customer_add(&receiver->customers[entry->index], &receiver->window,
					 DatumGetTimestampTz(slot->tts_values[1]), slot->tts_values[2],
					 slot->tts_isnull[2], "cdp.rfm_profile_scores", receiver->context);
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
	receiver.capacity = 1024;
	receiver.ids = MemoryContextAlloc(context, receiver.capacity * sizeof(int64));
	receiver.customers = MemoryContextAlloc(context, receiver.capacity * sizeof(RfmCustomer));
	receiver.hash = profiles_create(context, 1024, NULL);

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
		const RfmCustomer *c = &receiver.customers[i];
		int32		recency_days = rfm_recency_days(&receiver.window, c);
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};
		Numeric		monetary;
		RfmScore	score;
		const RfmSegmentRule *rule;

		CHECK_FOR_INTERRUPTS();
		monetary = cdp_amount_sum_result(&c->monetary);
		score = RFM_SCORE_MAKE(rfm_score_recency(&cuts, recency_days),
							   rfm_score_frequency(&cuts, c->frequency),
							   c->monetary.slow == NULL && cuts.monetary_exact
							   ? rfm_score_monetary_units(&cuts, c->monetary.units)
							   : rfm_score_monetary(&cuts, NumericGetDatum(monetary)));
		rule = rfm_segment_lookup(map, score);
		values[0] = Int64GetDatum(receiver.ids[i]);
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
	MemoryContextDelete(context);
	return (Datum) 0;
}
