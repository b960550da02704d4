--
-- rfm_scores: the compact cdp.rfm_score value, quantile cuts with their tie
-- policy, user thresholds, and scoring against them
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

-- the value: R-F-M, each level 1 to 99
SELECT '5-4-3'::cdp.rfm_score, ' 1-1-1 '::cdp.rfm_score, '99-10-1'::cdp.rfm_score;
SELECT cdp.rfm_score(5, 4, 3), cdp.recency_score('5-4-3'), cdp.frequency_score('5-4-3'),
       cdp.monetary_score('5-4-3');
SELECT cdp.rfm_score_send('5-4-3');
-- NULL in, NULL out
SELECT cdp.rfm_score(NULL, 1, 1) IS NULL AS null_level, cdp.recency_score(NULL) IS NULL AS null_score;
-- unparsable or out of range
SELECT '5-4'::cdp.rfm_score;
\echo :SQLSTATE
SELECT '5-4-3-2'::cdp.rfm_score;
\echo :SQLSTATE
SELECT 'a-b-c'::cdp.rfm_score;
\echo :SQLSTATE
SELECT '5--3'::cdp.rfm_score;
\echo :SQLSTATE
SELECT ''::cdp.rfm_score;
\echo :SQLSTATE
SELECT '100-1-1'::cdp.rfm_score;
\echo :SQLSTATE
SELECT '0-1-1'::cdp.rfm_score;
\echo :SQLSTATE
SELECT cdp.rfm_score(0, 1, 1);
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 100, 1);
\echo :SQLSTATE

-- ordered by R, then F, then M; usable in comparisons, ORDER BY, GROUP BY,
-- DISTINCT, joins and indexes, whatever the search_path
SET search_path = public;
CREATE TABLE scored (id int, rfm cdp.rfm_score);
INSERT INTO scored VALUES (1, '5-1-1'), (2, '4-5-5'), (3, '5-1-2'), (4, '4-5-5'), (5, '1-1-1'), (6, '5-5-5');
SELECT id, rfm FROM scored ORDER BY rfm DESC, id;
SELECT rfm, count(*) FROM scored GROUP BY rfm ORDER BY rfm;
SELECT count(DISTINCT rfm) FROM scored;
SELECT '5-1-1'::cdp.rfm_score > '4-5-5', '4-5-5'::cdp.rfm_score = '4-5-5', '1-1-1'::cdp.rfm_score <> '1-1-2',
       '1-1-2'::cdp.rfm_score <= '1-1-2', '1-2-1'::cdp.rfm_score >= '1-1-9', '3-3-3'::cdp.rfm_score < '3-3-4';
SELECT id FROM scored WHERE rfm >= '5-1-1' ORDER BY id;
SET enable_sort = off;
SELECT rfm, count(*) FROM scored GROUP BY rfm ORDER BY 2 DESC, 1 LIMIT 1;
RESET enable_sort;
CREATE INDEX scored_rfm_idx ON scored (rfm);
CREATE INDEX scored_rfm_hash_idx ON scored USING hash (rfm);
SET enable_seqscan = off;
SELECT id FROM scored WHERE rfm = '4-5-5' ORDER BY id;
SELECT id FROM scored WHERE rfm > '5-1-1' ORDER BY rfm;
RESET enable_seqscan;
RESET search_path;

-- quantile cuts: levels are NTILE's buckets of the first position a value
-- takes among the population sorted from worst to best, so that equal
-- values get equal levels.  Ten distinct customers: plain NTILE(5).
CREATE TABLE pop (id int, m cdp.rfm_metrics);
INSERT INTO pop
SELECT g, ROW(100 - 10 * g, g, g * 1.5, NULL, NULL)::cdp.rfm_metrics FROM generate_series(1, 10) g;
SELECT cdp.rfm_quantiles(m) FROM pop;
SELECT p.id, cdp.rfm_score(p.m, c.cuts),
       ntile(5) OVER (ORDER BY (p.m).recency_days DESC) AS r_ntile,
       ntile(5) OVER (ORDER BY (p.m).frequency) AS f_ntile
  FROM pop p, (SELECT cdp.rfm_quantiles(m) AS cuts FROM pop) c ORDER BY p.id;
-- ties: customers 1-4 bought equally often; NTILE would split them over
-- two buckets, the cuts give all four the level of the first
TRUNCATE pop;
INSERT INTO pop VALUES
  (1, ROW(30, 1, 10, NULL, NULL)), (2, ROW(30, 1, 10, NULL, NULL)), (3, ROW(30, 1, 10, NULL, NULL)),
  (4, ROW(30, 1, 10, NULL, NULL)), (5, ROW(20, 2, 20, NULL, NULL)), (6, ROW(10, 3, 30, NULL, NULL)),
  (7, ROW(5, 4, 40, NULL, NULL)), (8, ROW(5, 4, 40, NULL, NULL)), (9, ROW(1, 9, 90, NULL, NULL)),
  (10, ROW(0, 12, 120.5, NULL, NULL));
SELECT cdp.rfm_quantiles(m) FROM pop;
SELECT p.id, (p.m).recency_days, (p.m).frequency, cdp.rfm_score(p.m, c.cuts)
  FROM pop p, (SELECT cdp.rfm_quantiles(m) AS cuts FROM pop) c ORDER BY p.id;
-- fewer customers than levels: each gets its own level from 1 up
SELECT id, cdp.rfm_score(m, (SELECT cdp.rfm_quantiles(m) FROM pop WHERE id IN (1, 5, 9)))
  FROM pop WHERE id IN (1, 5, 9) ORDER BY id;

-- the policy against SQL on a larger population with many ties, for 2, 3,
-- 5 and 7 levels: the level is NTILE's bucket of the number of customers
-- strictly worse, (k - 1) * (n / N) + min(k - 1, n % N) being where bucket
-- k starts; and it equals NTILE's bucket of the first of each tie group
CREATE TABLE big AS
SELECT g AS id, ROW((g * 7919) % 61, (g * 104729) % 13, ((g * 1299709) % 400) / 4.0, NULL, NULL)::cdp.rfm_metrics AS m
  FROM generate_series(1, 1003) g;
CREATE FUNCTION pg_temp.level(worse bigint, n bigint, levels int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
SELECT max(k) FROM generate_series(1, levels) k
 WHERE worse >= (k - 1) * (n / levels) + least(k - 1, n % levels)
$$;
SELECT levels,
       count(*) FILTER (WHERE (cdp.recency_score(s), cdp.frequency_score(s), cdp.monetary_score(s))
                              IS DISTINCT FROM (r_sql, f_sql, m_sql)) AS differ_from_sql,
       count(*) FILTER (WHERE (cdp.recency_score(s), cdp.frequency_score(s), cdp.monetary_score(s))
                              IS DISTINCT FROM (r_first, f_first, m_first)) AS differ_from_ntile_first,
       count(*) FILTER (WHERE (cdp.recency_score(s), cdp.frequency_score(s), cdp.monetary_score(s))
                              IS DISTINCT FROM (r_ntile, f_ntile, m_ntile)) AS differ_from_plain_ntile
  FROM (SELECT levels, s, r_sql, f_sql, m_sql, r_ntile, f_ntile, m_ntile,
               min(r_ntile) OVER (PARTITION BY levels, rd) AS r_first,
               min(f_ntile) OVER (PARTITION BY levels, fr) AS f_first,
               min(m_ntile) OVER (PARTITION BY levels, mo) AS m_first
          FROM (SELECT l.levels, cdp.rfm_score(b.m, c.cuts) AS s,
                       (b.m).recency_days AS rd, (b.m).frequency AS fr, (b.m).monetary AS mo,
                       pg_temp.level(rank() OVER (PARTITION BY l.levels ORDER BY (b.m).recency_days DESC) - 1, 1003, l.levels) AS r_sql,
                       pg_temp.level(rank() OVER (PARTITION BY l.levels ORDER BY (b.m).frequency) - 1, 1003, l.levels) AS f_sql,
                       pg_temp.level(rank() OVER (PARTITION BY l.levels ORDER BY (b.m).monetary) - 1, 1003, l.levels) AS m_sql,
                       ntile(l.levels) OVER (PARTITION BY l.levels ORDER BY (b.m).recency_days DESC) AS r_ntile,
                       ntile(l.levels) OVER (PARTITION BY l.levels ORDER BY (b.m).frequency) AS f_ntile,
                       ntile(l.levels) OVER (PARTITION BY l.levels ORDER BY (b.m).monetary) AS m_ntile
                  FROM big b
                 CROSS JOIN (VALUES (2), (3), (5), (7)) l(levels)
                 CROSS JOIN LATERAL (SELECT cdp.rfm_quantiles(m, l.levels) AS cuts FROM big) c) x) y
 GROUP BY levels ORDER BY levels;
-- equal inputs, equal scores: no two customers with the same value differ
SELECT count(*) AS tie_groups_split
  FROM (SELECT (m).frequency, count(DISTINCT cdp.frequency_score(cdp.rfm_score(m, c.cuts)))
          FROM big, (SELECT cdp.rfm_quantiles(m) AS cuts FROM big) c
         GROUP BY 1 HAVING count(DISTINCT cdp.frequency_score(cdp.rfm_score(m, c.cuts))) > 1) t;

-- the score of values outside the population follows the same rule
SELECT cdp.rfm_score(100, 0, 0, c), cdp.rfm_score(0, 1000, 100000, c), cdp.rfm_score(31, 3, 30.0001, c)
  FROM (SELECT cdp.rfm_quantiles(m) AS c FROM pop) q;
-- monetary values with more than four decimals are compared exactly
SELECT cdp.rfm_quantiles(ROW(1, 1, v, NULL, NULL)::cdp.rfm_metrics, 2)
  FROM (VALUES (1.00001), (1.00002), (1.00003), (1.00004)) t(v);
SELECT v, cdp.rfm_score(1, 1, v, (SELECT cdp.rfm_quantiles(ROW(1, 1, v, NULL, NULL)::cdp.rfm_metrics, 2)
                                    FROM (VALUES (1.00001), (1.00002), (1.00003), (1.00004)) t(v)))
  FROM (VALUES (1.00001), (1.00002), (1.00003), (1.00004)) t(v);

-- an empty population has no cuts, and scoring against none gives NULL
SELECT cdp.rfm_quantiles(m) IS NULL AS no_cuts FROM pop WHERE false;
SELECT cdp.rfm_score(m, NULL) IS NULL AS no_score FROM pop WHERE id = 1;
-- metrics with a missing part are not scored, and not counted
SELECT (cdp.rfm_quantiles(m)).population FROM (SELECT m FROM pop UNION ALL SELECT ROW(1, NULL, 1, NULL, NULL)::cdp.rfm_metrics UNION ALL SELECT NULL) t;
-- bad arguments
SELECT cdp.rfm_quantiles(m, 1) FROM pop;
\echo :SQLSTATE
SELECT cdp.rfm_quantiles(m, 100) FROM pop;
\echo :SQLSTATE
SELECT cdp.rfm_quantiles(m, NULL) FROM pop;
\echo :SQLSTATE
SELECT cdp.rfm_quantiles(m, id % 2 + 3) FROM pop;
\echo :SQLSTATE
SELECT cdp.rfm_quantiles(ROW(-1, 1, 1, NULL, NULL)::cdp.rfm_metrics);
\echo :SQLSTATE
SELECT cdp.rfm_score(-1, 1, 1, (SELECT cdp.rfm_quantiles(m) FROM pop));
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 1, 'NaN', (SELECT cdp.rfm_quantiles(m) FROM pop));
\echo :SQLSTATE

-- user thresholds: level k needs at most recency_days, at least frequency
-- and monetary of row k (inclusive bounds)
INSERT INTO cdp.rfm_thresholds (scheme, score, recency_days, frequency, monetary) VALUES
  ('retail', 2, 365, 2, 100), ('retail', 3, 180, 4, 500),
  ('retail', 4, 90, 8, 1000), ('retail', 5, 30, 12, 5000);
SELECT cdp.rfm_threshold_cuts('retail');
SELECT r, f, m, cdp.rfm_score(r, f, m, cdp.rfm_threshold_cuts('retail'))
  FROM (VALUES (366, 1, 99.99), (365, 2, 100), (30, 12, 5000), (0, 100, 1e9), (31, 11, 4999.9999)) v(r, f, m);
SELECT cdp.rfm_threshold_cuts(NULL) IS NULL AS null_scheme;
SELECT cdp.rfm_threshold_cuts('nope');
\echo :SQLSTATE
INSERT INTO cdp.rfm_thresholds VALUES ('gappy', 2, 100, 2, 10), ('gappy', 4, 10, 8, 100);
SELECT cdp.rfm_threshold_cuts('gappy');
\echo :SQLSTATE
INSERT INTO cdp.rfm_thresholds VALUES ('upside', 2, 100, 2, 10), ('upside', 3, 200, 4, 100);
SELECT cdp.rfm_threshold_cuts('upside');
\echo :SQLSTATE
-- rows are checked on their own
INSERT INTO cdp.rfm_thresholds VALUES ('bad', 1, 100, 2, 10);
\echo :SQLSTATE
INSERT INTO cdp.rfm_thresholds VALUES ('bad', 2, -1, 2, 10);
\echo :SQLSTATE
INSERT INTO cdp.rfm_thresholds VALUES ('bad', 2, 1, 2, 'NaN');
\echo :SQLSTATE
INSERT INTO cdp.rfm_thresholds VALUES ('Bad Name', 2, 1, 2, 1);
\echo :SQLSTATE
SELECT scheme, count(*) FROM cdp.rfm_thresholds GROUP BY scheme ORDER BY scheme;

-- a cuts value written by hand is checked (DETAIL says what is wrong)
\set VERBOSITY default
SELECT cdp.rfm_score(1, 1, 1, ROW(3, NULL, true, '{10}', '{1,2}', '{1,2}')::cdp.rfm_cuts);
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 1, 1, ROW(3, NULL, true, '{10,20}', '{1,2}', '{1,2}')::cdp.rfm_cuts);
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 1, 1, ROW(3, NULL, true, '{20,10}', '{1,NULL}', '{1,2}')::cdp.rfm_cuts);
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 1, 1, ROW(1, NULL, true, '{}', '{}', '{}')::cdp.rfm_cuts);
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 1, 1, ROW(3, NULL, NULL, '{20,10}', '{1,2}', '{1,2}')::cdp.rfm_cuts);
\echo :SQLSTATE
SELECT cdp.rfm_score(1, 1, 1, ROW(3, NULL, true, '{20,10}', '{1,2}', '{2,1}')::cdp.rfm_cuts);
\echo :SQLSTATE
\set VERBOSITY terse
SELECT cdp.rfm_score(15, 1, 1.5, ROW(3, NULL, true, '{20,10}', '{1,2}', '{1,2}')::cdp.rfm_cuts);

DROP TABLE scored, pop, big;
DROP EXTENSION cdp;
