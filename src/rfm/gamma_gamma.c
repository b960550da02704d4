/*-------------------------------------------------------------------------
 *
 * gamma_gamma.c
 *	  The Gamma-Gamma model of spend per transaction (Fader & Hardie, "The
 *	  Gamma-Gamma Model of Monetary Value", 2013; Colombo & Jiang 1999):
 *	  cdp.gamma_gamma_fit(frequency, monetary_value), an aggregate that fits
 *	  p, q and v by maximum likelihood, and cdp.gamma_gamma_expected_spend.
 *
 * A customer's transactions are Gamma(p, nu) with nu ~ Gamma(q, v) across
 * customers, so the mean zbar of x transactions has the density
 *	Gamma(px + q) / (Gamma(px) Gamma(q)) v^q x^(px) zbar^(px - 1)
 *	/ (v + x zbar)^(px + q)
 * and the expected spend given (x, zbar) is p (v + x zbar) / (px + q - 1).
 * Customers without repeat purchases (x = 0) carry no spend and are left
 * out of the fit.
 *
 * src/rfm/gamma_gamma.c
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

#include "rfm/rfm.h"

#define GG_TOLERANCE 1e-13
#define GG_MAX_EVALUATIONS 30000
#define LOG_PARAM_LIMIT 30.0	/* parameters stay within e^-30 .. e^30 */
/* a parameter beyond e^-20 .. e^20 has run off to the boundary */
#define LOG_PARAM_BOUNDARY 20.0

/*
 * Expected spend per transaction of a customer with x repeat transactions
 * of mean monetary_value (the population mean when x = 0).
 */
double
cdp_gamma_gamma_spend(const double *m, double x, double monetary_value)
{
	double		p = m[0],
				q = m[1],
				v = m[2];

	if (p * x + q <= 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("Gamma-Gamma model with q = %g has no finite expected spend for a customer with frequency %g",
						q, x),
				 errdetail("The expected spend needs p * frequency + q above 1.")));
	return p * (v + x * monetary_value) / (p * x + q - 1.0);
}

PG_FUNCTION_INFO_V1(cdp_gamma_gamma_expected_spend);

/*
 * cdp.gamma_gamma_expected_spend(model, frequency, monetary_value)
 */
Datum
cdp_gamma_gamma_expected_spend(PG_FUNCTION_ARGS)
{
	const double *m = cdp_model_params(fcinfo, (CdpModelCache **) &fcinfo->flinfo->fn_extra,
									   PG_GETARG_DATUM(0), 3, "Gamma-Gamma");
	double		x = PG_GETARG_INT32(1);
	double		monetary_value = PG_GETARG_FLOAT8(2);

	if (!(x >= 0) || !(monetary_value >= 0) || !isfinite(monetary_value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.gamma_gamma_expected_spend: frequency and monetary_value must be finite and not negative"),
				 errdetail("They are %g and %g.", x, monetary_value)));
	PG_RETURN_FLOAT8(cdp_gamma_gamma_spend(m, x, monetary_value));
}

/* ------------------------------------------------------------------------
 * The fit: cdp.gamma_gamma_fit(frequency, monetary_value)
 * ---------------------------------------------------------------------- */

typedef struct GgCustomer
{
	int32		x;
	double		m;
} GgCustomer;

typedef struct GgFitState
{
	int64		rows;			/* every row, with or without repeat purchases */
	int64		count;
	int64		capacity;
	GgCustomer *customers;
} GgFitState;

typedef struct GgData
{
	int64		n;
	const GgCustomer *customers;	/* sorted by x */
	double	   *log_m;
	int			nx;
	double	   *xs;
	double	   *x_weight;
	double	   *x_log;			/* log x */
	double	   *x_sum_log_m;	/* sum of log m over the customers with x */
} GgData;

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

static GgFitState *
gg_state_new(MemoryContext context)
{
	GgFitState *state = MemoryContextAllocZero(context, sizeof(GgFitState));

	state->capacity = 256;
	state->customers = MemoryContextAlloc(context, state->capacity * sizeof(GgCustomer));
	return state;
}

static void
gg_state_reserve(GgFitState *state, int64 more)
{
	if (state->count + more <= state->capacity)
		return;
	while (state->capacity < state->count + more)
		state->capacity *= 2;
	state->customers = repalloc_huge(state->customers, state->capacity * sizeof(GgCustomer));
}

PG_FUNCTION_INFO_V1(cdp_gamma_gamma_fit_transfn);

Datum
cdp_gamma_gamma_fit_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._gamma_gamma_fit_transfn");
	GgFitState *state = PG_ARGISNULL(0) ? NULL : (GgFitState *) PG_GETARG_POINTER(0);
	int32		x;
	double		m;

	if (state == NULL)
		state = gg_state_new(context);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		CDP_RETURN_STATE(state);
	x = PG_GETARG_INT32(1);
	m = PG_GETARG_FLOAT8(2);
	if (x < 0 || !isfinite(m) || m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.gamma_gamma_fit: frequency and monetary_value must be finite and not negative"),
				 errdetail("They are %d and %g.", x, m)));
	state->rows++;
	if (x == 0)
		CDP_RETURN_STATE(state);
	if (m == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.gamma_gamma_fit: a customer with repeat purchases must have a monetary_value above 0"),
				 errdetail("frequency is %d, monetary_value is 0.", x),
				 errhint("Leave out customers whose purchases have no amount.")));
	gg_state_reserve(state, 1);
	state->customers[state->count].x = x;
	state->customers[state->count].m = m;
	state->count++;
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_gamma_gamma_fit_combine);

Datum
cdp_gamma_gamma_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._gamma_gamma_fit_combine");
	GgFitState *state = PG_ARGISNULL(0) ? NULL : (GgFitState *) PG_GETARG_POINTER(0);
	GgFitState *other = PG_ARGISNULL(1) ? NULL : (GgFitState *) PG_GETARG_POINTER(1);

	if (other == NULL)
		CDP_RETURN_STATE(state);
	if (state == NULL)
		state = gg_state_new(context);
	gg_state_reserve(state, other->count);
	memcpy(state->customers + state->count, other->customers, other->count * sizeof(GgCustomer));
	state->count += other->count;
	state->rows += other->rows;
	CDP_RETURN_STATE(state);
}

PG_FUNCTION_INFO_V1(cdp_gamma_gamma_fit_serial);

Datum
cdp_gamma_gamma_fit_serial(PG_FUNCTION_ARGS)
{
	GgFitState *state = (GgFitState *) PG_GETARG_POINTER(0);
	Size		size = sizeof(int64) + state->count * sizeof(GgCustomer);
	bytea	   *result;

	aggregate_context(fcinfo, "cdp._gamma_gamma_fit_serial");
	if (!AllocSizeIsValid(size + VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cdp.gamma_gamma_fit: too many customers for a parallel plan"),
				 errhint("SET max_parallel_workers_per_gather = 0.")));
	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	memcpy(VARDATA(result), &state->rows, sizeof(int64));
	memcpy(VARDATA(result) + sizeof(int64), state->customers, state->count * sizeof(GgCustomer));
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(cdp_gamma_gamma_fit_deserial);

Datum
cdp_gamma_gamma_fit_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext context = aggregate_context(fcinfo, "cdp._gamma_gamma_fit_deserial");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	int64		count = (VARSIZE_ANY_EXHDR(bytes) - sizeof(int64)) / sizeof(GgCustomer);
	GgFitState *state = gg_state_new(context);

	memcpy(&state->rows, VARDATA_ANY(bytes), sizeof(int64));
	gg_state_reserve(state, count);
	memcpy(state->customers, VARDATA_ANY(bytes) + sizeof(int64), count * sizeof(GgCustomer));
	state->count = count;
	CDP_RETURN_STATE(state);
}

static int
compare_gg(const void *pa, const void *pb)
{
	const GgCustomer *a = pa;
	const GgCustomer *b = pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->m != b->m)
		return a->m < b->m ? -1 : 1;
	return 0;
}

static void
gg_data_build(GgCustomer *customers, int64 n, GgData *data)
{
	int64		i;

	qsort(customers, n, sizeof(GgCustomer), compare_gg);
	memset(data, 0, sizeof(GgData));
	data->n = n;
	data->customers = customers;
	data->log_m = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	data->xs = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	data->x_weight = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	data->x_log = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	data->x_sum_log_m = palloc_extended(n * sizeof(double), MCXT_ALLOC_HUGE);
	for (i = 0; i < n; i++)
	{
		data->log_m[i] = log(customers[i].m);
		if (i == 0 || customers[i].x != customers[i - 1].x)
		{
			data->xs[data->nx] = customers[i].x;
			data->x_log[data->nx] = log(customers[i].x);
			data->x_weight[data->nx] = 0;
			data->x_sum_log_m[data->nx] = 0;
			data->nx++;
		}
		data->x_weight[data->nx - 1] += 1;
		data->x_sum_log_m[data->nx - 1] += data->log_m[i];
	}
}

/*
 * The log-likelihood: the terms in x alone once per distinct x, then
 * log(v + x zbar) per customer.
 */
static double
gg_log_likelihood(const GgData *data, double p, double q, double v)
{
	double		sum = data->n * (q * log(v) - lgamma(q));
	int64		i;
	int			j;

	for (j = 0; j < data->nx; j++)
	{
		double		px = p * data->xs[j];

		sum += data->x_weight[j] * (lgamma(px + q) - lgamma(px) + px * data->x_log[j]) +
			(px - 1.0) * data->x_sum_log_m[j];
	}
	for (i = 0; i < data->n; i++)
	{
		const GgCustomer *c = &data->customers[i];

		sum -= (p * c->x + q) * log(v + c->x * c->m);
	}
	return sum;
}

static double
gg_objective(const double *theta, void *arg)
{
	int			i;

	for (i = 0; i < 3; i++)
		if (fabs(theta[i]) > LOG_PARAM_LIMIT)
			return HUGE_VAL;
	return -gg_log_likelihood((const GgData *) arg, exp(theta[0]), exp(theta[1]), exp(theta[2]));
}

PG_FUNCTION_INFO_V1(cdp_gamma_gamma_fit_finalfn);

/*
 * Fit the model: a cdp.gamma_gamma_model (p, q, v, log_likelihood,
 * customers, evaluations, converged); customers counts those with repeat
 * purchases, the ones the fit used.
 */
Datum
cdp_gamma_gamma_fit_finalfn(PG_FUNCTION_ARGS)
{
	GgFitState *state;
	GgCustomer *customers;
	GgData		data;
	double		theta[3] = {0.0, 0.0, 0.0};
	CdpOptimResult fit;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	bool		at_boundary = false;
	int			i;

	aggregate_context(fcinfo, "cdp._gamma_gamma_fit_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (GgFitState *) PG_GETARG_POINTER(0);
	if (state->rows == 0)
		PG_RETURN_NULL();
	if (state->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.gamma_gamma_fit: no customer has a repeat purchase"),
				 errdetail("The model learns spend from repeat purchases; all " INT64_FORMAT " customers have frequency 0.",
						   state->rows)));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "cdp._gamma_gamma_fit_finalfn must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);

	customers = palloc_extended(state->count * sizeof(GgCustomer), MCXT_ALLOC_HUGE);
	memcpy(customers, state->customers, state->count * sizeof(GgCustomer));
	gg_data_build(customers, state->count, &data);
	fit = cdp_minimize(gg_objective, &data, 3, theta, 1.0, GG_TOLERANCE, GG_MAX_EVALUATIONS);
	for (i = 0; i < 3; i++)
		if (fabs(theta[i]) > LOG_PARAM_BOUNDARY)
			at_boundary = true;

	for (i = 0; i < 3; i++)
		values[i] = Float8GetDatum(exp(theta[i]));
	values[3] = Float8GetDatum(-fit.value);
	values[4] = Int64GetDatum(state->count);
	values[5] = Int32GetDatum(fit.evaluations);
	values[6] = BoolGetDatum(fit.converged && !at_boundary);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
