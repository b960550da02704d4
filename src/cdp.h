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

/* load-time set-up of each capability, called from _PG_init */
extern void cdp_default_region_init(void);	/* match/default_region.c */
extern void cdp_match_similarity_init(void);	/* match/name_ngrams.c */
extern void cdp_purpose_init(void);	/* consent/purpose_guc.c */
extern void cdp_consent_cache_init(void);	/* consent/consent_cache.c */
extern void cdp_explain_counts_init(void);	/* consent/explain_counts.c */

#endif							/* CDP_H */
