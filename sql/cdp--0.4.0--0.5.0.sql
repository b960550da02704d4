/*
 * cdp--0.4.0--0.5.0.sql
 *	  Upgrade from 0.4.0 to 0.5.0: consent-aware row access, data-subject requests and the audit trail.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.5.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Hook for identity resolution: called after record-to-profile membership
 * changed (merge, unmerge, split, erase) with the profiles whose member
 * records changed, so that derived per-profile state (consent) follows.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._profiles_changed(profile_ids pg_catalog.int8[]) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT NULL::void
$$;
REVOKE EXECUTE ON FUNCTION cdp._profiles_changed(pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._profiles_changed(pg_catalog.int8[]) IS
	'internal: refresh derived per-profile state after membership changes';
