/*-------------------------------------------------------------------------
 *
 * touch.c
 *	  cdp._touch_updated_at(): the BEFORE UPDATE row trigger that keeps the
 *	  column updated_at of cdp's tables at the transaction's timestamp.
 *
 * It runs for every updated row (a batch resolution rewrites hundreds of
 * thousands of golden records), so it is C: a PL/pgSQL trigger with its
 * own search_path setting costs several microseconds a row.
 *
 * src/touch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

typedef struct TouchColumn
{
	Oid			relid;
	int			attnum;
} TouchColumn;

PG_FUNCTION_INFO_V1(cdp_touch_updated_at);

Datum
cdp_touch_updated_at(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	TouchColumn *column;
	int			attnum;
	Datum		value;
	bool		isnull = false;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cdp._touch_updated_at must run as a BEFORE UPDATE row trigger")));
	desc = RelationGetDescr(trigdata->tg_relation);
	/* the column's number, looked up once per statement and table */
	column = (TouchColumn *) fcinfo->flinfo->fn_extra;
	if (column == NULL || column->relid != RelationGetRelid(trigdata->tg_relation))
	{
		if (column == NULL)
			fcinfo->flinfo->fn_extra = column =
				MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(TouchColumn));
		column->relid = RelationGetRelid(trigdata->tg_relation);
		column->attnum = SPI_fnumber(desc, "updated_at");
	}
	attnum = column->attnum;
	if (attnum <= 0 || TupleDescAttr(desc, attnum - 1)->atttypid != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no column updated_at of type timestamp with time zone",
						RelationGetRelationName(trigdata->tg_relation))));
	value = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_newtuple, desc, 1, &attnum,
													 &value, &isnull));
}
