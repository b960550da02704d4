/*
 * cdp--0.4.0--0.5.0.sql
 *	  Upgrade from 0.4.0 to 0.5.0: consent-aware row access, data-subject requests and the audit trail.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.5.0'" to load this file. \quit
