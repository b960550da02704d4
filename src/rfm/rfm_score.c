/*-------------------------------------------------------------------------
 *
 * rfm_score.c
 *	  The cdp.rfm_score type, a compact RFM value written 'R-F-M' (e.g.
 *	  '5-4-3'), with equality, ordering and hashing so that it works in
 *	  GROUP BY, ORDER BY, DISTINCT, joins and comparisons; and
 *	  cdp.rfm_score(metrics, cuts), which scores a customer against the cuts
 *	  of cdp.rfm_quantiles or cdp.rfm_threshold_cuts.
 *
 * A value is an int4 passed by value: R in bits 16-23, F in 8-15, M in
 * 0-7, each 1..99, so integer order is the order by (R, F, M).
 *
 * src/rfm/rfm_score.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/hash.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "rfm/rfm.h"

/* ------------------------------------------------------------------------
 * The type
 * ---------------------------------------------------------------------- */

static RfmScore
rfm_score_make_checked(int32 r, int32 f, int32 m)
{
	if (r < 1 || r > RFM_MAX_SCORE || f < 1 || f > RFM_MAX_SCORE || m < 1 || m > RFM_MAX_SCORE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("RFM score levels must be between 1 and %d", RFM_MAX_SCORE),
				 errdetail("The levels are %d, %d and %d.", r, f, m)));
	return RFM_SCORE_MAKE(r, f, m);
}

/* Parse one level (1 or 2 digits) at *p; return -1 when there is none. */
static int
parse_level(const char **p)
{
	int			value = 0;
	int			digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 3)
	{
		value = value * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits == 0 || digits == 3 ? -1 : value;
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_in);

Datum
cdp_rfm_score_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	int			levels[3];
	int			i;

	while (*p == ' ')
		p++;
	for (i = 0; i < 3; i++)
	{
		levels[i] = parse_level(&p);
		if (levels[i] < 0 || (i < 2 && *p++ != '-'))
			break;
	}
	while (i == 3 && *p == ' ')
		p++;
	if (i < 3 || *p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type cdp.rfm_score: \"%s\"", input),
				 errhint("Write three levels from 1 to %d as R-F-M, e.g. '5-4-3'.", RFM_MAX_SCORE)));
	for (i = 0; i < 3; i++)
		if (levels[i] < 1)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("RFM score level out of range in \"%s\"", input),
					 errhint("Levels go from 1 to %d.", RFM_MAX_SCORE)));
	PG_RETURN_DATUM(RfmScoreGetDatum(RFM_SCORE_MAKE(levels[0], levels[1], levels[2])));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_out);

Datum
cdp_rfm_score_out(PG_FUNCTION_ARGS)
{
	RfmScore	s = DatumGetRfmScore(PG_GETARG_DATUM(0));

	PG_RETURN_CSTRING(psprintf("%d-%d-%d", RFM_SCORE_R(s), RFM_SCORE_F(s), RFM_SCORE_M(s)));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_recv);

Datum
cdp_rfm_score_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			r = pq_getmsgbyte(buf);
	int			f = pq_getmsgbyte(buf);
	int			m = pq_getmsgbyte(buf);

	if (r < 1 || r > RFM_MAX_SCORE || f < 1 || f > RFM_MAX_SCORE || m < 1 || m > RFM_MAX_SCORE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary cdp.rfm_score: levels %d, %d, %d", r, f, m)));
	PG_RETURN_DATUM(RfmScoreGetDatum(RFM_SCORE_MAKE(r, f, m)));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_send);

Datum
cdp_rfm_score_send(PG_FUNCTION_ARGS)
{
	RfmScore	s = DatumGetRfmScore(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RFM_SCORE_R(s));
	pq_sendbyte(&buf, RFM_SCORE_F(s));
	pq_sendbyte(&buf, RFM_SCORE_M(s));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_make);

/* cdp.rfm_score(r, f, m) */
Datum
cdp_rfm_score_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(RfmScoreGetDatum(rfm_score_make_checked(PG_GETARG_INT32(0),
															PG_GETARG_INT32(1),
															PG_GETARG_INT32(2))));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_recency);
PG_FUNCTION_INFO_V1(cdp_rfm_score_frequency);
PG_FUNCTION_INFO_V1(cdp_rfm_score_monetary);

Datum
cdp_rfm_score_recency(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(RFM_SCORE_R(DatumGetRfmScore(PG_GETARG_DATUM(0))));
}

Datum
cdp_rfm_score_frequency(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(RFM_SCORE_F(DatumGetRfmScore(PG_GETARG_DATUM(0))));
}

Datum
cdp_rfm_score_monetary(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(RFM_SCORE_M(DatumGetRfmScore(PG_GETARG_DATUM(0))));
}

#define RFM_SCORE_ARGS \
	RfmScore	a = DatumGetRfmScore(PG_GETARG_DATUM(0)); \
	RfmScore	b = DatumGetRfmScore(PG_GETARG_DATUM(1))

PG_FUNCTION_INFO_V1(cdp_rfm_score_eq);
PG_FUNCTION_INFO_V1(cdp_rfm_score_ne);
PG_FUNCTION_INFO_V1(cdp_rfm_score_lt);
PG_FUNCTION_INFO_V1(cdp_rfm_score_le);
PG_FUNCTION_INFO_V1(cdp_rfm_score_gt);
PG_FUNCTION_INFO_V1(cdp_rfm_score_ge);
PG_FUNCTION_INFO_V1(cdp_rfm_score_cmp);
PG_FUNCTION_INFO_V1(cdp_rfm_score_hash);
PG_FUNCTION_INFO_V1(cdp_rfm_score_hash_extended);

Datum
cdp_rfm_score_eq(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_BOOL(a == b);
}

Datum
cdp_rfm_score_ne(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_BOOL(a != b);
}

Datum
cdp_rfm_score_lt(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_BOOL(a < b);
}

Datum
cdp_rfm_score_le(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_BOOL(a <= b);
}

Datum
cdp_rfm_score_gt(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_BOOL(a > b);
}

Datum
cdp_rfm_score_ge(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_BOOL(a >= b);
}

Datum
cdp_rfm_score_cmp(PG_FUNCTION_ARGS)
{
	RFM_SCORE_ARGS;
	PG_RETURN_INT32(a < b ? -1 : a > b ? 1 : 0);
}

Datum
cdp_rfm_score_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) DatumGetRfmScore(PG_GETARG_DATUM(0)));
}

Datum
cdp_rfm_score_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) DatumGetRfmScore(PG_GETARG_DATUM(0)),
								PG_GETARG_INT64(1));
}

/* ------------------------------------------------------------------------
 * Cuts: cdp.rfm_cuts values and scoring against them
 * ---------------------------------------------------------------------- */

/* The smallest display scale that shows units exactly. */
static Numeric
units_to_short_numeric(int64 units)
{
	int			dscale = CDP_AMOUNT_DECIMALS;

	while (dscale > 0 && units % 10 == 0 && units != 0)
	{
		units /= 10;
		dscale--;
	}
	if (units == 0)
		dscale = 0;
	return int64_div_fast_to_numeric(units, dscale);
}

/*
 * Build a cdp.rfm_cuts value: (scores, population, inclusive,
 * recency_days[], frequency[], monetary[]).
 */
Datum
rfm_cuts_to_datum(const RfmCuts *cuts, int64 population, TupleDesc tupdesc)
{
	int			n = cuts->scores - 1;
	Datum	   *elems = palloc(n * sizeof(Datum));
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	int			i;

	values[0] = Int32GetDatum(cuts->scores);
	values[1] = Int64GetDatum(population);
	nulls[1] = population < 0;
	values[2] = BoolGetDatum(cuts->inclusive);
	for (i = 0; i < n; i++)
		elems[i] = Int32GetDatum(cuts->recency[i]);
	values[3] = PointerGetDatum(construct_array(elems, n, INT4OID, 4, true, TYPALIGN_INT));
	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(cuts->frequency[i]);
	values[4] = PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	for (i = 0; i < n; i++)
		elems[i] = NumericGetDatum(cuts->monetary_exact
								   ? units_to_short_numeric(cuts->monetary_units[i])
								   : cuts->monetary[i]);
	values[5] = PointerGetDatum(construct_array(elems, n, NUMERICOID, -1, false, TYPALIGN_INT));
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

static void
cuts_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid cdp.rfm_cuts value"),
			 errdetail("%s", detail)));
}

/* The elements of a one-dimensional array without NULLs, of n elements. */
static Datum *
cuts_array(Datum array, Oid type, int n, const char *name)
{
	ArrayType  *a = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			i;

	if (ARR_NDIM(a) > 1 || ARR_ELEMTYPE(a) != type)
		cuts_error(psprintf("%s must be a one-dimensional array.", name));
	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	deconstruct_array(a, type, typlen, typbyval, typalign, &elems, &nulls, &count);
	if (count != n)
		cuts_error(psprintf("%s has %d bounds; %d levels need %d.", name, count, n + 1, n));
	for (i = 0; i < count; i++)
		if (nulls[i])
			cuts_error(psprintf("%s has a NULL bound.", name));
	return elems;
}

/*
 * Read and check a cdp.rfm_cuts value.  Numerics are copied into the
 * current memory context.
 */
void
rfm_cuts_from_datum(Datum datum, RfmCuts *cuts)
{
	HeapTupleHeader header = DatumGetHeapTupleHeader(datum);
	TupleDesc	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(header),
												 HeapTupleHeaderGetTypMod(header));
	HeapTupleData tuple;
	Datum		values[6];
	bool		nulls[6];
	Datum	   *elems;
	int			n;
	int			i;

	tuple.t_len = HeapTupleHeaderGetDatumLength(header);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = header;
	if (tupdesc->natts != 6)
		cuts_error("It does not have the six fields of cdp.rfm_cuts.");
	heap_deform_tuple(&tuple, tupdesc, values, nulls);
	ReleaseTupleDesc(tupdesc);
	if (nulls[0] || nulls[2] || nulls[3] || nulls[4] || nulls[5])
		cuts_error("Only population may be NULL.");

	memset(cuts, 0, sizeof(RfmCuts));
	cuts->scores = DatumGetInt32(values[0]);
	if (cuts->scores < 2 || cuts->scores > RFM_MAX_SCORE)
		cuts_error(psprintf("scores is %d; it must be between 2 and %d.", cuts->scores,
							RFM_MAX_SCORE));
	cuts->inclusive = DatumGetBool(values[2]);
	n = cuts->scores - 1;

	elems = cuts_array(values[3], INT4OID, n, "recency_days");
	for (i = 0; i < n; i++)
	{
		cuts->recency[i] = DatumGetInt32(elems[i]);
		if (i > 0 && cuts->recency[i] > cuts->recency[i - 1])
			cuts_error("recency_days bounds must not increase with the level.");
	}
	elems = cuts_array(values[4], INT8OID, n, "frequency");
	for (i = 0; i < n; i++)
	{
		cuts->frequency[i] = DatumGetInt64(elems[i]);
		if (i > 0 && cuts->frequency[i] < cuts->frequency[i - 1])
			cuts_error("frequency bounds must not decrease with the level.");
	}
	elems = cuts_array(values[5], NUMERICOID, n, "monetary");
	cuts->monetary_exact = true;
	for (i = 0; i < n; i++)
	{
		int			dscale;
		CdpAmountStatus status = cdp_amount_decode(elems[i], &cuts->monetary_units[i], &dscale);

		if (status == CDP_AMOUNT_NOT_FINITE)
			cuts_error("monetary bounds must be finite.");
		if (status != CDP_AMOUNT_OK)
			cuts->monetary_exact = false;
		cuts->monetary[i] = DatumGetNumericCopy(elems[i]);
		if (i > 0 && DatumGetInt32(DirectFunctionCall2(numeric_cmp,
													   NumericGetDatum(cuts->monetary[i]),
													   NumericGetDatum(cuts->monetary[i - 1]))) < 0)
			cuts_error("monetary bounds must not decrease with the level.");
	}
}

int
rfm_score_recency(const RfmCuts *cuts, int32 recency_days)
{
	int			level = 1;
	int			i;

	for (i = 0; i < cuts->scores - 1; i++)
		if (cuts->inclusive ? recency_days <= cuts->recency[i] : recency_days < cuts->recency[i])
			level = i + 2;
		else
			break;
	return level;
}

int
rfm_score_frequency(const RfmCuts *cuts, int64 frequency)
{
	int			level = 1;
	int			i;

	for (i = 0; i < cuts->scores - 1; i++)
		if (cuts->inclusive ? frequency >= cuts->frequency[i] : frequency > cuts->frequency[i])
			level = i + 2;
		else
			break;
	return level;
}

/* M level of an amount in 1/10000 units, against exact cuts */
int
rfm_score_monetary_units(const RfmCuts *cuts, int64 units)
{
	int			level = 1;
	int			i;

	Assert(cuts->monetary_exact);
	for (i = 0; i < cuts->scores - 1; i++)
		if (cuts->inclusive ? units >= cuts->monetary_units[i] : units > cuts->monetary_units[i])
			level = i + 2;
		else
			break;
	return level;
}

int
rfm_score_monetary(const RfmCuts *cuts, Datum monetary)
{
	int64		units;
	int			dscale;
	int			level = 1;
	int			i;
	CdpAmountStatus status = cdp_amount_decode(monetary, &units, &dscale);

	if (status == CDP_AMOUNT_NOT_FINITE)
		cdp_amount_check(status, monetary, "cdp.rfm_score");
	if (status == CDP_AMOUNT_OK && cuts->monetary_exact)
		return rfm_score_monetary_units(cuts, units);
	for (i = 0; i < cuts->scores - 1; i++)
	{
		int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp, monetary,
														  NumericGetDatum(cuts->monetary[i])));

		if (cuts->inclusive ? c >= 0 : c > 0)
			level = i + 2;
		else
			break;
	}
	return level;
}

/*
 * The parsed cuts of the last call, kept in fn_extra with a copy of the
 * value they were parsed from; a different value is parsed anew.
 */
typedef struct RfmScoreCache
{
	Size		raw_size;
	char	   *raw;
	RfmCuts		cuts;
	TupleDesc	metrics_desc;
	Oid			metrics_type;
} RfmScoreCache;

static RfmScoreCache *
score_cache(FunctionCallInfo fcinfo, Datum cuts_datum)
{
	RfmScoreCache *cache = (RfmScoreCache *) fcinfo->flinfo->fn_extra;
	HeapTupleHeader header = DatumGetHeapTupleHeader(cuts_datum);
	Size		size = HeapTupleHeaderGetDatumLength(header);
	MemoryContext old;

	if (cache != NULL && cache->raw_size == size && memcmp(cache->raw, header, size) == 0)
		return cache;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
		cache = palloc0(sizeof(RfmScoreCache));
	else
		pfree(cache->raw);
	/* parse first, so that a bad value leaves no half-made cache */
	cache->raw = NULL;
	cache->raw_size = 0;
	fcinfo->flinfo->fn_extra = cache;
	rfm_cuts_from_datum(PointerGetDatum(header), &cache->cuts);
	cache->raw = palloc(size);
	memcpy(cache->raw, header, size);
	cache->raw_size = size;
	MemoryContextSwitchTo(old);
	return cache;
}

static RfmScore
score_values(const RfmCuts *cuts, int32 recency_days, int64 frequency, Datum monetary)
{
	if (recency_days < 0 || frequency < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.rfm_score: recency_days and frequency must not be negative"),
				 errdetail("They are %d and " INT64_FORMAT ".", recency_days, frequency)));
	return RFM_SCORE_MAKE(rfm_score_recency(cuts, recency_days),
						  rfm_score_frequency(cuts, frequency),
						  rfm_score_monetary(cuts, monetary));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_metrics);

/*
 * cdp.rfm_score(metrics cdp.rfm_metrics, cuts cdp.rfm_cuts)
 */
Datum
cdp_rfm_score_metrics(PG_FUNCTION_ARGS)
{
	HeapTupleHeader metrics = PG_GETARG_HEAPTUPLEHEADER(0);
	RfmScoreCache *cache = score_cache(fcinfo, PG_GETARG_DATUM(1));
	Oid			type = HeapTupleHeaderGetTypeId(metrics);
	HeapTupleData tuple;
	Datum		values[3];
	bool		nulls[3];
	int			i;

	if (cache->metrics_desc == NULL || cache->metrics_type != type)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(type, HeapTupleHeaderGetTypMod(metrics));
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		cache->metrics_desc = CreateTupleDescCopy(desc);
		cache->metrics_type = type;
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(desc);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(metrics);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = metrics;
	for (i = 0; i < 3; i++)
		values[i] = heap_getattr(&tuple, i + 1, cache->metrics_desc, &nulls[i]);
	if (nulls[0] || nulls[1] || nulls[2])
		PG_RETURN_NULL();
	PG_RETURN_DATUM(RfmScoreGetDatum(score_values(&cache->cuts, DatumGetInt32(values[0]),
												  DatumGetInt64(values[1]), values[2])));
}

PG_FUNCTION_INFO_V1(cdp_rfm_score_values);

/*
 * cdp.rfm_score(recency_days, frequency, monetary, cuts cdp.rfm_cuts)
 */
Datum
cdp_rfm_score_values(PG_FUNCTION_ARGS)
{
	RfmScoreCache *cache = score_cache(fcinfo, PG_GETARG_DATUM(3));

	PG_RETURN_DATUM(RfmScoreGetDatum(score_values(&cache->cuts, PG_GETARG_INT32(0),
												  PG_GETARG_INT64(1), PG_GETARG_DATUM(2))));
}
