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
-- on a query cancel, as the built-in leakproof text equality can (their
-- buffers are huge allocations, so a long input never meets the 1GB
-- request limit's error instead).  The
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

--
-- Candidate search on names: the name similarity, its operators and a GiST
-- operator class for them.
--
-- The name similarity is the Dice coefficient of the grams of the folded
-- names (see the README).  Folding can fail only if ICU cannot be opened,
-- and the operators read the setting cdp.similarity_threshold, so none of
-- these is leakproof.
--

CREATE FUNCTION cdp.name_similarity(a pg_catalog.text, b pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_name_similarity'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cdp.name_similarity(pg_catalog.text, pg_catalog.text) IS
'Dice coefficient of the grams of two folded names: what the operators %~ and <~> use';

CREATE FUNCTION cdp.name_grams(name pg_catalog.text)
RETURNS pg_catalog.text[]
AS 'MODULE_PATHNAME', 'cdp_name_grams_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cdp.name_grams(pg_catalog.text) IS
'the grams a name is compared and indexed by (^ and $ mark its start and end)';

-- the operators' functions read a setting, so they are STABLE
CREATE FUNCTION cdp.name_similar_op(pg_catalog.text, pg_catalog.text)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'cdp_name_similar_op'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_distance_op(pg_catalog.text, pg_catalog.text)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_name_distance_op'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR cdp.%~ (
	LEFTARG = pg_catalog.text,
	RIGHTARG = pg_catalog.text,
	FUNCTION = cdp.name_similar_op,
	COMMUTATOR = OPERATOR(cdp.%~),
	RESTRICT = pg_catalog.contsel,
	JOIN = pg_catalog.contjoinsel
);

COMMENT ON OPERATOR cdp.%~ (pg_catalog.text, pg_catalog.text) IS
'names are similar: cdp.name_similarity >= cdp.similarity_threshold';

CREATE OPERATOR cdp.<~> (
	LEFTARG = pg_catalog.text,
	RIGHTARG = pg_catalog.text,
	FUNCTION = cdp.name_distance_op,
	COMMUTATOR = OPERATOR(cdp.<~>)
);

COMMENT ON OPERATOR cdp.<~> (pg_catalog.text, pg_catalog.text) IS
'name distance: 1 - cdp.name_similarity';

-- the GiST key: gram hashes of a name, or a signature of the names below
CREATE TYPE cdp.name_gist_key;

CREATE FUNCTION cdp.name_gist_key_in(pg_catalog.cstring)
RETURNS cdp.name_gist_key
AS 'MODULE_PATHNAME', 'cdp_name_gist_key_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_key_out(cdp.name_gist_key)
RETURNS pg_catalog.cstring
AS 'MODULE_PATHNAME', 'cdp_name_gist_key_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE cdp.name_gist_key (
	INTERNALLENGTH = -1,
	INPUT = cdp.name_gist_key_in,
	OUTPUT = cdp.name_gist_key_out,
	ALIGNMENT = double
);

-- consistent reads cdp.similarity_threshold, as the operator %~ does
CREATE FUNCTION cdp.name_gist_consistent(pg_catalog.internal, pg_catalog.text, pg_catalog.int2, pg_catalog.oid, pg_catalog.internal)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'cdp_name_gist_consistent'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_distance(pg_catalog.internal, pg_catalog.text, pg_catalog.int2, pg_catalog.oid, pg_catalog.internal)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'cdp_name_gist_distance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_compress(pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'cdp_name_gist_compress'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_decompress(pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'cdp_name_gist_decompress'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_penalty(pg_catalog.internal, pg_catalog.internal, pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'cdp_name_gist_penalty'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_picksplit(pg_catalog.internal, pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'cdp_name_gist_picksplit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_union(pg_catalog.internal, pg_catalog.internal)
RETURNS cdp.name_gist_key
AS 'MODULE_PATHNAME', 'cdp_name_gist_union'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cdp.name_gist_same(cdp.name_gist_key, cdp.name_gist_key, pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'cdp_name_gist_same'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR CLASS cdp.name_gist_ops
FOR TYPE pg_catalog.text USING gist AS
	OPERATOR 1 cdp.%~ (pg_catalog.text, pg_catalog.text),
	OPERATOR 2 cdp.<~> (pg_catalog.text, pg_catalog.text) FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 cdp.name_gist_consistent(pg_catalog.internal, pg_catalog.text, pg_catalog.int2, pg_catalog.oid, pg_catalog.internal),
	FUNCTION 2 cdp.name_gist_union(pg_catalog.internal, pg_catalog.internal),
	FUNCTION 3 cdp.name_gist_compress(pg_catalog.internal),
	FUNCTION 4 cdp.name_gist_decompress(pg_catalog.internal),
	FUNCTION 5 cdp.name_gist_penalty(pg_catalog.internal, pg_catalog.internal, pg_catalog.internal),
	FUNCTION 6 cdp.name_gist_picksplit(pg_catalog.internal, pg_catalog.internal),
	FUNCTION 7 cdp.name_gist_same(cdp.name_gist_key, cdp.name_gist_key, pg_catalog.internal),
	FUNCTION 8 cdp.name_gist_distance(pg_catalog.internal, pg_catalog.text, pg_catalog.int2, pg_catalog.oid, pg_catalog.internal),
	STORAGE cdp.name_gist_key;

COMMENT ON OPERATOR CLASS cdp.name_gist_ops USING gist IS
'GiST over gram signatures of folded names: name %~ query and ORDER BY name <~> query';
