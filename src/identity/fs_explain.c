/*-------------------------------------------------------------------------
 *
 * fs_explain.c
 *	  cdp._fs_explain: why two records are or are not linked by a
 *	  probabilistic rule, one row per comparison (the values compared, the
 *	  level reached, its m, u and weight) after a row for the prior, each
 *	  row carrying the total weight, the threshold and whether it passes.
 *
 * cdp.explain_link and cdp.match_weight are SQL wrappers that look the
 * rule up.  The pair is compared exactly as cdp._fs_edges compares it
 * (whether blocking would propose it is a separate question: the last
 * column says which blocking rule does, if any).
 *
 * src/identity/fs_explain.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/tuplestore.h"

#include "identity/fs.h"

#define EXPLAIN_COLUMNS 12

static int
find_record(const FsRecords *recs, int64 id)
{
	for (int i = 0; i < recs->nrecords; i++)
		if (recs->ids[i] == id)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("source record " INT64_FORMAT " does not exist", id)));
	return -1;
}

static Datum
value_text(const FsRecords *recs, int rec, int slot, bool *isnull)
{
	const FsValue *v;

	*isnull = true;
	if (slot < 0)
		return (Datum) 0;
	v = fs_value(recs, rec, slot);
	if (v->len < 0)
		return (Datum) 0;
	*isnull = false;
	return PointerGetDatum(cstring_to_text_with_len(recs->arena + v->off, v->len));
}

static Datum
float_or_null(double x, bool *isnull)
{
	*isnull = isnan(x);
	return Float8GetDatum(x);
}

/*
 * cdp._fs_explain(rule_name text, definition jsonb, threshold float8,
 *				   record_a int8, record_b int8)
 * RETURNS TABLE (comparison text, level int4, level_name text, value_a text,
 *				  value_b text, m float8, u float8, weight float8,
 *				  total_weight float8, threshold float8, passes bool,
 *				  blocked_by text)
 */
PG_FUNCTION_INFO_V1(cdp_fs_explain);
Datum
cdp_fs_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *rule_name;
	FsModel    *model = palloc(sizeof(FsModel));
	FsRecords  *recs;
	Datum		ids[2];
	int			a,
				b;
	int			levels[FS_MAX_COMPARISONS];
	double		total;
	double		threshold;
	char	   *blocked_by = NULL;
	Datum		values[EXPLAIN_COLUMNS];
	bool		nulls[EXPLAIN_COLUMNS];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule name, definition and record ids must not be NULL")));
	rule_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	fs_parse_model(model, rule_name, PG_GETARG_JSONB_P(1), true);
	/* without a threshold the weights are still shown; passes is NULL */
	threshold = PG_ARGISNULL(2) ? 0 : fs_check_threshold(rule_name, false, PG_GETARG_FLOAT8(2));
	ids[0] = PG_GETARG_DATUM(3);
	ids[1] = PG_GETARG_DATUM(4);
	recs = fs_load_records(model, construct_array(ids, 2, INT8OID, 8, FLOAT8PASSBYVAL,
												  TYPALIGN_DOUBLE), false, false);
	a = find_record(recs, DatumGetInt64(ids[0]));
	b = find_record(recs, DatumGetInt64(ids[1]));
	total = fs_pair_weight(model, recs, a, b, levels);
	for (int r = 0; r < model->nblocking && !blocked_by; r++)
	{
		const FsBlocking *blk = &model->blocking[r];
		bool		holds = true;

		for (int k = 0; k < blk->nkeys && holds; k++)
		{
			const FsValue *x = fs_value(recs, a, blk->slots[k]);
			const FsValue *y = fs_value(recs, b, blk->slots[k]);

			holds = x->len >= 0 && x->len == y->len &&
				memcmp(recs->arena + x->off, recs->arena + y->off, x->len) == 0;
		}
		if (holds)
			blocked_by = blk->text;
	}

	InitMaterializedSRF(fcinfo, 0);
	memset(nulls, 0, sizeof(nulls));
	nulls[9] = nulls[10] = PG_ARGISNULL(2);
	values[8] = Float8GetDatum(total);
	values[9] = Float8GetDatum(threshold);
	values[10] = BoolGetDatum(total >= threshold);
	values[11] = blocked_by ? CStringGetTextDatum(blocked_by) : (Datum) 0;
	nulls[11] = (blocked_by == NULL);

	/* the prior */
	values[0] = CStringGetTextDatum("(prior)");
	nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[5] = nulls[6] = true;
	values[7] = Float8GetDatum(model->prior_weight);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	for (int c = 0; c < model->ncomparisons; c++)
	{
		const FsComparison *cmp = &model->comparisons[c];
		int			l = levels[c];
		int			slot = cmp->levels[l >= 0 && cmp->levels[l].slot >= 0 ? l : 0].slot;
		bool		skipped = false;

		values[0] = CStringGetTextDatum(cmp->name);
		values[1] = Int32GetDatum(l);
		nulls[1] = (l < 0);
		for (int d = 0; d < cmp->nunless; d++)
			skipped |= levels[cmp->unless[d]] >= 0;
		values[2] = CStringGetTextDatum(l >= 0 ? cmp->levels[l].label :
										skipped ? "not compared (an \"unless\" comparison was)" :
										"null (a value is missing)");
		nulls[2] = false;
		values[3] = value_text(recs, a, slot, &nulls[3]);
		values[4] = value_text(recs, b, slot, &nulls[4]);
		values[5] = float_or_null(l >= 0 ? cmp->levels[l].m : get_float8_nan(), &nulls[5]);
		values[6] = float_or_null(l >= 0 ? cmp->levels[l].u : get_float8_nan(), &nulls[6]);
		values[7] = Float8GetDatum(fs_level_weight(cmp, l, recs, a));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
