/*-------------------------------------------------------------------------
 *
 * fs_records.c
 *	  Load the records a probabilistic rule compares and compute, once per
 *	  record, every value its comparisons and blocking keys look at.
 *
 * All records (batch) or, for incremental resolution, the given records
 * and the records that share a blocking key with one of them are read with
 * SPI as the caller (row-level security applies).  The candidate query has
 * one branch per blocking rule comparing the key expressions in SQL, so an
 * expression index on a key (e.g. cdp.kana_key(family_name_kana)) serves
 * it; keys without an SQL twin (phone, digits, romaji words) are left out
 * of the filter, which keeps it a superset of what C blocking accepts.
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
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "identity/fs.h"
#include "match/normalize.h"
#include "match/similarity.h"

#define FS_MAX_VALUE_BYTES 1000
#define FS_FETCH 10000

/* SQL of a column read under alias (r or f); raw: as stored, for equality */
static char *
column_sql(const FsColumn *col, const char *alias, bool raw)
{
	switch (col->kind)
	{
		case FS_COLUMN_TEXT:
			return psprintf("%s.%s", alias, col->key);
		case FS_COLUMN_DATE:
			if (raw)
				return psprintf("%s.birth_date", alias);
			return psprintf("pg_catalog.to_char(%s.birth_date, 'YYYYMMDD')", alias);
		case FS_COLUMN_ATTRIBUTE:
			return psprintf("(%s.attributes OPERATOR(pg_catalog.->>) '%s')", alias, col->key);
	}
	return NULL;
}

/* SQL twin of a blocking key, or NULL when it has none */
static char *
key_sql(const FsModel *model, int slot, const char *alias)
{
	const FsSlot *s = &model->slots[slot];
	const FsColumn *col = &model->columns[model->fields[s->field].columns[0][0]];
	char	   *c = column_sql(col, alias, s->rep == FS_REP_RAW);

	switch (s->rep)
	{
		case FS_REP_RAW:
			return c;
		case FS_REP_NAME:
			return psprintf("cdp.normalize_name(%s)", c);
		case FS_REP_ADDRESS:
			return psprintf("cdp.normalize_address(%s)", c);
		case FS_REP_KANA:
			return psprintf("cdp.kana_key(%s)", c);
		case FS_REP_ROMAJI:
			return psprintf("cdp.romaji_key(%s)", c);
		default:
			return NULL;
	}
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
			char	   *rk = key_sql(model, blk->slots[k], "r");
			char	   *fk = key_sql(model, blk->slots[k], "f");

			if (rk)
				appendStringInfo(&cond, " AND %s OPERATOR(pg_catalog.=) %s", rk, fk);
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

/*
 * Compute slot's value from the record's column values (NULL for SQL NULL)
 * into out; an empty result means no value.
 */
void
fs_compute_slot(const FsModel *model, int slot, text **colvals,
				StringInfo joined, StringInfo scratch, StringInfo out)
{
	const FsSlot *s = &model->slots[slot];
	const FsField *f = &model->fields[s->field];

	resetStringInfo(out);
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
	if (joined->len == 0)
		return;
	switch (s->rep)
	{
		case FS_REP_RAW:
			appendBinaryStringInfo(out, joined->data, joined->len);
			break;
		case FS_REP_NAME:
			cdp_normalize_name(joined->data, joined->len, out);
			break;
		case FS_REP_ADDRESS:
			cdp_normalize_address(joined->data, joined->len, out);
			break;
		case FS_REP_PHONE:
			{
				const char *reason;

				if (!cdp_try_normalize_phone(joined->data, joined->len, "JP", out, &reason))
				{
					resetStringInfo(out);
					append_digits(joined->data, joined->len, out);
				}
				break;
			}
		case FS_REP_DIGITS:
			append_digits(joined->data, joined->len, out);
			break;
		case FS_REP_KANA:
			cdp_kana_key(joined->data, joined->len, out);
			break;
		case FS_REP_ROMAJI:
			cdp_romaji_key(joined->data, joined->len, out);
			break;
		case FS_REP_ROMAJI_WORDS:
			append_romaji_words(joined->data, joined->len, scratch, out);
			break;
	}
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

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
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
	StringInfoData joined,
				scratch,
				out;

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
		qsort(ids, nids, sizeof(int64), cmp_int64);
		recs->focus = palloc(sizeof(bool) * capacity);
		args[0] = PointerGetDatum(record_ids);
	}

	rowcxt = AllocSetContextCreate(caller, "cdp probabilistic rows", ALLOCSET_DEFAULT_SIZES);
	SPI_connect();
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
			bool		isnull;
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
			recs->ids[rec] = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			if (recs->focus)
				recs->focus[rec] = id_in(recs->ids[rec], ids, nids);
			MemoryContextSwitchTo(rowcxt);
			for (int c = 0; c < model->ncolumns; c++)
			{
				Datum		d = SPI_getbinval(tup, desc, c + 2, &isnull);

				colvals[c] = isnull ? NULL : DatumGetTextPP(d);
			}
			MemoryContextSwitchTo(caller);
			for (int s = 0; s < model->nslots; s++)
			{
				fs_compute_slot(model, s, colvals, &joined, &scratch, &out);
				store_value(recs, rec, s, model->slots[s].chars, &out);
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
	return recs;
}
