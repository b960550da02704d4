/*-------------------------------------------------------------------------
 *
 * consent.h
 *	  Consent-aware row access: the session's purpose (cdp.purpose), the
 *	  check that a role may act for a purpose, and the backend-local cache
 *	  of the profiles whose consent covers the purpose, which the row-level
 *	  security policies consult through cdp._consent_visible(profile_id).
 *
 * src/consent/consent.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_CONSENT_H
#define CDP_CONSENT_H

#include "postgres.h"

/* what cdp knows about a purpose for a role (role_purpose.c) */
typedef enum CdpPurposeStatus
{
	CDP_PURPOSE_NO_EXTENSION,	/* cdp is not installed in this database */
	CDP_PURPOSE_UNKNOWN,		/* not a row of cdp.purposes */
	CDP_PURPOSE_NOT_GRANTED,	/* the role holds no cdp.role_purposes row for it */
	CDP_PURPOSE_GRANTED
} CdpPurposeStatus;

/* purpose_guc.c */
extern const char *cdp_consent_purpose(void);
extern uint64 cdp_consent_purpose_generation(void);
extern bool cdp_purpose_name_valid(const char *purpose);

/* role_purpose.c */
extern CdpPurposeStatus cdp_purpose_status(const char *purpose, Oid roleid);
extern void cdp_push_fresh_snapshot(void);
extern void cdp_switch_to_superuser(Oid *saved_userid, int *saved_sec_context);
extern void cdp_restore_user(Oid saved_userid, int saved_sec_context);

/* consent_cache.c */
extern void cdp_consent_cache_forget_all(void);
extern void cdp_consent_purpose_changed(void);

/* consent_changes.c */
extern bool cdp_consent_changed_in_xact(void);


#endif							/* CDP_CONSENT_H */
