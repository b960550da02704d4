/*-------------------------------------------------------------------------
 *
 * fs_records.c
 *	  Load the records a probabilistic rule compares and compute, once per
 *	  record, every value its comparisons and blocking keys look at.
 *
 * All records (batch) or, for incremental resolution, the given records
 * and the records that share a blocking key with one of them are read with
 * SPI as the caller (row-level security applies).  The candidate query has
 * one branch per blocking rule comparing the keys in SQL: the column as
 * stored, or cdp.blocking_key(function, column), which computes the key
 * with the same C code, so an expression index on it serves the query
 * (cdp.blocking_indexes lists the statements that create them).
 *
 * The computed values go to one byte arena and, for slots that a
 * similarity level reads, one code-point arena, so comparing a pair later
 * allocates nothing.
 *
 * src/identity/fs_records.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "fmgr.h"

#include "identity/fs.h"
#include "identity/identity.h"
#include "match/normalize.h"
#include "match/similarity.h"

#define FS_MAX_VALUE_BYTES 1000
#define FS_FETCH 10000

/*
 * SQL of a column read under alias (r or f, NULL for none); raw: as
 * stored, for equality
 */
static char *
column_sql(const FsColumn *col, const char *alias, bool raw)
{
	const char *dot = alias ? "." : "";

	if (alias == NULL)
		alias = "";
	switch (col->kind)
	{
		case FS_COLUMN_TEXT:
			return psprintf("%s%s%s", alias, dot, col->key);
		case FS_COLUMN_DATE:
			if (raw)
				return psprintf("%s%sbirth_date", alias, dot);
			return psprintf("pg_catalog.to_char(%s%sbirth_date, 'YYYYMMDD')", alias, dot);
		case FS_COLUMN_ATTRIBUTE:
			return psprintf("(%s%sattributes OPERATOR(pg_catalog.->>) '%s')", alias, dot, col->key);
	}
	return NULL;
}

/*
 * SQL twin of a blocking key: the column itself when used as stored (so a
 * plain index serves), else cdp.blocking_key(function, column), which
 * computes exactly what C blocking does (an expression index serves).
 */
char *
fs_key_sql(const FsModel *model, int slot, const char *alias)
{
	const FsSlot *s = &model->slots[slot];
	const FsColumn *col = &model->columns[model->fields[s->field].columns[0][0]];
	char	   *c = column_sql(col, alias, s->rep == FS_REP_RAW);

	if (s->rep == FS_REP_RAW)
		return c;
	return psprintf("cdp.blocking_key('%s', %s)", fs_key_function_name(s->rep), c);
}

static char *
build_query(const FsModel *model, bool candidates, bool ordered)
{
	StringInfoData cols;
	StringInfoData q;

	initStringInfo(&cols);
	appendStringInfoString(&cols, "r.record_id");
	for (int i = 0; i < model->ncolumns; i++)
		appendStringInfo(&cols, ", %s", column_sql(&model->columns[i], "r", false));
	initStringInfo(&q);
	if (!candidates)
	{
		appendStringInfo(&q, "SELECT %s FROM cdp.source_records r", cols.data);
		if (ordered)
			appendStringInfoString(&q, " ORDER BY r.record_id");
		return q.data;
	}
	appendStringInfo(&q, "SELECT %s FROM cdp.source_records r WHERE r.record_id OPERATOR(pg_catalog.=) ANY ($1)",
					 cols.data);
	for (int b = 0; b < model->nblocking; b++)
	{
		const FsBlocking *blk = &model->blocking[b];
		StringInfoData cond;

		initStringInfo(&cond);
		for (int k = 0; k < blk->nkeys; k++)
		{
			appendStringInfo(&cond, " AND %s OPERATOR(pg_catalog.=) %s",
							 fs_key_sql(model, blk->slots[k], "r"),
							 fs_key_sql(model, blk->slots[k], "f"));
		}
		appendStringInfo(&q, " UNION SELECT %s FROM cdp.source_records f JOIN cdp.source_records r"
						 " ON r.record_id OPERATOR(pg_catalog.<>) f.record_id%s"
						 " WHERE f.record_id OPERATOR(pg_catalog.=) ANY ($1)",
						 cols.data, cond.data);
	}
	if (ordered)
		appendStringInfoString(&q, " ORDER BY 1");
	return q.data;
}

/*
 * Incremental resolution runs the same candidate query for every new
 * record: its plan is kept per backend (the plan cache replans it when the
 * table, its indexes or the role's row security change), keyed by the
 * query text, which the rule's blocking determines.
 */
#define FS_PLAN_CACHE 8

static struct
{
	char	   *sql;
	SPIPlanPtr	plan;
}			plan_cache[FS_PLAN_CACHE];
static int	plan_cache_next = 0;

static SPIPlanPtr
candidate_plan(const char *sql, Oid *argtypes)
{
	SPIPlanPtr	plan;
	int			i = plan_cache_next;

	for (int c = 0; c < FS_PLAN_CACHE; c++)
		if (plan_cache[c].sql != NULL && strcmp(plan_cache[c].sql, sql) == 0)
			return plan_cache[c].plan;
	plan = SPI_prepare(sql, 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	if (plan_cache[i].sql != NULL)
	{
		pfree(plan_cache[i].sql);
		SPI_freeplan(plan_cache[i].plan);
	}
	plan_cache[i].sql = MemoryContextStrdup(TopMemoryContext, sql);
	plan_cache[i].plan = plan;
	plan_cache_next = (i + 1) % FS_PLAN_CACHE;
	return plan;
}

/* the digits of s (ASCII and full-width) */
static void
append_digits(const char *s, int len, StringInfo out)
{
	for (int i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (c >= '0' && c <= '9')
			appendStringInfoChar(out, c);
		else if (c == 0xEF && i + 2 < len && (unsigned char) s[i + 1] == 0xBC &&
				 (unsigned char) s[i + 2] >= 0x90 && (unsigned char) s[i + 2] <= 0x99)
		{
			appendStringInfoChar(out, '0' + ((unsigned char) s[i + 2] - 0x90));
			i += 2;
		}
	}
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* romaji key of each word, sorted, joined with a space: name order goes */
static void
append_romaji_words(const char *s, int len, StringInfo scratch, StringInfo out)
{
	char	   *words[16];
	int			nwords = 0;
	int			start = 0;

	resetStringInfo(scratch);
	for (int i = 0; i <= len && nwords < 16; i++)
	{
		bool		sep = (i == len);
		int			skip = 1;

		if (!sep)
		{
			unsigned char c = s[i];

			if (c == ' ' || c == ',' || c == '\t' || c == '.' || c == '/')
				sep = true;
			else if (c == 0xE3 && i + 2 < len &&
					 (((unsigned char) s[i + 1] == 0x80 && (unsigned char) s[i + 2] == 0x80) ||	/* U+3000 */
					  ((unsigned char) s[i + 1] == 0x83 && (unsigned char) s[i + 2] == 0xBB)))	/* ・ */
			{
				sep = true;
				skip = 3;
			}
			else if (c == 0xEF && i + 2 < len && (unsigned char) s[i + 1] == 0xBC &&
					 (unsigned char) s[i + 2] == 0x8C)	/* ， */
			{
				sep = true;
				skip = 3;
			}
		}
		if (sep)
		{
			if (i > start)
			{
				int			before = scratch->len;

				cdp_romaji_key(s + start, i - start, scratch);
				if (scratch->len > before)
				{
					appendStringInfoChar(scratch, '\0');
					words[nwords++] = (char *) (intptr_t) before;
				}
			}
			start = i + skip;
			i += skip - 1;
		}
	}
	for (int w = 0; w < nwords; w++)
		words[w] = scratch->data + (intptr_t) words[w];
	qsort(words, nwords, sizeof(char *), cmp_cstring);
	for (int w = 0; w < nwords; w++)
	{
		if (w)
			appendStringInfoChar(out, ' ');
		appendStringInfoString(out, words[w]);
	}
}

static void fs_join_field(const FsModel *model, int slot, text **colvals,
						  StringInfo joined);

/*
 * Compute slot's value from the record's column values (NULL for SQL NULL)
 * into out; an empty result means no value.
 */
void
fs_compute_slot(const FsModel *model, int slot, text **colvals,
				StringInfo joined, StringInfo scratch, StringInfo out)
{
	const FsSlot *s = &model->slots[slot];

	resetStringInfo(out);
	fs_join_field(model, slot, colvals, joined);
	if (joined->len == 0)
		return;
	fs_transform(s->rep, joined->data, joined->len, scratch, out);
}

/* the text of slot's field: first alternative present, parts joined by a space */
static void
fs_join_field(const FsModel *model, int slot, text **colvals, StringInfo joined)
{
	const FsField *f = &model->fields[model->slots[slot].field];

	resetStringInfo(joined);
	for (int a = 0; a < f->nalts && joined->len == 0; a++)
		for (int j = 0; j < f->njoined[a]; j++)
		{
			text	   *t = colvals[f->columns[a][j]];

			if (t == NULL || VARSIZE_ANY_EXHDR(t) == 0)
				continue;
			if (joined->len > 0)
				appendStringInfoChar(joined, ' ');
			appendBinaryStringInfo(joined, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		}
}

/* append the form rep gives the text s to out */
void
fs_transform(FsRep rep, const char *s, int len, StringInfo scratch, StringInfo out)
{
	switch (rep)
	{
		case FS_REP_RAW:
			appendBinaryStringInfo(out, s, len);
			break;
		case FS_REP_NAME:
			cdp_normalize_name(s, len, out);
			break;
		case FS_REP_ADDRESS:
			cdp_normalize_address(s, len, out);
			break;
		case FS_REP_PHONE:
			{
				const char *reason;
				int			before = out->len;

				if (!cdp_try_normalize_phone(s, len, "JP", out, &reason))
				{
					out->len = before;
					out->data[before] = '\0';
					append_digits(s, len, out);
				}
				break;
			}
		case FS_REP_DIGITS:
			append_digits(s, len, out);
			break;
		case FS_REP_KANA:
			cdp_kana_key(s, len, out);
			break;
		case FS_REP_ROMAJI:
			cdp_romaji_key(s, len, out);
			break;
		case FS_REP_ROMAJI_WORDS:
			append_romaji_words(s, len, scratch, out);
			break;
	}
}

/*
 * cdp.blocking_key(function text, value text): a blocking key as C blocking
 * computes it, for the candidate query and for expression indexes.
 */
PG_FUNCTION_INFO_V1(cdp_blocking_key);
Datum
cdp_blocking_key(PG_FUNCTION_ARGS)
{
	char	   *fname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *value = PG_GETARG_TEXT_PP(1);
	FsRep		rep;
	StringInfoData scratch;
	StringInfoData out;

	if (!fs_key_function(fname, &rep))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a blocking-key function", fname),
				 errhint("Use normalize_name, normalize_address, normalize_phone, digits, kana_key, romaji_key or romaji_words.")));
	initStringInfo(&scratch);
	initStringInfo(&out);
	fs_transform(rep, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), &scratch, &out);
	if (out.len == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/*
 * Names, readings and addresses repeat across records (佐藤, one town, one
 * household): their normalised values are remembered per slot and input,
 * and a repeat shares the stored value instead of normalising again.  The
 * table stops growing at FS_MEMO_MAX entries.
 */
#define FS_MEMO_MAX (1 << 20)

typedef struct MemoEntry
{
	uint32		hash;			/* 0: empty */
	int32		slot;
	uint32		in_off;
	int32		in_len;
	FsValue		value;
} MemoEntry;

typedef struct Memo
{
	MemoEntry  *entries;
	uint32		size;			/* a power of two */
	uint32		count;
	char	   *in;
	Size		in_used;
	Size		in_size;
} Memo;

static bool
memoizable(FsRep rep)
{
	return rep == FS_REP_NAME || rep == FS_REP_ADDRESS || rep == FS_REP_KANA ||
		rep == FS_REP_ROMAJI || rep == FS_REP_ROMAJI_WORDS;
}

static uint32
memo_hash(int slot, StringInfo in)
{
	uint32		h = fs_hash_bytes(in->data, in->len) ^ ((uint32) slot * 0x9E3779B9u);

	return h ? h : 1;
}

/* the entry for (slot, in): a match, or the empty entry where it belongs */
static MemoEntry *
memo_find(Memo *memo, int slot, uint32 h, StringInfo in)
{
	uint32		i = h & (memo->size - 1);

	for (;;)
	{
		MemoEntry  *e = &memo->entries[i];

		if (e->hash == 0)
			return e;
		if (e->hash == h && e->slot == slot && e->in_len == in->len &&
			memcmp(memo->in + e->in_off, in->data, in->len) == 0)
			return e;
		i = (i + 1) & (memo->size - 1);
	}
}

static void
memo_grow(Memo *memo)
{
	MemoEntry  *old = memo->entries;
	uint32		old_size = memo->size;

	memo->size *= 2;
	memo->entries = palloc0(sizeof(MemoEntry) * memo->size);
	for (uint32 i = 0; i < old_size; i++)
		if (old[i].hash != 0)
		{
			uint32		j = old[i].hash & (memo->size - 1);

			while (memo->entries[j].hash != 0)
				j = (j + 1) & (memo->size - 1);
			memo->entries[j] = old[i];
		}
	pfree(old);
}

static void
memo_add(Memo *memo, MemoEntry *e, int slot, uint32 h, StringInfo in, const FsValue *value)
{
	if (memo->in_used + in->len > memo->in_size)
	{
		memo->in_size = Max(memo->in_size * 2, memo->in_used + in->len);
		memo->in = repalloc_huge(memo->in, memo->in_size);
	}
	memcpy(memo->in + memo->in_used, in->data, in->len);
	e->hash = h;
	e->slot = slot;
	e->in_off = memo->in_used;
	e->in_len = in->len;
	e->value = *value;
	memo->in_used += in->len;
	memo->count++;
	if (memo->count * 2 > memo->size && memo->size < FS_MEMO_MAX)
		memo_grow(memo);
}

static void
store_value(FsRecords *recs, int rec, int slot, bool chars, StringInfo v)
{
	FsValue    *fv = fs_value(recs, rec, slot);
	int			len = v->len;

	if (len == 0)
	{
		fv->len = -1;
		return;
	}
	if (len > FS_MAX_VALUE_BYTES)
		len = pg_mbcliplen(v->data, len, FS_MAX_VALUE_BYTES);
	if (recs->arena_used + len > recs->arena_size)
	{
		recs->arena_size = Max(recs->arena_size * 2, recs->arena_used + len);
		recs->arena = repalloc_huge(recs->arena, recs->arena_size);
	}
	memcpy(recs->arena + recs->arena_used, v->data, len);
	fv->off = recs->arena_used;
	fv->len = len;
	fv->hash = fs_hash_bytes(v->data, len);
	recs->arena_used += len;
	fv->nchars = 0;
	fv->choff = 0;
	if (chars)
	{
		CdpCodePoints cp;

		cdp_decode(v->data, len, &cp);
		if (recs->chars_used + cp.len > recs->chars_size)
		{
			recs->chars_size = Max(recs->chars_size * 2, recs->chars_used + cp.len);
			recs->chars = repalloc_huge(recs->chars, recs->chars_size * sizeof(pg_wchar));
		}
		memcpy(recs->chars + recs->chars_used, cp.chars, cp.len * sizeof(pg_wchar));
		fv->choff = recs->chars_used;
		fv->nchars = cp.len;
		recs->chars_used += cp.len;
		cdp_codepoints_free(&cp);
	}
}

static bool
id_in(int64 id, const int64 *ids, int nids)
{
	int			lo = 0,
				hi = nids - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (ids[mid] == id)
			return true;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/*
 * Load the records (record_ids NULL: all of them; otherwise those and, with
 * candidates, the records sharing a blocking key with them) into the
 * current memory context.
 */
FsRecords *
fs_load_records(const FsModel *model, ArrayType *record_ids, bool candidates,
				bool ordered)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext rowcxt;
	FsRecords  *recs;
	int64	   *ids = NULL;
	int			nids = 0;
	Portal		portal;
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];
	int			capacity = 1024;
	text	   *colvals[FS_MAX_COLUMNS];
	Datum		rowvals[FS_MAX_COLUMNS + 1];
	bool		rownulls[FS_MAX_COLUMNS + 1];
	StringInfoData joined,
				scratch,
				out;
	Memo		memo;

	memo.size = 1024;
	memo.count = 0;
	memo.entries = palloc0(sizeof(MemoEntry) * memo.size);
	memo.in_size = 65536;
	memo.in_used = 0;
	memo.in = MemoryContextAllocHuge(caller, memo.in_size);
	recs = palloc0(sizeof(FsRecords));
	recs->nslots = model->nslots;
	recs->ids = palloc(sizeof(int64) * capacity);
	recs->values = MemoryContextAllocHuge(caller, sizeof(FsValue) * capacity * Max(1, model->nslots));
	recs->arena_size = 65536;
	recs->arena = MemoryContextAllocHuge(caller, recs->arena_size);
	recs->chars_size = 16384;
	recs->chars = MemoryContextAllocHuge(caller, recs->chars_size * sizeof(pg_wchar));
	initStringInfo(&joined);
	initStringInfo(&scratch);
	initStringInfo(&out);

	if (record_ids != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			j = 0;

		deconstruct_array(record_ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &nids);
		ids = palloc(sizeof(int64) * Max(1, nids));
		for (int i = 0; i < nids; i++)
			if (!nulls[i])
				ids[j++] = DatumGetInt64(elems[i]);
		nids = j;
		qsort(ids, nids, sizeof(int64), identity_cmp_int64);
		recs->focus = palloc(sizeof(bool) * capacity);
		args[0] = PointerGetDatum(record_ids);
	}

	rowcxt = AllocSetContextCreate(caller, "cdp probabilistic rows", ALLOCSET_DEFAULT_SIZES);
	SPI_connect();
	if (record_ids != NULL && candidates)
		portal = SPI_cursor_open(NULL, candidate_plan(build_query(model, true, ordered), argtypes),
								 args, NULL, true);
	else
		portal = SPI_cursor_open_with_args(NULL, build_query(model, record_ids != NULL && candidates, ordered),
										   record_ids ? 1 : 0, argtypes, args, NULL, true, 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FS_FETCH);
		if (SPI_processed == 0)
			break;
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			HeapTuple	tup = SPI_tuptable->vals[row];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			MemoryContext old;
			int			rec = recs->nrecords;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(caller);
			if (rec >= capacity)
			{
				capacity *= 2;
				recs->ids = repalloc_huge(recs->ids, sizeof(int64) * capacity);
				recs->values = repalloc_huge(recs->values, sizeof(FsValue) * capacity * Max(1, model->nslots));
				if (recs->focus)
					recs->focus = repalloc_huge(recs->focus, sizeof(bool) * capacity);
			}
			MemoryContextSwitchTo(rowcxt);
			heap_deform_tuple(tup, desc, rowvals, rownulls);
			recs->ids[rec] = DatumGetInt64(rowvals[0]);
			if (recs->focus)
				recs->focus[rec] = id_in(recs->ids[rec], ids, nids);
			for (int c = 0; c < model->ncolumns; c++)
				colvals[c] = rownulls[c + 1] ? NULL : DatumGetTextPP(rowvals[c + 1]);
			MemoryContextSwitchTo(caller);
			for (int s = 0; s < model->nslots; s++)
			{
				MemoEntry  *e = NULL;
				uint32		h = 0;

				fs_join_field(model, s, colvals, &joined);
				if (joined.len > 0 && memoizable(model->slots[s].rep))
				{
					h = memo_hash(s, &joined);
					e = memo_find(&memo, s, h, &joined);
					if (e->hash != 0)
					{
						*fs_value(recs, rec, s) = e->value;
						continue;
					}
				}
				resetStringInfo(&out);
				if (joined.len > 0)
					fs_transform(model->slots[s].rep, joined.data, joined.len, &scratch, &out);
				store_value(recs, rec, s, model->slots[s].chars, &out);
				if (e != NULL && memo.count * 2 < memo.size)
					memo_add(&memo, e, s, h, &joined, fs_value(recs, rec, s));
			}
			recs->nrecords++;
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(rowcxt);
	pfree(memo.entries);
	pfree(memo.in);
	return recs;
}

/*
 * cdp._fs_blocking_indexes(rule_name text, definition jsonb): for each
 * blocking rule, the CREATE INDEX statement whose index serves the
 * candidate query of incremental resolution.
 */
PG_FUNCTION_INFO_V1(cdp_fs_blocking_indexes);
Datum
cdp_fs_blocking_indexes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FsModel    *model = palloc(sizeof(FsModel));

	fs_parse_model(model, text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_JSONB_P(1), false);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (int b = 0; b < model->nblocking; b++)
	{
		StringInfoData stmt;
		Datum		value;
		bool		isnull = false;

		initStringInfo(&stmt);
		appendStringInfoString(&stmt, "CREATE INDEX ON cdp.source_records (");
		for (int k = 0; k < model->blocking[b].nkeys; k++)
			appendStringInfo(&stmt, "%s(%s)", k ? ", " : "",
							 fs_key_sql(model, model->blocking[b].slots[k], NULL));
		appendStringInfoChar(&stmt, ')');
		value = CStringGetTextDatum(stmt.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	return (Datum) 0;
}
