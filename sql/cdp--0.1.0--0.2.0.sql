/*
 * cdp--0.1.0--0.2.0.sql
 *	  Upgrade from 0.1.0 to 0.2.0: fuzzy matching, part 1: normalisers for names, kana, romaji, e-mail, phone and address, and the cdp.email and cdp.phone types.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.2.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Names and readings
 *
 * All IMMUTABLE: their rules are compiled into the library (the kanji
 * variant table included) and ICU's NFKC data is stable for assigned
 * characters.  An expression index over them needs a REINDEX after an
 * upgrade that changes the rules (the README says which releases do).
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.normalize_name(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_normalize_name_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_name(text) IS
	'name for matching: NFKC, case and accent folding, hiragana to katakana, old/variant kanji to the common form, separators folded';

CREATE FUNCTION cdp.kanji_variant_table(OUT variant text, OUT standard text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'cdp_kanji_variant_table'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 200;
COMMENT ON FUNCTION cdp.kanji_variant_table() IS
	'the old/variant kanji that cdp.normalize_name folds, with their common form (compiled into the library)';

CREATE VIEW cdp.kanji_variants AS
	SELECT t.variant, t.standard FROM cdp.kanji_variant_table() AS t;
COMMENT ON VIEW cdp.kanji_variants IS
	'read-only: the old/variant kanji that cdp.normalize_name folds to their common form';
GRANT SELECT ON cdp.kanji_variants TO PUBLIC;

CREATE FUNCTION cdp.kana_key(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_kana_key_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.kana_key(text) IS
	'phonetic key of a kana reading: small kana, long vowels, ヴ/ブ, ヂ/ジ, ヅ/ズ, ヲ/オ folded, separators removed';

CREATE FUNCTION cdp.to_romaji(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_to_romaji_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.to_romaji(text) IS
	'kana to Hepburn romaji (lower-case ASCII; long vowels spelled as written)';

CREATE FUNCTION cdp.romaji_key(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_romaji_key_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.romaji_key(text) IS
	'key of a kana or romaji name: Hepburn spellings, long vowels (ou/oo/oh/uu/ei ...) folded, no separators';

CREATE FUNCTION cdp.double_metaphone(text) RETURNS text[]
	AS 'MODULE_PATHNAME', 'cdp_double_metaphone_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.double_metaphone(text) IS
	'Double Metaphone codes of a Western name: {primary, alternate}, at most 4 characters each';
