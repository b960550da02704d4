/*-------------------------------------------------------------------------
 *
 * jaro.c
 *	  cdp.jaro(text, text) and cdp.jaro_winkler(text, text, float8, float8):
 *	  Jaro and Jaro-Winkler similarity on characters.
 *
 * The definition is the classic one (Jaro 1989, Winkler's strcmp95), the
 * same as pg_similarity's: the match window is floor(max(|a|, |b|) / 2) - 1
 * (at least 0); each character of a, in order, takes the first unmatched
 * equal character of b inside its window; t is half the number of matched
 * characters out of order, rounded down; jaro = (m/|a| + m/|b| + (m-t)/m)/3
 * evaluated in the same order of floating-point operations, so results are
 * bit-identical; 0 when either string is empty or nothing matches.
 *
 * When b has at most 64 characters the matching is bit-parallel: a mask of
 * b's positions per character (by direct comparison when b has at most 16),
 * ANDed with the window and the unmatched positions, gives the match as the
 * lowest set bit.  Longer strings use a
 * linear-time matcher over each character's chain of positions in b: for a
 * given character, the matched positions at or above the window's start
 * are always a run at the start of its chain, so a cursor per character
 * that only moves forward finds every match.
 *
 * src/match/jaro.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"

#include "match/charmask.h"
#include "match/similarity.h"

static inline double
jaro_formula(int m, int t, int alen, int blen)
{
	/* the order of operations of the reference implementations */
	return 1.0 / 3.0 * m / alen + 1.0 / 3.0 * m / blen +
		1.0 / 3.0 * (m - t) / m;
}

/*
 * b has at most 64 characters: bit-parallel matching.  The mask of b's
 * positions holding a character comes from the table (or, for b of at most
 * CDP_SMALL_PATTERN characters, from direct comparison); ANDed with the
 * window and the unmatched positions, its lowest bit is the match.
 */
static inline double
jaro_bits(const pg_wchar *a, int alen, const pg_wchar *b, int blen, int window,
		  const CdpCharMask *mask, const pg_wchar *pad)
{
	pg_wchar	matched[65];	/* a's matched characters, in order */
	uint64		bflags = 0;
	int			m = 0;
	int			half = 0;
	int			i;

	for (i = 0; i < alen; i++)
	{
		int			lo = Max(i - window, 0);
		int			hi = Min(i + window, blen - 1);
		uint64		range;
		uint64		cand;

		if (lo > hi)
			break;
		range = (~UINT64CONST(0) >> (63 - hi)) & (~UINT64CONST(0) << lo);
		cand = (pad ? cdp_charmask_small_eq(pad, a[i]) : cdp_charmask_get(mask, a[i]));
		cand &= ~bflags & range;
		/* without a branch: whether a[i] matches is unpredictable */
		bflags |= cand & (~cand + 1);
		matched[m] = a[i];
		m += (cand != 0);
	}
	if (m == 0)
		return 0.0;

	for (i = 0; bflags; i++)
	{
		int			j = pg_rightmost_one_pos64(bflags);

		half += (b[j] != matched[i]);
		bflags &= bflags - 1;
	}
	return jaro_formula(m, half / 2, alen, blen);
}

static double
jaro_short(const pg_wchar *a, int alen, const pg_wchar *b, int blen, int window)
{
	double		s;

	if (blen <= CDP_SMALL_PATTERN)
	{
		pg_wchar	pad[CDP_SMALL_PATTERN] = {0};

		memcpy(pad, b, sizeof(pg_wchar) * blen);
		return jaro_bits(a, alen, b, blen, window, NULL, pad);
	}
	s = jaro_bits(a, alen, b, blen, window, cdp_charmask_single(b, blen), NULL);
	cdp_charmask_release(b, blen);
	return s;
}

static double
jaro_long(const pg_wchar *a, int alen, const pg_wchar *b, int blen, int window)
{
	int64		nslots = 1;
	pg_wchar   *keys;
	int		   *cursor;
	int		   *next_same;
	bool	   *bflags;
	pg_wchar   *matched;
	int			m = 0;
	int			half = 0;
	int			i,
				j,
				k;

	/* huge allocations: see cdp_decode() */
	while (nslots < 2 * (int64) blen)
		nslots <<= 1;
	keys = palloc_extended(sizeof(pg_wchar) * nslots,
						   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	cursor = palloc_extended(sizeof(int) * nslots, MCXT_ALLOC_HUGE);
	next_same = palloc_extended(sizeof(int) * (Size) blen, MCXT_ALLOC_HUGE);
	bflags = palloc_extended(sizeof(bool) * (Size) blen,
							 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	matched = palloc_extended(sizeof(pg_wchar) * (Size) Min(alen, blen),
							  MCXT_ALLOC_HUGE);

	/* chains of equal characters of b, built backwards */
	for (j = blen - 1; j >= 0; j--)
	{
		int			slot = (int) (((b[j] * UINT64CONST(0x9E3779B97F4A7C15)) >> 32) & (nslots - 1));

		while (keys[slot] != 0 && keys[slot] != b[j])
			slot = (int) ((slot + 1) & (nslots - 1));
		if (keys[slot] == 0)
		{
			keys[slot] = b[j];
			next_same[j] = -1;
		}
		else
			next_same[j] = cursor[slot];
		cursor[slot] = j;
	}

	for (i = 0; i < alen; i++)
	{
		int			lo = Max(i - window, 0);
		int			hi = Min(i + window, blen - 1);
		int			slot;
		int			p;

		if (lo > hi)
			break;
		slot = (int) (((a[i] * UINT64CONST(0x9E3779B97F4A7C15)) >> 32) & (nslots - 1));
		while (keys[slot] != 0 && keys[slot] != a[i])
			slot = (int) ((slot + 1) & (nslots - 1));
		if (keys[slot] == 0)
			continue;
		p = cursor[slot];
		while (p >= 0 && p < lo)
			p = next_same[p];
		if (p >= 0 && p <= hi)
		{
			bflags[p] = true;
			matched[m++] = a[i];
			p = next_same[p];
		}
		cursor[slot] = p;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}

	for (j = 0, k = 0; j < blen && k < m; j++)
	{
		if (bflags[j])
		{
			if (b[j] != matched[k])
				half++;
			k++;
		}
	}
	pfree(keys);
	pfree(cursor);
	pfree(next_same);
	pfree(bflags);
	pfree(matched);
	if (m == 0)
		return 0.0;
	return jaro_formula(m, half / 2, alen, blen);
}

double
cdp_jaro(const pg_wchar *a, int alen, const pg_wchar *b, int blen)
{
	int			window;

	if (alen == 0 || blen == 0)
		return 0.0;
	window = Max(alen, blen) / 2 - 1;
	if (window < 0)
		window = 0;
	if (blen <= 64)
		return jaro_short(a, alen, b, blen, window);
	return jaro_long(a, alen, b, blen, window);
}

double
cdp_jaro_winkler(const pg_wchar *a, int alen, const pg_wchar *b, int blen,
				 double prefix_scale, double threshold)
{
	double		jaro = cdp_jaro(a, alen, b, blen);
	int			prefix = 0;

	if (!(jaro > threshold))
		return jaro;
	while (prefix < 4 && prefix < alen && prefix < blen &&
		   a[prefix] == b[prefix])
		prefix++;
	return jaro + prefix_scale * prefix * (1.0 - jaro);
}

PG_FUNCTION_INFO_V1(cdp_jaro_text);

/*
 * cdp.jaro(a text, b text) returns float8.
 */
Datum
cdp_jaro_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(cdp_similarity_of_texts(PG_GETARG_TEXT_PP(0),
											 PG_GETARG_TEXT_PP(1), cdp_jaro));
}

PG_FUNCTION_INFO_V1(cdp_jaro_winkler_text);

/*
 * cdp.jaro_winkler(a text, b text, prefix_scale float8 DEFAULT 0.1,
 * threshold float8 DEFAULT 0.7) returns float8.
 */
Datum
cdp_jaro_winkler_text(PG_FUNCTION_ARGS)
{
	text	   *ta = PG_GETARG_TEXT_PP(0);
	text	   *tb = PG_GETARG_TEXT_PP(1);
	float8		prefix_scale = PG_GETARG_FLOAT8(2);
	float8		threshold = PG_GETARG_FLOAT8(3);
	CdpCodePoints a;
	CdpCodePoints b;
	double		s;

	/* NaN fails both comparisons, so it is refused too */
	if (!(prefix_scale >= 0.0 && prefix_scale <= 0.25))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prefix_scale must be between 0 and 0.25"),
				 errdetail("prefix_scale is %g.", prefix_scale),
				 errhint("Above 0.25 a common prefix of 4 characters could lift the similarity past 1.")));
	if (isnan(threshold))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold must not be NaN")));
	cdp_decode_pair(ta, tb, false, &a, &b);
	s = cdp_jaro_winkler(a.chars, a.len, b.chars, b.len, prefix_scale, threshold);
	cdp_codepoints_free_pair(&a, &b);
	PG_RETURN_FLOAT8(s);
}
