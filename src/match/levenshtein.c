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
#include "match/similarity.h"

/*
 * A pattern of at most CDP_SMALL_PATTERN characters (most names) gets its
 * match masks by direct comparison, cheaper than a table (charmask.h).
 */
static int
myers_small(const pg_wchar *p, int m, const pg_wchar *t, int n, int max)
{
	uint64		vp = ~UINT64CONST(0);
	uint64		vn = 0;
	uint64		last = UINT64CONST(1) << (m - 1);
	int			score = m;
	pg_wchar	pad[CDP_SMALL_PATTERN] = {0};
	int			j;

	memcpy(pad, p, sizeof(pg_wchar) * m);
	for (j = 0; j < n; j++)
	{
		uint64		eq = cdp_charmask_small_eq(pad, t[j]);
		uint64		x = eq | vn;
		uint64		d0 = (((x & vp) + vp) ^ vp) | x;
		uint64		hp = vn | ~(d0 | vp);
		uint64		hn = vp & d0;

		score += (hp & last) ? 1 : 0;
		score -= (hn & last) ? 1 : 0;
		if (max >= 0 && score - (n - 1 - j) > max)
			return max + 1;
		hp = (hp << 1) | 1;
		hn = hn << 1;
		vp = hn | ~(d0 | hp);
		vn = hp & d0;
		if (unlikely((j & 0xFFFF) == 0xFFFF))
			CHECK_FOR_INTERRUPTS();
	}
	return score;
}

/*
 * One word: the pattern p (1..64 characters) against the text t.  With
 * max >= 0, stop with max + 1 as soon as the last row's value minus the
 * columns left exceeds max (the distance can only fall by one a column).
 */
static int
myers_single(const pg_wchar *p, int m, const pg_wchar *t, int n, int max)
{
	CdpCharMask *mask = cdp_charmask_single(p, m);
	uint64		vp = ~UINT64CONST(0);
	uint64		vn = 0;
	uint64		last = UINT64CONST(1) << (m - 1);
	int			score = m;
	int			j;

	for (j = 0; j < n; j++)
	{
		uint64		eq = cdp_charmask_get(mask, t[j]);
		uint64		x = eq | vn;
		uint64		d0 = (((x & vp) + vp) ^ vp) | x;
		uint64		hp = vn | ~(d0 | vp);
		uint64		hn = vp & d0;

		score += (hp & last) ? 1 : 0;
		score -= (hn & last) ? 1 : 0;
		if (max >= 0 && score - (n - 1 - j) > max)
		{
			score = max + 1;
			break;
		}
		hp = (hp << 1) | 1;
		hn = hn << 1;
		vp = hn | ~(d0 | hp);
		vn = hp & d0;
		if (unlikely((j & 0xFFFF) == 0xFFFF))
			CHECK_FOR_INTERRUPTS();
	}
	cdp_charmask_release(p, m);
	return score;
}

/*
 * Blocks of 64: the pattern p (more than 64 characters) against t.  Each
 * block takes the horizontal delta entering its top row (+1 for the first
 * block: row 0 of the matrix counts up) and passes on the one leaving its
 * bottom row; the last block's output moves the distance.
 */
static int
myers_blocks(const pg_wchar *p, int m, const pg_wchar *t, int n)
{
	int			nblocks = (m + 63) / 64;
	CdpCharMask *mask = cdp_charmask_blocks(p, m);
	uint64	   *vp = palloc(sizeof(uint64) * nblocks);
	uint64	   *vn = palloc0(sizeof(uint64) * nblocks);
	int			lastbit = (m - 1) % 64;
	int			score = m;
	int			b,
				j;

	for (b = 0; b < nblocks; b++)
		vp[b] = ~UINT64CONST(0);

	for (j = 0; j < n; j++)
	{
		pg_wchar	c = t[j];
		int			hin = 1;

		for (b = 0; b < nblocks; b++)
		{
			uint64		eq = cdp_charmask_get(&mask[b], c);
			uint64		x = eq | (hin < 0 ? 1 : 0) | vn[b];
			uint64		d0 = (((x & vp[b]) + vp[b]) ^ vp[b]) | x;
			uint64		hp = vn[b] | ~(d0 | vp[b]);
			uint64		hn = vp[b] & d0;
			int			bit = (b == nblocks - 1) ? lastbit : 63;
			int			hout;

			hout = ((hp >> bit) & 1) ? 1 : (((hn >> bit) & 1) ? -1 : 0);
			hp = (hp << 1) | (hin > 0 ? 1 : 0);
			hn = (hn << 1) | (hin < 0 ? 1 : 0);
			vp[b] = hn | ~(d0 | hp);
			vn[b] = hp & d0;
			hin = hout;
		}
		score += hin;
		if ((j & 0x3FF) == 0x3FF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(mask);
	pfree(vp);
	pfree(vn);
	return score;
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
	/* the shorter string is the pattern */
	if (alen > blen)
	{
		const pg_wchar *t = a;
		int			tl = alen;

		a = b;
		alen = blen;
		b = t;
		blen = tl;
	}
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
	if (alen > blen)
	{
		const pg_wchar *t = a;
		int			tl = alen;

		a = b;
		alen = blen;
		b = t;
		blen = tl;
	}
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
	text	   *ta = PG_GETARG_TEXT_PP(0);
	text	   *tb = PG_GETARG_TEXT_PP(1);
	const char *pa = VARDATA_ANY(ta);
	const char *pb = VARDATA_ANY(tb);
	int			la = VARSIZE_ANY_EXHDR(ta);
	int			lb = VARSIZE_ANY_EXHDR(tb);
	CdpCodePoints a;
	CdpCodePoints b;
	int			d;

	cdp_strip_common_bytes(&pa, &la, &pb, &lb);
	cdp_decode(pa, la, &a);
	cdp_decode(pb, lb, &b);
	d = cdp_levenshtein(a.chars, a.len, b.chars, b.len);
	cdp_codepoints_free(&a);
	cdp_codepoints_free(&b);
	PG_RETURN_INT32(d);
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
	const char *pa = VARDATA_ANY(ta);
	const char *pb = VARDATA_ANY(tb);
	int			la = VARSIZE_ANY_EXHDR(ta);
	int			lb = VARSIZE_ANY_EXHDR(tb);
	CdpCodePoints a;
	CdpCodePoints b;
	int			d;

	if (max < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must not be negative"),
				 errdetail("max is %d.", max)));
	cdp_strip_common_bytes(&pa, &la, &pb, &lb);
	cdp_decode(pa, la, &a);
	cdp_decode(pb, lb, &b);
	d = cdp_levenshtein_le(a.chars, a.len, b.chars, b.len, max);
	cdp_codepoints_free(&a);
	cdp_codepoints_free(&b);
	PG_RETURN_INT32(d);
}
