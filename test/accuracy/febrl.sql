-- febrl.sql: unsupervised probabilistic linking of one Febrl dataset and its
-- pairwise precision, recall and F1 against the rec-id ground truth.
--
--   psql -v dataset=test/data/febrl/dataset3.csv -f test/accuracy/febrl.sql
--
-- Needs CREATE EXTENSION cdp in the database; replaces source records of
-- the source "febrl" and the rule "febrl".  The last line printed is
-- "febrl <file> records=... pairs=... precision=... recall=... f1=...".
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;

DELETE FROM cdp.match_rules WHERE rule_name = 'febrl';
-- the links measured are this rule's alone
UPDATE cdp.match_rules SET enabled = false WHERE rule_type = 'probabilistic';
DELETE FROM cdp.source_records
 WHERE source_id IN (SELECT source_id FROM cdp.sources WHERE source_key = 'febrl');
-- training reads every source record: other records would change the figures
DO $$
BEGIN
	IF EXISTS (SELECT FROM cdp.source_records) THEN
		RAISE EXCEPTION 'cdp.source_records holds other records: run this in a scratch database';
	END IF;
END
$$;
INSERT INTO cdp.sources (source_key, display_name, kind)
VALUES ('febrl', 'Febrl synthetic records', 'import') ON CONFLICT (source_key) DO NOTHING;

CREATE TEMP TABLE febrl_raw (rec_id text, given_name text, surname text, street_number text,
	address_1 text, address_2 text, suburb text, postcode text, state text,
	date_of_birth text, soc_sec_id text);
\set copy '\\copy febrl_raw FROM ' :'dataset' ' WITH (FORMAT csv, HEADER true)'
:copy

INSERT INTO cdp.source_records (source_id, source_record_key, given_name, family_name,
	address_line1, address_line2, locality, postal_code, region, attributes)
SELECT s.source_id, btrim(rec_id), nullif(btrim(given_name), ''), nullif(btrim(surname), ''),
	   nullif(btrim(address_1), ''), nullif(btrim(address_2), ''), nullif(btrim(suburb), ''),
	   nullif(btrim(postcode), ''), nullif(btrim(state), ''),
	   jsonb_strip_nulls(jsonb_build_object('street_number', nullif(btrim(street_number), ''),
											'dob', nullif(btrim(date_of_birth), ''),
											'soc_sec_id', nullif(btrim(soc_sec_id), '')))
  FROM febrl_raw, cdp.sources s
 WHERE s.source_key = 'febrl';

INSERT INTO cdp.match_rules (rule_name, rule_type, threshold, definition)
VALUES ('febrl', 'probabilistic', 0, '{
  "comparisons": [
    {"field": "given_name", "tf_adjust": true,
     "levels": [{"type": "normalized"}, {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8}, {"type": "else"}]},
    {"field": "family_name", "tf_adjust": true,
     "levels": [{"type": "normalized"}, {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8}, {"type": "else"}]},
    {"field": "attributes.dob",
     "levels": [{"type": "exact"}, {"type": "date_near"}, {"type": "else"}]},
    {"field": "attributes.soc_sec_id", "normalizer": "digits",
     "levels": [{"type": "normalized"}, {"type": "levenshtein", "max": 1},
                {"type": "levenshtein", "max": 2}, {"type": "else"}]},
    {"field": "attributes.street_number", "normalizer": "digits",
     "levels": [{"type": "normalized"}, {"type": "levenshtein", "max": 1}, {"type": "else"}]},
    {"field": "address_line1", "normalizer": "address",
     "levels": [{"type": "normalized"}, {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8}, {"type": "else"}]},
    {"field": "address_line2",
     "levels": [{"type": "normalized"}, {"type": "jaro_winkler", "min": 0.9}, {"type": "else"}]},
    {"field": "locality", "tf_adjust": true,
     "levels": [{"type": "normalized"}, {"type": "jaro_winkler", "min": 0.9}, {"type": "else"}]},
    {"field": "postal_code", "normalizer": "digits",
     "levels": [{"type": "normalized"}, {"type": "levenshtein", "max": 1}, {"type": "else"}]},
    {"field": "region",
     "levels": [{"type": "exact"}, {"type": "else"}]}
  ],
  "blocking": [["attributes.soc_sec_id"], ["attributes.dob"], ["postal_code"],
               ["given_name"], ["family_name"], ["locality"], ["address_line1"]]
}');

SELECT cdp.train_probabilistic_rule('febrl') IS NOT NULL AS trained \gset

-- the links, their transitive closure, and every pair inside a cluster
CREATE TEMP TABLE acc_edges AS SELECT * FROM cdp._probabilistic_edges(NULL);
CREATE TEMP TABLE acc_label AS
SELECT record_id, record_id AS label, split_part(source_record_key, '-', 2) AS person
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id) WHERE s.source_key = 'febrl';
\ir link_closure.sql
\ir pairwise_scores.sql
SELECT format('febrl %s records=%s links=%s true_pairs=%s predicted_pairs=%s precision=%s recall=%s f1=%s',
			  :'dataset', :acc_records, (SELECT count(*) FROM acc_edges), :acc_true_pairs,
			  :acc_predicted_pairs, :'acc_precision', :'acc_recall', :'acc_f1') AS result \gset
\echo :result
