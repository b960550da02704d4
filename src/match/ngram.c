/*-------------------------------------------------------------------------
 *
 * ngram.c
 *	  cdp.ngram_dice(text, text, int) and cdp.ngram_jaccard(text, text,
 *	  int): similarity of the sets of character n-grams.
 *
 * The grams of a string are its substrings of n characters, without padding,
 * as a set (a gram repeated counts once); a non-empty string shorter than n
 * is its own single gram, so that two one-character names can still be
 * compared with bigrams.  Unigrams and bigrams are packed into one 64-bit
 * key each (two 32-bit characters), sorted and merged; longer grams are
 * compared as character sequences.  Bigrams are the right unit for
 * Japanese, where a name has two to four characters.
 *
 * src/match/ngram.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/similarity.h"
#include "match/sorted_keys.h"

#define STACK_GRAMS 128

/* the sorted distinct grams of s as keys (n <= 2); returns the count */
static int
gram_keys(const pg_wchar *s, int len, int n, uint64 *keys)
{
	int			count = 0;
	int			i;

	if (len < n)
	{
		/* one gram: the whole string; a real bigram never ends in 0 */
		keys[0] = ((uint64) s[0] << 32);
		return 1;
	}
	if (n == 1)
	{
		for (i = 0; i < len; i++)
			keys[count++] = s[i];
	}
	else
	{
		for (i = 0; i + 1 < len; i++)
			keys[count++] = ((uint64) s[i] << 32) | s[i + 1];
	}
	return cdp_keys_sort_unique(keys, count);
}

static int
gram_list(const pg_wchar *s, int len, int n, CdpSpan *grams)
{
	int			count = 0;
	int			i,
				out;

	if (len < n)
	{
		grams[0].start = s;
		grams[0].len = len;
		return 1;
	}
	for (i = 0; i + n <= len; i++)
	{
		grams[count].start = s + i;
		grams[count].len = n;
		count++;
	}
	qsort(grams, count, sizeof(CdpSpan), cdp_span_compare);
	for (i = 1, out = 1; i < count; i++)
	{
		if (cdp_span_compare(&grams[i], &grams[out - 1]) != 0)
			grams[out++] = grams[i];
	}
	return out;
}

static int
intersect_grams(const CdpSpan *a, int na, const CdpSpan *b, int nb)
{
	int			i = 0,
				j = 0,
				common = 0;
	uint32		steps = 0;

	while (i < na && j < nb)
	{
		int			c = cdp_span_compare(&a[i], &b[j]);

		if ((++steps & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		if (c == 0)
		{
			common++;
			i++;
			j++;
		}
		else if (c < 0)
			i++;
		else
			j++;
	}
	return common;
}

/*
 * Sizes of the two gram sets and of their intersection; false when either
 * string is empty.
 */
static bool
gram_overlap(const pg_wchar *a, int alen, const pg_wchar *b, int blen, int n,
			 int *na, int *nb, int *common)
{
	if (alen == 0 || blen == 0)
		return false;

	if (n <= 2)
	{
		uint64		stack_a[STACK_GRAMS];
		uint64		stack_b[STACK_GRAMS];
		uint64	   *ka = alen <= STACK_GRAMS ? stack_a : palloc(sizeof(uint64) * alen);
		uint64	   *kb = blen <= STACK_GRAMS ? stack_b : palloc(sizeof(uint64) * blen);

		*na = gram_keys(a, alen, n, ka);
		*nb = gram_keys(b, blen, n, kb);
		*common = cdp_keys_common(ka, *na, kb, *nb);
		if (ka != stack_a)
			pfree(ka);
		if (kb != stack_b)
			pfree(kb);
	}
	else
	{
		CdpSpan	   *ga = palloc(sizeof(CdpSpan) * alen);
		CdpSpan	   *gb = palloc(sizeof(CdpSpan) * blen);

		*na = gram_list(a, alen, n, ga);
		*nb = gram_list(b, blen, n, gb);
		*common = intersect_grams(ga, *na, gb, *nb);
		pfree(ga);
		pfree(gb);
	}
	return true;
}

double
cdp_ngram_dice(const pg_wchar *a, int alen, const pg_wchar *b, int blen, int n)
{
	int			na,
				nb,
				common;

	if (!gram_overlap(a, alen, b, blen, n, &na, &nb, &common))
		return 0.0;
	return 2.0 * common / (na + nb);
}

double
cdp_ngram_jaccard(const pg_wchar *a, int alen, const pg_wchar *b, int blen, int n)
{
	int			na,
				nb,
				common;

	if (!gram_overlap(a, alen, b, blen, n, &na, &nb, &common))
		return 0.0;
	return (double) common / (na + nb - common);
}

static void
check_n(int32 n)
{
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be at least 1"),
				 errdetail("n is %d.", n)));
}

/* the SQL face of both: (a text, b text, n integer DEFAULT 2) */
static double
ngram_of_texts(FunctionCallInfo fcinfo, bool dice)
{
	text	   *ta = PG_GETARG_TEXT_PP(0);
	text	   *tb = PG_GETARG_TEXT_PP(1);
	int32		n = PG_GETARG_INT32(2);
	CdpCodePoints a;
	CdpCodePoints b;
	double		s;

	check_n(n);
	cdp_decode_pair(ta, tb, false, &a, &b);
	s = dice ? cdp_ngram_dice(a.chars, a.len, b.chars, b.len, n) :
		cdp_ngram_jaccard(a.chars, a.len, b.chars, b.len, n);
	cdp_codepoints_free_pair(&a, &b);
	return s;
}

PG_FUNCTION_INFO_V1(cdp_ngram_dice_text);

/* cdp.ngram_dice(a text, b text, n integer DEFAULT 2) returns float8 */
Datum
cdp_ngram_dice_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(ngram_of_texts(fcinfo, true));
}

PG_FUNCTION_INFO_V1(cdp_ngram_jaccard_text);

/* cdp.ngram_jaccard(a text, b text, n integer DEFAULT 2) returns float8 */
Datum
cdp_ngram_jaccard_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(ngram_of_texts(fcinfo, false));
}
