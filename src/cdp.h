/*-------------------------------------------------------------------------
 *
 * cdp.h
 *	  Declarations shared by every part of the cdp extension: the module's
 *	  version and the initialisation hooks that _PG_init calls.
 *
 * src/cdp.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_H
#define CDP_H

#define CDP_LIBRARY_VERSION "0.6.0"

/* initialisation hooks of the capabilities, called from _PG_init */
extern void cdp_match_similarity_init(void);

#endif							/* CDP_H */
