/*
 * cdp--0.1.0--0.2.0.sql
 *	  Upgrade from 0.1.0 to 0.2.0: fuzzy matching, part 1: normalisers for names, kana, romaji, e-mail, phone and address, and the cdp.email and cdp.phone types.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.2.0'" to load this file. \quit
