/*-------------------------------------------------------------------------
 *
 * household.c
 *	  The household check of clustering: whether two holders of one e-mail
 *	  address or phone number evidently are different people, from the
 *	  given names of their records.
 *
 * A value of a kind with shared_by_household_check links nothing when two
 * of its holders have known, different given names (a family's landline,
 * a couple's shared address).  Names are compared in the first form both
 * holders have:
 *	- the kana reading keys (cdp.kana_key of given_name_kana);
 *	- else the normalised given names (cdp.normalize_name of given_name);
 *	- else, when neither has a romaji name, they do not differ;
 *	- else the romaji names as sorted lists of the cdp.romaji_key of their
 *	  words (web forms write the name in either order);
 *	- else, when one has a kana reading and the other a romaji name,
 *	  whether the romaji_key of the reading is one of the other's words;
 *	- else they do not differ: a missing name differs from nothing.
 * An empty key counts as missing.
 *
 * A full run of clustering computes each record's keys once, while it
 * scans the records, and compares the holders of each candidate value
 * here; a run over a subset asks SQL, which splits romaji names with
 * cdp._romaji_words, the function below, so both split alike.
 *
 * src/identity/household.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "identity/identity.h"
#include "match/normalize.h"

/* a separator of the words of a romaji name: white space or a comma */
static bool
is_word_separator(pg_wchar c)
{
	switch (c)
	{
		case ' ':
		case '\t':
		case '\n':
		case '\r':
		case '\v':
		case '\f':
		case ',':
		case 0x85:
		case 0xA0:
		case 0x1680:
		case 0x2028:
		case 0x2029:
		case 0x202F:
		case 0x205F:
		case 0x3000:
			return true;
		default:
			return c >= 0x2000 && c <= 0x200A;
	}
}

static int
compare_words(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Append to out the romaji_key of each word of a romaji name that has a
 * non-empty key, in byte order, each followed by a NUL byte; returns how
 * many.
 */
int
household_romaji_words(const char *str, int len, StringInfo out)
{
	StringInfoData keys;
	int			nwords = 0;
	int			start = 0;
	int			i = 0;
	char	  **sorted;
	char	   *p;

	initStringInfo(&keys);
	while (i <= len)
	{
		int			step = 1;
		bool		at_end = i == len;
		bool		separator = false;

		if (!at_end)
		{
			step = pg_utf_mblen((const unsigned char *) str + i);
			if (step > len - i)
				step = len - i;
			separator = is_word_separator(utf8_to_unicode((const unsigned char *) str + i));
		}
		if (at_end || separator)
		{
			if (i > start)
			{
				int			before = keys.len;

				cdp_romaji_key(str + start, i - start, &keys);
				if (keys.len > before)
				{
					appendStringInfoChar(&keys, '\0');
					nwords++;
				}
			}
			start = i + step;
		}
		i += step;
	}
	if (nwords > 0)
	{
		sorted = palloc_array(char *, nwords);
		p = keys.data;
		for (i = 0; i < nwords; i++)
		{
			sorted[i] = p;
			p += strlen(p) + 1;
		}
		qsort(sorted, nwords, sizeof(char *), compare_words);
		for (i = 0; i < nwords; i++)
			appendBinaryStringInfo(out, sorted[i], strlen(sorted[i]) + 1);
		pfree(sorted);
	}
	pfree(keys.data);
	return nwords;
}

PG_FUNCTION_INFO_V1(cdp_romaji_words);

/*
 * cdp._romaji_words(name text) returns text[]: the romaji_key of each word
 * of a romaji name (words separated by white space, including the
 * ideographic space, or commas), empty keys left out, in byte order.
 */
Datum
cdp_romaji_words(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	StringInfoData words;
	int			nwords;
	Datum	   *elems;
	char	   *p;
	int			i;

	initStringInfo(&words);
	nwords = household_romaji_words(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &words);
	elems = palloc_array(Datum, Max(nwords, 1));
	p = words.data;
	for (i = 0; i < nwords; i++)
	{
		elems[i] = PointerGetDatum(cstring_to_text(p));
		p += strlen(p) + 1;
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nwords, TEXTOID, -1, false, TYPALIGN_INT));
}

/* the keys of a name column, NULL when empty, into the arena */
static int64
arena_add(HouseholdNames *hn, const char *data, int len, int32 *out_len)
{
	int64		offset;

	*out_len = len;
	if (len <= 0)
		return -1;
	if (hn->arena_len + len > hn->arena_cap)
	{
		int64		cap = Max(hn->arena_cap * 2, hn->arena_len + len + 1024);

		hn->arena = hn->arena ? repalloc_huge(hn->arena, cap)
			: MemoryContextAllocHuge(CurrentMemoryContext, cap);
		hn->arena_cap = cap;
	}
	offset = hn->arena_len;
	memcpy(hn->arena + offset, data, len);
	hn->arena_len += len;
	return offset;
}

/*
 * Compute and keep the keys of one record's names (each NULL if missing);
 * returns the entry's index.  Allocates in CurrentMemoryContext.
 */
int32
household_names_add(HouseholdNames *hn, text *given_name_kana, text *given_name, text *name_romaji)
{
	HouseholdName *e;
	StringInfo	buf = &hn->scratch;

	if (hn->n >= hn->cap)
		hn->entries = identity_grow_array(hn->entries, sizeof(HouseholdName), &hn->cap, hn->n + 1);
	if (buf->data == NULL)
		initStringInfo(buf);
	e = &hn->entries[hn->n];

	e->kana = e->kana_romaji = e->name = e->words = -1;
	e->kana_len = e->kana_romaji_len = e->name_len = e->words_len = 0;
	e->nwords = 0;
	e->romaji_null = name_romaji == NULL;
	if (given_name_kana)
	{
		resetStringInfo(buf);
		cdp_kana_key(VARDATA_ANY(given_name_kana), VARSIZE_ANY_EXHDR(given_name_kana), buf);
		e->kana = arena_add(hn, buf->data, buf->len, &e->kana_len);
		resetStringInfo(buf);
		cdp_romaji_key(VARDATA_ANY(given_name_kana), VARSIZE_ANY_EXHDR(given_name_kana), buf);
		e->kana_romaji = arena_add(hn, buf->data, buf->len, &e->kana_romaji_len);
	}
	if (given_name)
	{
		resetStringInfo(buf);
		cdp_normalize_name(VARDATA_ANY(given_name), VARSIZE_ANY_EXHDR(given_name), buf);
		e->name = arena_add(hn, buf->data, buf->len, &e->name_len);
	}
	if (name_romaji)
	{
		resetStringInfo(buf);
		e->nwords = household_romaji_words(VARDATA_ANY(name_romaji), VARSIZE_ANY_EXHDR(name_romaji), buf);
		e->words = arena_add(hn, buf->data, buf->len, &e->words_len);
	}
	return hn->n++;
}

static inline bool
keys_equal(const HouseholdNames *hn, int64 a, int32 a_len, int64 b, int32 b_len)
{
	return a_len == b_len && memcmp(hn->arena + a, hn->arena + b, a_len) == 0;
}

/* whether key (a reading's romaji) is one of the NUL-terminated words */
static bool
is_one_of_words(const HouseholdNames *hn, const HouseholdName *key, const HouseholdName *words)
{
	const char *p = hn->arena + words->words;
	const char *end = p + words->words_len;

	while (p < end)
	{
		int			len = strlen(p);

		if (len == key->kana_romaji_len && memcmp(p, hn->arena + key->kana_romaji, len) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

/* whether the names of entries a and b evidently are different people's */
bool
household_names_differ(const HouseholdNames *hn, int32 a, int32 b)
{
	const HouseholdName *x = &hn->entries[a];
	const HouseholdName *y = &hn->entries[b];

	if (x->kana >= 0 && y->kana >= 0)
		return !keys_equal(hn, x->kana, x->kana_len, y->kana, y->kana_len);
	if (x->name >= 0 && y->name >= 0)
		return !keys_equal(hn, x->name, x->name_len, y->name, y->name_len);
	if (x->romaji_null && y->romaji_null)
		return false;
	if (x->nwords > 0 && y->nwords > 0)
		return x->nwords != y->nwords ||
			!keys_equal(hn, x->words, x->words_len, y->words, y->words_len);
	if (x->kana >= 0 && y->nwords > 0)
		return x->kana_romaji >= 0 && !is_one_of_words(hn, x, y);
	if (y->kana >= 0 && x->nwords > 0)
		return y->kana_romaji >= 0 && !is_one_of_words(hn, y, x);
	return false;
}
