/*-------------------------------------------------------------------------
 *
 * golden.c
 *	  cdp._golden_values(profile_ids): the golden-record values of a few
 *	  profiles, for the small path of cdp._refresh_golden (incremental
 *	  resolution refreshes one or two profiles per record).
 *
 * The choice is the one the set-based query of cdp._refresh_golden makes:
 * per attribute, among the member records with a non-NULL value, the first
 * in the order of the attribute's criteria in cdp.survivorship_rules (the
 * first three; each a key, higher wins, a NULL key last: trust = the
 * source's trust_rank, recency = source_updated_at else received_at as
 * epoch seconds, completeness = how many attributes the record has), the
 * larger record id breaking ties.  E-mail and phone are taken normalised.
 * That query spends most of its time starting up fourteen ordered
 * aggregates; here two saved plans read the rules and the member records
 * and the choice is a loop.
 *
 * src/identity/golden.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#define GOLDEN_NATTRS 14
#define GOLDEN_NCRITERIA 3

/* the attributes, in the order of the members query and of the result */
static const char *const golden_attrs[GOLDEN_NATTRS] = {
	"family_name", "given_name", "family_name_kana", "given_name_kana",
	"name_romaji", "email", "phone", "birth_date", "postal_code",
	"country_code", "region", "locality", "address_line1", "address_line2"
};

/* criterion codes: the column of the members query holding its key */
#define CRIT_NONE	0
#define COL_RECORD	1
#define COL_PROFILE 2
#define COL_FIRST_ATTR 3
#define COL_TRUST	(COL_FIRST_ATTR + GOLDEN_NATTRS)
#define COL_RECENCY (COL_TRUST + 1)
#define COL_COMPLETENESS (COL_TRUST + 2)

static const char rules_query[] =
"SELECT s.attribute, s.criteria FROM cdp.survivorship_rules s";

static const char members_query[] =
"SELECT r.record_id, r.profile_id, r.family_name, r.given_name,"
" r.family_name_kana, r.given_name_kana, r.name_romaji,"
" (cdp._normalize_identifier('email', r.email)).value,"
" (cdp._normalize_identifier('phone', r.phone)).value,"
" r.birth_date, r.postal_code, r.country_code, r.region, r.locality,"
" r.address_line1, r.address_line2,"
" s.trust_rank::pg_catalog.float8,"
" pg_catalog.date_part('epoch', COALESCE(r.source_updated_at, r.received_at)),"
" pg_catalog.num_nonnulls(r.family_name, r.given_name, r.family_name_kana,"
"  r.given_name_kana, r.name_romaji, r.email, r.phone, r.birth_date,"
"  r.postal_code, r.country_code, r.region, r.locality,"
"  r.address_line1, r.address_line2)::pg_catalog.float8"
" FROM cdp.source_records r"
" JOIN cdp.sources s ON s.source_id OPERATOR(pg_catalog.=) r.source_id"
" WHERE r.profile_id OPERATOR(pg_catalog.=) ANY ($1)"
" ORDER BY r.profile_id";

/* plans kept for the backend's life (revalidated by the plan cache) */
static SPIPlanPtr rules_plan = NULL;
static SPIPlanPtr members_plan = NULL;

static SPIPlanPtr
saved_plan(SPIPlanPtr *slot, const char *query, int nargs, Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(query, nargs, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "cdp._golden_values: could not prepare a query: %s",
				 SPI_result_code_string(SPI_result));
		*slot = plan;
	}
	return *slot;
}

/* the key column of a criterion name, CRIT_NONE if it is none of them */
static int
criterion_column(Datum name, bool isnull)
{
	const char *s;

	if (isnull)
		return CRIT_NONE;
	s = TextDatumGetCString(name);
	if (strcmp(s, "trust") == 0)
		return COL_TRUST;
	if (strcmp(s, "recency") == 0)
		return COL_RECENCY;
	if (strcmp(s, "completeness") == 0)
		return COL_COMPLETENESS;
	return CRIT_NONE;
}

/*
 * crit[a][n]: the key column of criterion n + 1 of attribute a, as the SQL
 * subscript criteria[n + 1] reads it (a missing rule, a NULL or a
 * subscript outside the array: no key).
 */
static void
load_rules(int crit[GOLDEN_NATTRS][GOLDEN_NCRITERIA])
{
	uint64		i;

	memset(crit, 0, sizeof(int) * GOLDEN_NATTRS * GOLDEN_NCRITERIA);
	if (SPI_execute_plan(saved_plan(&rules_plan, rules_query, 0, NULL), NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cdp._golden_values: reading cdp.survivorship_rules failed");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *attribute = SPI_getvalue(tup, desc, 1);
		Datum		d = SPI_getbinval(tup, desc, 2, &isnull);
		ArrayType  *arr;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int			lbound;
		int			a;
		int			n;

		for (a = 0; a < GOLDEN_NATTRS; a++)
			if (attribute != NULL && strcmp(attribute, golden_attrs[a]) == 0)
				break;
		if (a == GOLDEN_NATTRS || isnull)
			continue;
		arr = DatumGetArrayTypeP(d);
		if (ARR_NDIM(arr) != 1)
			continue;
		lbound = ARR_LBOUND(arr)[0];
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
		for (n = 0; n < GOLDEN_NCRITERIA; n++)
		{
			int			idx = (n + 1) - lbound;

			if (idx >= 0 && idx < nelems)
				crit[a][n] = criterion_column(elems[idx], nulls[idx]);
		}
	}
	SPI_freetuptable(SPI_tuptable);
}

/* a member record's key in a column (NULL: none) */
static inline bool
row_key(HeapTuple tup, TupleDesc desc, int col, float8 *key)
{
	bool		isnull;
	Datum		d;

	if (col == CRIT_NONE)
		return false;
	d = SPI_getbinval(tup, desc, col, &isnull);
	if (isnull)
		return false;
	*key = DatumGetFloat8(d);
	return true;
}

/* whether member row i goes before row j for an attribute with these criteria */
static bool
row_before(HeapTuple ti, HeapTuple tj, TupleDesc desc, const int *crit)
{
	bool		isnull;
	int64		ri;
	int64		rj;
	int			n;

	for (n = 0; n < GOLDEN_NCRITERIA; n++)
	{
		float8		ki = 0;
		float8		kj = 0;
		bool		has_i = row_key(ti, desc, crit[n], &ki);
		bool		has_j = row_key(tj, desc, crit[n], &kj);
		int			cmp;

		if (!has_i && !has_j)
			continue;
		if (!has_j)
			return true;		/* DESC NULLS LAST */
		if (!has_i)
			return false;
		cmp = float8_cmp_internal(ki, kj);
		if (cmp != 0)
			return cmp > 0;		/* higher first */
	}
	ri = DatumGetInt64(SPI_getbinval(ti, desc, COL_RECORD, &isnull));
	rj = DatumGetInt64(SPI_getbinval(tj, desc, COL_RECORD, &isnull));
	return ri > rj;
}

PG_FUNCTION_INFO_V1(cdp_golden_values);

/*
 * cdp._golden_values(profile_ids int8[])
 *	  RETURNS TABLE (profile_id int8, record_count int8, <the attributes>)
 * One row per profile that has member records.
 */
Datum
cdp_golden_values(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			crit[GOLDEN_NATTRS][GOLDEN_NCRITERIA];
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];
	SPITupleTable *tuptable;
	TupleDesc	desc;
	uint64		nrows;
	uint64		start;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (rsinfo->setDesc->natts != 2 + GOLDEN_NATTRS)
		elog(ERROR, "cdp._golden_values: unexpected result type");
	args[0] = PG_GETARG_DATUM(0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_rules(crit);
	if (SPI_execute_plan(saved_plan(&members_plan, members_query, 1, argtypes), args, NULL, true, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "cdp._golden_values: reading the member records failed");
	tuptable = SPI_tuptable;
	desc = tuptable->tupdesc;
	nrows = SPI_processed;

	for (start = 0; start < nrows;)
	{
		bool		isnull;
		int64		profile_id = DatumGetInt64(SPI_getbinval(tuptable->vals[start], desc, COL_PROFILE, &isnull));
		uint64		end;
		Datum		values[2 + GOLDEN_NATTRS];
		bool		nulls[2 + GOLDEN_NATTRS];
		int			a;

		for (end = start + 1; end < nrows; end++)
			if (DatumGetInt64(SPI_getbinval(tuptable->vals[end], desc, COL_PROFILE, &isnull)) != profile_id)
				break;
		values[0] = Int64GetDatum(profile_id);
		nulls[0] = false;
		values[1] = Int64GetDatum((int64) (end - start));
		nulls[1] = false;
		for (a = 0; a < GOLDEN_NATTRS; a++)
		{
			HeapTuple	best = NULL;
			uint64		i;

			for (i = start; i < end; i++)
			{
				HeapTuple	tup = tuptable->vals[i];

				(void) SPI_getbinval(tup, desc, COL_FIRST_ATTR + a, &isnull);
				if (isnull)
					continue;
				if (best == NULL || row_before(tup, best, desc, crit[a]))
					best = tup;
			}
			if (best == NULL)
			{
				values[2 + a] = (Datum) 0;
				nulls[2 + a] = true;
			}
			else
				values[2 + a] = SPI_getbinval(best, desc, COL_FIRST_ATTR + a, &nulls[2 + a]);
		}
		/* copied into the result's context before SPI lets go of the rows */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		start = end;
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	return (Datum) 0;
}
