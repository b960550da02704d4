/*-------------------------------------------------------------------------
 *
 * charmask.h
 *	  Bit masks of the positions of each character in a pattern, the input
 *	  of the bit-parallel similarity kernels (Levenshtein, OSA, Jaro).
 *
 * A CdpCharMask covers 64 characters of a pattern: for a character c,
 * cdp_charmask_get() returns the word whose bit i is set when the
 * pattern's i-th character is c.  ASCII characters index a table; others go
 * through an open-addressing hash table of 256 slots for at most 64 keys,
 * so that a lookup nearly always ends at its first slot, with the slot's
 * key equal to c or empty (an empty slot's bits are 0): one predictable
 * branch.
 *
 * Short patterns use one per-backend mask, cdp_charmask_single(): filling it
 * costs only the pattern's own characters because cdp_charmask_release()
 * clears exactly what was set, so no call pays for zeroing the table.  If a
 * call is interrupted by an error in between, the mask is marked dirty and
 * the next user zeroes it completely.  Long patterns use an array of masks,
 * one per 64 characters, from cdp_charmask_blocks().
 *
 * src/match/charmask.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_MATCH_CHARMASK_H
#define CDP_MATCH_CHARMASK_H

#include "postgres.h"

#include "mb/pg_wchar.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CDP_CHARMASK_SLOTS 256

typedef struct CdpCharMask
{
	uint64		ascii[128];
	pg_wchar	keys[CDP_CHARMASK_SLOTS];	/* 0 = empty slot */
	uint64		bits[CDP_CHARMASK_SLOTS];
} CdpCharMask;

static inline int
cdp_charmask_slot(pg_wchar c)
{
	return (int) ((c * UINT64CONST(0x9E3779B97F4A7C15)) >> 56);
}

static inline uint64
cdp_charmask_get(const CdpCharMask *m, pg_wchar c)
{
	int			slot;

	if (c < 128)
		return m->ascii[c];
	slot = cdp_charmask_slot(c);
	for (;;)
	{
		pg_wchar	key = m->keys[slot];

		if (likely(key == c || key == 0))
			return m->bits[slot];
		slot = (slot + 1) & (CDP_CHARMASK_SLOTS - 1);
	}
}

/* add bit "bit" for character c (c != 0); returns the slot used, or -1 */
static inline int
cdp_charmask_add(CdpCharMask *m, pg_wchar c, uint64 bit)
{
	int			slot;

	if (c < 128)
	{
		m->ascii[c] |= bit;
		return -1;
	}
	slot = cdp_charmask_slot(c);
	while (m->keys[slot] != 0 && m->keys[slot] != c)
		slot = (slot + 1) & (CDP_CHARMASK_SLOTS - 1);
	m->keys[slot] = c;
	m->bits[slot] |= bit;
	return slot;
}

/* the per-backend mask of short patterns and what to clear after use */
typedef struct CdpCharMaskSingle
{
	CdpCharMask mask;
	bool		dirty;			/* in use, or left set by an error */
	int			nslots;
	uint8		slots[64];		/* hash slots filled */
} CdpCharMaskSingle;

extern CdpCharMaskSingle cdp_charmask_single_state;

/* the per-backend mask filled with p[0..len-1], len <= 64 */
static inline CdpCharMask *
cdp_charmask_single(const pg_wchar *p, int len)
{
	CdpCharMaskSingle *st = &cdp_charmask_single_state;
	int			i;

	Assert(len <= 64);
	if (unlikely(st->dirty))
		memset(&st->mask, 0, sizeof(st->mask));
	st->dirty = true;
	st->nslots = 0;
	for (i = 0; i < len; i++)
	{
		int			slot = cdp_charmask_add(&st->mask, p[i], UINT64CONST(1) << i);

		if (slot >= 0)
			st->slots[st->nslots++] = (uint8) slot;
	}
	return &st->mask;
}

/* clear what cdp_charmask_single() set, for the same p and len */
static inline void
cdp_charmask_release(const pg_wchar *p, int len)
{
	CdpCharMaskSingle *st = &cdp_charmask_single_state;
	int			i;

	for (i = 0; i < len; i++)
	{
		if (p[i] < 128)
			st->mask.ascii[p[i]] = 0;
	}
	for (i = 0; i < st->nslots; i++)
	{
		st->mask.keys[st->slots[i]] = 0;
		st->mask.bits[st->slots[i]] = 0;
	}
	st->dirty = false;
}

/*
 * Patterns of at most CDP_SMALL_PATTERN characters (most names) skip the
 * table: the caller copies the pattern into pad[CDP_SMALL_PATTERN], padded
 * with 0 (which text never holds), and the mask of a character comes from
 * comparing it with all of pad at once (SSE2 on x86-64, a loop elsewhere).
 */
#define CDP_SMALL_PATTERN 16

static inline uint64
cdp_charmask_small_eq(const pg_wchar *pad, pg_wchar c)
{
#ifdef __SSE2__
	__m128i		cv = _mm_set1_epi32((int) c);
	int			m0 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *) pad), cv)));
	int			m1 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *) (pad + 4)), cv)));
	int			m2 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *) (pad + 8)), cv)));
	int			m3 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *) (pad + 12)), cv)));

	return (uint64) (m0 | (m1 << 4) | (m2 << 8) | (m3 << 12));
#else
	uint64		eq = 0;
	int			i;

	for (i = 0; i < CDP_SMALL_PATTERN; i++)
		eq |= (uint64) (pad[i] == c) << i;
	return eq;
#endif
}

/* palloc'd masks for ceil(len / 64) blocks of p */
extern CdpCharMask *cdp_charmask_blocks(const pg_wchar *p, int len);

#endif							/* CDP_MATCH_CHARMASK_H */
