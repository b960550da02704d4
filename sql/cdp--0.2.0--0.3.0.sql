/*
 * cdp--0.2.0--0.3.0.sql
 *	  Upgrade from 0.2.0 to 0.3.0: fuzzy matching, part 2: similarity functions on code points and indexed candidate search.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.3.0'" to load this file. \quit

--
-- Similarity on characters (code points), without a length limit.
--
-- LEAKPROOF where a function cannot raise an error that depends on its
-- arguments and returns nothing but the measure: levenshtein, osa_distance,
-- jaro and token_set_similarity.  They can still fail for want of memory or
-- on a query cancel, as the built-in leakproof text equality can.  The
-- functions with a checked parameter (levenshtein_le's max, jaro_winkler's
-- prefix_scale, the n of the n-gram measures) raise 22023 on a bad value,
-- which would reveal it, so they are not leakproof.
--

CREATE FUNCTION cdp.levenshtein(a pg_catalog.text, b pg_catalog.text)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'cdp_levenshtein_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION cdp.levenshtein(pg_catalog.text, pg_catalog.text) IS
'Levenshtein distance on characters (bit-parallel, no length limit)';

CREATE FUNCTION cdp.levenshtein_le(a pg_catalog.text, b pg_catalog.text, max pg_catalog.int4)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'cdp_levenshtein_le_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cdp.levenshtein_le(pg_catalog.text, pg_catalog.text, pg_catalog.int4) IS
'Levenshtein distance if it is at most max, otherwise max + 1 (stops early)';

CREATE FUNCTION cdp.osa_distance(a pg_catalog.text, b pg_catalog.text)
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'cdp_osa_distance_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION cdp.osa_distance(pg_catalog.text, pg_catalog.text) IS
'optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions, each substring edited once)';

CREATE FUNCTION cdp.jaro(a pg_catalog.text, b pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_jaro_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION cdp.jaro(pg_catalog.text, pg_catalog.text) IS
'Jaro similarity on characters, in [0, 1]';

CREATE FUNCTION cdp.jaro_winkler(a pg_catalog.text, b pg_catalog.text,
                                 prefix_scale pg_catalog.float8 DEFAULT 0.1,
                                 threshold pg_catalog.float8 DEFAULT 0.7)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_jaro_winkler_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cdp.jaro_winkler(pg_catalog.text, pg_catalog.text, pg_catalog.float8, pg_catalog.float8) IS
'Jaro-Winkler similarity: the common prefix (up to 4 characters) boosts a Jaro similarity above threshold';

CREATE FUNCTION cdp.ngram_dice(a pg_catalog.text, b pg_catalog.text, n pg_catalog.int4 DEFAULT 2)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_ngram_dice_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cdp.ngram_dice(pg_catalog.text, pg_catalog.text, pg_catalog.int4) IS
'Dice coefficient of the sets of character n-grams (bigrams by default)';

CREATE FUNCTION cdp.ngram_jaccard(a pg_catalog.text, b pg_catalog.text, n pg_catalog.int4 DEFAULT 2)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_ngram_jaccard_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cdp.ngram_jaccard(pg_catalog.text, pg_catalog.text, pg_catalog.int4) IS
'Jaccard index of the sets of character n-grams (bigrams by default)';

CREATE FUNCTION cdp.token_set_similarity(a pg_catalog.text, b pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_token_set_similarity_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION cdp.token_set_similarity(pg_catalog.text, pg_catalog.text) IS
'similarity of word sets in any order: each case-folded word scored against its best counterpart (1 - levenshtein / length), averaged';
