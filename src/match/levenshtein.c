/*-------------------------------------------------------------------------
 *
 * levenshtein.c
 *	  cdp.levenshtein(text, text) and cdp.levenshtein_le(text, text, int):
 *	  Levenshtein distance on characters, without a length limit.
 *
 * The kernel is Myers' bit-parallel algorithm in Hyyrö's formulation for
 * the global distance: the shorter string is the pattern, one 64-bit word
 * holds the vertical deltas of 64 of its characters, and each character of
 * the longer string advances every word once.  Patterns longer than 64
 * characters are processed in blocks of 64 linked by the horizontal delta
 * leaving each block (Myers 1999, section 4).  Patterns of up to 16
 * characters (most names) get their match masks by direct comparison
 * instead of a table.  The bounded variant first compares lengths, then
 * uses either the single word with a stop as soon as the bound cannot be
 * met, or Ukkonen's diagonal band when the bound is small compared to the
 * strings.
 *
 * src/match/levenshtein.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/charmask.h"
#include "match/myers.h"
#include "match/similarity.h"

static int
myers_small(const pg_wchar *p, int m, const pg_wchar *t, int n, int max)
{
	pg_wchar	pad[CDP_SMALL_PATTERN] = {0};

	memcpy(pad, p, sizeof(pg_wchar) * m);
	return cdp_myers_word(pad, NULL, m, t, n, max, false);
}

static int
myers_single(const pg_wchar *p, int m, const pg_wchar *t, int n, int max)
{
	int			score;

	score = cdp_myers_word(NULL, cdp_charmask_single(p, m), m, t, n, max,
						   false);
	cdp_charmask_release(p, m);
	return score;
}

static int
myers_blocks(const pg_wchar *p, int m, const pg_wchar *t, int n)
{
	return cdp_myers_blocks(p, m, t, n, false);
}

/*
 * Ukkonen's band: only cells on diagonals d = i - j that a path of cost
 * <= max can use, |d| + |(m - n) - d| <= max, are computed, with plain
 * integers capped at max + 1.  Stops as soon as a whole row exceeds max.
 * Requires |m - n| <= max < max(m, n).
 */
static int
banded_le(const pg_wchar *a, int m, const pg_wchar *b, int n, int max)
{
	int			delta = m - n;
	int			extra = (max - Abs(delta)) / 2;
	int			dlo = Min(0, delta) - extra;
	int			dhi = Max(0, delta) + extra;
	int			inf = max + 1;
	int		   *prev = palloc(sizeof(int) * (n + 2));
	int		   *cur = palloc(sizeof(int) * (n + 2));
	int			i,
				j,
				result;

	/* row 0: D[0][j] = j for j <= -dlo */
	for (j = 0; j <= n + 1; j++)
		prev[j] = inf;
	for (j = 0; j <= Min(n, -dlo); j++)
		prev[j] = Min(j, inf);

	for (i = 1; i <= m; i++)
	{
		int			jlo = Max(0, i - dhi);
		int			jhi = Min(n, i - dlo);
		int			rowmin = inf;
		int		   *tmp;

		if (jlo > 0)
			cur[jlo - 1] = inf;
		for (j = jlo; j <= jhi; j++)
		{
			int			v;

			if (j == 0)
				v = i;
			else
			{
				v = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
				v = Min(v, cur[j - 1] + 1);
			}
			v = Min(v, prev[j] + 1);
			v = Min(v, inf);
			cur[j] = v;
			rowmin = Min(rowmin, v);
		}
		cur[jhi + 1] = inf;
		if (rowmin > max)
		{
			pfree(prev);
			pfree(cur);
			return inf;
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	result = prev[n];
	pfree(prev);
	pfree(cur);
	return Min(result, inf);
}

int
cdp_levenshtein(const pg_wchar *a, int alen, const pg_wchar *b, int blen)
{
	cdp_strip_common_affixes(&a, &alen, &b, &blen);
	if (alen == 0 || blen == 0)
		return alen + blen;
	cdp_shorter_first(&a, &alen, &b, &blen);
	if (alen <= CDP_SMALL_PATTERN)
		return myers_small(a, alen, b, blen, -1);
	if (alen <= 64)
		return myers_single(a, alen, b, blen, -1);
	return myers_blocks(a, alen, b, blen);
}

int
cdp_levenshtein_le(const pg_wchar *a, int alen, const pg_wchar *b, int blen,
				   int max)
{
	int			nblocks;
	int			d;

	Assert(max >= 0);
	/* a distance never exceeds the longer length: no bound, no overflow */
	if (max >= Max(alen, blen))
		return cdp_levenshtein(a, alen, b, blen);
	cdp_strip_common_affixes(&a, &alen, &b, &blen);
	if (Abs(alen - blen) > max)
		return max + 1;
	if (alen == 0 || blen == 0)
		return alen + blen;		/* <= max, checked above */
	cdp_shorter_first(&a, &alen, &b, &blen);
	if (alen <= CDP_SMALL_PATTERN)
		return myers_small(a, alen, b, blen, max);
	if (alen <= 64)
		return myers_single(a, alen, b, blen, max);
	if (max >= blen)
		return myers_blocks(a, alen, b, blen);	/* the bound cannot bite */

	/* band cells ~ (max + 1) * alen against ~ 4 word operations a block */
	nblocks = (alen + 63) / 64;
	if ((double) (max + 1) * alen < 4.0 * nblocks * blen)
		return banded_le(a, alen, b, blen, max);
	d = myers_blocks(a, alen, b, blen);
	return Min(d, max + 1);
}

PG_FUNCTION_INFO_V1(cdp_levenshtein_text);

/*
 * cdp.levenshtein(a text, b text) returns integer.
 */
Datum
cdp_levenshtein_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(cdp_distance_of_texts(PG_GETARG_TEXT_PP(0),
										  PG_GETARG_TEXT_PP(1), cdp_levenshtein));
}

PG_FUNCTION_INFO_V1(cdp_levenshtein_le_text);

/*
 * cdp.levenshtein_le(a text, b text, max integer) returns integer: the
 * distance if it is at most max, else max + 1.
 */
Datum
cdp_levenshtein_le_text(PG_FUNCTION_ARGS)
{
	text	   *ta = PG_GETARG_TEXT_PP(0);
	text	   *tb = PG_GETARG_TEXT_PP(1);
	int32		max = PG_GETARG_INT32(2);
	CdpCodePoints a;
	CdpCodePoints b;
	int			d;

	if (max < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must not be negative"),
				 errdetail("max is %d.", max)));
	cdp_decode_pair(ta, tb, true, &a, &b);
	d = cdp_levenshtein_le(a.chars, a.len, b.chars, b.len, max);
	cdp_codepoints_free_pair(&a, &b);
	PG_RETURN_INT32(d);
}
