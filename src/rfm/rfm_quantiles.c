/*-------------------------------------------------------------------------
 *
 * rfm_quantiles.c
 *	  cdp.rfm_quantiles(metrics [, scores]): the cuts between score levels
 *	  of a scored population, as a cdp.rfm_cuts value that cdp.rfm_score
 *	  compares each customer with.
 *
 * Tie policy.  A value's level is the NTILE(N) bucket of the first
 * position its value takes in the population sorted from worst to best
 * (most days since the last purchase first; fewest purchases, least spend
 * first).  So equal values always get equal levels, and where there are no
 * ties the levels equal NTILE(N) OVER (ORDER BY value) exactly.  In other
 * words: level = the NTILE bucket of the number of customers strictly
 * worse than this one.  Bucket k starts at position
 * (k - 1) * (n / N) + min(k - 1, n % N), as NTILE's do, so level k is
 * reached when more than that many are strictly worse, i.e. when the value
 * is better than the value at position start(k) - 1: that value is the
 * cut.
 *
 * Memory: the state keeps every value (20 bytes a customer) and sorts
 * copies of them in the final function, which may therefore run more than
 * once on a state.
 *
 * src/rfm/rfm_quantiles.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "rfm/rfm.h"

#define ST_SORT sort_int32_desc
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) (*(a) > *(b) ? -1 : *(a) < *(b) ? 1 : 0)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT sort_int64
#define ST_ELEMENT_TYPE int64
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct RfmQuantileState
{
	int			scores;
	int64		count;			/* customers */
	int64		capacity;
	int32	   *recency;
	int64	   *frequency;
	int64	   *monetary;		/* 1/10000 units; see other_monetary */
	/* monetary values that are not exact in units, as numerics */
	int64		nother;
	int64		other_capacity;
	Numeric    *other_monetary;
	bool	   *monetary_is_other;	/* only once nother > 0 */
} RfmQuantileState;

static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext context;

	if (!AggCheckCallContext(fcinfo, &context))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", name)));
	return context;
}

/*
 * First position (0-based) of NTILE bucket "level" among n rows in
 * "scores" buckets.
 */
int
rfm_ntile_start(int64 population, int scores, int level)
{
	int64		q = population / scores;
	int64		r = population % scores;

	return (int) ((level - 1) * q + Min(level - 1, r));
}

void
rfm_check_scores(int scores, const char *caller)
{
	if (scores < 2 || scores > RFM_MAX_SCORE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the number of score levels must be between 2 and %d", caller,
						RFM_MAX_SCORE),
				 errdetail("It is %d.", scores)));
}

static RfmQuantileState *
quantile_state_new(MemoryContext context, int scores)
{
	RfmQuantileState *state = MemoryContextAllocZero(context, sizeof(RfmQuantileState));

	rfm_check_scores(scores, "cdp.rfm_quantiles");
	state->scores = scores;
	state->capacity = 1024;
	state->recency = MemoryContextAlloc(context, state->capacity * sizeof(int32));
	state->frequency = MemoryContextAlloc(context, state->capacity * sizeof(int64));
	state->monetary = MemoryContextAlloc(context, state->capacity * sizeof(int64));
	return state;
}

static void
quantile_state_reserve(RfmQuantileState *state, int64 more)
{
	int64		needed = state->count + more;

	if (needed <= state->capacity)
		return;
	while (state->capacity < needed)
		state->capacity *= 2;
	state->recency = repalloc_huge(state->recency, state->capacity * sizeof(int32));
	state->frequency = repalloc_huge(state->frequency, state->capacity * sizeof(int64));
	state->monetary = repalloc_huge(state->monetary, state->capacity * sizeof(int64));
	if (state->monetary_is_other != NULL)
		state->monetary_is_other = repalloc_huge(state->monetary_is_other,
												 state->capacity * sizeof(bool));
}

/* Keep a monetary value that is not exact in units. */
static void
quantile_state_add_other(RfmQuantileState *state, MemoryContext context, Numeric value)
{
	MemoryContext old = MemoryContextSwitchTo(context);

	if (state->monetary_is_other == NULL)
		state->monetary_is_other = MemoryContextAllocExtended(context,
															  state->capacity * sizeof(bool),
															  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (state->nother == state->other_capacity)
	{
		state->other_capacity = Max(16, state->other_capacity * 2);
		if (state->other_monetary == NULL)
			state->other_monetary = palloc(state->other_capacity * sizeof(Numeric));
		else
			state->other_monetary = repalloc_huge(state->other_monetary,
												  state->other_capacity * sizeof(Numeric));
	}
	state->monetary_is_other[state->count] = true;
	state->monetary[state->count] = state->nother;
	state->other_monetary[state->nother++] = DatumGetNumericCopy(NumericGetDatum(value));
	MemoryContextSwitchTo(old);
}

static void
quantile_state_add(RfmQuantileState *state, MemoryContext context,
				   int32 recency, int64 frequency, Datum monetary)
{
	int64		units;
	int			dscale;
	CdpAmountStatus status;

	quantile_state_reserve(state, 1);
	state->recency[state->count] = recency;
	state->frequency[state->count] = frequency;
	status = cdp_amount_decode(monetary, &units, &dscale);
	if (status == CDP_AMOUNT_OK)
	{
		state->monetary[state->count] = units;
		if (state->monetary_is_other != NULL)
			state->monetary_is_other[state->count] = false;
	}
	else
	{
		cdp_amount_check(status, monetary, "cdp.rfm_quantiles");
		quantile_state_add_other(state, context, DatumGetNumeric(monetary));
	}
	state->count++;
}

PG_FUNCTION_INFO_V1(cdp_rfm_quantiles_transfn);

/*
 * cdp._rfm_quantiles_transfn(state, metrics cdp.rfm_metrics [, scores])
 */
Datum
cdp_rfm_quantiles_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._rfm_quantiles_transfn");
	RfmQuantileState *state = PG_ARGISNULL(0) ? NULL : (RfmQuantileState *) PG_GETARG_POINTER(0);
	int			scores = 5;
	HeapTupleHeader metrics;
	HeapTupleData tuple;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3];
	int			i;

	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("cdp.rfm_quantiles: the number of score levels must not be null")));
		scores = PG_GETARG_INT32(2);
	}
	if (state == NULL)
		state = quantile_state_new(context, scores);
	else if (state->scores != scores)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.rfm_quantiles: the number of score levels must be the same on every row")));
	if (PG_ARGISNULL(1))
		CDP_RETURN_STATE(state);

	metrics = PG_GETARG_HEAPTUPLEHEADER(1);
	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(metrics),
									 HeapTupleHeaderGetTypMod(metrics));
	tuple.t_len = HeapTupleHeaderGetDatumLength(metrics);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = metrics;
	for (i = 0; i < 3; i++)
		values[i] = heap_getattr(&tuple, i + 1, tupdesc, &nulls[i]);
	ReleaseTupleDesc(tupdesc);
	/* metrics with a missing part are not scored (and not counted) */
	if (nulls[0] || nulls[1] || nulls[2])
		CDP_RETURN_STATE(state);
	if (DatumGetInt32(values[0]) < 0 || DatumGetInt64(values[1]) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.rfm_quantiles: recency_days and frequency must not be negative")));
	quantile_state_add(state, context, DatumGetInt32(values[0]), DatumGetInt64(values[1]),
					   values[2]);
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_rfm_quantiles_combine);

Datum
cdp_rfm_quantiles_combine(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._rfm_quantiles_combine");
	RfmQuantileState *state = PG_ARGISNULL(0) ? NULL : (RfmQuantileState *) PG_GETARG_POINTER(0);
	RfmQuantileState *other = PG_ARGISNULL(1) ? NULL : (RfmQuantileState *) PG_GETARG_POINTER(1);
	int64		i;

	if (other == NULL)
		CDP_RETURN_STATE(state);
	if (state == NULL)
		state = quantile_state_new(context, other->scores);
	else if (state->scores != other->scores)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.rfm_quantiles: the number of score levels must be the same on every row")));
	quantile_state_reserve(state, other->count);
	for (i = 0; i < other->count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		state->recency[state->count] = other->recency[i];
		state->frequency[state->count] = other->frequency[i];
		if (other->monetary_is_other != NULL && other->monetary_is_other[i])
			quantile_state_add_other(state, context,
									 other->other_monetary[other->monetary[i]]);
		else
		{
			state->monetary[state->count] = other->monetary[i];
			if (state->monetary_is_other != NULL)
				state->monetary_is_other[state->count] = false;
		}
		state->count++;
	}
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_rfm_quantiles_serial);

/*
 * Serialised state: scores, count, nother, then the three arrays, the
 * "is other" flags when nother > 0, and the other values as varlenas.
 */
Datum
cdp_rfm_quantiles_serial(PG_FUNCTION_ARGS)
{
	RfmQuantileState *state = (RfmQuantileState *) PG_GETARG_POINTER(0);
	Size		size;
	bytea	   *result;
	char	   *p;
	int64		i;

	aggregate_context(fcinfo, "cdp._rfm_quantiles_serial");
	size = sizeof(int32) + 2 * sizeof(int64) +
		state->count * (sizeof(int32) + 2 * sizeof(int64));
	if (state->nother > 0)
	{
		size += state->count * sizeof(bool);
		for (i = 0; i < state->nother; i++)
			size += VARSIZE(state->other_monetary[i]);
	}
	if (!AllocSizeIsValid(size + VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cdp.rfm_quantiles: too many customers for a parallel plan"),
				 errhint("SET max_parallel_workers_per_gather = 0.")));
	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	p = VARDATA(result);
	memcpy(p, &state->scores, sizeof(int32));
	p += sizeof(int32);
	memcpy(p, &state->count, sizeof(int64));
	p += sizeof(int64);
	memcpy(p, &state->nother, sizeof(int64));
	p += sizeof(int64);
	memcpy(p, state->recency, state->count * sizeof(int32));
	p += state->count * sizeof(int32);
	memcpy(p, state->frequency, state->count * sizeof(int64));
	p += state->count * sizeof(int64);
	memcpy(p, state->monetary, state->count * sizeof(int64));
	p += state->count * sizeof(int64);
	if (state->nother > 0)
	{
		memcpy(p, state->monetary_is_other, state->count * sizeof(bool));
		p += state->count * sizeof(bool);
		for (i = 0; i < state->nother; i++)
		{
			memcpy(p, state->other_monetary[i], VARSIZE(state->other_monetary[i]));
			p += VARSIZE(state->other_monetary[i]);
		}
	}
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(cdp_rfm_quantiles_deserial);

Datum
cdp_rfm_quantiles_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._rfm_quantiles_deserial");
	bytea	   *bytes = PG_GETARG_BYTEA_P(0);
	const char *p = VARDATA(bytes);
	int32		scores;
	int64		count;
	int64		nother;
	RfmQuantileState *state;
	int64		i;

	memcpy(&scores, p, sizeof(int32));
	p += sizeof(int32);
	memcpy(&count, p, sizeof(int64));
	p += sizeof(int64);
	memcpy(&nother, p, sizeof(int64));
	p += sizeof(int64);
	state = quantile_state_new(context, scores);
	quantile_state_reserve(state, count);
	memcpy(state->recency, p, count * sizeof(int32));
	p += count * sizeof(int32);
	memcpy(state->frequency, p, count * sizeof(int64));
	p += count * sizeof(int64);
	memcpy(state->monetary, p, count * sizeof(int64));
	p += count * sizeof(int64);
	state->count = count;
	if (nother > 0)
	{
		state->monetary_is_other = MemoryContextAllocHuge(context, state->capacity * sizeof(bool));
		memcpy(state->monetary_is_other, p, count * sizeof(bool));
		p += count * sizeof(bool);
		state->other_capacity = nother;
		state->other_monetary = MemoryContextAllocHuge(context, nother * sizeof(Numeric));
		for (i = 0; i < nother; i++)
		{
			Size		len = VARSIZE(p);

			state->other_monetary[i] = MemoryContextAlloc(context, len);
			memcpy(state->other_monetary[i], p, len);
			p += len;
		}
		state->nother = nother;
	}
	CDP_RETURN_STATE(state);
}

/* qsort comparator for numerics */
static int
compare_numeric(const void *a, const void *b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
											 NumericGetDatum(*(const Numeric *) a),
											 NumericGetDatum(*(const Numeric *) b)));
}

/*
 * The cuts of a population of n customers: sort each dimension and read
 * the value just before each bucket's start.  monetary_numeric, when not
 * NULL, holds every monetary value as a numeric (some were not exact in
 * units) and monetary_units is ignored.  The arrays are not changed.
 */
void
rfm_cuts_compute(int scores, int64 n, const int32 *recency, const int64 *frequency,
				 const int64 *monetary_units, Numeric *monetary_numeric, RfmCuts *cuts)
{
	int32	   *sorted32 = palloc_extended(n * sizeof(int32), MCXT_ALLOC_HUGE);
	int64	   *sorted64 = palloc_extended(n * sizeof(int64), MCXT_ALLOC_HUGE);
	int			level;

	Assert(n > 0);
	memset(cuts, 0, sizeof(RfmCuts));
	cuts->scores = scores;
	cuts->inclusive = false;
	cuts->monetary_exact = monetary_numeric == NULL;

	memcpy(sorted32, recency, n * sizeof(int32));
	sort_int32_desc(sorted32, n);
	for (level = 2; level <= scores; level++)
		cuts->recency[level - 2] = sorted32[rfm_ntile_start(n, scores, level) - 1];
	pfree(sorted32);
	CHECK_FOR_INTERRUPTS();

	memcpy(sorted64, frequency, n * sizeof(int64));
	sort_int64(sorted64, n);
	for (level = 2; level <= scores; level++)
		cuts->frequency[level - 2] = sorted64[rfm_ntile_start(n, scores, level) - 1];
	CHECK_FOR_INTERRUPTS();

	if (monetary_numeric == NULL)
	{
		memcpy(sorted64, monetary_units, n * sizeof(int64));
		sort_int64(sorted64, n);
		for (level = 2; level <= scores; level++)
			cuts->monetary_units[level - 2] = sorted64[rfm_ntile_start(n, scores, level) - 1];
	}
	else
	{
		Numeric    *sorted = palloc_extended(n * sizeof(Numeric), MCXT_ALLOC_HUGE);

		memcpy(sorted, monetary_numeric, n * sizeof(Numeric));
		qsort(sorted, n, sizeof(Numeric), compare_numeric);
		for (level = 2; level <= scores; level++)
			cuts->monetary[level - 2] = sorted[rfm_ntile_start(n, scores, level) - 1];
		pfree(sorted);
	}
	pfree(sorted64);
}

PG_FUNCTION_INFO_V1(cdp_rfm_quantiles_finalfn);

Datum
cdp_rfm_quantiles_finalfn(PG_FUNCTION_ARGS)
{
	RfmQuantileState *state;
	RfmCuts		cuts;
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	Numeric    *all = NULL;

	aggregate_context(fcinfo, "cdp._rfm_quantiles_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RfmQuantileState *) PG_GETARG_POINTER(0);
	if (state->count == 0)
		PG_RETURN_NULL();

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "cdp._rfm_quantiles_finalfn must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		fcinfo->flinfo->fn_extra = tupdesc;
		MemoryContextSwitchTo(old);
	}
	if (state->nother > 0)
	{
		int64		i;

		all = palloc_extended(state->count * sizeof(Numeric), MCXT_ALLOC_HUGE);
		for (i = 0; i < state->count; i++)
			all[i] = state->monetary_is_other[i]
				? state->other_monetary[state->monetary[i]]
				: cdp_units_to_numeric(state->monetary[i], CDP_AMOUNT_DECIMALS);
	}
	rfm_cuts_compute(state->scores, state->count, state->recency, state->frequency,
					 state->monetary, all, &cuts);
	PG_RETURN_DATUM(rfm_cuts_to_datum(&cuts, state->count, tupdesc));
}
