/*-------------------------------------------------------------------------
 *
 * golden.c
 *	  cdp._golden_values(profile_ids): the golden-record values of any
 *	  number of profiles, from which cdp._refresh_golden updates
 *	  cdp.profiles (incremental resolution asks for one or two profiles,
 *	  a batch for every profile it changed).
 *
 * Per attribute, among the member records with a non-NULL value, the first
 * in the order of the attribute's criteria in cdp.survivorship_rules (the
 * first three; each a key, higher wins, a NULL key last: trust = the
 * source's trust_rank, recency = source_updated_at else received_at as
 * epoch seconds, completeness = how many attributes the record has), the
 * larger record id breaking ties.  E-mail and phone are taken normalised.
 * (The regression test identity_incremental holds the same choice written
 * as a set-based SQL statement and compares the two.)
 *
 * Two saved plans read the rules and the member records; the members come
 * through a cursor in profile order, ten thousand rows a fetch, and each
 * attribute's survivor is kept as the rows stream by.  When a fetch ends in
 * the middle of a profile, only the current survivors (at most one row per
 * attribute) are copied out of the fetch before it is freed, so memory
 * stays bounded by the fetch size however many profiles are asked for and
 * however many records a profile has.
 *
 * The members query keeps one generic plan for every size (incremental
 * resolution pays no planning).  It joins the records to the distinct ids
 * in id order rather than testing "profile_id = ANY ($1)": with good
 * statistics both are an index probe per id that needs no sort, but with
 * none (a table never analysed) the ANY form becomes a bitmap or table scan
 * that compares each row with the whole array (a lossy bitmap's recheck,
 * a filter), quadratic for a batch, where the join becomes a hash join.
 * E-mail and phone are normalised here in C, with the normalisers of
 * cdp._normalize_identifier, rather than by calling that function twice a
 * row in the query (a composite result each): at a million records that
 * was about half the query's time.
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
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "match/normalize.h"

#define GOLDEN_NATTRS 14
#define GOLDEN_NCRITERIA 3

/* member rows read per cursor fetch */
#define GOLDEN_FETCH 10000

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
#define GOLDEN_NCOLS COL_COMPLETENESS

/*
 * A member row taken apart once (column c at index c - 1); the Datums of
 * the text columns point into tup.
 */
typedef struct GoldenRow
{
	HeapTuple	tup;
	Datum		values[GOLDEN_NCOLS];
	bool		nulls[GOLDEN_NCOLS];
} GoldenRow;

static const char rules_query[] =
"SELECT s.attribute, s.criteria FROM cdp.survivorship_rules s";

static const char members_query[] =
"SELECT r.record_id, r.profile_id, r.family_name, r.given_name,"
" r.family_name_kana, r.given_name_kana, r.name_romaji,"
" r.email, r.phone,"
" r.birth_date, r.postal_code, r.country_code, r.region, r.locality,"
" r.address_line1, r.address_line2,"
" s.trust_rank::pg_catalog.float8,"
" pg_catalog.date_part('epoch', COALESCE(r.source_updated_at, r.received_at)),"
" pg_catalog.num_nonnulls(r.family_name, r.given_name, r.family_name_kana,"
"  r.given_name_kana, r.name_romaji, r.email, r.phone, r.birth_date,"
"  r.postal_code, r.country_code, r.region, r.locality,"
"  r.address_line1, r.address_line2)::pg_catalog.float8"
" FROM (SELECT DISTINCT u.id FROM pg_catalog.unnest($1) u (id) ORDER BY u.id) i"
" JOIN cdp.source_records r ON r.profile_id OPERATOR(pg_catalog.=) i.id"
" JOIN cdp.sources s ON s.source_id OPERATOR(pg_catalog.=) r.source_id"
" ORDER BY r.profile_id";

/* the attributes taken normalised, as cdp._normalize_identifier does */
#define GOLDEN_EMAIL 5
#define GOLDEN_PHONE 6

/*
 * Replace a row's raw e-mail address and phone number by their normalised
 * values (NULL when they are not valid), allocated in the current context.
 */
static void
normalize_contact(GoldenRow *row, StringInfo buf)
{
	static const char *const kinds[2] = {"email", "phone"};
	static const int attrs[2] = {GOLDEN_EMAIL, GOLDEN_PHONE};

	for (int k = 0; k < 2; k++)
	{
		int			col = COL_FIRST_ATTR - 1 + attrs[k];
		text	   *raw;
		const char *reason = NULL;

		if (row->nulls[col])
			continue;
		raw = DatumGetTextPP(row->values[col]);
		resetStringInfo(buf);
		if (cdp_try_normalize_identifier(kinds[k], strlen(kinds[k]), VARDATA_ANY(raw),
										 VARSIZE_ANY_EXHDR(raw), buf, &reason)
			== CDP_IDENTIFIER_NORMALIZED)
			row->values[col] = PointerGetDatum(cstring_to_text_with_len(buf->data, buf->len));
		else
			row->nulls[col] = true;
	}
}

/* plans kept for the backend's life (revalidated by the plan cache) */
static SPIPlanPtr rules_plan = NULL;
static SPIPlanPtr members_plan = NULL;

static SPIPlanPtr
saved_plan(SPIPlanPtr *slot, const char *query, int nargs, Oid *argtypes,
		   int cursor_options)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(query, nargs, argtypes, cursor_options);

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
	if (SPI_execute_plan(saved_plan(&rules_plan, rules_query, 0, NULL, 0), NULL, NULL, true, 0) != SPI_OK_SELECT)
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
row_key(const GoldenRow *row, int col, float8 *key)
{
	if (col == CRIT_NONE || row->nulls[col - 1])
		return false;
	*key = DatumGetFloat8(row->values[col - 1]);
	return true;
}

/* whether member row ri goes before row rj for an attribute with these criteria */
static bool
row_before(const GoldenRow *ri, const GoldenRow *rj, const int *crit)
{
	int			n;

	for (n = 0; n < GOLDEN_NCRITERIA; n++)
	{
		float8		ki = 0;
		float8		kj = 0;
		bool		has_i = row_key(ri, crit[n], &ki);
		bool		has_j = row_key(rj, crit[n], &kj);
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
	return DatumGetInt64(ri->values[COL_RECORD - 1]) > DatumGetInt64(rj->values[COL_RECORD - 1]);
}

/*
 * The profile being read: its id, how many member rows went by, and per
 * attribute the row holding its survivor so far (NULL: no value yet).  A
 * survivor points into the current fetch's rows, or into carry[cur] when
 * it came from an earlier fetch.
 */
typedef struct GoldenProfile
{
	bool		active;
	int64		profile_id;
	int64		nrecords;
	GoldenRow  *best[GOLDEN_NATTRS];
	MemoryContext carry[2];
	int			cur;
} GoldenProfile;

/* the profile's row of the result */
static void
emit_profile(GoldenProfile *gp, ReturnSetInfo *rsinfo)
{
	Datum		values[2 + GOLDEN_NATTRS];
	bool		nulls[2 + GOLDEN_NATTRS];
	int			a;

	if (!gp->active)
		return;
	values[0] = Int64GetDatum(gp->profile_id);
	nulls[0] = false;
	values[1] = Int64GetDatum(gp->nrecords);
	nulls[1] = false;
	for (a = 0; a < GOLDEN_NATTRS; a++)
	{
		if (gp->best[a] == NULL)
		{
			values[2 + a] = (Datum) 0;
			nulls[2 + a] = true;
		}
		else
		{
			values[2 + a] = gp->best[a]->values[COL_FIRST_ATTR - 1 + a];
			nulls[2 + a] = false;
		}
	}
	/* copied into the result's context */
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	gp->active = false;
}

/*
 * Before a fetch is freed: copy the current profile's survivors into the
 * other carry context (a row that survives for several attributes once),
 * then empty the one that held the previous copies.
 */
static void
carry_survivors(GoldenProfile *gp, TupleDesc desc)
{
	int			next = 1 - gp->cur;
	GoldenRow  *copies[GOLDEN_NATTRS];
	int			ncopies = 0;
	MemoryContext oldcxt;
	int			a;

	MemoryContextReset(gp->carry[next]);
	oldcxt = MemoryContextSwitchTo(gp->carry[next]);
	for (a = 0; a < GOLDEN_NATTRS; a++)
	{
		GoldenRow  *orig = gp->best[a];
		GoldenRow  *copy;
		int			b;

		if (orig == NULL)
			continue;
		for (b = 0; b < ncopies; b++)
			if (copies[b] == orig)
				break;
		if (b < ncopies)
			continue;			/* copied already */
		copy = palloc(sizeof(GoldenRow));
		copy->tup = heap_copytuple(orig->tup);
		heap_deform_tuple(copy->tup, desc, copy->values, copy->nulls);
		/* (the normalised contact values are not in the tuple) */
		for (b = GOLDEN_EMAIL; b <= GOLDEN_PHONE; b++)
		{
			int			col = COL_FIRST_ATTR - 1 + b;

			copy->nulls[col] = orig->nulls[col];
			if (!orig->nulls[col])
				copy->values[col] = datumCopy(orig->values[col], false, -1);
		}
		copies[ncopies++] = copy;
		/* the same row may be the survivor of later attributes too */
		for (b = a; b < GOLDEN_NATTRS; b++)
			if (gp->best[b] == orig)
				gp->best[b] = copy;
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(gp->carry[gp->cur]);
	gp->cur = next;
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
	Portal		portal;
	TupleDesc	desc = NULL;
	MemoryContext fetchcxt;
	GoldenProfile gp;
	StringInfoData contact;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (rsinfo->setDesc->natts != 2 + GOLDEN_NATTRS)
		elog(ERROR, "cdp._golden_values: unexpected result type");
	args[0] = PG_GETARG_DATUM(0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_rules(crit);

	/* children of the SPI procedure context: gone with SPI_finish */
	fetchcxt = AllocSetContextCreate(CurrentMemoryContext, "cdp golden fetch",
									 ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&contact);
	memset(&gp, 0, sizeof(gp));
	gp.carry[0] = AllocSetContextCreate(CurrentMemoryContext, "cdp golden survivors",
										ALLOCSET_SMALL_SIZES);
	gp.carry[1] = AllocSetContextCreate(CurrentMemoryContext, "cdp golden survivors",
										ALLOCSET_SMALL_SIZES);

	portal = SPI_cursor_open(NULL,
							 saved_plan(&members_plan, members_query, 1, argtypes,
										CURSOR_OPT_GENERIC_PLAN | CURSOR_OPT_NO_SCROLL),
							 args, NULL, true);
	for (;;)
	{
		SPITupleTable *tuptable;
		uint64		nrows;
		uint64		i;
		GoldenRow  *rows;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, GOLDEN_FETCH);
		tuptable = SPI_tuptable;
		nrows = SPI_processed;
		if (desc == NULL)
		{
			desc = CreateTupleDescCopy(tuptable->tupdesc);
			if (desc->natts != GOLDEN_NCOLS)
				elog(ERROR, "cdp._golden_values: unexpected member row type");
		}
		if (nrows == 0)
		{
			SPI_freetuptable(tuptable);
			break;
		}
		rows = MemoryContextAlloc(fetchcxt, nrows * sizeof(GoldenRow));
		for (i = 0; i < nrows; i++)
		{
			GoldenRow  *row = &rows[i];
			int64		profile_id;
			int			a;

			row->tup = tuptable->vals[i];
			heap_deform_tuple(row->tup, desc, row->values, row->nulls);
			{
				MemoryContext old = MemoryContextSwitchTo(fetchcxt);

				normalize_contact(row, &contact);
				MemoryContextSwitchTo(old);
			}
			profile_id = DatumGetInt64(row->values[COL_PROFILE - 1]);
			if (!gp.active || profile_id != gp.profile_id)
			{
				emit_profile(&gp, rsinfo);
				gp.active = true;
				gp.profile_id = profile_id;
				gp.nrecords = 0;
				memset(gp.best, 0, sizeof(gp.best));
			}
			gp.nrecords++;
			for (a = 0; a < GOLDEN_NATTRS; a++)
			{
				if (row->nulls[COL_FIRST_ATTR - 1 + a])
					continue;
				if (gp.best[a] == NULL || row_before(row, gp.best[a], crit[a]))
					gp.best[a] = row;
			}
		}
		/* the last profile may go on in the next fetch */
		carry_survivors(&gp, desc);
		SPI_freetuptable(tuptable);
		MemoryContextReset(fetchcxt);
	}
	emit_profile(&gp, rsinfo);
	SPI_cursor_close(portal);
	SPI_finish();
	return (Datum) 0;
}
