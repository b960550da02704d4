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

#define STACK_GRAMS 128

/* a gram: where it starts and how many characters it has */
typedef struct Gram
{
	const pg_wchar *start;
	int			len;
} Gram;

static int
compare_keys(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x;
	uint64		b = *(const uint64 *) y;

	return (a > b) - (a < b);
}

static int
compare_grams(const void *x, const void *y)
{
	const Gram *a = (const Gram *) x;
	const Gram *b = (const Gram *) y;
	int			n = Min(a->len, b->len);
	int			i;

	for (i = 0; i < n; i++)
	{
		if (a->start[i] != b->start[i])
			return a->start[i] < b->start[i] ? -1 : 1;
	}
	return (a->len > b->len) - (a->len < b->len);
}

/* sort and drop duplicates; insertion sort for the usual short names */
static int
sort_unique_keys(uint64 *k, int n)
{
	int			i,
				out;

	if (n <= 32)
	{
		for (i = 1; i < n; i++)
		{
			uint64		v = k[i];
			int			j = i - 1;

			while (j >= 0 && k[j] > v)
			{
				k[j + 1] = k[j];
				j--;
			}
			k[j + 1] = v;
		}
	}
	else
		qsort(k, n, sizeof(uint64), compare_keys);
	for (i = 1, out = (n > 0 ? 1 : 0); i < n; i++)
	{
		if (k[i] != k[out - 1])
			k[out++] = k[i];
	}
	return out;
}

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
	return sort_unique_keys(keys, count);
}

static int
intersect_keys(const uint64 *a, int na, const uint64 *b, int nb)
{
	int			i = 0,
				j = 0,
				common = 0;

	while (i < na && j < nb)
	{
		if (a[i] == b[j])
		{
			common++;
			i++;
			j++;
		}
		else if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return common;
}

static int
gram_list(const pg_wchar *s, int len, int n, Gram *grams)
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
	qsort(grams, count, sizeof(Gram), compare_grams);
	for (i = 1, out = 1; i < count; i++)
	{
		if (compare_grams(&grams[i], &grams[out - 1]) != 0)
			grams[out++] = grams[i];
	}
	return out;
}

static int
intersect_grams(const Gram *a, int na, const Gram *b, int nb)
{
	int			i = 0,
				j = 0,
				common = 0;
	uint32		steps = 0;

	while (i < na && j < nb)
	{
		int			c = compare_grams(&a[i], &b[j]);

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
		*common = intersect_keys(ka, *na, kb, *nb);
		if (ka != stack_a)
			pfree(ka);
		if (kb != stack_b)
			pfree(kb);
	}
	else
	{
		Gram	   *ga = palloc(sizeof(Gram) * alen);
		Gram	   *gb = palloc(sizeof(Gram) * blen);

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

PG_FUNCTION_INFO_V1(cdp_ngram_dice_text);

/*
 * cdp.ngram_dice(a text, b text, n integer DEFAULT 2) returns float8.
 */
Datum
cdp_ngram_dice_text(PG_FUNCTION_ARGS)
{
	text	   *ta = PG_GETARG_TEXT_PP(0);
	text	   *tb = PG_GETARG_TEXT_PP(1);
	int32		n = PG_GETARG_INT32(2);
	CdpCodePoints a;
	CdpCodePoints b;
	double		s;

	check_n(n);
	cdp_decode_text(ta, &a);
	cdp_decode_text(tb, &b);
	s = cdp_ngram_dice(a.chars, a.len, b.chars, b.len, n);
	cdp_codepoints_free(&a);
	cdp_codepoints_free(&b);
	PG_RETURN_FLOAT8(s);
}

PG_FUNCTION_INFO_V1(cdp_ngram_jaccard_text);

/*
 * cdp.ngram_jaccard(a text, b text, n integer DEFAULT 2) returns float8.
 */
Datum
cdp_ngram_jaccard_text(PG_FUNCTION_ARGS)
{
	text	   *ta = PG_GETARG_TEXT_PP(0);
	text	   *tb = PG_GETARG_TEXT_PP(1);
	int32		n = PG_GETARG_INT32(2);
	CdpCodePoints a;
	CdpCodePoints b;
	double		s;

	check_n(n);
	cdp_decode_text(ta, &a);
	cdp_decode_text(tb, &b);
	s = cdp_ngram_jaccard(a.chars, a.len, b.chars, b.len, n);
	cdp_codepoints_free(&a);
	cdp_codepoints_free(&b);
	PG_RETURN_FLOAT8(s);
}
