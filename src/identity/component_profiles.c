/*-------------------------------------------------------------------------
 *
 * component_profiles.c
 *	  Which profile each component of a clustering becomes, and which
 *	  records and profiles that moves: the first step of writing a
 *	  clustering (cdp._apply_components).
 *
 * The rules (stable ids: adding records never renumbers a profile, a merge
 * keeps the older id):
 *	- an old profile's home is the component that holds most of its
 *	  records (the smaller component on a tie);
 *	- a component keeps the smallest old profile whose home it is; a
 *	  component without one gets a new id from the profiles' sequence, the
 *	  components taken in order so that older records get smaller ids;
 *	- a record changes when its profile is not its component's;
 *	- an old profile kept by no component is absorbed into the profile that
 *	  most of its moving records went to (the smaller on a tie).
 *
 * cdp._component_profiles works on the arrays of cdp._cluster's rows and
 * reads each record's current profile once; written in SQL, the same steps
 * were two joins of every record with cdp.source_records and several
 * aggregates over them.
 *
 * src/identity/component_profiles.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "identity/identity.h"

/* above this many records the current profiles are read by a full scan */
#define SCAN_ALL_ABOVE 1000

/*
 * The current profile of each record (0: none) into old[], ids[] sorted
 * ascending.  A record that no longer exists keeps 0 and is dropped by the
 * caller, as a join would drop it.
 */
static void
read_current_profiles(const int64 *ids, int64 n, ArrayType *ids_array, int64 *old, bool *exists)
{
	static SPIPlanPtr scan_plan = NULL;
	static SPIPlanPtr some_plan = NULL;
	SPIPlanPtr *saved = n > SCAN_ALL_ABOVE ? &scan_plan : &some_plan;
	Portal		portal;
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* planned once per backend: incremental resolution calls this per record */
	if (*saved == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(n > SCAN_ALL_ABOVE
									   ? "SELECT r.record_id, r.profile_id FROM cdp.source_records r"
									   : "SELECT r.record_id, r.profile_id FROM cdp.source_records r"
									   " WHERE r.record_id OPERATOR(pg_catalog.=) ANY ($1)",
									   n > SCAN_ALL_ABOVE ? 0 : 1, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "cdp._component_profiles: could not prepare: %s",
				 SPI_result_code_string(SPI_result));
		*saved = plan;
	}
	args[0] = PointerGetDatum(ids_array);
	portal = SPI_cursor_open(NULL, *saved, args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			Datum		pid = SPI_getbinval(tup, desc, 2, &isnull);
			int64		pos = identity_find_int64(ids, n, id);

			if (pos >= 0)
			{
				exists[pos] = true;
				old[pos] = isnull ? 0 : DatumGetInt64(pid);
			}
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(cdp_component_profiles);

/*
 * cdp._component_profiles(ids int8[], components int8[],
 *		OUT comp_ids int8[], OUT comp_pids int8[], OUT comp_new boolean[],
 *		OUT comp_sizes int8[], OUT ch_ids int8[], OUT ch_old int8[],
 *		OUT ch_new int8[], OUT absorbed int8[], OUT absorbed_into int8[],
 *		OUT kept_changed int8[])
 *
 * ids in ascending order (as cdp._cluster returns them), with the
 * component of each.  comp_* in component order; ch_* the records whose
 * profile changes, in id order (ch_old NULL for a record without one);
 * absorbed in id order with the profile each goes into; kept_changed the
 * profiles that existed before and lose or gain records, in id order.
 */
Datum
cdp_component_profiles(PG_FUNCTION_ARGS)
{
	ArrayType  *ids_a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *comps_a = PG_GETARG_ARRAYTYPE_P(1);
	TupleDesc	desc;
	Datum	   *id_d;
	bool	   *id_n;
	Datum	   *comp_d;
	bool	   *comp_n;
	int			n_in;
	int			ncomp_in;
	int64		n = 0;
	int64	   *ids;
	int64	   *comp;
	int64	   *old;
	bool	   *exists;
	IdentityPair *pairs;
	int64		npairs;
	int64	   *comp_ids;
	int64	   *comp_pids;
	int64	   *comp_sizes;
	bool	   *comp_new;
	int64		ncomps = 0;
	int64	   *rec_comp;
	int64	   *ch_ids;
	int64	   *ch_old;
	int64	   *ch_new;
	int64		nch = 0;
	int64	   *absorbed;
	int64	   *absorbed_into;
	int64		nabsorbed = 0;
	int64	   *kept_sorted;
	Oid			seq;
	int64	   *kept_changed;
	int64		nkept_changed = 0;
	Datum		values[10];
	bool		nulls[10] = {false};
	Datum	   *bools;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "cdp._component_profiles: return type must be a row type");
	if (ARR_NDIM(ids_a) > 1 || ARR_NDIM(comps_a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ids and components must be one-dimensional arrays")));
	deconstruct_array(ids_a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &id_d, &id_n, &n_in);
	deconstruct_array(comps_a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &comp_d, &comp_n, &ncomp_in);
	if (n_in != ncomp_in)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ids has %d elements where components has %d", n_in, ncomp_in)));

	ids = palloc_array(int64, Max(n_in, 1));
	comp = palloc_array(int64, Max(n_in, 1));
	for (int i = 0; i < n_in; i++)
	{
		if (id_n[i] || comp_n[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ids and components must not contain NULL")));
		ids[i] = DatumGetInt64(id_d[i]);
		comp[i] = DatumGetInt64(comp_d[i]);
		if (i > 0 && ids[i] <= ids[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ids must be distinct and in ascending order")));
	}
	old = palloc0_array(int64, Max(n_in, 1));
	exists = palloc0_array(bool, Max(n_in, 1));
	read_current_profiles(ids, n_in, ids_a, old, exists);

	/* keep the records that exist */
	for (int i = 0; i < n_in; i++)
	{
		if (!exists[i])
			continue;
		ids[n] = ids[i];
		comp[n] = comp[i];
		old[n] = old[i];
		n++;
	}

	/* components and their sizes, in order */
	pairs = palloc_array(IdentityPair, Max(n, 1));
	for (int64 i = 0; i < n; i++)
	{
		pairs[i].a = comp[i];
		pairs[i].b = i;
	}
	qsort(pairs, n, sizeof(IdentityPair), identity_cmp_pair);
	comp_ids = palloc_array(int64, Max(n, 1));
	comp_sizes = palloc_array(int64, Max(n, 1));
	rec_comp = palloc_array(int64, Max(n, 1));
	for (int64 i = 0; i < n; i++)
	{
		if (i == 0 || pairs[i].a != pairs[i - 1].a)
		{
			comp_ids[ncomps] = pairs[i].a;
			comp_sizes[ncomps] = 0;
			ncomps++;
		}
		comp_sizes[ncomps - 1]++;
		rec_comp[pairs[i].b] = ncomps - 1;
	}

	/*
	 * Each old profile's home: its records' (old, component) pairs sorted,
	 * the component with most of them, the first (smallest) on a tie.  Olds
	 * come in ascending order, so the first whose home a component is, is
	 * the smallest: the one it keeps.
	 */
	comp_pids = palloc0_array(int64, Max(ncomps, 1));
	npairs = 0;
	for (int64 i = 0; i < n; i++)
	{
		if (old[i] == 0)
			continue;
		pairs[npairs].a = old[i];
		pairs[npairs].b = rec_comp[i];
		npairs++;
	}
	qsort(pairs, npairs, sizeof(IdentityPair), identity_cmp_pair);
	for (int64 i = 0; i < npairs;)
	{
		int64		this_old = pairs[i].a;
		int64		best_comp = -1;
		int64		best_n = 0;

		while (i < npairs && pairs[i].a == this_old)
		{
			int64		c = pairs[i].b;
			int64		k = 0;

			for (; i < npairs && pairs[i].a == this_old && pairs[i].b == c; i++)
				k++;
			if (k > best_n)
			{
				best_n = k;
				best_comp = c;
			}
		}
		if (comp_pids[best_comp] == 0)
			comp_pids[best_comp] = this_old;
	}

	/* new ids for the others, in component order */
	comp_new = palloc_array(bool, Max(ncomps, 1));
	seq = get_relname_relid("profiles_profile_id_seq", get_namespace_oid("cdp", false));
	if (!OidIsValid(seq))
		elog(ERROR, "cdp._component_profiles: sequence cdp.profiles_profile_id_seq does not exist");
	for (int64 c = 0; c < ncomps; c++)
	{
		comp_new[c] = comp_pids[c] == 0;
		if (comp_new[c])
			comp_pids[c] = nextval_internal(seq, true);
	}

	/* records whose profile changes, in id order */
	ch_ids = palloc_array(int64, Max(n, 1));
	ch_old = palloc_array(int64, Max(n, 1));
	ch_new = palloc_array(int64, Max(n, 1));
	kept_changed = palloc_array(int64, Max(2 * n, 1));
	for (int64 i = 0; i < n; i++)
	{
		int64		pid = comp_pids[rec_comp[i]];

		if (old[i] == pid)
			continue;
		ch_ids[nch] = ids[i];
		ch_old[nch] = old[i];
		ch_new[nch] = pid;
		nch++;
		if (old[i] != 0)
			kept_changed[nkept_changed++] = old[i];
		if (!comp_new[rec_comp[i]])
			kept_changed[nkept_changed++] = pid;
	}

	/*
	 * Old profiles that no component keeps go into the profile most of their
	 * moving records went to (the smaller on a tie).
	 */
	kept_sorted = palloc_array(int64, Max(ncomps, 1));
	memcpy(kept_sorted, comp_pids, sizeof(int64) * ncomps);
	qsort(kept_sorted, ncomps, sizeof(int64), identity_cmp_int64);
	npairs = 0;
	for (int64 i = 0; i < nch; i++)
	{
		if (ch_old[i] == 0)
			continue;
		pairs[npairs].a = ch_old[i];
		pairs[npairs].b = ch_new[i];
		npairs++;
	}
	qsort(pairs, npairs, sizeof(IdentityPair), identity_cmp_pair);
	absorbed = palloc_array(int64, Max(npairs, 1));
	absorbed_into = palloc_array(int64, Max(npairs, 1));
	for (int64 i = 0; i < npairs;)
	{
		int64		this_old = pairs[i].a;
		int64		best_new = 0;
		int64		best_n = 0;

		while (i < npairs && pairs[i].a == this_old)
		{
			int64		to = pairs[i].b;
			int64		k = 0;

			for (; i < npairs && pairs[i].a == this_old && pairs[i].b == to; i++)
				k++;
			if (k > best_n)
			{
				best_n = k;
				best_new = to;
			}
		}
		if (identity_find_int64(kept_sorted, ncomps, this_old) < 0)
		{
			absorbed[nabsorbed] = this_old;
			absorbed_into[nabsorbed] = best_new;
			nabsorbed++;
		}
	}

	/* profiles that existed before and lose or gain records, distinct */
	nkept_changed = identity_sort_distinct(kept_changed, nkept_changed);

	bools = palloc_array(Datum, Max(ncomps, 1));
	for (int64 c = 0; c < ncomps; c++)
		bools[c] = BoolGetDatum(comp_new[c]);
	values[0] = PointerGetDatum(identity_int8_array(comp_ids, ncomps, false));
	values[1] = PointerGetDatum(identity_int8_array(comp_pids, ncomps, false));
	values[2] = PointerGetDatum(construct_array(bools, (int) ncomps, BOOLOID, 1, true, TYPALIGN_CHAR));
	values[3] = PointerGetDatum(identity_int8_array(comp_sizes, ncomps, false));
	/* (no change and nothing absorbed are NULL, as array_agg of no rows) */
	if (nch > 0)
	{
		values[4] = PointerGetDatum(identity_int8_array(ch_ids, nch, false));
		values[5] = PointerGetDatum(identity_int8_array(ch_old, nch, true));
		values[6] = PointerGetDatum(identity_int8_array(ch_new, nch, false));
	}
	else
		nulls[4] = nulls[5] = nulls[6] = true;
	if (nabsorbed > 0)
	{
		values[7] = PointerGetDatum(identity_int8_array(absorbed, nabsorbed, false));
		values[8] = PointerGetDatum(identity_int8_array(absorbed_into, nabsorbed, false));
	}
	else
		nulls[7] = nulls[8] = true;
	if (nkept_changed > 0)
		values[9] = PointerGetDatum(identity_int8_array(kept_changed, nkept_changed, false));
	else
		nulls[9] = true;
	if (ncomps == 0)
		nulls[0] = nulls[1] = nulls[2] = nulls[3] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
