/*-------------------------------------------------------------------------
 *
 * charmask.c
 *	  Character position masks for the bit-parallel similarity kernels:
 *	  the per-backend mask of short patterns and the block masks of long
 *	  ones (see charmask.h).
 *
 * src/match/charmask.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "match/charmask.h"

/* zero between uses; "dirty" when a use did not end with a release */
static CdpCharMask single_mask;
static bool single_dirty = false;

CdpCharMask *
cdp_charmask_single(const pg_wchar *p, int len)
{
	int			i;

	Assert(len <= 64);
	if (single_dirty)
		memset(&single_mask, 0, sizeof(single_mask));
	single_dirty = true;
	for (i = 0; i < len; i++)
		cdp_charmask_add(&single_mask, p[i], UINT64CONST(1) << i);
	return &single_mask;
}

void
cdp_charmask_release(const pg_wchar *p, int len)
{
	int			slots[64];
	int			nslots = 0;
	int			i;

	/* find every slot first: emptying one could cut another's probe chain */
	for (i = 0; i < len; i++)
	{
		pg_wchar	c = p[i];

		if (c < 128)
			single_mask.ascii[c] = 0;
		else
		{
			int			slot = cdp_charmask_slot(c);

			while (single_mask.keys[slot] != c)
				slot = (slot + 1) & (CDP_CHARMASK_SLOTS - 1);
			slots[nslots++] = slot;
		}
	}
	for (i = 0; i < nslots; i++)
	{
		single_mask.keys[slots[i]] = 0;
		single_mask.bits[slots[i]] = 0;
	}
	single_dirty = false;
}

CdpCharMask *
cdp_charmask_blocks(const pg_wchar *p, int len)
{
	int			nblocks = (len + 63) / 64;
	CdpCharMask *m = palloc0(sizeof(CdpCharMask) * nblocks);
	int			i;

	for (i = 0; i < len; i++)
		cdp_charmask_add(&m[i / 64], p[i], UINT64CONST(1) << (i % 64));
	return m;
}
