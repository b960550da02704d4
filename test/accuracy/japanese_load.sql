-- japanese_load.sql: the common part of japanese.sql and
-- japanese_resolve.sql (included with \ir): replace the records of the
-- sources crm, shop, pos and web by those of the file :records (made by
-- test/data/generate_japanese.pl) and train the rule "japanese"
-- (cdp.default_probabilistic_rule() with threshold :threshold) on them.
DELETE FROM cdp.match_rules WHERE rule_name = 'japanese';
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
