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
 * (x, T) and on the horizon: it is remembered in a hash table per call
 * site.  T counts periods from the first purchase day to the as-of date
 * (cdp.clv_profile_summary counts whole days), so a population takes at
 * most a few thousand distinct (x, T) and nearly every customer finds the
 * bracket there.  The table is bounded; when it fills up without being
 * reused (T continuous, say) it is turned off for the call site.
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

/* log a - log(b + x - 1) is kept for x below this */
#define SMALL_X 256
/* slots of the bracket table: it starts small and doubles up to the maximum */
#define MEMO_MIN_SLOTS 256
#define MEMO_MAX_SLOTS 65536

typedef struct BracketEntry
{
	double		T;
	double		periods;
	double		value;			/* (a + b + x - 1) times the bracket */
	int32		x;
	bool		used;
} BracketEntry;

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
	/* the bracket table, open addressing with linear probing */
	uint32		generation;		/* of the CdpModelCache it was derived from */
	int			nslots;			/* 0: turned off */
	int			nused;
	int64		hits;			/* since the table was last emptied */
	BracketEntry *slots;
	MemoryContext context;
};

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
	if (m->nslots > 0 && m->nused > 0)
		memset(m->slots, 0, m->nslots * sizeof(BracketEntry));
	m->nused = 0;
	m->hits = 0;
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
memo_hash(int32 x, double T, double periods)
{
	uint64		t;
	uint64		p;
	uint64		k;

	memcpy(&t, &T, sizeof(t));
	memcpy(&p, &periods, sizeof(p));
	k = t ^ (p * UINT64CONST(0x9E3779B97F4A7C15)) ^ ((uint64) (uint32) x * UINT64CONST(0xC2B2AE3D27D4EB4F));
	/* the finaliser of MurmurHash3 */
	k ^= k >> 33;
	k *= UINT64CONST(0xFF51AFD7ED558CCD);
	k ^= k >> 33;
	k *= UINT64CONST(0xC4CEB9FE1A85EC53);
	k ^= k >> 33;
	return (uint32) k;
}

static BracketEntry *
memo_find(BracketEntry *slots, int nslots, int32 x, double T, double periods)
{
	uint32		mask = nslots - 1;
	uint32		i = memo_hash(x, T, periods) & mask;

	for (;;)
	{
		BracketEntry *e = &slots[i];

		if (!e->used || (e->x == x && e->T == T && e->periods == periods))
			return e;
		i = (i + 1) & mask;
	}
}

/* Remember a bracket, making room first (at most half the slots are used). */
static void
memo_insert(CdpBgnbd *m, int32 x, double T, double periods, double value)
{
	BracketEntry *e;

	if (m->nslots == 0)
		return;
	if (m->nslots < 0)
	{
		m->slots = MemoryContextAllocZero(m->context, MEMO_MIN_SLOTS * sizeof(BracketEntry));
		m->nslots = MEMO_MIN_SLOTS;
	}
	else if (2 * (m->nused + 1) > m->nslots)
	{
		if (m->nslots < MEMO_MAX_SLOTS)
		{
			int			nslots = 2 * m->nslots;
			BracketEntry *slots = MemoryContextAllocZero(m->context, nslots * sizeof(BracketEntry));
			int			i;

			for (i = 0; i < m->nslots; i++)
				if (m->slots[i].used)
					*memo_find(slots, nslots, m->slots[i].x, m->slots[i].T,
							   m->slots[i].periods) = m->slots[i];
			pfree(m->slots);
			m->slots = slots;
			m->nslots = nslots;
		}
		else if (m->hits < m->nused)
		{
			/* full, and each bracket was used less than twice: not worth it */
			pfree(m->slots);
			m->slots = NULL;
			m->nslots = 0;
			return;
		}
		else
		{
			memset(m->slots, 0, m->nslots * sizeof(BracketEntry));
			m->nused = 0;
			m->hits = 0;
		}
	}
	e = memo_find(m->slots, m->nslots, x, T, periods);
	e->x = x;
	e->T = T;
	e->periods = periods;
	e->value = value;
	e->used = true;
	m->nused++;
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
	double		z = periods / (m->alpha + T + periods);
	BracketEntry *e;
	double		value;

	if (m->nslots > 0)
	{
		e = memo_find(m->slots, m->nslots, (int32) x, T, periods);
		if (e->used)
		{
			m->hits++;
			return e->value;
		}
	}
	value = (m->a + m->b + x - 1) *
		bgnbd_bracket(m->r + x, m->b + x, m->A, m->B, m->a + m->b + x - 1, z);
	memo_insert(m, (int32) x, T, periods, value);
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
