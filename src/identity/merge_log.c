/*-------------------------------------------------------------------------
 *
 * merge_log.c
 *	  The merge-log entries of one resolution: a 'link' per profile that
 *	  gained records (a new profile only when it joined several), a 'merge'
 *	  per old profile absorbed into another, each with the evidence of its
 *	  component (the heaviest probabilistic link, its rule, the identifier
 *	  kinds that linked its records).
 *
 * cdp._merge_log_entries takes the arrays cdp._apply_components holds
 * (cdp._cluster's rows and cdp._component_profiles' results) and returns
 * the rows to insert, links first in profile order, then merges in the
 * order of the absorbed profiles.  Grouping a million records this way
 * costs a few sorts of their positions; in SQL it took sorts and hash
 * aggregates of every record, several times over.
 *
 * src/identity/merge_log.c
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
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"

#include "identity/identity.h"

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
	char	   *json;			/* as a JSON string, quoted and escaped */
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
	(*kinds)[*nkinds].json = NULL;
	return (*nkinds)++;
}

/*
 * The elements of a one-dimensional array argument (NULL: none), which must
 * have n elements when n >= 0; *nulls gets the NULL flags.
 */
static Datum *
array_arg(FunctionCallInfo fcinfo, int argno, const char *name, Oid type, int n,
		  bool **nulls, int *count)
{
	ArrayType  *a;
	Datum	   *values;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(argno))
	{
		*nulls = NULL;
		*count = 0;
		if (n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s is NULL where components has %d elements", name, n)));
		return NULL;
	}
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name)));
	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	deconstruct_array(a, type, typlen, typbyval, typalign, &values, nulls, count);
	if (n >= 0 && *count != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements where %s", name, *count,
						n == 0 ? "components has none" : psprintf("components has %d", n))));
	return values;
}

/* an int8 element, 0 for NULL where allowed */
static int64
int8_elem(Datum *values, bool *nulls, int i, const char *name, bool null_ok)
{
	if (nulls && nulls[i])
	{
		if (!null_ok)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", name)));
		return 0;
	}
	return DatumGetInt64(values[i]);
}

/* a record that changes profile */
typedef struct ChRow
{
	int64		key;			/* new or old profile, as sorted */
	int64		id;
	int64		old;			/* 0: none */
	int64		new;
} ChRow;

static int
cmp_ch(const void *x, const void *y)
{
	const ChRow *p = x;
	const ChRow *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return (p->id > q->id) - (p->id < q->id);
}

/* the evidence of one component */
typedef struct Evidence
{
	int			best;			/* record of the heaviest link, -1 none */
	int			kinds_off;		/* its kind ranks in kind_ranks[] */
	int			nkinds;
} Evidence;

/* the evidence of a component, NULL if it has none */
static const Evidence *
evidence_of(const Evidence *evs, const IdentityPair *ev_by_comp, int nevs, int64 comp)
{
	int64		k = identity_find_pair(ev_by_comp, nevs, comp);

	return k < 0 ? NULL : &evs[ev_by_comp[k].b];
}

/* one row of the result */
static void
emit_entry(ReturnSetInfo *rsinfo, const char *action, int64 profile, int64 other,
		   const int64 *recs, int nrecs, const int64 *from, int nfrom,
		   const Evidence *ev, const Datum *rule_d, const Datum *weight_d,
		   KindEntry *const *by_rank, const int *kind_ranks, StringInfo details)
{
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};

	values[0] = CStringGetTextDatum(action);
	values[1] = Int64GetDatum(profile);
	values[2] = Int64GetDatum(other);
	nulls[2] = other == 0;
	values[3] = PointerGetDatum(identity_int8_array(recs, nrecs, false));
	if (ev && ev->best >= 0)
	{
		values[4] = rule_d[ev->best];
		values[5] = weight_d[ev->best];
	}
	else
		nulls[4] = nulls[5] = true;
	resetStringInfo(details);
	appendStringInfoString(details, "{\"kinds\": [");
	for (int k = 0; ev && k < ev->nkinds; k++)
	{
		if (k > 0)
			appendStringInfoString(details, ", ");
		appendStringInfoString(details, by_rank[kind_ranks[ev->kinds_off + k]]->json);
	}
	appendStringInfoChar(details, ']');
	if (nfrom > 0)
	{
		appendStringInfoString(details, ", \"from_profiles\": [");
		for (int k = 0; k < nfrom; k++)
			appendStringInfo(details, "%s" INT64_FORMAT, k > 0 ? ", " : "", from[k]);
		appendStringInfoChar(details, ']');
	}
	appendStringInfoChar(details, '}');
	values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(details->data));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	pfree(DatumGetPointer(values[0]));
	pfree(DatumGetPointer(values[3]));
	pfree(DatumGetPointer(values[6]));
}

PG_FUNCTION_INFO_V1(cdp_merge_log_entries);

/*
 * cdp._merge_log_entries(components int8[], via_kinds text[], via_rules int4[],
 *		via_weights float8[], ch_ids int8[], ch_old int8[], ch_new int8[],
 *		comp_ids int8[], comp_pids int8[], comp_new boolean[],
 *		absorbed int8[], absorbed_into int8[])
 *	 RETURNS TABLE (action text, profile_id int8, other_profile_id int8,
 *		record_ids int8[], rule_id int4, match_weight float8, details jsonb)
 *
 * The first four arrays are cdp._cluster's rows (one element a record),
 * the others cdp._component_profiles' results.  A component's evidence is
 * over all its records: the greatest weight of their probabilistic links
 * and its rule (the first record's in array order on a tie; NULL without
 * one), and their distinct linking kinds in the database's collation order
 * (details "kinds"); a link also names the old profiles its records came
 * from (details "from_profiles").
 */
Datum
cdp_merge_log_entries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *comp_d,
			   *kind_d,
			   *rule_d,
			   *weight_d,
			   *chid_d,
			   *chold_d,
			   *chnew_d,
			   *cid_d,
			   *cpid_d,
			   *cnew_d,
			   *ab_d,
			   *abto_d;
	bool	   *comp_n,
			   *kind_n,
			   *rule_n,
			   *weight_n,
			   *chid_n,
			   *chold_n,
			   *chnew_n,
			   *cid_n,
			   *cpid_n,
			   *cnew_n,
			   *ab_n,
			   *abto_n;
	int			n,
				count,
				nch,
				ncomps,
				nab;
	int64	   *comps;
	int		   *order;
	int		   *kind_of;
	KindEntry  *kinds;
	KindEntry **by_rank;
	int			nkinds = 0;
	int			kinds_cap = 8;
	bool	   *seen;
	int		   *kind_ranks;
	int			nkind_ranks = 0;
	IdentityPair *ev_by_comp;		/* (component, index into evs) */
	Evidence   *evs;
	int			nevs = 0;
	IdentityPair *comp_by_pid;	/* (profile, index into the comp_* arrays) */
	ChRow	   *by_new;
	ChRow	   *by_old;
	int64	   *absorbed_sorted;
	int64	   *recs;
	int64	   *from;
	StringInfoData details;

	InitMaterializedSRF(fcinfo, 0);
	comp_d = array_arg(fcinfo, 0, "components", INT8OID, -1, &comp_n, &n);
	kind_d = array_arg(fcinfo, 1, "via_kinds", TEXTOID, n, &kind_n, &count);
	rule_d = array_arg(fcinfo, 2, "via_rules", INT4OID, n, &rule_n, &count);
	weight_d = array_arg(fcinfo, 3, "via_weights", FLOAT8OID, n, &weight_n, &count);
	chid_d = array_arg(fcinfo, 4, "ch_ids", INT8OID, -1, &chid_n, &nch);
	chold_d = array_arg(fcinfo, 5, "ch_old", INT8OID, -1, &chold_n, &count);
	if (count != nch)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ch_old has %d elements where ch_ids has %d", count, nch)));
	chnew_d = array_arg(fcinfo, 6, "ch_new", INT8OID, -1, &chnew_n, &count);
	if (count != nch)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ch_new has %d elements where ch_ids has %d", count, nch)));
	cid_d = array_arg(fcinfo, 7, "comp_ids", INT8OID, -1, &cid_n, &ncomps);
	cpid_d = array_arg(fcinfo, 8, "comp_pids", INT8OID, -1, &cpid_n, &count);
	if (count != ncomps)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("comp_pids has %d elements where comp_ids has %d", count, ncomps)));
	cnew_d = array_arg(fcinfo, 9, "comp_new", BOOLOID, -1, &cnew_n, &count);
	if (count != ncomps)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("comp_new has %d elements where comp_ids has %d", count, ncomps)));
	ab_d = array_arg(fcinfo, 10, "absorbed", INT8OID, -1, &ab_n, &nab);
	abto_d = array_arg(fcinfo, 11, "absorbed_into", INT8OID, -1, &abto_n, &count);
	if (count != nab)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("absorbed_into has %d elements where absorbed has %d", count, nab)));
	if (nch == 0)
		return (Datum) 0;

	/* each component's evidence */
	comps = palloc_array(int64, Max(n, 1));
	order = palloc_array(int, Max(n, 1));
	kind_of = palloc_array(int, Max(n, 1));
	kinds = palloc_array(KindEntry, kinds_cap);
	for (int i = 0; i < n; i++)
	{
		comps[i] = int8_elem(comp_d, comp_n, i, "components", false);
		order[i] = i;
		kind_of[i] = kind_n[i] ? -1
			: kind_index(&kinds, &nkinds, &kinds_cap, DatumGetTextPP(kind_d[i]));
	}
	by_rank = palloc_array(KindEntry *, Max(nkinds, 1));
	for (int k = 0; k < nkinds; k++)
		by_rank[k] = &kinds[k];
	qsort(by_rank, nkinds, sizeof(KindEntry *), cmp_kind_text);
	for (int k = 0; k < nkinds; k++)
	{
		StringInfoData json;

		initStringInfo(&json);
		escape_json(&json, text_to_cstring(by_rank[k]->kind));
		by_rank[k]->rank = k;
		by_rank[k]->json = json.data;
	}
	seen = palloc0_array(bool, Max(nkinds, 1));
	kind_ranks = palloc_array(int, Max(n, 1));
	sort_components = comps;
	qsort(order, n, sizeof(int), cmp_by_component);
	evs = palloc_array(Evidence, Max(n, 1));
	ev_by_comp = palloc_array(IdentityPair, Max(n, 1));
	for (int start = 0; start < n;)
	{
		int64		comp = comps[order[start]];
		int			end = start;
		Evidence   *ev = &evs[nevs];

		CHECK_FOR_INTERRUPTS();
		ev->best = -1;
		ev->kinds_off = nkind_ranks;
		ev->nkinds = 0;
		for (; end < n && comps[order[end]] == comp; end++)
		{
			int			i = order[end];

			/* (a record's weight is NULL exactly when its rule is) */
			if (!rule_n[i] && !weight_n[i] &&
				(ev->best < 0 || DatumGetFloat8(weight_d[i]) > DatumGetFloat8(weight_d[ev->best])))
				ev->best = i;
			if (kind_of[i] >= 0)
				seen[kinds[kind_of[i]].rank] = true;
		}
		for (int k = 0; k < nkinds; k++)
		{
			if (seen[k])
			{
				kind_ranks[nkind_ranks++] = k;
				ev->nkinds++;
				seen[k] = false;
			}
		}
		ev_by_comp[nevs].a = comp;
		ev_by_comp[nevs].b = nevs;
		nevs++;
		start = end;
	}

	/* components by profile */
	comp_by_pid = palloc_array(IdentityPair, Max(ncomps, 1));
	for (int c = 0; c < ncomps; c++)
	{
		comp_by_pid[c].a = int8_elem(cpid_d, cpid_n, c, "comp_pids", false);
		comp_by_pid[c].b = c;
	}
	qsort(comp_by_pid, ncomps, sizeof(IdentityPair), identity_cmp_pair);

	/* the changed records by new profile, and by old profile */
	by_new = palloc_array(ChRow, nch);
	by_old = palloc_array(ChRow, nch);
	for (int i = 0; i < nch; i++)
	{
		by_new[i].id = int8_elem(chid_d, chid_n, i, "ch_ids", false);
		by_new[i].old = int8_elem(chold_d, chold_n, i, "ch_old", true);
		by_new[i].new = int8_elem(chnew_d, chnew_n, i, "ch_new", false);
		by_new[i].key = by_new[i].new;
		by_old[i] = by_new[i];
		by_old[i].key = by_old[i].old;
	}
	qsort(by_new, nch, sizeof(ChRow), cmp_ch);
	qsort(by_old, nch, sizeof(ChRow), cmp_ch);
	absorbed_sorted = palloc_array(int64, Max(nab, 1));
	for (int i = 0; i < nab; i++)
		absorbed_sorted[i] = int8_elem(ab_d, ab_n, i, "absorbed", false);
	qsort(absorbed_sorted, nab, sizeof(int64), identity_cmp_int64);
	recs = palloc_array(int64, nch);
	from = palloc_array(int64, nch);
	initStringInfo(&details);

	/* links: per profile that gained records, those not of an absorbed one */
	for (int start = 0; start < nch;)
	{
		int64		pid = by_new[start].key;
		int			end = start;
		int			nrecs = 0;
		int			nfrom = 0;
		int64		c;

		CHECK_FOR_INTERRUPTS();
		for (; end < nch && by_new[end].key == pid; end++)
		{
			if (by_new[end].old != 0 && identity_find_int64(absorbed_sorted, nab, by_new[end].old) >= 0)
				continue;
			recs[nrecs++] = by_new[end].id;
			if (by_new[end].old != 0)
				from[nfrom++] = by_new[end].old;
		}
		start = end;
		c = identity_find_pair(comp_by_pid, ncomps, pid);
		if (nrecs == 0 || c < 0)
			continue;
		c = comp_by_pid[c].b;
		/* a new profile of one record links nothing */
		if (nrecs == 1 && !cnew_n[c] && DatumGetBool(cnew_d[c]))
			continue;
		nfrom = (int) identity_sort_distinct(from, nfrom);
		emit_entry(rsinfo, "link", pid, 0, recs, nrecs, from, nfrom,
				   evidence_of(evs, ev_by_comp, nevs, int8_elem(cid_d, cid_n, (int) c, "comp_ids", false)),
				   rule_d, weight_d, by_rank, kind_ranks, &details);
	}

	/* merges: per absorbed profile (in the order of the profile it went into) */
	{
		IdentityPair *merges = palloc_array(IdentityPair, Max(nab, 1));

		for (int i = 0; i < nab; i++)
		{
			merges[i].a = int8_elem(abto_d, abto_n, i, "absorbed_into", false);
			merges[i].b = int8_elem(ab_d, ab_n, i, "absorbed", false);
		}
		qsort(merges, nab, sizeof(IdentityPair), identity_cmp_pair);
		for (int i = 0; i < nab; i++)
		{
			int64		into = merges[i].a;
			int64		old = merges[i].b;
			int			lo = 0,
						hi = nch;
			int			nrecs = 0;
			int64		c;

			/* the first changed record of the old profile */
			while (lo < hi)
			{
				int			mid = lo + (hi - lo) / 2;

				if (by_old[mid].key < old)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < nch && by_old[lo].key == old; lo++)
				recs[nrecs++] = by_old[lo].id;
			c = identity_find_pair(comp_by_pid, ncomps, into);
			if (nrecs == 0)
				continue;
			emit_entry(rsinfo, "merge", into, old, recs, nrecs, NULL, 0,
					   c < 0 ? NULL
					   : evidence_of(evs, ev_by_comp, nevs,
									 int8_elem(cid_d, cid_n, (int) comp_by_pid[c].b, "comp_ids", false)),
					   rule_d, weight_d, by_rank, kind_ranks, &details);
		}
	}
	return (Datum) 0;
}
