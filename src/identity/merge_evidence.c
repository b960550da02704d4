/*-------------------------------------------------------------------------
 *
 * merge_evidence.c
 *	  The evidence a batch's merge log gives for each component: the
 *	  heaviest probabilistic link, its rule, and the identifier kinds that
 *	  linked the component's records.
 *
 * cdp._component_evidence takes the arrays cdp._cluster's rows were
 * gathered into (record by record: component, via_kind, via_rule,
 * via_weight) and returns one row per component.  Grouping a million
 * records by component this way costs one sort of their positions; in SQL
 * it took several sorts and hash aggregates of every record.
 *
 * src/identity/merge_evidence.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"

/* the records' components, for sorting positions by component */
static const int64 *sort_components;

static int
cmp_by_component(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	if (sort_components[x] != sort_components[y])
		return sort_components[x] < sort_components[y] ? -1 : 1;
	return (x > y) - (x < y);
}

/* distinct kinds: text and rank in the database's collation */
typedef struct KindEntry
{
	text	   *kind;
	int			rank;
} KindEntry;

static int
cmp_kind_text(const void *a, const void *b)
{
	const KindEntry *x = *(KindEntry *const *) a;
	const KindEntry *y = *(KindEntry *const *) b;

	return varstr_cmp(VARDATA_ANY(x->kind), VARSIZE_ANY_EXHDR(x->kind),
					  VARDATA_ANY(y->kind), VARSIZE_ANY_EXHDR(y->kind),
					  DEFAULT_COLLATION_OID);
}

/* the index of kind in kinds[*nkinds], added when new */
static int
kind_index(KindEntry **kinds, int *nkinds, int *cap, text *kind)
{
	int			len = VARSIZE_ANY_EXHDR(kind);

	for (int i = 0; i < *nkinds; i++)
	{
		text	   *k = (*kinds)[i].kind;

		if (VARSIZE_ANY_EXHDR(k) == len && memcmp(VARDATA_ANY(k), VARDATA_ANY(kind), len) == 0)
			return i;
	}
	if (*nkinds == *cap)
	{
		*cap *= 2;
		*kinds = repalloc_array(*kinds, KindEntry, *cap);
	}
	(*kinds)[*nkinds].kind = kind;
	(*kinds)[*nkinds].rank = 0;
	return (*nkinds)++;
}

static void
deconstruct(ArrayType *a, Oid type, int16 len, bool byval, char align, const char *name,
			int n, Datum **values, bool **nulls)
{
	int			count;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name)));
	deconstruct_array(a, type, len, byval, align, values, nulls, &count);
	if (count != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements where components has %d", name, count, n)));
}

PG_FUNCTION_INFO_V1(cdp_component_evidence);

/*
 * cdp._component_evidence(components int8[], via_kinds text[],
 *						   via_rules int4[], via_weights float8[])
 *	 RETURNS TABLE (component int8, rule_id int4, match_weight float8,
 *					kinds text[])
 *
 * One row per distinct component: the greatest weight of its records'
 * probabilistic links and the rule of that link (the first record's in
 * array order when several weigh the same; NULL without one), and its
 * records' distinct linking kinds in the database's collation order.
 */
Datum
cdp_component_evidence(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *comps_a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *comp_d;
	bool	   *comp_n;
	Datum	   *kind_d;
	bool	   *kind_n;
	Datum	   *rule_d;
	bool	   *rule_n;
	Datum	   *weight_d;
	bool	   *weight_n;
	int			n;
	int64	   *comps;
	int		   *order;
	int		   *kind_of;
	KindEntry  *kinds;
	KindEntry **by_text;
	int			nkinds = 0;
	int			kinds_cap = 8;
	bool	   *seen;
	Datum	   *out_kinds;

	InitMaterializedSRF(fcinfo, 0);
	if (ARR_NDIM(comps_a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("components must be a one-dimensional array")));
	deconstruct_array(comps_a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &comp_d, &comp_n, &n);
	deconstruct(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT, "via_kinds",
				n, &kind_d, &kind_n);
	deconstruct(PG_GETARG_ARRAYTYPE_P(2), INT4OID, 4, true, TYPALIGN_INT, "via_rules",
				n, &rule_d, &rule_n);
	deconstruct(PG_GETARG_ARRAYTYPE_P(3), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
				"via_weights", n, &weight_d, &weight_n);
	if (n == 0)
		return (Datum) 0;

	comps = palloc_array(int64, n);
	order = palloc_array(int, n);
	kind_of = palloc_array(int, n);
	kinds = palloc_array(KindEntry, kinds_cap);
	for (int i = 0; i < n; i++)
	{
		if (comp_n[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("components must not contain NULL")));
		comps[i] = DatumGetInt64(comp_d[i]);
		order[i] = i;
		kind_of[i] = kind_n[i] ? -1
			: kind_index(&kinds, &nkinds, &kinds_cap, DatumGetTextPP(kind_d[i]));
	}

	/* rank the distinct kinds in collation order */
	by_text = palloc_array(KindEntry *, Max(nkinds, 1));
	for (int k = 0; k < nkinds; k++)
		by_text[k] = &kinds[k];
	qsort(by_text, nkinds, sizeof(KindEntry *), cmp_kind_text);
	for (int k = 0; k < nkinds; k++)
		by_text[k]->rank = k;
	seen = palloc0_array(bool, Max(nkinds, 1));
	out_kinds = palloc_array(Datum, Max(nkinds, 1));

	sort_components = comps;
	qsort(order, n, sizeof(int), cmp_by_component);

	for (int start = 0; start < n;)
	{
		int64		comp = comps[order[start]];
		int			end = start;
		int			best = -1;
		int			nout = 0;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		for (; end < n && comps[order[end]] == comp; end++)
		{
			int			i = order[end];

			/* (a record's weight is NULL exactly when its rule is) */
			if (!rule_n[i] && !weight_n[i] &&
				(best < 0 || DatumGetFloat8(weight_d[i]) > DatumGetFloat8(weight_d[best])))
				best = i;
			if (kind_of[i] >= 0)
				seen[kinds[kind_of[i]].rank] = true;
		}
		for (int k = 0; k < nkinds; k++)
		{
			if (seen[k])
			{
				out_kinds[nout++] = PointerGetDatum(by_text[k]->kind);
				seen[k] = false;
			}
		}
		values[0] = Int64GetDatum(comp);
		if (best >= 0)
		{
			values[1] = rule_d[best];
			values[2] = weight_d[best];
		}
		else
			nulls[1] = nulls[2] = true;
		values[3] = PointerGetDatum(construct_array(out_kinds, nout, TEXTOID, -1, false,
													TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[3]));
		start = end;
	}
	return (Datum) 0;
}
