/*-------------------------------------------------------------------------
 *
 * dsr.h
 *	  Data-subject requests: the tombstone key and hash shared by the SQL
 *	  functions (dsr_tombstone.c) and the re-ingestion trigger
 *	  (dsr_reingest.c).
 *
 * src/consent/dsr.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_CONSENT_DSR_H
#define CDP_CONSENT_DSR_H

#include "postgres.h"

#include "common/sha2.h"

/* the length of a tombstone hash (HMAC-SHA256) */
#define CDP_TOMBSTONE_HASH_LEN PG_SHA256_DIGEST_LENGTH

/*
 * The form of an identifier of this kind that a tombstone hashes, palloc'd
 * and NUL-terminated, or NULL for a blank value.  Never raises for a bad
 * value.
 */
extern char *cdp_tombstone_key(const char *kind, int kind_len, const char *value, int value_len,
							   int *key_len);

/* HMAC-SHA256(secret, kind || '\0' || key) as a palloc'd bytea */
extern bytea *cdp_tombstone_hmac(const char *secret, int secret_len,
								 const char *kind, int kind_len, const char *key, int key_len);

#endif							/* CDP_CONSENT_DSR_H */
