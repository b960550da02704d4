/*-------------------------------------------------------------------------
 *
 * fs_score.c
 *	  cdp._probabilistic_edges: for every enabled probabilistic rule, the
 *	  blocked pairs of records whose match weight reaches the rule's
 *	  threshold: the links that clustering consumes.
 *
 * The match weight of a pair is the prior weight log2(p / (1 - p)), p the
 * probability that two records drawn at random are one person, plus the
 * weight log2(m / u) of the level each comparison reaches; 0 means even
 * odds.  Records are loaded and their values computed once; the pairs come
 * from blocking, and scoring one allocates nothing.
 *
 * src/identity/fs_score.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "identity/fs.h"

typedef struct EdgeState
{
	const FsModel *model;
	const FsRecords *recs;
	double		threshold;
	int32		rule_id;
	Tuplestorestate *store;
	TupleDesc	desc;
	int64		npairs;
} EdgeState;

static bool
emit_edge(int a, int b, void *arg)
{
	EdgeState  *st = arg;
	double		w = fs_pair_weight_bounded(st->model, st->recs, a, b, st->threshold);

	st->npairs++;
	if ((st->npairs & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	if (w >= st->threshold)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int64		ida = st->recs->ids[a];
		int64		idb = st->recs->ids[b];

		values[0] = Int64GetDatum(Min(ida, idb));
		values[1] = Int64GetDatum(Max(ida, idb));
		values[2] = Int32GetDatum(st->rule_id);
		values[3] = Float8GetDatum(w);
		tuplestore_putvalues(st->store, st->desc, values, nulls);
	}
	return true;
}

/* a rule's threshold: required for scoring */
double
fs_check_threshold(const char *rule_name, bool isnull, double t)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probabilistic rule \"%s\" has no threshold", rule_name),
				 errhint("Set cdp.match_rules.threshold to the least match weight that links two records (0 is even odds).")));
	if (isnan(t) || isinf(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probabilistic rule \"%s\" has threshold %g, which is not a finite number",
						rule_name, t)));
	return t;
}

static void
edges_of_rule(const char *rule_name, int32 rule_id, Jsonb *definition,
			  bool threshold_null, double threshold, ArrayType *record_ids,
			  ReturnSetInfo *rsinfo)
{
	MemoryContext work;
	MemoryContext old;
	FsModel    *model;
	EdgeState	st;
	instr_time	t0,
				t1,
				t2;

	work = AllocSetContextCreate(CurrentMemoryContext, "cdp probabilistic scoring",
								 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	model = palloc(sizeof(FsModel));
	fs_parse_model(model, rule_name, definition, true);
	st.threshold = fs_check_threshold(rule_name, threshold_null, threshold);
	st.model = model;
	INSTR_TIME_SET_CURRENT(t0);
	st.recs = fs_load_records(model, record_ids, true, false);
	INSTR_TIME_SET_CURRENT(t1);
	st.rule_id = rule_id;
	st.store = rsinfo->setResult;
	st.desc = rsinfo->setDesc;
	st.npairs = 0;
	fs_blocked_pairs(model, st.recs, emit_edge, &st);
	INSTR_TIME_SET_CURRENT(t2);
	INSTR_TIME_SUBTRACT(t2, t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	elog(DEBUG1, "probabilistic rule \"%s\": %d records loaded in %.1f ms, " INT64_FORMAT " blocked pairs scored in %.1f ms",
		 rule_name, st.recs->nrecords, INSTR_TIME_GET_MILLISEC(t1), st.npairs,
		 INSTR_TIME_GET_MILLISEC(t2));
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
}

typedef struct RuleRow
{
	char	   *name;
	int32		id;
	Jsonb	   *definition;
	bool		threshold_null;
	double		threshold;
} RuleRow;

/*
 * cdp._probabilistic_edges(record_ids int8[]): the edges of every enabled
 * probabilistic rule, in the order of the rules' priority.
 */
/* the plan of the enabled rules' query, kept for the backend's life */
static SPIPlanPtr rules_plan = NULL;

PG_FUNCTION_INFO_V1(cdp_probabilistic_edges);
Datum
cdp_probabilistic_edges(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *record_ids = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	MemoryContext caller;
	RuleRow    *rules = NULL;
	int			nrules = 0;

	InitMaterializedSRF(fcinfo, 0);
	caller = CurrentMemoryContext;
	SPI_connect();
	/* planned once per backend: incremental resolution asks for every record */
	if (rules_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT r.rule_name, r.rule_id, r.definition, r.threshold"
									   "  FROM cdp.match_rules r"
									   " WHERE r.rule_type OPERATOR(pg_catalog.=) 'probabilistic' AND r.enabled"
									   " ORDER BY r.priority, r.rule_id", 0, NULL);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "cdp._probabilistic_edges: could not prepare the rules query: %s",
				 SPI_result_code_string(SPI_result));
		rules_plan = plan;
	}
	if (SPI_execute_plan(rules_plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "cdp._probabilistic_edges: reading cdp.match_rules failed");
	if (SPI_processed > 0)
	{
		rules = MemoryContextAlloc(caller, sizeof(RuleRow) * SPI_processed);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			MemoryContext old = MemoryContextSwitchTo(caller);
			Datum		d;

			rules[i].name = SPI_getvalue(tup, desc, 1);
			rules[i].id = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
			rules[i].definition = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 3, &isnull));
			d = SPI_getbinval(tup, desc, 4, &rules[i].threshold_null);
			rules[i].threshold = rules[i].threshold_null ? 0 : DatumGetFloat8(d);
			MemoryContextSwitchTo(old);
		}
		nrules = SPI_processed;
	}
	SPI_finish();
	for (int i = 0; i < nrules; i++)
		edges_of_rule(rules[i].name, rules[i].id, rules[i].definition,
					  rules[i].threshold_null, rules[i].threshold, record_ids, rsinfo);
	return (Datum) 0;
}
