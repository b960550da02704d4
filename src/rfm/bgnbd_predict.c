/*-------------------------------------------------------------------------
 *
 * bgnbd_predict.c
 *	  Predictions of the BG/NBD model (Fader, Hardie & Lee, "Counting your
 *	  customers the easy way", Marketing Science 24(2), 2005):
 *	  cdp.bgnbd_expected_purchases and cdp.bgnbd_probability_alive, and the
 *	  model composites every prediction reads (shared with gamma_gamma.c
 *	  and customer_lifetime_value.c).
 *
 * Conditional expected purchases in the next "periods" (equation 10 of the
 * paper) need 2F1(r + x, b + x; a + b + x - 1; z) with z = periods /
 * (alpha + T + periods).  By Euler's transformation
 * (1 - z)^(r + x) 2F1(r + x, b + x; a + b + x - 1; z) =
 * (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), and writing
 * 2F1(A, B; C; z) = 1 + B S(z) turns the bracket
 * [1 - (1 - z)^(a - 1) 2F1(...)] / (a - 1) into
 * -expm1((a - 1) log1p(-z)) / (a - 1) - (1 - z)^(a - 1) S(z), which has
 * no cancellation and no division by zero at a = 1.
 *
 * Speed: a prediction runs once per customer with the same model, so the
 * model is parsed once per call site (a memcmp of the composite's bytes
 * tells that it is unchanged) together with the constants derived from
 * it.  The bracket, the costly part, depends on the customer only through
 * x and z, that is T and the horizon: it is remembered per call site in a
 * row of brackets by x for each (T, horizon), found through a small hash
 * table.  T counts periods from the first purchase day to the as-of date
 * (cdp.clv_profile_summary counts whole days), so a population has a few
 * hundred or thousand distinct T, and nearly every customer finds the
 * bracket there, in a working set of a few cache lines per T.  The table
 * is bounded (4096 horizons, 2 kB each); when it fills up without having
 * saved work (T continuous, say) it is turned off for the call site.
 *
 * src/rfm/bgnbd_predict.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/typcache.h"

#include "rfm/rfm.h"

/*
 * log a - log(b + x - 1) and the brackets are kept for x below this; a
 * bracket table row holds SMALL_X brackets (2 kB)
 */
#define SMALL_X 256
/* horizons (T, periods) remembered per call site, each with a row */
#define MEMO_MAX_HORIZONS 4096
#define MEMO_MIN_SLOTS 256

/* a horizon: T and periods, which fix z; its row of brackets by x */
typedef struct HorizonEntry
{
	double		T;
	double		periods;
	double	   *row;			/* NULL: an empty slot */
} HorizonEntry;

struct CdpBgnbd
{
	double		r,
				alpha,
				a,
				b;
	double		A;				/* a + b - 1 - r */
	double		B;				/* a - 1 */
	double		log_a;
	double		log_odds[SMALL_X];	/* log a - log(b + x - 1); NaN until needed */
	uint32		generation;		/* of the CdpModelCache it was derived from */
	/*
	 * The bracket table: a hash table of horizons (open addressing, linear
	 * probing) and for each a row of (a + b + x - 1) times the bracket by
	 * x, NaN until computed.  The working set is a few cache lines per
	 * horizon, whatever the order of the customers.
	 */
	int			nslots;			/* 0: turned off; -1: not allocated yet */
	int			nrows;
	HorizonEntry *slots;
	int64		hits;			/* since the table was last emptied */
	int64		misses;
	MemoryContext context;
};

static void memo_empty(CdpBgnbd *m);

/* ------------------------------------------------------------------------
 * Models as composite values
 * ---------------------------------------------------------------------- */

/*
 * The first nparams fields (float8) of a model composite, checked to be
 * positive and finite.  Parsed once and kept in *cache (in fn_mcxt) with
 * a copy of the value's bytes, so a model passed on every row costs a
 * memcmp.  The bytes are compared as stored (a composite read from a
 * table has a short header), without the copy that detoasting would make.
 */
const double *
cdp_model_params(FunctionCallInfo fcinfo, CdpModelCache **cache, Datum model, int nparams,
				 const char *what)
{
	struct varlena *stored = (struct varlena *) DatumGetPointer(model);
	CdpModelCache *c = *cache;
	HeapTupleHeader header;
	Size		size;
	TupleDesc	tupdesc;
	HeapTupleData tuple;
	int			i;

	if (c != NULL && c->raw != NULL &&
		!VARATT_IS_EXTERNAL(stored) && !VARATT_IS_COMPRESSED(stored) &&
		c->size == VARSIZE_ANY_EXHDR(stored) &&
		memcmp(c->raw, VARDATA_ANY(stored), c->size) == 0)
		return c->params;

	if (c == NULL)
		c = *cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CdpModelCache));
	if (c->raw != NULL)
		pfree(c->raw);
	c->raw = NULL;
	c->size = 0;
	c->generation++;			/* what was derived from the old model is stale */

	header = DatumGetHeapTupleHeader(model);
	size = HeapTupleHeaderGetDatumLength(header);
	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(header),
									 HeapTupleHeaderGetTypMod(header));
	tuple.t_len = size;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = header;
	for (i = 0; i < nparams; i++)
	{
		bool		isnull;
		Datum		value = heap_getattr(&tuple, i + 1, tupdesc, &isnull);

		if (isnull || !isfinite(DatumGetFloat8(value)) || DatumGetFloat8(value) <= 0)
		{
			ReleaseTupleDesc(tupdesc);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s model", what),
					 errdetail("Its parameter %s is %s; the parameters must be positive and finite.",
							   NameStr(TupleDescAttr(tupdesc, i)->attname),
							   isnull ? "NULL" : psprintf("%g", DatumGetFloat8(value)))));
		}
		c->params[i] = DatumGetFloat8(value);
	}
	ReleaseTupleDesc(tupdesc);
	/* keep the bytes after the length word, as VARDATA_ANY shows them */
	c->raw = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, size - VARHDRSZ);
	memcpy(c->raw, (char *) header + VARHDRSZ, size - VARHDRSZ);
	c->size = size - VARHDRSZ;
	return c->params;
}

/*
 * A customer's summary must make sense: frequency, recency and t finite
 * and not negative, and recency not after t.
 */
void
cdp_check_customer(const char *caller, double frequency, double recency, double t)
{
	if (!(frequency >= 0) || !(recency >= 0) || !(t >= 0) ||
		!isfinite(frequency) || !isfinite(recency) || !isfinite(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: frequency, recency and t must be finite and not negative", caller),
				 errdetail("They are %g, %g and %g.", frequency, recency, t)));
	if (recency > t)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: recency must not be greater than t", caller),
				 errdetail("recency is %g, t is %g.", recency, t),
				 errhint("recency is the time from the first to the last purchase, t from the first purchase to the end of the observation.")));
	if (frequency > 0 && recency == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: a customer with repeat purchases must have a recency above 0", caller),
				 errdetail("frequency is %g.", frequency)));
}

/* ------------------------------------------------------------------------
 * The BG/NBD model and what is derived from it
 * ---------------------------------------------------------------------- */

/*
 * The BG/NBD model passed as "model", with its derived constants and
 * bracket table (kept in the same cache as its parameters).
 */
CdpBgnbd *
cdp_bgnbd_get(FunctionCallInfo fcinfo, CdpModelCache **cache, Datum model)
{
	const double *params = cdp_model_params(fcinfo, cache, model, 4, "BG/NBD");
	CdpModelCache *c = *cache;
	CdpBgnbd   *m = (CdpBgnbd *) c->derived;
	int			i;

	if (m != NULL && m->generation == c->generation)
		return m;
	if (m == NULL)
	{
		m = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CdpBgnbd));
		m->context = fcinfo->flinfo->fn_mcxt;
		m->nslots = -1;			/* not allocated yet */
		c->derived = m;
	}
	m->generation = c->generation;
	m->r = params[0];
	m->alpha = params[1];
	m->a = params[2];
	m->b = params[3];
	m->A = m->a + m->b - 1 - m->r;
	m->B = m->a - 1;
	m->log_a = log(m->a);
	for (i = 0; i < SMALL_X; i++)
		m->log_odds[i] = get_float8_nan();
	/* empty the table, unless it was turned off: the data will be alike */
	memo_empty(m);
	return m;
}

/*
 * [1 - (1 - z)^(r + x) 2F1(r + x, b + x; C; z)] / B with B = a - 1 and
 * C = a + b + x - 1, which equals [1 - (1 - z)^B 2F1(A, B; C; z)] / B with
 * A = a + b - 1 - r.  For |B| <= 1 the second form, as
 * -expm1(B log1p(-z)) / B - (1 - z)^B S(z), has no cancellation near B = 0;
 * for larger B (little dropout) the terms of S grow like B^k, and the first
 * form, whose division by B is harmless there, is summed instead.
 */
static double
bgnbd_bracket(double rx, double bx, double A, double B, double C, double z)
{
	double		log1mz = log1p(-z);
	double		first;
	double		sum = 0.0;
	double		term;
	int			quiet = 0;
	long		k;

	if (z == 0.0)
		return 0.0;
	if (B > 1.0)
		return (1.0 - exp(rx * log1mz) * cdp_hyp2f1(rx, bx, C, z)) / B;
	if (z > 0.9 && fabs(B) > 1e-3)
		return (1.0 - exp(B * log1mz) * cdp_hyp2f1(A, B, C, z)) / B;

	/* S = sum over k >= 1 of (A)_k (B + 1)_(k - 1) z^k / ((C)_k k!) */
	first = fabs(B) < 1e-12 ? -log1mz : -expm1(B * log1mz) / B;
	term = A / C * z;
	for (k = 1; k < 10000000; k++)
	{
		double		ratio = (A + k) * (B + k) / ((C + k) * (k + 1)) * z;

		sum += term;
		if (fabs(term) <= 1e-16 * fabs(sum) && fabs(ratio) < 1.0)
		{
			if (++quiet >= 3)
				break;
		}
		else
			quiet = 0;
		if (term == 0.0)
			break;
		term *= ratio;
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return first - exp(B * log1mz) * sum;
}

static inline uint32
memo_hash(double T, double periods)
{
	uint64		t;
	uint64		p;
	uint64		k;

	memcpy(&t, &T, sizeof(t));
	memcpy(&p, &periods, sizeof(p));
	k = t ^ (p * UINT64CONST(0x9E3779B97F4A7C15));
	/* the finaliser of MurmurHash3 */
	k ^= k >> 33;
	k *= UINT64CONST(0xFF51AFD7ED558CCD);
	k ^= k >> 33;
	k *= UINT64CONST(0xC4CEB9FE1A85EC53);
	k ^= k >> 33;
	return (uint32) k;
}

static HorizonEntry *
memo_find(HorizonEntry *slots, int nslots, double T, double periods)
{
	uint32		mask = nslots - 1;
	uint32		i = memo_hash(T, periods) & mask;

	for (;;)
	{
		HorizonEntry *e = &slots[i];

		if (e->row == NULL || (e->T == T && e->periods == periods))
			return e;
		i = (i + 1) & mask;
	}
}

/* Forget every bracket (a table turned off stays off). */
static void
memo_empty(CdpBgnbd *m)
{
	int			i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].row != NULL)
			pfree(m->slots[i].row);
	m->nrows = 0;
	if (m->nslots > 0)
		memset(m->slots, 0, m->nslots * sizeof(HorizonEntry));
	m->hits = 0;
	m->misses = 0;
}

/*
 * Where the bracket of (x, T, periods) is kept, or NULL when it is not.
 * A new horizon gets a row, after making room: the hash table is kept at
 * most half full, and when MEMO_MAX_HORIZONS rows are taken the table is
 * emptied, or turned off if it saved fewer computations than it made.
 */
static double *
memo_place(CdpBgnbd *m, double x, double T, double periods)
{
	HorizonEntry *e;
	int			i;

	if (m->nslots == 0 || x >= SMALL_X)
		return NULL;
	if (m->nslots < 0)
	{
		m->slots = MemoryContextAllocZero(m->context, MEMO_MIN_SLOTS * sizeof(HorizonEntry));
		m->nslots = MEMO_MIN_SLOTS;
	}
	e = memo_find(m->slots, m->nslots, T, periods);
	if (e->row != NULL)
		return &e->row[(int) x];

	if (m->nrows == MEMO_MAX_HORIZONS)
	{
		if (m->hits < m->misses)
		{
			memo_empty(m);
			pfree(m->slots);
			m->slots = NULL;
			m->nslots = 0;
			return NULL;
		}
		memo_empty(m);
	}
	else if (2 * (m->nrows + 1) > m->nslots)
	{
		int			nslots = 2 * m->nslots;
		HorizonEntry *slots = MemoryContextAllocZero(m->context, nslots * sizeof(HorizonEntry));

		for (i = 0; i < m->nslots; i++)
			if (m->slots[i].row != NULL)
				*memo_find(slots, nslots, m->slots[i].T, m->slots[i].periods) = m->slots[i];
		pfree(m->slots);
		m->slots = slots;
		m->nslots = nslots;
	}
	e = memo_find(m->slots, m->nslots, T, periods);
	e->T = T;
	e->periods = periods;
	e->row = MemoryContextAlloc(m->context, SMALL_X * sizeof(double));
	/* all bits set is a NaN: not computed yet */
	memset(e->row, 0xFF, SMALL_X * sizeof(double));
	m->nrows++;
	return &e->row[(int) x];
}

/* ------------------------------------------------------------------------
 * Predictions
 * ---------------------------------------------------------------------- */

/*
 * (a + b + x - 1) times the bracket: the expected purchases in the next
 * "periods" of a customer with frequency x and age T who is still alive.
 */
double
cdp_bgnbd_purchases_if_alive(CdpBgnbd *m, double periods, double x, double T)
{
	double	   *place = memo_place(m, x, T, periods);
	double		value;

	if (place != NULL && !isnan(*place))
	{
		m->hits++;
		return *place;
	}
	value = (m->a + m->b + x - 1) *
		bgnbd_bracket(m->r + x, m->b + x, m->A, m->B, m->a + m->b + x - 1,
					  periods / (m->alpha + T + periods));
	if (place != NULL)
	{
		*place = value;
		m->misses++;
	}
	return value;
}

/*
 * 1 / P(alive): 1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)
 * for a customer with repeat purchases, 1 without.
 */
double
cdp_bgnbd_inverse_alive(CdpBgnbd *m, double x, double tx, double T)
{
	double		log_odds;

	if (x == 0)
		return 1.0;
	if (x < SMALL_X)
	{
		int			i = (int) x;

		if (isnan(m->log_odds[i]))
			m->log_odds[i] = m->log_a - log(m->b + x - 1);
		log_odds = m->log_odds[i];
	}
	else
		log_odds = m->log_a - log(m->b + x - 1);
	return 1.0 + exp(log_odds + (m->r + x) * log((m->alpha + T) / (m->alpha + tx)));
}

/* Check a prediction of expected purchases. */
double
cdp_bgnbd_check_expected(CdpBgnbd *m, double result, double periods, double x, double tx, double T)
{
	if (!isfinite(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("expected purchases out of range for a BG/NBD model with r = %g, alpha = %g, a = %g, b = %g",
						m->r, m->alpha, m->a, m->b),
				 errdetail("The customer has frequency %g, recency %g, t %g; the horizon is %g periods.",
						   x, tx, T, periods)));
	return result;
}

/*
 * Expected purchases in the next "periods" of a customer with frequency
 * x, recency t_x and age T (all 0 for a customer just acquired).
 */
double
cdp_bgnbd_expected(CdpBgnbd *m, double periods, double x, double tx, double T)
{
	if (periods == 0)
		return 0.0;
	return cdp_bgnbd_check_expected(m, cdp_bgnbd_purchases_if_alive(m, periods, x, T) /
									cdp_bgnbd_inverse_alive(m, x, tx, T),
									periods, x, tx, T);
}

static void
check_periods(const char *caller, double periods)
{
	if (!(periods >= 0) || !isfinite(periods))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: periods must be finite and not negative", caller),
				 errdetail("periods is %g.", periods)));
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_expected_purchases_new);

/*
 * cdp.bgnbd_expected_purchases(model, periods): a new customer's
 * expected purchases in their first "periods" (equation 9).
 */
Datum
cdp_bgnbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	CdpBgnbd   *m = cdp_bgnbd_get(fcinfo, (CdpModelCache **) &fcinfo->flinfo->fn_extra,
								  PG_GETARG_DATUM(0));
	double		periods = PG_GETARG_FLOAT8(1);

	check_periods("cdp.bgnbd_expected_purchases", periods);
	PG_RETURN_FLOAT8(cdp_bgnbd_expected(m, periods, 0, 0, 0));
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_expected_purchases);

/*
 * cdp.bgnbd_expected_purchases(model, periods, frequency, recency, t)
 */
Datum
cdp_bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	CdpBgnbd   *m = cdp_bgnbd_get(fcinfo, (CdpModelCache **) &fcinfo->flinfo->fn_extra,
								  PG_GETARG_DATUM(0));
	double		periods = PG_GETARG_FLOAT8(1);
	double		x = PG_GETARG_INT32(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);

	check_periods("cdp.bgnbd_expected_purchases", periods);
	cdp_check_customer("cdp.bgnbd_expected_purchases", x, tx, T);
	PG_RETURN_FLOAT8(cdp_bgnbd_expected(m, periods, x, tx, T));
}

PG_FUNCTION_INFO_V1(cdp_bgnbd_probability_alive);

/*
 * cdp.bgnbd_probability_alive(model, frequency, recency, t)
 */
Datum
cdp_bgnbd_probability_alive(PG_FUNCTION_ARGS)
{
	CdpBgnbd   *m = cdp_bgnbd_get(fcinfo, (CdpModelCache **) &fcinfo->flinfo->fn_extra,
								  PG_GETARG_DATUM(0));
	double		x = PG_GETARG_INT32(1);
	double		tx = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(3);

	cdp_check_customer("cdp.bgnbd_probability_alive", x, tx, T);
	PG_RETURN_FLOAT8(1.0 / cdp_bgnbd_inverse_alive(m, x, tx, T));
}
