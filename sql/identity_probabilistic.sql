--
-- identity_probabilistic: Fellegi-Sunter linking (model as rule data,
-- training, scoring, explain) and its errors
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM'), ('web', 'Web');
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name,
	family_name_kana, given_name_kana, name_romaji, phone, birth_date, postal_code,
	region, locality, address_line1)
SELECT s.source_id, k, f, g, fk, gk, r, ph, b::date, pc, reg, loc, a
  FROM (VALUES
	('crm', 'c1', '髙橋', '一郎', 'タカハシ', 'イチロウ', NULL, '090-1234-5678', '1980-04-01', '160-0023', '東京都', '新宿区', '西新宿2丁目8番1号'),
	('web', 'w1', '高橋', '一郎', 'たかはし', 'いちろう', 'Ichiro Takahashi', '+81 90 1234 5678', '1980-04-01', '1600023', '東京都', '新宿区', '西新宿2-8-1'),
	('web', 'w2', NULL, NULL, 'ﾀｶﾊｼ', 'ｲﾁﾛｳ', 'TAKAHASHI Ichirou', '０９０－１２３４－５６７８', '1980-01-04', NULL, NULL, NULL, NULL),
	('crm', 'c2', '高橋', '花子', 'タカハシ', 'ハナコ', NULL, '090-1234-5678', '1983-07-15', '160-0023', '東京都', '新宿区', '西新宿2-8-1'),
	('crm', 'c3', '高橋', '一郎', 'タカハシ', 'イチロウ', NULL, '080-9999-0000', '1951-11-30', '530-0001', '大阪府', '大阪市北区', '梅田1-1-1'),
	('crm', 'c4', 'Smith', 'Anna', NULL, NULL, NULL, '+44 20 7946 0000', '1975-02-03', NULL, NULL, 'London', '1 High Street'),
	('web', 'w4', 'Smyth', 'Anna', NULL, NULL, 'Anna Smyth', '+442079460000', '1975-02-03', NULL, NULL, 'London', '1 High St'),
	('crm', 'c5', '佐藤', '太郎', 'サトウ', 'タロウ', NULL, '03-5555-0001', '1990-12-24', '100-0001', '東京都', '千代田区', '千代田1-1'),
	('web', 'w5', NULL, NULL, NULL, NULL, 'Taro Satoh', '03-5555-0001', '1990-12-24', NULL, NULL, NULL, NULL)
  ) AS v(src, k, f, g, fk, gk, r, ph, b, pc, reg, loc, a)
  JOIN cdp.sources s ON s.source_key = v.src
 ORDER BY v.k;
SELECT record_id, source_record_key FROM cdp.source_records ORDER BY record_id;

-- the shipped model is data: comparisons, levels and blocking rules
SELECT jsonb_typeof(d) AS kind, jsonb_array_length(d -> 'comparisons') AS comparisons,
	   (SELECT string_agg(c ->> 'name', ', ') FROM jsonb_array_elements(d -> 'comparisons') c) AS names,
	   jsonb_array_length(d -> 'blocking') AS blocking_rules, d ? 'prior' AS trained
  FROM cdp.default_probabilistic_rule() d;

-- an untrained rule cannot score
INSERT INTO cdp.match_rules (rule_name, rule_type, threshold, definition)
VALUES ('people', 'probabilistic', 2, cdp.default_probabilistic_rule());
SELECT * FROM cdp.explain_link(1, 2);
\echo :SQLSTATE
SELECT count(*) FROM cdp._probabilistic_edges(NULL);
\echo :SQLSTATE

-- training stores m and u of every level and the prior in the definition
SELECT t ? 'prior' AS has_prior, t -> 'training' ->> 'records' AS records,
	   t -> 'training' ->> 'seed' AS seed,
	   (SELECT bool_and(l ? 'm' AND l ? 'u' AND (l ->> 'm')::float8 > 0 AND (l ->> 'u')::float8 > 0)
		  FROM jsonb_array_elements(t -> 'comparisons') c, jsonb_array_elements(c -> 'levels') l) AS all_levels_estimated
  FROM cdp.train_probabilistic_rule('people', sample_size => 2000, seed => 7) t;
SELECT definition = cdp.train_probabilistic_rule('people', 2000, 7) AS same_seed_same_estimates
  FROM cdp.match_rules WHERE rule_name = 'people';

-- a model with its estimates written by hand: scoring is deterministic
UPDATE cdp.match_rules SET enabled = false WHERE rule_name = 'people';
INSERT INTO cdp.match_rules (rule_name, rule_type, threshold, definition)
VALUES ('hand', 'probabilistic', 5, '{
  "comparisons": [
    {"name": "family", "field": "family_name", "tf_adjust": true,
     "tf": {"高橋": 0.05},
     "levels": [{"type": "normalized", "m": 0.9, "u": 0.01},
                {"type": "kana_key", "field": "family_name_kana", "m": 0.05, "u": 0.01},
                {"type": "jaro_winkler", "min": 0.85, "m": 0.03, "u": 0.01},
                {"type": "else", "m": 0.02, "u": 0.97}]},
    {"name": "given", "field": "given_name",
     "levels": [{"type": "normalized", "m": 0.9, "u": 0.01},
                {"type": "kana_key", "field": "given_name_kana", "m": 0.05, "u": 0.02},
                {"type": "else", "m": 0.05, "u": 0.97}]},
    {"name": "romaji", "unless": ["family", "given"], "normalizer": "romaji",
     "field": {"coalesce": ["name_romaji", ["family_name_kana", "given_name_kana"]]},
     "levels": [{"type": "normalized", "m": 0.9, "u": 0.001},
                {"type": "else", "m": 0.1, "u": 0.999}]},
    {"name": "birth", "field": "birth_date",
     "levels": [{"type": "exact", "m": 0.9, "u": 0.001},
                {"type": "date_near", "m": 0.08, "u": 0.005},
                {"type": "else", "m": 0.02, "u": 0.994}]},
    {"name": "phone", "field": "phone", "normalizer": "phone",
     "levels": [{"type": "normalized", "m": 0.6, "u": 0.0001},
                {"type": "else", "m": 0.4, "u": 0.9999}]}
  ],
  "blocking": [["birth_date"], ["normalize_phone(phone)"]],
  "prior": 0.001
}');
-- kanji variant, hiragana and romaji: one person
SELECT comparison, level, level_name, value_a, value_b, round(weight::numeric, 2) AS weight,
	   round(total_weight::numeric, 2) AS total, passes, blocked_by
  FROM cdp.explain_link(1, 6, 'hand');
-- half-width kana and romaji against kanji: names compare by reading, the
-- birth date has day and month swapped
SELECT comparison, level_name, value_a, value_b, round(weight::numeric, 2) AS weight, passes
  FROM cdp.explain_link(1, 7, 'hand');
-- a household: same phone and family name, another given name and birth date
SELECT comparison, level_name, round(weight::numeric, 2) AS weight, passes
  FROM cdp.explain_link(1, 2, 'hand');
-- a namesake: same name, nothing else in common (not blocked together)
SELECT comparison, level_name, round(weight::numeric, 2) AS weight, passes, blocked_by
  FROM cdp.explain_link(1, 3, 'hand');
-- romaji in either order, long vowel written with h
SELECT comparison, level_name, value_a, value_b, passes FROM cdp.explain_link(5, 9, 'hand');
SELECT round(cdp.match_weight(4, 8, 'hand')::numeric, 2) AS smith_smyth,
	   round(cdp.match_weight(4, 8)::numeric, 2) AS first_enabled_rule,
	   cdp.match_weight(8, 4, 'hand') = cdp.match_weight(4, 8, 'hand') AS symmetric;

-- the links: blocked pairs at or over the threshold, and the same links
-- for one record (incremental resolution) as the batch gives for it
SELECT record_a, record_b, rule_id = (SELECT rule_id FROM cdp.match_rules WHERE rule_name = 'hand') AS hand,
	   round(match_weight::numeric, 2) AS weight
  FROM cdp._probabilistic_edges(NULL) ORDER BY 1, 2;
SELECT record_a, record_b FROM cdp._probabilistic_edges(ARRAY[7]::int8[]) ORDER BY 1, 2;
SELECT (SELECT array_agg(e ORDER BY e) FROM cdp._probabilistic_edges(ARRAY[i]::int8[]) e)
	   IS NOT DISTINCT FROM
	   (SELECT array_agg(e ORDER BY e) FROM cdp._probabilistic_edges(NULL) e
		 WHERE i IN (e.record_a, e.record_b)) AS incremental_equals_batch
  FROM generate_series(1, 9) i;
-- ids that do not exist, NULL and empty arrays
SELECT count(*) FROM cdp._probabilistic_edges(ARRAY[999999, NULL]::int8[]);
SELECT count(*) FROM cdp._probabilistic_edges('{}');

-- blocking keys in SQL, the same as C blocking computes, and the indexes
-- that serve incremental resolution
SELECT cdp.blocking_key('normalize_phone', '０９０－１２３４－５６７８') AS phone,
	   cdp.blocking_key('normalize_phone', 'ext. 12') AS not_a_phone,
	   cdp.blocking_key('romaji_words', 'TAKAHASHI Ichirou') AS romaji,
	   cdp.blocking_key('kana_key', 'ﾀｶﾊｼ') AS kana,
	   cdp.blocking_key('digits', '〒160-0023') AS digits,
	   cdp.blocking_key('normalize_name', ' - ') AS empty_is_null;
SELECT * FROM cdp.blocking_indexes('hand');
SELECT cdp.blocking_key('soundex', 'Smith');
\echo :SQLSTATE
SELECT cdp.blocking_key(NULL, 'x') IS NULL AS null_function, cdp.blocking_key('digits', NULL) IS NULL AS null_value;
CREATE INDEX source_records_birth_idx ON cdp.source_records (birth_date);
CREATE INDEX source_records_phone_key_idx ON cdp.source_records ((cdp.blocking_key('normalize_phone', phone)));
SELECT record_a, record_b FROM cdp._probabilistic_edges(ARRAY[7]::int8[]) ORDER BY 1, 2;
DROP INDEX cdp.source_records_birth_idx, cdp.source_records_phone_key_idx;

-- NULL in, NULL out
SELECT cdp.match_weight(NULL, 1, 'hand') AS null_record, cdp.match_weight(1, 2, NULL) AS null_rule;
SELECT count(*) AS no_rows FROM cdp.explain_link(1, NULL);
SELECT cdp.train_probabilistic_rule(NULL) AS null_rule;

-- bad input: clear errors (22023), nothing changes
SELECT * FROM cdp.explain_link(1, 2, 'nope');
\echo :SQLSTATE
INSERT INTO cdp.match_rules (rule_name, rule_type, definition) VALUES ('by_email', 'deterministic', '{"kind": "email"}');
SELECT cdp.match_weight(1, 2, 'by_email');
\echo :SQLSTATE
SELECT cdp.match_weight(1, 999999, 'hand');
\echo :SQLSTATE
SELECT cdp.train_probabilistic_rule('people', sample_size => 10);
\echo :SQLSTATE
SELECT cdp.train_probabilistic_rule('people', max_iterations => 0);
\echo :SQLSTATE
-- a rule without a threshold explains (passes is NULL) but cannot link
UPDATE cdp.match_rules SET threshold = NULL WHERE rule_name = 'hand';
SELECT round(total_weight::numeric, 2) AS total, threshold, passes FROM cdp.explain_link(1, 2, 'hand') LIMIT 1;
SELECT count(*) FROM cdp._probabilistic_edges(NULL);
\echo :SQLSTATE
UPDATE cdp.match_rules SET threshold = 'NaN' WHERE rule_name = 'hand';
SELECT count(*) FROM cdp._probabilistic_edges(NULL);
\echo :SQLSTATE
UPDATE cdp.match_rules SET threshold = 5 WHERE rule_name = 'hand';

-- malformed definitions name the key at fault
\set VERBOSITY default
CREATE FUNCTION try_definition(d jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
BEGIN
	UPDATE cdp.match_rules SET definition = d WHERE rule_name = 'people';
	PERFORM cdp.train_probabilistic_rule('people', 1000);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || msg || ' / ' || detail;
END
$$;
SELECT d AS definition, try_definition(d::jsonb) AS result FROM (VALUES
	('{}'),
	('{"comparisons": {}}'),
	('{"comparisons": [{"field": "family_name", "levels": []}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "fuzzy"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "jaro_winkler", "min": 2}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "levenshtein", "max": 1.5}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "shoe_size", "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "attributes.no-dash", "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"levels": [{"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "else"}, {"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact", "m": 0.5}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact", "m": 1.5, "u": 0.1}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "normalizer": "soundex", "levels": [{"type": "normalized"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "unless": ["given"], "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact"}]}]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact"}]}], "blocking": [[]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact"}]}], "blocking": [["upper(family_name)"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]], "max_block_size": 1}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]], "prior": 0}'),
	('{"comparisons": [{"name": "x", "field": {"coalesce": []}, "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "tf": {"x": 2}, "levels": [{"type": "exact"}]}], "blocking": [["birth_date"]]}'),
	('{"comparisons": [{"field": "family_name", "levels": [{"type": "exact"}]}], "blocking": [["email"]]}')
  ) AS t(d);
\set VERBOSITY terse
-- the failed trainings changed nothing
SELECT definition ? 'prior' AS still_trained, definition -> 'training' ->> 'seed' AS seed
  FROM cdp.match_rules WHERE rule_name = 'people';
DELETE FROM cdp.match_rules;
SELECT cdp.match_weight(1, 2);
\echo :SQLSTATE
DELETE FROM cdp.source_records;
INSERT INTO cdp.match_rules (rule_name, rule_type, definition) VALUES ('empty', 'probabilistic', cdp.default_probabilistic_rule());
SELECT cdp.train_probabilistic_rule('empty');
\echo :SQLSTATE
DROP FUNCTION try_definition(jsonb);
DROP EXTENSION cdp;
