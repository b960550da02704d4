/*
 * cdp--0.5.0--0.6.0.sql
 *	  Upgrade from 0.5.0 to 0.6.0: identity resolution.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.6.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Probabilistic (Fellegi-Sunter) links that clustering consumes: the pairs
 * of records whose match weight passes an enabled probabilistic rule's
 * threshold.  record_ids restricts the result to pairs that involve one of
 * those records (incremental resolution); NULL means all records.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._probabilistic_edges(record_ids pg_catalog.int8[],
										 OUT record_a pg_catalog.int8, OUT record_b pg_catalog.int8,
										 OUT rule_id pg_catalog.int4, OUT match_weight pg_catalog.float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'cdp_probabilistic_edges'
	LANGUAGE C STABLE
	SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION cdp._probabilistic_edges(pg_catalog.int8[]) FROM PUBLIC;

/* ------------------------------------------------------------------------
 * Probabilistic linking: the model, its training and explanations
 * (src/identity/fs_*.c; the README's "Probabilistic linking" documents the
 * definition format)
 * ---------------------------------------------------------------------- */

-- a probabilistic rule by name (NULL: the first enabled one by priority)
CREATE FUNCTION cdp._fs_rule(rule_name pg_catalog.text)
	RETURNS cdp.match_rules
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found_rule	cdp.match_rules;
BEGIN
	IF rule_name IS NULL THEN
		SELECT * INTO found_rule FROM cdp.match_rules m
		 WHERE m.rule_type = 'probabilistic' AND m.enabled
		 ORDER BY m.priority, m.rule_id LIMIT 1;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'there is no enabled probabilistic rule'
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Insert one into cdp.match_rules, e.g. with cdp.default_probabilistic_rule() as its definition.';
		END IF;
		RETURN found_rule;
	END IF;
	SELECT * INTO found_rule FROM cdp.match_rules m WHERE m.rule_name = _fs_rule.rule_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'probabilistic rule "%" does not exist', rule_name
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF found_rule.rule_type <> 'probabilistic' THEN
		RAISE EXCEPTION 'rule "%" is a % rule, not a probabilistic one', rule_name, found_rule.rule_type
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN found_rule;
END
$$;

CREATE FUNCTION cdp._fs_train(rule_name pg_catalog.text, definition pg_catalog.jsonb,
							  sample_size pg_catalog.int4, seed pg_catalog.int8,
							  max_iterations pg_catalog.int4)
	RETURNS pg_catalog.jsonb
	AS 'MODULE_PATHNAME', 'cdp_fs_train'
	LANGUAGE C VOLATILE STRICT;

-- arguments: rule name, definition, threshold, record_a, record_b
CREATE FUNCTION cdp._fs_explain(pg_catalog.text, pg_catalog.jsonb, pg_catalog.float8,
								pg_catalog.int8, pg_catalog.int8,
								OUT comparison pg_catalog.text, OUT level pg_catalog.int4,
								OUT level_name pg_catalog.text,
								OUT value_a pg_catalog.text, OUT value_b pg_catalog.text,
								OUT m pg_catalog.float8, OUT u pg_catalog.float8,
								OUT weight pg_catalog.float8, OUT total_weight pg_catalog.float8,
								OUT threshold pg_catalog.float8, OUT passes pg_catalog.bool,
								OUT blocked_by pg_catalog.text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'cdp_fs_explain'
	LANGUAGE C STABLE;

/*
 * Estimate m and u of every level (u from sample_size random pairs drawn
 * with seed, m by EM on the blocked pairs), the prior and, where asked, the
 * frequencies of common values, and store them in the rule's definition.
 */
CREATE FUNCTION cdp.train_probabilistic_rule(rule_name pg_catalog.text,
											 sample_size pg_catalog.int4 DEFAULT 100000,
											 seed pg_catalog.int8 DEFAULT 42,
											 max_iterations pg_catalog.int4 DEFAULT 100)
	RETURNS pg_catalog.jsonb
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rule		cdp.match_rules;
	estimates	jsonb;
	comparison	jsonb;
	levels		jsonb;
	comparisons jsonb := '[]';
	trained		jsonb;
BEGIN
	rule := cdp._fs_rule(rule_name);
	PERFORM FROM cdp.match_rules m WHERE m.rule_id = rule.rule_id FOR UPDATE;
	estimates := cdp._fs_train(rule.rule_name, rule.definition, sample_size, seed, max_iterations);
	FOR i IN 0 .. jsonb_array_length(rule.definition -> 'comparisons') - 1 LOOP
		comparison := rule.definition -> 'comparisons' -> i;
		levels := '[]';
		FOR j IN 0 .. jsonb_array_length(estimates -> 'levels' -> i) - 1 LOOP
			levels := levels || jsonb_build_array(coalesce(comparison -> 'levels' -> j, '{"type": "else"}')
												  || (estimates -> 'levels' -> i -> j));
		END LOOP;
		comparison := jsonb_set(comparison, '{levels}', levels) - 'tf';
		IF jsonb_typeof(estimates -> 'tf' -> i) = 'object' THEN
			comparison := comparison || jsonb_build_object('tf', estimates -> 'tf' -> i);
		END IF;
		comparisons := comparisons || jsonb_build_array(comparison);
	END LOOP;
	trained := rule.definition || jsonb_build_object('comparisons', comparisons,
														'prior', estimates -> 'prior',
														'training', estimates -> 'training');
	UPDATE cdp.match_rules m SET definition = trained WHERE m.rule_id = rule.rule_id;
	RETURN trained;
END
$$;
COMMENT ON FUNCTION cdp.train_probabilistic_rule(pg_catalog.text, pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)
	IS 'estimate a probabilistic rule''s m and u probabilities, prior and term frequencies from the records (unsupervised) and store them in its definition';

CREATE FUNCTION cdp.explain_link(record_a pg_catalog.int8, record_b pg_catalog.int8,
								 rule_name pg_catalog.text,
								 OUT comparison pg_catalog.text, OUT level pg_catalog.int4,
								 OUT level_name pg_catalog.text,
								 OUT value_a pg_catalog.text, OUT value_b pg_catalog.text,
								 OUT m pg_catalog.float8, OUT u pg_catalog.float8,
								 OUT weight pg_catalog.float8, OUT total_weight pg_catalog.float8,
								 OUT threshold pg_catalog.float8, OUT passes pg_catalog.bool,
								 OUT blocked_by pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.*
	  FROM cdp._fs_rule(rule_name) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
$$;
COMMENT ON FUNCTION cdp.explain_link(pg_catalog.int8, pg_catalog.int8, pg_catalog.text)
	IS 'why a probabilistic rule links two source records or not: each comparison''s level, m, u and weight, the total and the threshold';

CREATE FUNCTION cdp.explain_link(record_a pg_catalog.int8, record_b pg_catalog.int8,
								 OUT comparison pg_catalog.text, OUT level pg_catalog.int4,
								 OUT level_name pg_catalog.text,
								 OUT value_a pg_catalog.text, OUT value_b pg_catalog.text,
								 OUT m pg_catalog.float8, OUT u pg_catalog.float8,
								 OUT weight pg_catalog.float8, OUT total_weight pg_catalog.float8,
								 OUT threshold pg_catalog.float8, OUT passes pg_catalog.bool,
								 OUT blocked_by pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.*
	  FROM cdp._fs_rule(NULL) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
$$;
COMMENT ON FUNCTION cdp.explain_link(pg_catalog.int8, pg_catalog.int8)
	IS 'explain_link under the first enabled probabilistic rule';

CREATE FUNCTION cdp.match_weight(record_a pg_catalog.int8, record_b pg_catalog.int8,
								 rule_name pg_catalog.text)
	RETURNS pg_catalog.float8
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.total_weight
	  FROM cdp._fs_rule(rule_name) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
	 LIMIT 1
$$;
COMMENT ON FUNCTION cdp.match_weight(pg_catalog.int8, pg_catalog.int8, pg_catalog.text)
	IS 'match weight (log2 odds that they are one person) of two source records under a probabilistic rule';

CREATE FUNCTION cdp.match_weight(record_a pg_catalog.int8, record_b pg_catalog.int8)
	RETURNS pg_catalog.float8
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.total_weight
	  FROM cdp._fs_rule(NULL) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
	 LIMIT 1
$$;
COMMENT ON FUNCTION cdp.match_weight(pg_catalog.int8, pg_catalog.int8)
	IS 'match_weight under the first enabled probabilistic rule';

/*
 * A starting model for Japanese and Latin customer records.  Names compare
 * as written (kanji variants, width and case folded), by kana reading and,
 * for records that have neither, by romaji in any word order; contact
 * details form one comparison whose first agreeing level counts (e-mail,
 * phone, address, postal code), so that a household sharing a phone and an
 * address does not add that evidence up several times.  Untrained: insert
 * it as a rule's definition, then run cdp.train_probabilistic_rule.
 */
CREATE FUNCTION cdp.default_probabilistic_rule()
	RETURNS pg_catalog.jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT '{
  "comparisons": [
    {"name": "family_name", "field": "family_name", "tf_adjust": true,
     "levels": [{"type": "normalized"},
                {"type": "kana_key", "field": "family_name_kana"},
                {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8, "field": "family_name_kana"},
                {"type": "else"}]},
    {"name": "given_name", "field": "given_name", "tf_adjust": true,
     "levels": [{"type": "normalized"},
                {"type": "kana_key", "field": "given_name_kana"},
                {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8, "field": "given_name_kana"},
                {"type": "else"}]},
    {"name": "name_romaji", "unless": ["family_name", "given_name"],
     "field": {"coalesce": ["name_romaji", ["family_name_kana", "given_name_kana"]]},
     "normalizer": "romaji",
     "levels": [{"type": "normalized"},
                {"type": "else"}]},
    {"name": "birth_date", "field": "birth_date",
     "levels": [{"type": "exact"},
                {"type": "date_near"},
                {"type": "else"}]},
    {"name": "contact",
     "levels": [{"type": "normalized", "field": "email", "normalizer": "name"},
                {"type": "normalized", "field": "phone", "normalizer": "phone"},
                {"type": "normalized", "field": ["region", "locality", "address_line1", "address_line2"],
                 "normalizer": "address"},
                {"type": "normalized", "field": "postal_code", "normalizer": "digits"},
                {"type": "else"}]}
  ],
  "blocking": [["birth_date"],
               ["normalize_phone(phone)"],
               ["normalize_name(email)"],
               ["normalize_name(family_name)", "normalize_name(given_name)"],
               ["kana_key(family_name_kana)", "kana_key(given_name_kana)"],
               ["digits(postal_code)", "normalize_name(family_name)"]],
  "training_blocking": [["birth_date"],
                        ["normalize_name(family_name)", "normalize_name(given_name)"],
                        ["kana_key(family_name_kana)", "kana_key(given_name_kana)"]],
  "max_block_size": 2000
}'::pg_catalog.jsonb
$$;
COMMENT ON FUNCTION cdp.default_probabilistic_rule()
	IS 'an untrained probabilistic model for Japanese and Latin records, to insert as a rule''s definition and train';
