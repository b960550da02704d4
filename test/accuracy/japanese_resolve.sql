-- japanese_resolve.sql: end-to-end resolution (cdp.resolve(): deterministic
-- links through identifiers plus the probabilistic rule of
-- cdp.default_probabilistic_rule()) of records made by
-- test/data/generate_japanese.pl, and the pairwise precision, recall and F1
-- of the resulting profiles against the generator's ground truth.
--
--   perl test/data/generate_japanese.pl --persons 3000 --seed 1 > jp.tsv
--   psql -v records=jp.tsv -v threshold=2 -f test/accuracy/japanese_resolve.sql
--
-- household_check=off turns shared_by_household_check off for every
-- identifier kind (the behaviour before the check existed) to compare.
--
-- Needs CREATE EXTENSION cdp in the database; replaces the records of the
-- sources crm, shop, pos and web and the rule "japanese".  The last line
-- printed is "japanese_resolve records=... precision=... recall=... f1=...".
\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?threshold}
\else
\set threshold 0
\endif
\if :{?household_check}
\else
\set household_check on
\endif
SET client_min_messages = warning;

DELETE FROM cdp.match_rules WHERE rule_name = 'japanese';
UPDATE cdp.identifier_kinds SET shared_by_household_check = false WHERE NOT :'household_check'::boolean;
-- the links measured are this rule's alone
UPDATE cdp.match_rules SET enabled = false WHERE rule_type = 'probabilistic';
DELETE FROM cdp.source_records
 WHERE source_id IN (SELECT source_id FROM cdp.sources WHERE source_key IN ('crm', 'shop', 'pos', 'web'));
-- training reads every source record: other records would change the figures
DO $$
BEGIN
	IF EXISTS (SELECT FROM cdp.source_records) THEN
		RAISE EXCEPTION 'cdp.source_records holds other records: run this in a scratch database';
	END IF;
END
$$;
INSERT INTO cdp.sources (source_key, display_name, kind)
VALUES ('crm', 'CRM', 'crm'), ('shop', 'Online shop', 'ecommerce'), ('pos', 'Stores', 'pos'),
	   ('web', 'Web sign-up', 'web')
ON CONFLICT (source_key) DO NOTHING;

CREATE TEMP TABLE jp_raw (person int, source text, family_name text, given_name text,
	family_name_kana text, given_name_kana text, name_romaji text, email text, phone text,
	birth_date date, postal_code text, region text, locality text, address_line1 text,
	household int);
\set copy '\\copy jp_raw FROM ' :'records'
:copy

INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name,
	family_name_kana, given_name_kana, name_romaji, email, phone, birth_date, postal_code,
	region, locality, address_line1, attributes)
SELECT s.source_id, 'jp-' || row_number() OVER (), j.family_name, j.given_name,
	   j.family_name_kana, j.given_name_kana, j.name_romaji, j.email, j.phone, j.birth_date,
	   j.postal_code, j.region, j.locality, j.address_line1, jsonb_build_object('person', j.person, 'household', j.household)
  FROM jp_raw j JOIN cdp.sources s ON s.source_key = j.source;

INSERT INTO cdp.match_rules (rule_name, rule_type, threshold, definition)
VALUES ('japanese', 'probabilistic', :threshold, cdp.default_probabilistic_rule());
SELECT cdp.train_probabilistic_rule('japanese') IS NOT NULL AS trained \gset

SELECT (cdp.resolve(0)).records AS resolved \gset

WITH jp AS (
	SELECT r.record_id, r.profile_id AS label, (r.attributes ->> 'person')::int AS person
	  FROM cdp.source_records r JOIN cdp.sources s USING (source_id)
	 WHERE s.source_key IN ('crm', 'shop', 'pos', 'web')
), pairs AS (
	SELECT a.label = b.label AS predicted, a.person = b.person AS actual
	  FROM jp a JOIN jp b
		ON a.record_id < b.record_id AND (a.label = b.label OR a.person = b.person)
), counts AS (
	SELECT count(*) FILTER (WHERE predicted AND actual) AS tp,
		   count(*) FILTER (WHERE predicted) AS predicted,
		   count(*) FILTER (WHERE actual) AS actual
	  FROM pairs
)
SELECT format('japanese_resolve records=%s household_check=%s profiles=%s true_pairs=%s predicted_pairs=%s precision=%s recall=%s f1=%s',
			  :resolved, :'household_check', (SELECT count(DISTINCT label) FROM jp), actual, predicted,
			  round(tp::numeric / nullif(predicted, 0), 4), round(tp::numeric / nullif(actual, 0), 4),
			  round(2 * tp::numeric / nullif(predicted + actual, 0), 4)) AS result
  FROM counts \gset
\echo :result
