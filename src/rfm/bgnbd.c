/*-------------------------------------------------------------------------
 *
 * bgnbd.c
 *	  The BG/NBD model of repeat purchases (Fader, Hardie & Lee, "Counting
 *	  your customers the easy way", Marketing Science 24(2), 2005):
 *	  cdp.bgnbd_fit(frequency, recency, t), an aggregate that fits r, alpha,
 *	  a and b by maximum likelihood (the predictions are in
 *	  bgnbd_predict.c).
 *
 * Fit: the customers are grouped by (frequency, recency, t), the terms that
 * depend on the frequency alone are computed once per distinct frequency,
 * and the negative log-likelihood is minimised over the logarithms of the
 * four parameters (so they stay positive) with cdp_minimize.
 *
 * Some populations have no maximum of the likelihood inside the parameter
 * space: when nobody seems to drop out (every customer bought recently)
 * the dropout probability a / (a + b) tends to 0, and when everybody buys
 * at the same rate r and alpha tend to infinity.  The search then either
 * runs a parameter off towards e^-20 or e^20 or wanders along a flat ridge
 * until the optimiser sees no improvement over a window; either way the
 * result is the best point found with converged = false, after a few
 * thousand evaluations rather than the whole budget.
 *
 * src/rfm/bgnbd.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/typcache.h"

#include "rfm/rfm.h"

#define BGNBD_TOLERANCE 1e-13
#define BGNBD_MAX_EVALUATIONS 40000
#define LOG_PARAM_LIMIT 30.0	/* parameters stay within e^-30 .. e^30 */
/* a parameter beyond e^-20 .. e^20 has run off to the boundary */
#define LOG_PARAM_BOUNDARY 20.0

/* ------------------------------------------------------------------------
 * The fit: cdp.bgnbd_fit(frequency, recency, t)
 * ---------------------------------------------------------------------- */

typedef struct BgnbdCustomer
{
	int32		x;
	double		tx;
	double		T;
} BgnbdCustomer;

typedef struct BgnbdFitState
{
	int64		count;
	int64		capacity;
	BgnbdCustomer *customers;
} BgnbdFitState;

/* Customers with the same summary, counted once with a weight. */
typedef struct BgnbdGroup
{
	double		weight;
	int			xi;				/* index of x among the distinct x */
	double		x;
	double		tx;
	double		T;
} BgnbdGroup;

typedef struct BgnbdData
{
	int			ngroups;
	BgnbdGroup *groups;
	int			nx;
	double	   *xs;				/* distinct frequencies */
	double	   *x_weight;		/* customers with each */
	double	   *x_terms;		/* scratch: the terms that depend on x */
	double	   *x_log_odds;		/* scratch: log a - log(b + x - 1) */
	double		customers;
} BgnbdData;

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

static BgnbdFitState *
fit_state_new(MemoryContext context)
{
	BgnbdFitState *state = MemoryContextAllocZero(context, sizeof(BgnbdFitState));

	state->capacity = 256;
	state->customers = MemoryContextAlloc(context, state->capacity * sizeof(BgnbdCustomer));
	return state;
}

static void
fit_state_reserve(BgnbdFitState *state, int64 more)
{
	if (state->count + more <= state->capacity)
		return;
	while (state->capacity < state->count + more)
		state->capacity *= 2;
	state->customers = repalloc_huge(state->customers, state->capacity * sizeof(BgnbdCustomer));
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_fit_transfn);

Datum
cdp_bgnbd_fit_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._bgnbd_fit_transfn");
	BgnbdFitState *state = PG_ARGISNULL(0) ? NULL : (BgnbdFitState *) PG_GETARG_POINTER(0);
	BgnbdCustomer *c;

	if (state == NULL)
		state = fit_state_new(context);
	/* a customer with a missing part of the summary is left out */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		CDP_RETURN_STATE(state);
	fit_state_reserve(state, 1);
	c = &state->customers[state->count];
	c->x = PG_GETARG_INT32(1);
	c->tx = PG_GETARG_FLOAT8(2);
	c->T = PG_GETARG_FLOAT8(3);
	cdp_check_customer("cdp.bgnbd_fit", c->x, c->tx, c->T);
	state->count++;
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_fit_combine);

Datum
cdp_bgnbd_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._bgnbd_fit_combine");
	BgnbdFitState *state = PG_ARGISNULL(0) ? NULL : (BgnbdFitState *) PG_GETARG_POINTER(0);
	BgnbdFitState *other = PG_ARGISNULL(1) ? NULL : (BgnbdFitState *) PG_GETARG_POINTER(1);

	if (other == NULL)
		CDP_RETURN_STATE(state);
	if (state == NULL)
		state = fit_state_new(context);
	fit_state_reserve(state, other->count);
	memcpy(state->customers + state->count, other->customers, other->count * sizeof(BgnbdCustomer));
	state->count += other->count;
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_fit_serial);

Datum
cdp_bgnbd_fit_serial(PG_FUNCTION_ARGS)
{
	BgnbdFitState *state = (BgnbdFitState *) PG_GETARG_POINTER(0);
	Size		size = state->count * sizeof(BgnbdCustomer);
	bytea	   *result;

	aggregate_context(fcinfo, "cdp._bgnbd_fit_serial");
	if (!AllocSizeIsValid(size + VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cdp.bgnbd_fit: too many customers for a parallel plan"),
				 errhint("SET max_parallel_workers_per_gather = 0.")));
	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	memcpy(VARDATA(result), state->customers, size);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_fit_deserial);

Datum
cdp_bgnbd_fit_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._bgnbd_fit_deserial");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	int64		count = VARSIZE_ANY_EXHDR(bytes) / sizeof(BgnbdCustomer);
	BgnbdFitState *state = fit_state_new(context);

	fit_state_reserve(state, count);
	memcpy(state->customers, VARDATA_ANY(bytes), count * sizeof(BgnbdCustomer));
	state->count = count;
	CDP_RETURN_STATE(state);
}

static int
compare_customers(const void *pa, const void *pb)
{
	const BgnbdCustomer *a = pa;
	const BgnbdCustomer *b = pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	return 0;
}

/* Group equal summaries; the input is sorted by (x, tx, T) on return. */
static void
bgnbd_data_build(BgnbdCustomer *customers, int64 n, BgnbdData *data)
{
	int64		i;

	qsort(customers, n, sizeof(BgnbdCustomer), compare_customers);
	memset(data, 0, sizeof(BgnbdData));
	data->groups = palloc_extended(n * sizeof(BgnbdGroup), MCXT_ALLOC_HUGE);
	data->xs = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	data->x_weight = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		const BgnbdCustomer *c = &customers[i];

		if (i == 0 || c->x != customers[i - 1].x)
		{
			data->xs[data->nx] = c->x;
			data->x_weight[data->nx] = 0;
			data->nx++;
		}
		data->x_weight[data->nx - 1] += 1;
		if (i > 0 && compare_customers(c, &customers[i - 1]) == 0)
			data->groups[data->ngroups - 1].weight += 1;
		else
		{
			BgnbdGroup *g = &data->groups[data->ngroups++];

			g->weight = 1;
			g->xi = data->nx - 1;
			g->x = c->x;
			g->tx = c->tx;
			g->T = c->T;
		}
	}
	data->x_terms = palloc(data->nx * sizeof(double));
	data->x_log_odds = palloc(data->nx * sizeof(double));
	data->customers = n;
}

/*
 * The log-likelihood of the data (equation 6 of the paper, summed).
 */
static double
bgnbd_log_likelihood(const BgnbdData *data, double r, double alpha, double a, double b)
{
	double		sum = 0.0;
	double		log_a = log(a);
	int			i;

	for (i = 0; i < data->nx; i++)
	{
		double		x = data->xs[i];

		data->x_terms[i] = lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x);
		data->x_log_odds[i] = x > 0 ? log_a - log(b + x - 1) : 0.0;
		sum += data->x_weight[i] * data->x_terms[i];
	}
	sum += data->customers * (r * log(alpha) + lgamma(a + b) - lgamma(b) - lgamma(r));
	for (i = 0; i < data->ngroups; i++)
	{
		const BgnbdGroup *g = &data->groups[i];
		double		l3 = -(r + g->x) * log(alpha + g->T);
		double		term = l3;

		if (g->x > 0)
		{
			double		l4 = data->x_log_odds[g->xi] - (r + g->x) * log(alpha + g->tx);

			term = Max(l3, l4) + log1p(exp(-fabs(l3 - l4)));
		}
		sum += g->weight * term;
	}
	return sum;
}

static double
bgnbd_objective(const double *theta, void *arg)
{
	int			i;

	for (i = 0; i < 4; i++)
		if (fabs(theta[i]) > LOG_PARAM_LIMIT)
			return HUGE_VAL;
	return -bgnbd_log_likelihood((const BgnbdData *) arg, exp(theta[0]), exp(theta[1]),
								 exp(theta[2]), exp(theta[3]));
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_fit_finalfn);

/*
 * Fit the model: a cdp.bgnbd_model (r, alpha, a, b, log_likelihood,
 * customers, evaluations, converged).
 */
Datum
cdp_bgnbd_fit_finalfn(PG_FUNCTION_ARGS)
{
	BgnbdFitState *state;
	BgnbdCustomer *customers;
	BgnbdData	data;
	double		theta[4] = {0.0, 0.0, 0.0, 0.0};
	CdpOptimResult fit;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	bool		at_boundary = false;
	int			i;

	aggregate_context(fcinfo, "cdp._bgnbd_fit_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (BgnbdFitState *) PG_GETARG_POINTER(0);
	if (state->count == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "cdp._bgnbd_fit_finalfn must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);

	/* sort a copy: the final function may run again on the same state */
	customers = palloc_extended(state->count * sizeof(BgnbdCustomer), MCXT_ALLOC_HUGE);
	memcpy(customers, state->customers, state->count * sizeof(BgnbdCustomer));
	bgnbd_data_build(customers, state->count, &data);
	if (data.xs[data.nx - 1] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.bgnbd_fit: no customer has a repeat purchase"),
				 errdetail("All " INT64_FORMAT " customers have frequency 0, which says nothing about how often customers buy or drop out.",
						   state->count)));

	fit = cdp_minimize(bgnbd_objective, &data, 4, theta, 1.0, BGNBD_TOLERANCE,
					   BGNBD_MAX_EVALUATIONS);
	for (i = 0; i < 4; i++)
		if (fabs(theta[i]) > LOG_PARAM_BOUNDARY)
			at_boundary = true;

	for (i = 0; i < 4; i++)
		values[i] = Float8GetDatum(exp(theta[i]));
	values[4] = Float8GetDatum(-fit.value);
	values[5] = Int64GetDatum(state->count);
	values[6] = Int32GetDatum(fit.evaluations);
	values[7] = BoolGetDatum(fit.converged && !at_boundary);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
