/*-------------------------------------------------------------------------
 *
 * clv_summary.c
 *	  cdp.clv_summary_agg(occurred_at, amount, as_of, period): one
 *	  customer's purchase history summarised for the lifetime-value models,
 *	  as cdp.clv_summary (frequency, recency, t, monetary_value).
 *
 * As in Fader, Hardie and Lee's CDNOW data, purchases are counted by
 * calendar day (in the session's time zone): several purchases on one day
 * are one transaction.  With days the distinct purchase days, first the
 * earliest and last the latest:
 *	frequency		number of repeat purchase days (days - 1);
 *	recency			(last - first) in periods;
 *	t				(as_of - first) in periods ("T" in the literature);
 *	monetary_value	mean spend of the repeat purchase days (the first
 *					day's spend left out), 0 when frequency is 0.
 * A NULL amount is a purchase that adds nothing to spend (as sum() would
 * treat it); a NULL occurred_at is ignored; a negative or non-finite
 * amount, a purchase on a day after as_of, a NULL or infinite as_of, a
 * period that is not a positive fixed length, and arguments that differ
 * between the rows of a group are errors.
 *
 * The state keeps the distinct days (4 bytes each), appended unsorted and
 * sorted/deduplicated when the buffer fills, so the cost is O(n log n)
 * whatever the input order.
 *
 * src/rfm/clv_summary.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "rfm/rfm.h"

#define ST_SORT sort_days
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : *(a) > *(b) ? 1 : 0)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct ClvState
{
	DateADT		as_of;
	Interval	period;
	double		period_days;
	DateADT		first_day;
	int32		ndays;			/* entries in days (may repeat until sorted) */
	int32		capacity;
	int32	   *days;
	CdpAmountSum total;			/* every purchase */
	CdpAmountSum first_total;	/* purchases on first_day */
} ClvState;

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

static double
period_in_days(Interval *period)
{
	double		days;

	if (period->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.clv_summary_agg: the period must be a fixed length, without months or years"),
				 errhint("Use days, e.g. '7 days' for weeks or '30 days' for months.")));
	days = period->day + (double) period->time / USECS_PER_DAY;
	if (!(days > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.clv_summary_agg: the period must be longer than zero")));
	return days;
}

static ClvState *
clv_state_new(MemoryContext context, DateADT as_of, Interval *period)
{
	ClvState   *state = MemoryContextAllocZero(context, sizeof(ClvState));

	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.clv_summary_agg: as_of must be a finite date")));
	state->as_of = as_of;
	state->period = *period;
	state->period_days = period_in_days(period);
	state->first_day = DATEVAL_NOEND;
	state->capacity = 8;
	state->days = MemoryContextAlloc(context, state->capacity * sizeof(int32));
	cdp_amount_sum_init(&state->total);
	cdp_amount_sum_init(&state->first_total);
	return state;
}

/* Sort and deduplicate the days. */
static void
clv_state_compact(ClvState *state)
{
	int32		i,
				kept = 0;

	sort_days(state->days, state->ndays);
	for (i = 0; i < state->ndays; i++)
		if (kept == 0 || state->days[kept - 1] != state->days[i])
			state->days[kept++] = state->days[i];
	state->ndays = kept;
}

static void
clv_state_add_day(ClvState *state, DateADT day)
{
	if (state->ndays > 0 && state->days[state->ndays - 1] == day)
		return;					/* the common case of ordered input */
	if (state->ndays == state->capacity)
	{
		clv_state_compact(state);
		if (state->ndays > state->capacity / 2)
		{
			state->capacity *= 2;
			state->days = repalloc_huge(state->days, state->capacity * sizeof(int32));
		}
	}
	state->days[state->ndays++] = day;
}

static void
clv_state_check_same(const ClvState *state, DateADT as_of, Interval *period)
{
	if (state->as_of != as_of || memcmp(&state->period, period, sizeof(Interval)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.clv_summary_agg: as_of and period must be the same on every row of a group")));
}

PG_FUNCTION_INFO_V1(cdp_clv_summary_transfn);

/*
 * cdp._clv_summary_transfn(state, occurred_at, amount, as_of, period)
 */
Datum
cdp_clv_summary_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._clv_summary_transfn");
	ClvState   *state = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	DateADT		as_of;
	Interval   *period;
	TimestampTz occurred_at;
	DateADT		day;

	if (PG_ARGISNULL(1))
		CDP_RETURN_STATE(state);
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cdp.clv_summary_agg: as_of and period must not be null")));
	as_of = PG_GETARG_DATEADT(3);
	period = PG_GETARG_INTERVAL_P(4);
	occurred_at = PG_GETARG_TIMESTAMPTZ(1);
	if (state == NULL)
		state = clv_state_new(context, as_of, period);
	else
		clv_state_check_same(state, as_of, period);

	if (TIMESTAMP_NOT_FINITE(occurred_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.clv_summary_agg: occurred_at must be a finite time")));
	day = DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(occurred_at)));
	if (day > state->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.clv_summary_agg: a purchase on %s is after as_of %s",
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day))),
						DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(state->as_of)))),
				 errhint("Leave later purchases out with WHERE occurred_at < as_of + 1.")));

	clv_state_add_day(state, day);
	if (day < state->first_day)
	{
		state->first_day = day;
		cdp_amount_sum_init(&state->first_total);
	}
	if (!PG_ARGISNULL(2))
	{
		Datum		amount = PG_GETARG_DATUM(2);

		cdp_amount_sum_add(&state->total, amount, "cdp.clv_summary_agg", context);
		if (day == state->first_day)
			cdp_amount_sum_add(&state->first_total, amount, "cdp.clv_summary_agg", context);
	}
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_clv_summary_combine);

Datum
cdp_clv_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._clv_summary_combine");
	ClvState   *state = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvState   *other = PG_ARGISNULL(1) ? NULL : (ClvState *) PG_GETARG_POINTER(1);
	int32		i;

	if (other == NULL)
		CDP_RETURN_STATE(state);
	if (state == NULL)
		state = clv_state_new(context, other->as_of, &other->period);
	else
		clv_state_check_same(state, other->as_of, &other->period);
	for (i = 0; i < other->ndays; i++)
		clv_state_add_day(state, other->days[i]);
	cdp_amount_sum_combine(&state->total, &other->total, context);
	if (other->first_day < state->first_day)
	{
		state->first_day = other->first_day;
		cdp_amount_sum_init(&state->first_total);
	}
	if (other->first_day == state->first_day)
		cdp_amount_sum_combine(&state->first_total, &other->first_total, context);
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_clv_summary_serial);

Datum
cdp_clv_summary_serial(PG_FUNCTION_ARGS)
{
	ClvState   *state = (ClvState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int32		i;

	aggregate_context(fcinfo, "cdp._clv_summary_serial");
	clv_state_compact(state);
	pq_begintypsend(&buf);
	pq_sendint32(&buf, state->as_of);
	pq_sendint64(&buf, state->period.time);
	pq_sendint32(&buf, state->period.day);
	pq_sendint32(&buf, state->period.month);
	pq_sendint32(&buf, state->first_day);
	cdp_amount_sum_send(&buf, &state->total);
	cdp_amount_sum_send(&buf, &state->first_total);
	pq_sendint32(&buf, state->ndays);
	for (i = 0; i < state->ndays; i++)
		pq_sendint32(&buf, state->days[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(cdp_clv_summary_deserial);

Datum
cdp_clv_summary_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._clv_summary_deserial");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	ClvState   *state;
	DateADT		as_of;
	Interval	period;
	int32		ndays;
	int32		i;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = 0;
	buf.cursor = 0;
	as_of = pq_getmsgint(&buf, 4);
	period.time = pq_getmsgint64(&buf);
	period.day = pq_getmsgint(&buf, 4);
	period.month = pq_getmsgint(&buf, 4);
	state = clv_state_new(context, as_of, &period);
	state->first_day = pq_getmsgint(&buf, 4);
	cdp_amount_sum_receive(&buf, &state->total, context);
	cdp_amount_sum_receive(&buf, &state->first_total, context);
	ndays = pq_getmsgint(&buf, 4);
	if (ndays > state->capacity)
	{
		state->capacity = ndays;
		state->days = repalloc_huge(state->days, ndays * sizeof(int32));
	}
	for (i = 0; i < ndays; i++)
		state->days[i] = pq_getmsgint(&buf, 4);
	state->ndays = ndays;
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_clv_summary_finalfn);

/*
 * The cdp.clv_summary of the group.  Sorting the days in place is
 * harmless if the final function runs again on the state.
 */
Datum
cdp_clv_summary_finalfn(PG_FUNCTION_ARGS)
{
	ClvState   *state;
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int32		frequency;
	DateADT		last_day;

	aggregate_context(fcinfo, "cdp._clv_summary_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (ClvState *) PG_GETARG_POINTER(0);
	if (state->ndays == 0)
		PG_RETURN_NULL();
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "cdp._clv_summary_finalfn must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		fcinfo->flinfo->fn_extra = tupdesc;
		MemoryContextSwitchTo(old);
	}

	clv_state_compact(state);
	frequency = state->ndays - 1;
	last_day = state->days[state->ndays - 1];
	values[0] = Int32GetDatum(frequency);
	values[1] = Float8GetDatum((last_day - state->first_day) / state->period_days);
	values[2] = Float8GetDatum((state->as_of - state->first_day) / state->period_days);
	values[3] = Float8GetDatum(frequency == 0 ? 0.0 :
							   cdp_amount_sum_difference(&state->total, &state->first_total) / frequency);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
