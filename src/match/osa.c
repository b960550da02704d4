/*-------------------------------------------------------------------------
 *
 * osa.c
 *	  cdp.osa_distance(text, text): optimal string alignment distance
 *	  (restricted Damerau-Levenshtein) on characters.
 *
 * Hyyrö's bit-parallel extension of Myers' algorithm (2003): a diagonal
 * step also counts as free-of-extra-cost when the two characters before it
 * are a transposed pair, which adds the term TR to the diagonal-zero
 * vector.  TR of a column needs the previous column's diagonal-zero vector
 * and the previous text character's mask; in blocks of 64 the shift of TR
 * carries a bit from the block below.
 *
 * src/match/osa.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/charmask.h"
#include "match/similarity.h"

static int
osa_single(const pg_wchar *p, int m, const pg_wchar *t, int n)
{
	CdpCharMask *mask = cdp_charmask_single(p, m);
	uint64		vp = ~UINT64CONST(0);
	uint64		vn = 0;
	uint64		d0 = 0;
	uint64		eq_prev = 0;
	uint64		last = UINT64CONST(1) << (m - 1);
	int			score = m;
	int			j;

	for (j = 0; j < n; j++)
	{
		uint64		eq = cdp_charmask_get(mask, t[j]);
		uint64		tr = (((~d0) & eq) << 1) & eq_prev;
		uint64		x = eq | vn;
		uint64		hp,
					hn;

		d0 = (((x & vp) + vp) ^ vp) | x | tr;
		hp = vn | ~(d0 | vp);
		hn = vp & d0;
		score += (hp & last) ? 1 : 0;
		score -= (hn & last) ? 1 : 0;
		hp = (hp << 1) | 1;
		hn = hn << 1;
		vp = hn | ~(d0 | hp);
		vn = hp & d0;
		eq_prev = eq;
		if (unlikely((j & 0xFFFF) == 0xFFFF))
			CHECK_FOR_INTERRUPTS();
	}
	cdp_charmask_release(p, m);
	return score;
}

static int
osa_blocks(const pg_wchar *p, int m, const pg_wchar *t, int n)
{
	int			nblocks = (m + 63) / 64;
	CdpCharMask *mask = cdp_charmask_blocks(p, m);
	uint64	   *vp = palloc(sizeof(uint64) * nblocks);
	uint64	   *vn = palloc0(sizeof(uint64) * nblocks);
	uint64	   *d0 = palloc0(sizeof(uint64) * nblocks);
	uint64	   *eq_prev = palloc0(sizeof(uint64) * nblocks);
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
		uint64		tr_carry = 0;

		for (b = 0; b < nblocks; b++)
		{
			uint64		eq = cdp_charmask_get(&mask[b], c);
			uint64		pre = (~d0[b]) & eq;
			uint64		tr = ((pre << 1) | tr_carry) & eq_prev[b];
			uint64		x = eq | (hin < 0 ? 1 : 0) | vn[b];
			uint64		d;
			uint64		hp,
						hn;
			int			bit = (b == nblocks - 1) ? lastbit : 63;
			int			hout;

			tr_carry = pre >> 63;
			d = (((x & vp[b]) + vp[b]) ^ vp[b]) | x | tr;
			hp = vn[b] | ~(d | vp[b]);
			hn = vp[b] & d;
			hout = ((hp >> bit) & 1) ? 1 : (((hn >> bit) & 1) ? -1 : 0);
			hp = (hp << 1) | (hin > 0 ? 1 : 0);
			hn = (hn << 1) | (hin < 0 ? 1 : 0);
			vp[b] = hn | ~(d | hp);
			vn[b] = hp & d;
			d0[b] = d;
			eq_prev[b] = eq;
			hin = hout;
		}
		score += hin;
		if ((j & 0x3FF) == 0x3FF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(mask);
	pfree(vp);
	pfree(vn);
	pfree(d0);
	pfree(eq_prev);
	return score;
}

int
cdp_osa_distance(const pg_wchar *a, int alen, const pg_wchar *b, int blen)
{
	cdp_strip_common_affixes(&a, &alen, &b, &blen);
	if (alen == 0 || blen == 0)
		return alen + blen;
	if (alen > blen)
	{
		const pg_wchar *t = a;
		int			tl = alen;

		a = b;
		alen = blen;
		b = t;
		blen = tl;
	}
	if (alen <= 64)
		return osa_single(a, alen, b, blen);
	return osa_blocks(a, alen, b, blen);
}

PG_FUNCTION_INFO_V1(cdp_osa_distance_text);

/*
 * cdp.osa_distance(a text, b text) returns integer.
 */
Datum
cdp_osa_distance_text(PG_FUNCTION_ARGS)
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
	d = cdp_osa_distance(a.chars, a.len, b.chars, b.len);
	cdp_codepoints_free(&a);
	cdp_codepoints_free(&b);
	PG_RETURN_INT32(d);
}
