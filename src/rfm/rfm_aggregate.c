/*-------------------------------------------------------------------------
 *
 * rfm_aggregate.c
 *	  cdp.rfm_agg(occurred_at, amount, as_of [, window_length]): recency,
 *	  frequency and monetary value of one customer's purchases, for any
 *	  customer key (GROUP BY whatever identifies the customer).
 *
 * The state is fixed-size (no per-row allocation): the as-of time, the
 * window's start, the first and last purchase, the purchase count and the
 * exact spend in the window.  Combine, serial and deserial functions let
 * parallel query (and distributed engines) aggregate in parts.  The
 * per-purchase update is shared with cdp.rfm_profile_scores.
 *
 * Conventions, each tested in sql/rfm_aggregate.sql:
 *	- recency_days is the number of whole days (24-hour periods) from the
 *	  last purchase to as_of, whatever the window;
 *	- frequency and monetary count the purchases in the window
 *	  [as_of - window_length, as_of], or all of them when there is none;
 *	- a row with a NULL occurred_at is ignored (as aggregates ignore NULL);
 *	  a NULL amount is a purchase that adds nothing to monetary (as sum()
 *	  would); a negative or non-finite amount, a purchase after as_of, an
 *	  infinite time, a NULL as_of, an as_of or window that differs between
 *	  the rows of a group, and an empty or negative window are errors;
 *	- no rows (or only rows without a time) give NULL.
 *
 * src/rfm/rfm_aggregate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "rfm/rfm.h"

typedef struct RfmAggState
{
	RfmWindow	window;
	RfmCustomer customer;
} RfmAggState;

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

static char *
timestamp_text(TimestampTz t)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t)));
}

/*
 * Check as_of and the window length (NULL for none) and work out where the
 * window starts.
 */
void
rfm_window_init(RfmWindow *window, TimestampTz as_of, Interval *length, const char *caller)
{
	memset(window, 0, sizeof(RfmWindow));
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: as_of must be a finite time", caller)));
	window->as_of = as_of;
	window->has_window = length != NULL;
	window->window_start = DT_NOBEGIN;
	if (length != NULL)
	{
		window->window = *length;
		window->window_start =
			DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
													TimestampTzGetDatum(as_of),
													IntervalPGetDatum(length)));
		if (window->window_start >= as_of)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the window must be longer than zero", caller),
					 errdetail("The window is %s.",
							   DatumGetCString(DirectFunctionCall1(interval_out,
																   IntervalPGetDatum(length)))),
					 errhint("Pass NULL for no window (all purchases up to as_of).")));
	}
}

void
rfm_customer_init(RfmCustomer *customer)
{
	customer->first_at = DT_NOEND;
	customer->last_at = DT_NOBEGIN;
	customer->frequency = 0;
	cdp_amount_sum_init(&customer->monetary);
}

/*
 * Count one purchase.
 */
void
rfm_customer_add(RfmCustomer *customer, const RfmWindow *window, TimestampTz occurred_at,
				 Datum amount, bool amount_isnull, const char *caller, MemoryContext context)
{
	if (unlikely(occurred_at > window->as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: a purchase at %s is after as_of %s", caller,
						timestamp_text(occurred_at), timestamp_text(window->as_of)),
				 errhint("Leave later purchases out with WHERE occurred_at <= as_of.")));
	if (unlikely(TIMESTAMP_NOT_FINITE(occurred_at)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: occurred_at must be a finite time", caller)));
	if (occurred_at < customer->first_at)
		customer->first_at = occurred_at;
	if (occurred_at > customer->last_at)
		customer->last_at = occurred_at;
	if (occurred_at >= window->window_start)
	{
		customer->frequency++;
		if (!amount_isnull)
			cdp_amount_sum_add(&customer->monetary, amount, caller, context);
	}
}

int32
rfm_recency_days(const RfmWindow *window, const RfmCustomer *customer)
{
	return (int32) ((window->as_of - customer->last_at) / USECS_PER_DAY);
}

static bool
same_window(const RfmWindow *window, TimestampTz as_of, Interval *length)
{
	return window->as_of == as_of && window->has_window == (length != NULL) &&
		(length == NULL || memcmp(&window->window, length, sizeof(Interval)) == 0);
}

static void
check_same_window(const RfmWindow *window, TimestampTz as_of, Interval *length)
{
	if (window->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.rfm_agg: as_of must be the same on every row of a group"),
				 errdetail("Rows have as_of %s and %s.",
						   timestamp_text(window->as_of), timestamp_text(as_of))));
	if (!same_window(window, as_of, length))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.rfm_agg: the window must be the same on every row of a group")));
}

PG_FUNCTION_INFO_V1(cdp_rfm_agg_transfn);

/*
 * cdp._rfm_agg_transfn(state, occurred_at, amount, as_of [, window_length])
 */
Datum
cdp_rfm_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._rfm_agg_transfn");
	RfmAggState *state = PG_ARGISNULL(0) ? NULL : (RfmAggState *) PG_GETARG_POINTER(0);
	TimestampTz as_of;
	Interval   *length = NULL;

	if (PG_ARGISNULL(1))
		CDP_RETURN_STATE(state);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cdp.rfm_agg: as_of must not be null")));
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
		length = PG_GETARG_INTERVAL_P(4);

	if (state == NULL)
	{
		state = MemoryContextAlloc(context, sizeof(RfmAggState));
		rfm_window_init(&state->window, as_of, length, "cdp.rfm_agg");
		rfm_customer_init(&state->customer);
	}
	else if (unlikely(!same_window(&state->window, as_of, length)))
		check_same_window(&state->window, as_of, length);

	rfm_customer_add(&state->customer, &state->window, PG_GETARG_TIMESTAMPTZ(1),
					 PG_GETARG_DATUM(2), PG_ARGISNULL(2), "cdp.rfm_agg", context);
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_rfm_agg_combine);

Datum
cdp_rfm_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._rfm_agg_combine");
	RfmAggState *state = PG_ARGISNULL(0) ? NULL : (RfmAggState *) PG_GETARG_POINTER(0);
	RfmAggState *other = PG_ARGISNULL(1) ? NULL : (RfmAggState *) PG_GETARG_POINTER(1);

	if (other == NULL)
		CDP_RETURN_STATE(state);
	if (state == NULL)
	{
		state = MemoryContextAlloc(context, sizeof(RfmAggState));
		state->window = other->window;
		rfm_customer_init(&state->customer);
	}
	else
		check_same_window(&state->window, other->window.as_of,
						  other->window.has_window ? &other->window.window : NULL);
	if (other->customer.first_at < state->customer.first_at)
		state->customer.first_at = other->customer.first_at;
	if (other->customer.last_at > state->customer.last_at)
		state->customer.last_at = other->customer.last_at;
	state->customer.frequency += other->customer.frequency;
	cdp_amount_sum_combine(&state->customer.monetary, &other->customer.monetary, context);
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_rfm_agg_serial);

/*
 * The state as bytes: the fixed part, then the slow part of the sum (a
 * numeric varlena) if there is one.
 */
Datum
cdp_rfm_agg_serial(PG_FUNCTION_ARGS)
{
	RfmAggState *state = (RfmAggState *) PG_GETARG_POINTER(0);
	Numeric		slow = state->customer.monetary.slow;
	Size		extra = slow ? VARSIZE(slow) : 0;
	bytea	   *result = palloc(VARHDRSZ + sizeof(RfmAggState) + extra);
	RfmAggState copy = *state;

	aggregate_context(fcinfo, "cdp._rfm_agg_serial");
	copy.customer.monetary.slow = NULL;
	SET_VARSIZE(result, VARHDRSZ + sizeof(RfmAggState) + extra);
	memcpy(VARDATA(result), &copy, sizeof(RfmAggState));
	if (extra > 0)
		memcpy(VARDATA(result) + sizeof(RfmAggState), slow, extra);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(cdp_rfm_agg_deserial);

Datum
cdp_rfm_agg_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._rfm_agg_deserial");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	Size		size = VARSIZE_ANY_EXHDR(bytes);
	RfmAggState *state;

	if (size < sizeof(RfmAggState))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("cdp._rfm_agg_deserial: truncated state")));
	state = MemoryContextAlloc(context, sizeof(RfmAggState));
	memcpy(state, VARDATA_ANY(bytes), sizeof(RfmAggState));
	state->customer.monetary.slow = NULL;
	if (size > sizeof(RfmAggState))
	{
		Size		extra = size - sizeof(RfmAggState);

		state->customer.monetary.slow = MemoryContextAlloc(context, extra);
		memcpy(state->customer.monetary.slow, VARDATA_ANY(bytes) + sizeof(RfmAggState), extra);
	}
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_rfm_agg_finalfn);

/*
 * The cdp.rfm_metrics of the group.  The row type is looked up once per
 * query and kept in fn_extra.
 */
Datum
cdp_rfm_agg_finalfn(PG_FUNCTION_ARGS)
{
	RfmAggState *state;
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	aggregate_context(fcinfo, "cdp._rfm_agg_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RfmAggState *) PG_GETARG_POINTER(0);
	if (state->customer.last_at == DT_NOBEGIN)
		PG_RETURN_NULL();

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "cdp._rfm_agg_finalfn must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		fcinfo->flinfo->fn_extra = tupdesc;
		MemoryContextSwitchTo(old);
	}

	values[0] = Int32GetDatum(rfm_recency_days(&state->window, &state->customer));
	values[1] = Int64GetDatum(state->customer.frequency);
	values[2] = NumericGetDatum(cdp_amount_sum_result(&state->customer.monetary));
	values[3] = TimestampTzGetDatum(state->customer.first_at);
	values[4] = TimestampTzGetDatum(state->customer.last_at);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
