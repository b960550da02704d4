/*
 * cdp--0.2.0--0.3.0.sql
 *	  Upgrade from 0.2.0 to 0.3.0: fuzzy matching, part 2: similarity functions on code points and indexed candidate search.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.3.0'" to load this file. \quit
