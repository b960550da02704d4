--
-- fs_scoring.sql: scoring the blocked pairs of a probabilistic rule, cdp's
-- C scorer (cdp._probabilistic_edges: values computed once per record,
-- blocking and comparison levels in C) beside the same comparisons
-- written in SQL with the same cdp functions (a self-join on the blocking
-- key, each level a CASE branch), on the same records in the same run.
-- Both return the blocked pairs whose match weight reaches the rule's
-- threshold (0), with their weights: the counts must be equal and the
-- summed weights agree to nine significant digits.  Pairs per second count
-- every blocked pair scored.
--
-- Sizes: full = 1,000,000 records (about 45 records per birth date, some
-- 22 million blocked pairs); tiny = 5,000 records (psql -v records=N
-- overrides).
--
\set ON_ERROR_STOP 1
\if :{?records}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 5000 ELSE 1000000 END AS records \gset
\endif
SELECT CASE WHEN :'scale' = 'tiny' THEN 3 ELSE 1 END AS runs \gset

CREATE EXTENSION IF NOT EXISTS cdp;
SET client_min_messages = warning;

-- ------------------------------------------------------------------------
-- Data: names drawn from small lists (half Latin, half Japanese), a typo
-- in one name of ten, birth dates over 60 years, valid Japanese mobiles
-- ------------------------------------------------------------------------
SELECT setseed(0.17);
INSERT INTO cdp.sources (source_key, display_name) VALUES ('bench', 'Benchmark');
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name, birth_date, phone, postal_code)
SELECT s.source_id, 'r' || g,
	   CASE WHEN random() < 0.1 THEN overlay(f placing 'x' from 2 for 1) ELSE f END,
	   gv, DATE '1950-01-01' + (random() * 22000)::int,
	   CASE WHEN random() < 0.8 THEN '090' || lpad((random() * 99999999)::int::text, 8, '0') END,
	   lpad((random() * 9999999)::int::text, 7, '0')
  FROM generate_series(1, :records) g
 CROSS JOIN cdp.sources s
 CROSS JOIN LATERAL (SELECT (ARRAY['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller',
			'Davis', 'Martin', 'Wilson', '佐藤', '鈴木', '髙橋', '田中', '伊藤', '渡邊', '山本', '中村',
			'小林', '加藤'])[1 + (random() * 19 + 0 * g)::int] AS f,
			(ARRAY['Anna', 'John', 'Mary', 'James', 'Linda', 'Robert', '太郎', '花子', '一郎', '陽子',
			'健太', '美咲'])[1 + (random() * 11 + 0 * g)::int] AS gv) n;
-- every fifth record repeats the one before (another postal code, and
-- sometimes the typo): pairs that link
UPDATE cdp.source_records r
   SET family_name = p.family_name, given_name = p.given_name, birth_date = p.birth_date, phone = p.phone
  FROM cdp.source_records p
 WHERE r.record_id % 5 = 0 AND p.record_id = r.record_id - 1;
ANALYZE cdp.source_records;
SELECT count(*) AS pairs FROM cdp.source_records a JOIN cdp.source_records b
	ON a.birth_date = b.birth_date AND a.record_id < b.record_id \gset

INSERT INTO cdp.match_rules (rule_name, rule_type, threshold, definition)
VALUES ('bench', 'probabilistic', 0, '{
  "comparisons": [
    {"name": "family", "field": "family_name",
     "levels": [{"type": "normalized", "m": 0.9, "u": 0.05},
                {"type": "jaro_winkler", "min": 0.88, "m": 0.08, "u": 0.02},
                {"type": "else", "m": 0.02, "u": 0.93}]},
    {"name": "given", "field": "given_name",
     "levels": [{"type": "normalized", "m": 0.9, "u": 0.08},
                {"type": "jaro_winkler", "min": 0.88, "m": 0.05, "u": 0.02},
                {"type": "else", "m": 0.05, "u": 0.9}]},
    {"name": "birth", "field": "birth_date",
     "levels": [{"type": "exact", "m": 0.95, "u": 0.0001},
                {"type": "date_near", "m": 0.04, "u": 0.001},
                {"type": "else", "m": 0.01, "u": 0.9989}]},
    {"name": "phone", "field": "phone", "normalizer": "phone",
     "levels": [{"type": "normalized", "m": 0.7, "u": 0.00001},
                {"type": "else", "m": 0.3, "u": 0.99999}]},
    {"name": "postal", "field": "postal_code", "normalizer": "digits",
     "levels": [{"type": "normalized", "m": 0.8, "u": 0.0001},
                {"type": "else", "m": 0.2, "u": 0.9999}]}
  ],
  "blocking": [["birth_date"]],
  "max_block_size": 100000,
  "prior": 0.000001
}');

-- ------------------------------------------------------------------------
-- The queries: every blocked pair and its weight, summed
-- ------------------------------------------------------------------------
CREATE TEMP TABLE bench_query (name text PRIMARY KEY, sql text);
INSERT INTO bench_query VALUES
('cdp', $q$
SELECT count(*) AS links, round(sum(match_weight)::numeric, 3) AS weight
  FROM cdp._probabilistic_edges(NULL)
$q$),
('peer_sql', $q$
WITH k AS MATERIALIZED (
	SELECT record_id, birth_date, to_char(birth_date, 'YYYYMMDD') AS bd,
		   nullif(cdp.normalize_name(family_name), '') AS fam,
		   nullif(cdp.normalize_name(given_name), '') AS giv,
		   cdp.normalize_phone(phone) AS ph,
		   nullif(regexp_replace(postal_code, '[^0-9]', '', 'g'), '') AS pc
	  FROM cdp.source_records)
SELECT count(*) AS links, round(sum(w)::numeric, 3) AS weight
  FROM (SELECT log(2, 0.000001 / (1 - 0.000001))
			 + CASE WHEN a.fam IS NULL OR b.fam IS NULL THEN 0
					WHEN a.fam = b.fam THEN log(2, 0.9 / 0.05)
					WHEN cdp.jaro_winkler(a.fam, b.fam) >= 0.88 THEN log(2, 0.08 / 0.02)
					ELSE log(2, 0.02 / 0.93) END
			 + CASE WHEN a.giv IS NULL OR b.giv IS NULL THEN 0
					WHEN a.giv = b.giv THEN log(2, 0.9 / 0.08)
					WHEN cdp.jaro_winkler(a.giv, b.giv) >= 0.88 THEN log(2, 0.05 / 0.02)
					ELSE log(2, 0.05 / 0.9) END
			 + CASE WHEN a.bd IS NULL OR b.bd IS NULL THEN 0
					WHEN a.bd = b.bd THEN log(2, 0.95 / 0.0001)
					WHEN (SELECT count(*) FROM generate_series(1, 8) i
						   WHERE substr(a.bd, i, 1) <> substr(b.bd, i, 1)) <= 1
						 OR (left(a.bd, 4) = left(b.bd, 4) AND substr(a.bd, 5, 2) = substr(b.bd, 7, 2)
							 AND substr(a.bd, 7, 2) = substr(b.bd, 5, 2)) THEN log(2, 0.04 / 0.001)
					ELSE log(2, 0.01 / 0.9989) END
			 + CASE WHEN a.ph IS NULL OR b.ph IS NULL THEN 0
					WHEN a.ph = b.ph THEN log(2, 0.7 / 0.00001)
					ELSE log(2, 0.3 / 0.99999) END
			 + CASE WHEN a.pc IS NULL OR b.pc IS NULL THEN 0
					WHEN a.pc = b.pc THEN log(2, 0.8 / 0.0001)
					ELSE log(2, 0.2 / 0.9999) END AS w
		  FROM k a JOIN k b ON a.birth_date = b.birth_date AND a.record_id < b.record_id) p
 WHERE w >= 0
$q$);

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE bench_time (name text PRIMARY KEY, ms double precision, result text);
DO $$
DECLARE
	q		record;
	started timestamptz;
	elapsed double precision;
	best	double precision;
	result	text;
BEGIN
	FOR q IN SELECT * FROM bench_query ORDER BY name LOOP
		best := NULL;
		FOR i IN 1 .. current_setting('bench.runs')::int LOOP
			started := clock_timestamp();
			EXECUTE 'SELECT row(q.*)::text FROM (' || q.sql || ') q' INTO result;
			elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
			best := least(best, elapsed);
		END LOOP;
		INSERT INTO bench_time VALUES (q.name, best, result);
	END LOOP;
	-- the same pairs, the same total weight (up to the order of a float
	-- sum over millions of pairs)
	IF (SELECT count(DISTINCT split_part(trim(t.result, '()'), ',', 1)) FROM bench_time t) <> 1
	   OR (SELECT max(split_part(trim(t.result, '()'), ',', 2)::float8) - min(split_part(trim(t.result, '()'), ',', 2)::float8)
			 FROM bench_time t)
		  > 1e-9 * (SELECT max(abs(split_part(trim(t.result, '()'), ',', 2)::float8)) FROM bench_time t) THEN
		RAISE EXCEPTION 'cdp and the SQL peer disagree: %',
			(SELECT string_agg(t.name || ' ' || t.result, '; ') FROM bench_time t);
	END IF;
END
$$;

\pset footer off
SELECT name, round(ms::numeric, 1) AS ms, result FROM bench_time ORDER BY name;
SELECT format('fs_scoring: %s records, %s blocked pairs, %s links: peer SQL %s ms (%s pairs/s), cdp._probabilistic_edges %s ms (%s pairs/s), ratio %s',
			  :records, :pairs, split_part(trim(c.result, '()'), ',', 1),
			  round(p.ms::numeric), round(:pairs / p.ms * 1000),
			  round(c.ms::numeric), round(:pairs / c.ms * 1000),
			  round((p.ms / c.ms)::numeric, 2)) AS " "
  FROM bench_time p, bench_time c
 WHERE p.name = 'peer_sql' AND c.name = 'cdp';
