/*-------------------------------------------------------------------------
 *
 * name_ngrams.c
 *	  The folded form of a name, its grams and the name similarity built on
 *	  them: cdp.name_similarity(text, text), cdp.name_grams(text), the
 *	  operator functions behind %~ and <~>, and the setting
 *	  cdp.similarity_threshold.
 *
 * src/match/name_ngrams.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "cdp.h"
#include "match/name_index.h"
#include "match/normalize.h"
#include "match/sorted_keys.h"

/*
 * Default 0.5: a Dice coefficient of 0.5 is a Jaccard index of 1/3, about
 * the strictness of pg_trgm's default similarity threshold (0.3).  It keeps
 * one typo in a five-letter Latin name (smith / smyth: 0.71), a given name
 * added to a surname (佐藤 / 佐藤花子: 0.63) and every variant-kanji or kana
 * spelling (1.0 after folding), and drops a different second kanji in a
 * two-kanji surname (高橋 / 高嶋: 0.33).
 */
double		cdp_similarity_threshold = 0.5;

void
cdp_match_similarity_init(void)
{
	DefineCustomRealVariable("cdp.similarity_threshold",
							 "Least name similarity that the %~ operator accepts.",
							 "The similarity is the Dice coefficient of the grams of the folded names (cdp.name_similarity).",
							 &cdp_similarity_threshold,
							 0.5, 0.0, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

/*
 * The normalised name is built in one buffer per backend, kept between
 * calls unless a very long name made it large.
 */
static StringInfoData fold_buffer;
static bool fold_buffer_ready = false;

#define FOLD_BUFFER_KEEP (64 * 1024)

void
cdp_name_fold(const char *s, int nbytes, CdpCodePoints *out)
{
	int			i,
				n;

	if (!fold_buffer_ready)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&fold_buffer);
		MemoryContextSwitchTo(old);
		fold_buffer_ready = true;
	}
	resetStringInfo(&fold_buffer);
	cdp_normalize_name(s, nbytes, &fold_buffer);
	cdp_decode(fold_buffer.data, fold_buffer.len, out);
	if (fold_buffer.maxlen > FOLD_BUFFER_KEEP)
	{
		pfree(fold_buffer.data);
		fold_buffer_ready = false;
	}

	/* the spaces normalize_name keeps between Latin words go too */
	for (i = 0, n = 0; i < out->len; i++)
	{
		if (out->chars[i] != ' ')
			out->chars[n++] = out->chars[i];
	}
	out->len = n;
}

int
cdp_name_grams(const pg_wchar *f, int len, uint64 *keys)
{
	int			n = 0;
	int			i;

	if (len == 0)
		return 0;
	keys[n++] = ((uint64) CDP_GRAM_START << 32) | f[0];
	if (len >= 2)
		keys[n++] = CDP_GRAM_PREFIX_FLAG | ((uint64) f[0] << 31) | (f[1] & 0x7FFFFFFF);
	for (i = 0; i < len; i++)
	{
		pg_wchar	next = (i + 1 < len) ? f[i + 1] : CDP_GRAM_END;

		keys[n++] = ((uint64) f[i] << 32) | next;
		if (f[i] >= CDP_UNIGRAM_FROM)
			keys[n++] = f[i];
	}
	return cdp_keys_sort_unique(keys, n);
}

double
cdp_gram_dice(const uint64 *a, int na, const uint64 *b, int nb)
{
	if (na == 0 || nb == 0)
		return 0.0;
	return 2.0 * cdp_keys_common(a, na, b, nb) / (na + nb);
}

/* the query text the cache was built from, and its grams */
typedef struct GramCache
{
	int			nbytes;
	char	   *bytes;
	CdpNameGrams grams;
} GramCache;

CdpNameGrams *
cdp_name_grams_cached(FmgrInfo *flinfo, text *query)
{
	GramCache  *cache = (GramCache *) flinfo->fn_extra;
	int			nbytes = VARSIZE_ANY_EXHDR(query);
	const char *bytes = VARDATA_ANY(query);
	MemoryContext old;
	CdpCodePoints f;
	int			i;

	if (cache != NULL && cache->nbytes == nbytes &&
		memcmp(cache->bytes, bytes, nbytes) == 0)
		return &cache->grams;

	if (cache != NULL)
	{
		pfree(cache->bytes);
		if (cache->grams.keys)
			pfree(cache->grams.keys);
		if (cache->grams.hashes)
			pfree(cache->grams.hashes);
	}
	else
		cache = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(GramCache));
	flinfo->fn_extra = cache;

	old = MemoryContextSwitchTo(flinfo->fn_mcxt);
	cache->nbytes = nbytes;
	cache->bytes = palloc(Max(nbytes, 1));
	memcpy(cache->bytes, bytes, nbytes);
	cdp_name_fold(bytes, nbytes, &f);
	cache->grams.keys = palloc(sizeof(uint64) * cdp_name_gram_capacity(f.len));
	cache->grams.ngrams = cdp_name_grams(f.chars, f.len, cache->grams.keys);
	cache->grams.hashes = palloc(sizeof(uint32) * Max(cache->grams.ngrams, 1));
	for (i = 0; i < cache->grams.ngrams; i++)
		cache->grams.hashes[i] = cdp_gram_hash(cache->grams.keys[i]);
	cdp_codepoints_free(&f);
	MemoryContextSwitchTo(old);
	return &cache->grams;
}

/* the similarity of a row's name to the (cached) query name */
static double
name_similarity_to(text *name, CdpNameGrams *query)
{
	CdpCodePoints f;
	uint64		stack_keys[2 * CDP_CP_STACK + 3];
	uint64	   *keys;
	int			n;
	double		s;

	cdp_name_fold(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &f);
	keys = (f.len <= CDP_CP_STACK) ? stack_keys :
		palloc(sizeof(uint64) * cdp_name_gram_capacity(f.len));
	n = cdp_name_grams(f.chars, f.len, keys);
	s = cdp_gram_dice(keys, n, query->keys, query->ngrams);
	if (keys != stack_keys)
		pfree(keys);
	cdp_codepoints_free(&f);
	return s;
}

PG_FUNCTION_INFO_V1(cdp_name_similarity);

/*
 * cdp.name_similarity(a text, b text) returns float8: Dice coefficient of
 * the grams of the folded names.  The second argument is usually the
 * constant query, so its grams are cached.
 */
Datum
cdp_name_similarity(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);

	PG_RETURN_FLOAT8(name_similarity_to(a, cdp_name_grams_cached(fcinfo->flinfo, b)));
}

PG_FUNCTION_INFO_V1(cdp_name_similar_op);

/*
 * a %~ b: name_similarity(a, b) >= cdp.similarity_threshold.
 */
Datum
cdp_name_similar_op(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);
	double		s = name_similarity_to(a, cdp_name_grams_cached(fcinfo->flinfo, b));

	PG_RETURN_BOOL(s >= cdp_similarity_threshold);
}

PG_FUNCTION_INFO_V1(cdp_name_distance_op);

/*
 * a <~> b: 1 - name_similarity(a, b).
 */
Datum
cdp_name_distance_op(PG_FUNCTION_ARGS)
{
	text	   *a = PG_GETARG_TEXT_PP(0);
	text	   *b = PG_GETARG_TEXT_PP(1);

	PG_RETURN_FLOAT8(1.0 - name_similarity_to(a, cdp_name_grams_cached(fcinfo->flinfo, b)));
}

PG_FUNCTION_INFO_V1(cdp_name_grams_text);

/*
 * cdp.name_grams(name text) returns text[]: the grams a name is indexed
 * by, with "^" and "$" for the start and end marks, sorted by code point.
 */
Datum
cdp_name_grams_text(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	CdpCodePoints f;
	uint64	   *keys;
	int			n,
				i;
	Datum	   *elems;

	cdp_name_fold(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &f);
	keys = palloc(sizeof(uint64) * cdp_name_gram_capacity(f.len));
	n = cdp_name_grams(f.chars, f.len, keys);
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		pg_wchar	chars[3];
		int			nchars = 0;
		unsigned char buf[3 * MAX_MULTIBYTE_CHAR_LEN + 1];

		if (keys[i] & CDP_GRAM_PREFIX_FLAG)
		{
			chars[nchars++] = '^';
			chars[nchars++] = (pg_wchar) ((keys[i] & ~CDP_GRAM_PREFIX_FLAG) >> 31);
			chars[nchars++] = (pg_wchar) (keys[i] & 0x7FFFFFFF);
		}
		else
		{
			pg_wchar	hi = (pg_wchar) (keys[i] >> 32);
			pg_wchar	lo = (pg_wchar) (keys[i] & 0xFFFFFFFF);

			if (hi != 0)
				chars[nchars++] = (hi == CDP_GRAM_START) ? '^' : hi;
			chars[nchars++] = (lo == CDP_GRAM_END) ? '$' : lo;
		}
		pg_wchar2mb_with_len(chars, (char *) buf, nchars);
		elems[i] = PointerGetDatum(cstring_to_text((char *) buf));
	}
	cdp_codepoints_free(&f);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}
