/*-------------------------------------------------------------------------
 *
 * explain_counts.c
 *	  Keep EXPLAIN ANALYZE from counting the rows the consent policy hid.
 *
 * A leakproof user qual (equality on an indexed column) may run before the
 * policy, as an index condition; the policy then runs as the node's
 * filter, and EXPLAIN ANALYZE would print "Rows Removed by Filter: 1" for
 * a hidden row that matches: an answer to "is victim@example.jp one of our
 * customers?" (and so would an index-only scan's "Heap Fetches").  After a
 * statement with instrumentation has run (and before EXPLAIN prints it),
 * these counts of every plan node whose qual calls cdp._consent_visible are
 * set to zero.  The hook costs nothing unless the statement is
 * instrumented.
 *
 * src/consent/explain_counts.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_func.h"

#include "cdp.h"
#include "consent/consent.h"

static ExecutorFinish_hook_type prev_executor_finish = NULL;

static bool
calls_function(Node *node, void *context)
{
	Oid			funcid = *(Oid *) context;

	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == funcid)
		return true;
	return expression_tree_walker(node, calls_function, context);
}

static bool
hide_filter_counts(PlanState *planstate, void *context)
{
	if (planstate->instrument && planstate->plan->qual &&
		calls_function((Node *) planstate->plan->qual, context))
	{
		planstate->instrument->nfiltered1 = 0;
		planstate->instrument->nfiltered2 = 0;
		/* an index-only scan's heap fetches count index entries too */
		if (IsA(planstate, IndexOnlyScanState))
			planstate->instrument->ntuples2 = 0;
	}
	return planstate_tree_walker(planstate, hide_filter_counts, context);
}

static void
consent_executor_finish(QueryDesc *queryDesc)
{
	if (prev_executor_finish)
		prev_executor_finish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);

	if (queryDesc->instrument_options != 0 && queryDesc->planstate != NULL)
	{
		Oid			argtypes[1] = {INT8OID};
		Oid			funcid;

		funcid = LookupFuncName(list_make2(makeString("cdp"), makeString("_consent_visible")),
								1, argtypes, true);
		if (OidIsValid(funcid))
			hide_filter_counts(queryDesc->planstate, &funcid);
	}
}

void
cdp_explain_counts_init(void)
{
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = consent_executor_finish;
}
