/*
 * cdp--0.1.0--0.2.0.sql
 *	  Upgrade from 0.1.0 to 0.2.0: fuzzy matching.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.2.0'" to load this file. \quit
