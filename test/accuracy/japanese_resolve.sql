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

UPDATE cdp.identifier_kinds SET shared_by_household_check = false WHERE NOT :'household_check'::boolean;
\ir japanese_load.sql

SELECT (cdp.resolve(0)).records AS resolved \gset

CREATE TEMP TABLE acc_label AS
SELECT r.record_id, r.profile_id AS label, (r.attributes ->> 'person')::int AS person
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id)
 WHERE s.source_key IN ('crm', 'shop', 'pos', 'web');
\ir pairwise_scores.sql
SELECT format('japanese_resolve records=%s household_check=%s profiles=%s true_pairs=%s predicted_pairs=%s precision=%s recall=%s f1=%s',
			  :resolved, :'household_check', :acc_clusters, :acc_true_pairs, :acc_predicted_pairs,
			  :'acc_precision', :'acc_recall', :'acc_f1') AS result \gset
\echo :result
