/*
 * cdp--0.5.0--0.6.0.sql
 *	  Upgrade from 0.5.0 to 0.6.0: identity resolution.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.6.0'" to load this file. \quit
