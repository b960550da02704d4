/*-------------------------------------------------------------------------
 *
 * rfm_segment.c
 *	  cdp.rfm_segment(score): the segment (Champions, Loyal, ..., Lost) of
 *	  an RFM score, by the editable map in cdp.rfm_segments.
 *
 * The map is read once per query (the function is STABLE) and kept in
 * fn_extra; rules are tried in priority order and the first whose ranges
 * hold the score's R, F and M levels wins.  A score no rule matches has no
 * segment (NULL).
 *
 * src/rfm/rfm_segment.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "rfm/rfm.h"

static int
column_level(HeapTuple tuple, TupleDesc desc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, desc, column, &isnull);

	return isnull ? -1 : DatumGetInt16(value);
}

/*
 * Read cdp.rfm_segments into a map allocated in "context".
 */
RfmSegmentMap *
rfm_segment_map_load(MemoryContext context)
{
	RfmSegmentMap *map;
	uint64		i;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT segment, recency_min, recency_max, frequency_min, frequency_max, "
					  "monetary_min, monetary_max FROM cdp.rfm_segments WHERE enabled "
					  "ORDER BY priority, segment", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading cdp.rfm_segments failed: %s", SPI_result_code_string(ret));

	map = MemoryContextAllocZero(context, sizeof(RfmSegmentMap));
	map->nrules = (int) SPI_processed;
	map->rules = MemoryContextAllocZero(context, Max(1, map->nrules) * sizeof(RfmSegmentRule));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		RfmSegmentRule *rule = &map->rules[i];
		char	   *name = SPI_getvalue(tuple, desc, 1);

		rule->segment = MemoryContextStrdup(context, name);
		{
			MemoryContext old = MemoryContextSwitchTo(context);

			rule->segment_text = cstring_to_text(name);
			MemoryContextSwitchTo(old);
		}
		/* the table's CHECK constraints keep these within 1..99 */
		rule->r_min = column_level(tuple, desc, 2);
		rule->r_max = column_level(tuple, desc, 3);
		rule->f_min = column_level(tuple, desc, 4);
		rule->f_max = column_level(tuple, desc, 5);
		rule->m_min = column_level(tuple, desc, 6);
		rule->m_max = column_level(tuple, desc, 7);
	}
	SPI_finish();
	return map;
}

const RfmSegmentRule *
rfm_segment_lookup(const RfmSegmentMap *map, RfmScore score)
{
	int			r = RFM_SCORE_R(score);
	int			f = RFM_SCORE_F(score);
	int			m = RFM_SCORE_M(score);
	int			i;

	for (i = 0; i < map->nrules; i++)
	{
		const RfmSegmentRule *rule = &map->rules[i];

		if (r >= rule->r_min && r <= rule->r_max &&
			f >= rule->f_min && f <= rule->f_max &&
			m >= rule->m_min && m <= rule->m_max)
			return rule;
	}
	return NULL;
}

PG_FUNCTION_INFO_V1(cdp_rfm_segment);

/*
 * cdp.rfm_segment(score cdp.rfm_score) returns text
 */
Datum
cdp_rfm_segment(PG_FUNCTION_ARGS)
{
	RfmSegmentMap *map = (RfmSegmentMap *) fcinfo->flinfo->fn_extra;
	const RfmSegmentRule *rule;

	if (map == NULL)
	{
		map = rfm_segment_map_load(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = map;
	}
	rule = rfm_segment_lookup(map, DatumGetRfmScore(PG_GETARG_DATUM(0)));
	if (rule == NULL)
		PG_RETURN_NULL();
	/* a copy: callers may free what a function returns */
	PG_RETURN_TEXT_P(pg_detoast_datum_copy(rule->segment_text));
}
