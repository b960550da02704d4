/*-------------------------------------------------------------------------
 *
 * charmask.h
 *	  Bit masks of the positions of each character in a pattern, the input
 *	  of the bit-parallel similarity kernels (Levenshtein, OSA, Jaro).
 *
 * A CdpCharMask covers 64 characters of a pattern: for a character c,
 * cdp_charmask_get() returns the word whose bit i is set when the
 * pattern's i-th character is c.  ASCII characters index a table; others go
 * through a small open-addressing hash table (at most 64 keys in 128 slots,
 * so probes are short).
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

#define CDP_CHARMASK_SLOTS 128

typedef struct CdpCharMask
{
	uint64		ascii[128];
	pg_wchar	keys[CDP_CHARMASK_SLOTS];	/* 0 = empty slot */
	uint64		bits[CDP_CHARMASK_SLOTS];
} CdpCharMask;

static inline int
cdp_charmask_slot(pg_wchar c)
{
	return (int) ((c * UINT64CONST(0x9E3779B97F4A7C15)) >> 57);
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
		if (m->keys[slot] == c)
			return m->bits[slot];
		if (m->keys[slot] == 0)
			return 0;
		slot = (slot + 1) & (CDP_CHARMASK_SLOTS - 1);
	}
}

/* add bit "bit" for character c (c != 0) */
static inline void
cdp_charmask_add(CdpCharMask *m, pg_wchar c, uint64 bit)
{
	int			slot;

	if (c < 128)
	{
		m->ascii[c] |= bit;
		return;
	}
	slot = cdp_charmask_slot(c);
	while (m->keys[slot] != 0 && m->keys[slot] != c)
		slot = (slot + 1) & (CDP_CHARMASK_SLOTS - 1);
	m->keys[slot] = c;
	m->bits[slot] |= bit;
}

/* the per-backend mask filled with p[0..len-1], len <= 64 */
extern CdpCharMask *cdp_charmask_single(const pg_wchar *p, int len);

/* clear what cdp_charmask_single() set, for the same p and len */
extern void cdp_charmask_release(const pg_wchar *p, int len);

/* palloc'd masks for ceil(len / 64) blocks of p */
extern CdpCharMask *cdp_charmask_blocks(const pg_wchar *p, int len);

#endif							/* CDP_MATCH_CHARMASK_H */
