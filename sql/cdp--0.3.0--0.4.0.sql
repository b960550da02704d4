/*
 * cdp--0.3.0--0.4.0.sql
 *	  Upgrade from 0.3.0 to 0.4.0: RFM scoring, segments and customer lifetime value.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.4.0'" to load this file. \quit
