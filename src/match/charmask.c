/*-------------------------------------------------------------------------
 *
 * charmask.c
 *	  Character position masks for the bit-parallel similarity kernels:
 *	  the per-backend mask of short patterns (filled and cleared by the
 *	  inline functions of charmask.h) and the block masks of long ones.
 *
 * src/match/charmask.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "match/charmask.h"

/* zero between uses; "dirty" while in use or when a use was interrupted */
CdpCharMaskSingle cdp_charmask_single_state;

CdpCharMask *
cdp_charmask_blocks(const pg_wchar *p, int len)
{
	int			nblocks = (len + 63) / 64;
	CdpCharMask *m = palloc_extended(sizeof(CdpCharMask) * (Size) nblocks,
									 MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int			i;

	for (i = 0; i < len; i++)
		cdp_charmask_add(&m[i / 64], p[i], UINT64CONST(1) << (i % 64));
	return m;
}
