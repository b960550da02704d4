-- japanese.sql: unsupervised probabilistic linking, with the model of
-- cdp.default_probabilistic_rule(), of records made by
-- test/data/generate_japanese.pl, and its pairwise precision, recall and F1
-- against the generator's ground truth.
--
--   perl test/data/generate_japanese.pl --persons 3000 --seed 1 > jp.tsv
--   psql -v records=jp.tsv -v threshold=2 -f test/accuracy/japanese.sql
--
-- Needs CREATE EXTENSION cdp in the database; replaces the records of the
-- sources crm, shop, pos and web and the rule "japanese".  The last line
-- printed is "japanese records=... precision=... recall=... f1=...".
\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?threshold}
\else
\set threshold 0
\endif
SET client_min_messages = warning;

\ir japanese_load.sql

CREATE TEMP TABLE acc_edges AS SELECT * FROM cdp._probabilistic_edges(NULL);
CREATE TEMP TABLE acc_label AS
SELECT r.record_id, r.record_id AS label, (r.attributes ->> 'person')::int AS person
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id)
 WHERE s.source_key IN ('crm', 'shop', 'pos', 'web');
\ir link_closure.sql
\ir pairwise_scores.sql
SELECT format('japanese records=%s links=%s true_pairs=%s predicted_pairs=%s precision=%s recall=%s f1=%s',
			  :acc_records, (SELECT count(*) FROM acc_edges), :acc_true_pairs, :acc_predicted_pairs,
			  :'acc_precision', :'acc_recall', :'acc_f1') AS result \gset
\echo :result
