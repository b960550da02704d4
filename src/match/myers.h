/*-------------------------------------------------------------------------
 *
 * myers.h
 *	  Myers' bit-parallel edit-distance kernels, shared by Levenshtein
 *	  (levenshtein.c) and optimal string alignment (osa.c).
 *
 * A word holds the vertical deltas of up to 64 rows of the edit matrix as
 * two disjoint bit vectors, vp (+1) and vn (-1).  A column step takes the
 * diagonal-zero vector d0 of the new column (cdp_myers_d0(), to which OSA
 * adds its transposition term) and yields the horizontal delta leaving the
 * row selected by the mask "last": +1, -1 or 0.  hin is the horizontal
 * delta entering the word's top row: +1 for the first (or only) word, since
 * row 0 of the matrix counts up, and the previous word's output for the
 * others (Hyyrö 2003; Myers 1999, section 4).
 *
 * OSA (Hyyrö's extension) also counts a diagonal step as free when the two
 * characters before it are a transposed pair: the term TR, from the
 * previous column's d0 and the previous text character's mask, joins d0.
 * In blocks of 64 the shift inside TR carries a bit from the block below.
 * The kernels take "osa" as a constant, so each caller gets its own code.
 *
 * src/match/myers.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_MATCH_MYERS_H
#define CDP_MATCH_MYERS_H

#include "postgres.h"

#include "miscadmin.h"

#include "match/charmask.h"

/* diagonal-zero vector of a column: eq the match mask of its character */
static inline uint64
cdp_myers_d0(uint64 eq, uint64 vp, uint64 vn, int hin)
{
	uint64		x = eq | (hin < 0 ? 1 : 0) | vn;

	return (((x & vp) + vp) ^ vp) | x;
}

/* advance vp and vn by one column; returns the delta leaving row "last" */
static inline int
cdp_myers_advance(uint64 d0, uint64 *vp, uint64 *vn, uint64 last, int hin)
{
	uint64		hp = *vn | ~(d0 | *vp);
	uint64		hn = *vp & d0;
	/* hp and hn are disjoint: at most one of the two terms is 1 */
	int			hout = ((hp & last) != 0) - ((hn & last) != 0);

	hp = (hp << 1) | (hin > 0 ? 1 : 0);
	hn = (hn << 1) | (hin < 0 ? 1 : 0);
	*vp = hn | ~(d0 | hp);
	*vn = hp & d0;
	return hout;
}

/* the mask of the bottom row of a full word */
#define CDP_MYERS_WORD_LAST (UINT64CONST(1) << 63)

/* the mask of the last row of a word holding rows 0..m-1 of a pattern */
static inline uint64
cdp_myers_last(int m)
{
	return UINT64CONST(1) << ((m - 1) % 64);
}

/*
 * The transposition term of a column: rows where the previous column's
 * diagonal was not free, the current character matches one row down
 * (carry: the bit shifted out of the word below) and the previous
 * character matches here.
 */
static inline uint64
cdp_osa_transpositions(uint64 d0_prev, uint64 eq, uint64 eq_prev,
					   uint64 carry)
{
	return ((((~d0_prev) & eq) << 1) | carry) & eq_prev;
}

/*
 * One word: a pattern of 1..64 characters against the text t, its match
 * masks from pad (a pattern of at most CDP_SMALL_PATTERN characters padded
 * with zeros, compared directly: cheaper than a table for most names) or
 * else from mask.  With max >= 0, stop with max + 1 as soon as the last
 * row's value minus the columns left exceeds max (the distance can only
 * fall by one a column).
 */
static pg_attribute_always_inline int
cdp_myers_word(const pg_wchar *pad, const CdpCharMask *mask, int m,
			   const pg_wchar *t, int n, int max, bool osa)
{
	uint64		vp = ~UINT64CONST(0);
	uint64		vn = 0;
	uint64		d0 = 0;
	uint64		eq_prev = 0;
	uint64		last = cdp_myers_last(m);
	int			score = m;
	int			j;

	for (j = 0; j < n; j++)
	{
		uint64		eq = pad ? cdp_charmask_small_eq(pad, t[j]) :
			cdp_charmask_get(mask, t[j]);

		if (osa)
		{
			d0 = cdp_myers_d0(eq, vp, vn, 1) |
				cdp_osa_transpositions(d0, eq, eq_prev, 0);
			eq_prev = eq;
		}
		else
			d0 = cdp_myers_d0(eq, vp, vn, 1);
		score += cdp_myers_advance(d0, &vp, &vn, last, 1);
		if (max >= 0 && score - (n - 1 - j) > max)
			return max + 1;
		if (unlikely((j & 0xFFFF) == 0xFFFF))
			CHECK_FOR_INTERRUPTS();
	}
	return score;
}

/*
 * Blocks of 64: a pattern p of more than 64 characters against t.  Each
 * block takes the horizontal delta entering its top row and passes on the
 * one leaving its bottom row; the last block's output moves the distance.
 */
static pg_attribute_always_inline int
cdp_myers_blocks(const pg_wchar *p, int m, const pg_wchar *t, int n, bool osa)
{
	int			nblocks = (m + 63) / 64;
	CdpCharMask *mask = cdp_charmask_blocks(p, m);
	uint64	   *vp = palloc(sizeof(uint64) * nblocks);
	uint64	   *vn = palloc0(sizeof(uint64) * nblocks);
	uint64	   *d0 = osa ? palloc0(sizeof(uint64) * nblocks) : NULL;
	uint64	   *eq_prev = osa ? palloc0(sizeof(uint64) * nblocks) : NULL;
	uint64		last = cdp_myers_last(m);
	int			score = m;
	int			b,
				j;

	for (b = 0; b < nblocks; b++)
		vp[b] = ~UINT64CONST(0);

	for (j = 0; j < n; j++)
	{
		pg_wchar	c = t[j];
		int			hin = 1;
		uint64		carry = 0;

		for (b = 0; b < nblocks; b++)
		{
			uint64		eq = cdp_charmask_get(&mask[b], c);
			uint64		d = cdp_myers_d0(eq, vp[b], vn[b], hin);

			if (osa)
			{
				d |= cdp_osa_transpositions(d0[b], eq, eq_prev[b], carry);
				carry = ((~d0[b]) & eq) >> 63;
				d0[b] = d;
				eq_prev[b] = eq;
			}
			hin = cdp_myers_advance(d, &vp[b], &vn[b],
									b == nblocks - 1 ? last : CDP_MYERS_WORD_LAST,
									hin);
		}
		score += hin;
		if ((j & 0x3FF) == 0x3FF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(mask);
	pfree(vp);
	pfree(vn);
	if (osa)
	{
		pfree(d0);
		pfree(eq_prev);
	}
	return score;
}

#endif							/* CDP_MATCH_MYERS_H */
