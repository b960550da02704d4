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

CREATE VIEW cdp.kanji_variants WITH (security_invoker = true) AS
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

/* ------------------------------------------------------------------------
 * E-mail addresses and phone numbers
 *
 * Phone numbers without '+' follow the setting cdp.default_region (default
 * JP), so what reads it is STABLE: cdp.normalize_phone and
 * cdp.normalize_postal_code when their region is NULL (they are not STRICT
 * because a NULL region means the setting), and the input of cdp.phone.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.normalize_email(text, provider_rules boolean DEFAULT true) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_normalize_email_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_email(text, boolean) IS
	'canonical e-mail address: trimmed, NFKC, lower case, IDN domain in ASCII; with provider_rules Gmail dots and +tags removed';

CREATE FUNCTION cdp.normalize_phone(text, region text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_normalize_phone_sql'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_phone(text, text) IS
	'phone number in E.164 (+819012345678); region NULL means the setting cdp.default_region';

/* ------------------------------------------------------------------------
 * Addresses
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.normalize_address(text) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_normalize_address_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_address(text) IS
	'address for matching: Japanese block numbers as 1-2-3, kanji numerals as digits, ヶ/が and の/ノ folded, Western street words abbreviated';

CREATE FUNCTION cdp.normalize_postal_code(text, region text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_normalize_postal_code_sql'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_postal_code(text, text) IS
	'postal code as the region writes it (JP 100-0001); region NULL means the setting cdp.default_region';

/*
 * cdp.email: an e-mail address in canonical form.
 *
 * The comparison operators of cdp.email and cdp.phone are created in
 * pg_catalog (their functions and operator classes live in cdp): an
 * operator is found through search_path, which seldom names cdp, and
 * pg_catalog is always searched first, so "email = email" works in every
 * session and nobody can plant a look-alike operator in front of ours.
 */

CREATE TYPE cdp.email;

CREATE FUNCTION cdp.email_in(cstring) RETURNS cdp.email
	AS 'MODULE_PATHNAME', 'cdp_email_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.email_out(cdp.email) RETURNS cstring
	AS 'MODULE_PATHNAME', 'cdp_email_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.email_recv(internal) RETURNS cdp.email
	AS 'MODULE_PATHNAME', 'cdp_email_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.email_send(cdp.email) RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_email_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE cdp.email (
	INPUT = cdp.email_in,
	OUTPUT = cdp.email_out,
	RECEIVE = cdp.email_recv,
	SEND = cdp.email_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE cdp.email IS
	'e-mail address, validated and kept in canonical form (trimmed, NFKC, lower case, IDN domain in ASCII)';

CREATE FUNCTION cdp.email_eq(cdp.email, cdp.email) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_email_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_ne(cdp.email, cdp.email) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_email_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_lt(cdp.email, cdp.email) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_email_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_le(cdp.email, cdp.email) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_email_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_gt(cdp.email, cdp.email) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_email_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_ge(cdp.email, cdp.email) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_email_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_cmp(cdp.email, cdp.email) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_email_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_hash(cdp.email) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_email_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.email_hash_extended(cdp.email, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'cdp_email_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR pg_catalog.= (
	LEFTARG = cdp.email, RIGHTARG = cdp.email, FUNCTION = cdp.email_eq,
	COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR pg_catalog.<> (
	LEFTARG = cdp.email, RIGHTARG = cdp.email, FUNCTION = cdp.email_ne,
	COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
	RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR pg_catalog.< (
	LEFTARG = cdp.email, RIGHTARG = cdp.email, FUNCTION = cdp.email_lt,
	COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
	RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
CREATE OPERATOR pg_catalog.<= (
	LEFTARG = cdp.email, RIGHTARG = cdp.email, FUNCTION = cdp.email_le,
	COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
	RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
CREATE OPERATOR pg_catalog.> (
	LEFTARG = cdp.email, RIGHTARG = cdp.email, FUNCTION = cdp.email_gt,
	COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
	RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
CREATE OPERATOR pg_catalog.>= (
	LEFTARG = cdp.email, RIGHTARG = cdp.email, FUNCTION = cdp.email_ge,
	COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
	RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR CLASS cdp.email_ops DEFAULT FOR TYPE cdp.email USING btree AS
	OPERATOR 1 pg_catalog.<,
	OPERATOR 2 pg_catalog.<=,
	OPERATOR 3 pg_catalog.=,
	OPERATOR 4 pg_catalog.>=,
	OPERATOR 5 pg_catalog.>,
	FUNCTION 1 cdp.email_cmp(cdp.email, cdp.email);
CREATE OPERATOR CLASS cdp.email_ops DEFAULT FOR TYPE cdp.email USING hash AS
	OPERATOR 1 pg_catalog.=,
	FUNCTION 1 cdp.email_hash(cdp.email),
	FUNCTION 2 cdp.email_hash_extended(cdp.email, bigint);

-- text to cdp.email validates and normalises (22P02 on a bad address)
CREATE CAST (text AS cdp.email) WITH INOUT AS ASSIGNMENT;
CREATE CAST (cdp.email AS text) WITH INOUT AS ASSIGNMENT;

/* cdp.phone: a phone number in E.164, 8 bytes */

CREATE TYPE cdp.phone;

CREATE FUNCTION cdp.phone_in(cstring) RETURNS cdp.phone
	AS 'MODULE_PATHNAME', 'cdp_phone_in'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.phone_out(cdp.phone) RETURNS cstring
	AS 'MODULE_PATHNAME', 'cdp_phone_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.phone_recv(internal) RETURNS cdp.phone
	AS 'MODULE_PATHNAME', 'cdp_phone_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.phone_send(cdp.phone) RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_phone_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE cdp.phone (
	INPUT = cdp.phone_in,
	OUTPUT = cdp.phone_out,
	RECEIVE = cdp.phone_recv,
	SEND = cdp.phone_send,
	LIKE = pg_catalog.int8
);
COMMENT ON TYPE cdp.phone IS
	'phone number in E.164 (+819012345678); input without + follows cdp.default_region';

CREATE FUNCTION cdp.phone_eq(cdp.phone, cdp.phone) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_phone_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_ne(cdp.phone, cdp.phone) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_phone_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_lt(cdp.phone, cdp.phone) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_phone_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_le(cdp.phone, cdp.phone) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_phone_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_gt(cdp.phone, cdp.phone) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_phone_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_ge(cdp.phone, cdp.phone) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_phone_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_cmp(cdp.phone, cdp.phone) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_phone_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_hash(cdp.phone) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_phone_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.phone_hash_extended(cdp.phone, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'cdp_phone_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR pg_catalog.= (
	LEFTARG = cdp.phone, RIGHTARG = cdp.phone, FUNCTION = cdp.phone_eq,
	COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR pg_catalog.<> (
	LEFTARG = cdp.phone, RIGHTARG = cdp.phone, FUNCTION = cdp.phone_ne,
	COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
	RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR pg_catalog.< (
	LEFTARG = cdp.phone, RIGHTARG = cdp.phone, FUNCTION = cdp.phone_lt,
	COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
	RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
CREATE OPERATOR pg_catalog.<= (
	LEFTARG = cdp.phone, RIGHTARG = cdp.phone, FUNCTION = cdp.phone_le,
	COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
	RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
CREATE OPERATOR pg_catalog.> (
	LEFTARG = cdp.phone, RIGHTARG = cdp.phone, FUNCTION = cdp.phone_gt,
	COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
	RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
CREATE OPERATOR pg_catalog.>= (
	LEFTARG = cdp.phone, RIGHTARG = cdp.phone, FUNCTION = cdp.phone_ge,
	COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
	RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR CLASS cdp.phone_ops DEFAULT FOR TYPE cdp.phone USING btree AS
	OPERATOR 1 pg_catalog.<,
	OPERATOR 2 pg_catalog.<=,
	OPERATOR 3 pg_catalog.=,
	OPERATOR 4 pg_catalog.>=,
	OPERATOR 5 pg_catalog.>,
	FUNCTION 1 cdp.phone_cmp(cdp.phone, cdp.phone);
CREATE OPERATOR CLASS cdp.phone_ops DEFAULT FOR TYPE cdp.phone USING hash AS
	OPERATOR 1 pg_catalog.=,
	FUNCTION 1 cdp.phone_hash(cdp.phone),
	FUNCTION 2 cdp.phone_hash_extended(cdp.phone, bigint);

-- text to cdp.phone reads cdp.default_region for numbers without '+'
CREATE CAST (text AS cdp.phone) WITH INOUT AS ASSIGNMENT;
CREATE CAST (cdp.phone AS text) WITH INOUT AS ASSIGNMENT;
