--
-- rfm_profiles: RFM of the profiles in cdp.events (cdp.rfm_profile_scores),
-- the views for BI tools, and snapshots per as-of date
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET timezone = 'Asia/Tokyo';

INSERT INTO cdp.sources (source_key, display_name, kind) VALUES ('shop', 'Online shop', 'ecommerce');
INSERT INTO cdp.profiles (family_name) SELECT 'p' || g FROM generate_series(1, 12) g;
-- orders at noon, so that recency in whole days keeps its order as "now" moves
INSERT INTO cdp.events (source_id, profile_id, event_type, occurred_at, amount, currency)
SELECT s.source_id, o.profile_id, o.event_type, o.day + time '12:00', o.amount, 'JPY'
  FROM cdp.sources s,
       (VALUES (1, 'order', date '2024-06-28', 5000), (1, 'order', '2024-06-10', 7000), (1, 'order', '2024-05-01', 3000),
               (1, 'order', '2024-04-01', 9000), (1, 'order', '2024-03-01', 2000),
               (2, 'order', '2024-06-29', 1500),
               (3, 'order', '2024-06-20', 4000), (3, 'order', '2024-06-01', 4000), (3, 'order', '2024-02-01', 4000),
               (4, 'order', '2024-01-15', 20000), (4, 'order', '2023-12-01', 15000), (4, 'order', '2023-11-01', 30000),
               (4, 'order', '2023-10-01', 12000),
               (5, 'order', '2023-08-01', 800),
               (6, 'order', '2024-05-20', 2500), (6, 'order', '2024-04-20', 2500),
               (7, 'order', '2024-03-15', 1000),
               (8, 'order', '2023-12-24', 6000), (8, 'order', '2023-09-01', 6000),
               (9, 'order', '2024-06-30', 12000), (9, 'order', '2024-06-15', 11000), (9, 'order', '2024-06-01', 10000),
               (9, 'order', '2024-05-15', 9000),
               (10, 'order', '2023-07-01', 500),
               (11, 'refund', '2024-06-01', 100),     -- refunds and visits are not purchases
               (11, 'visit', '2024-06-02', NULL),
               (12, 'order', '2024-07-01', 999)        -- after the snapshot date below
       ) AS o(profile_id, event_type, day, amount);
-- an order not yet linked to a profile is not scored
INSERT INTO cdp.events (source_id, event_type, occurred_at, amount, currency)
SELECT source_id, 'order', '2024-06-30 12:00', 100000, 'JPY' FROM cdp.sources;

-- as of the end of 2024-06-30 (Tokyo): recency in calendar days
SELECT profile_id, recency_days, frequency, monetary, first_at, last_at, rfm, segment
  FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09') ORDER BY profile_id;
-- the same as the composition of the aggregates in SQL (what any key can use)
WITH m AS (SELECT profile_id, cdp.rfm_agg(occurred_at, amount, '2024-06-30 23:59:59.999999+09') AS x
             FROM cdp.events
            WHERE profile_id IS NOT NULL AND event_type = 'order' AND occurred_at <= '2024-06-30 23:59:59.999999+09'
            GROUP BY profile_id),
     c AS (SELECT cdp.rfm_quantiles(x) AS cuts FROM m)
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE (p.recency_days, p.frequency, p.monetary, p.first_at, p.last_at, p.rfm, p.segment)
                              IS DISTINCT FROM ((m.x).recency_days, (m.x).frequency, (m.x).monetary, (m.x).first_at,
                                                (m.x).last_at, cdp.rfm_score(m.x, c.cuts), cdp.rfm_segment(cdp.rfm_score(m.x, c.cuts)))) AS differ
  FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09') p
  FULL JOIN m USING (profile_id) CROSS JOIN c;
-- three levels, a 90-day window, a threshold scheme, another event type
SELECT profile_id, frequency, monetary, rfm FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09', 3) ORDER BY profile_id;
SELECT profile_id, recency_days, frequency, monetary, rfm
  FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09', window_length => '90 days') ORDER BY profile_id;
INSERT INTO cdp.rfm_thresholds (scheme, score, recency_days, frequency, monetary) VALUES
  ('shop', 2, 180, 2, 5000), ('shop', 3, 60, 3, 15000), ('shop', 4, 30, 4, 25000), ('shop', 5, 7, 5, 40000);
SELECT profile_id, rfm, segment FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09', scheme => 'shop') ORDER BY profile_id;
SELECT profile_id, frequency, monetary FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09', purchase_type => 'refund');
-- an empty population: no rows
SELECT count(*) FROM cdp.rfm_profile_scores('2000-01-01');
SELECT count(*) FROM cdp.rfm_profile_scores('2024-06-30', purchase_type => 'subscription');
-- bad arguments
SELECT * FROM cdp.rfm_profile_scores(NULL);
\echo :SQLSTATE
SELECT * FROM cdp.rfm_profile_scores('2024-06-30', 1);
\echo :SQLSTATE
SELECT * FROM cdp.rfm_profile_scores('2024-06-30', NULL);
\echo :SQLSTATE
SELECT * FROM cdp.rfm_profile_scores('2024-06-30', window_length => '0 days');
\echo :SQLSTATE
SELECT * FROM cdp.rfm_profile_scores('2024-06-30', purchase_type => NULL);
\echo :SQLSTATE
SELECT * FROM cdp.rfm_profile_scores('2024-06-30', scheme => 'missing');
\echo :SQLSTATE
SELECT * FROM cdp.rfm_profile_scores('infinity');
\echo :SQLSTATE

-- the views for BI tools read with the reader's rights (security_invoker)
SELECT c.relname, c.reloptions FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'v'
   AND (c.relname LIKE 'rfm%' OR c.relname LIKE 'clv%') ORDER BY 1;
-- as of now: the order of recencies, hence the scores, does not depend on when this runs
SELECT profile_id, frequency, monetary, rfm, r, f, m, segment, segment_name_en, segment_name_ja
  FROM cdp.rfm_profiles ORDER BY profile_id;
SELECT segment, name_en, name_ja, profiles, revenue, profile_share, revenue_share
  FROM cdp.rfm_segment_summary ORDER BY priority NULLS LAST;

-- snapshots: as of the end of a date, replaced when refreshed again
SELECT cdp.rfm_refresh('2024-06-30');
SELECT cdp.rfm_refresh('2024-03-31', 3);
SELECT cdp.rfm_refresh('2024-06-30');
SELECT as_of, count(*) FROM cdp.rfm_snapshots GROUP BY as_of ORDER BY as_of;
SELECT as_of, scores, scheme, window_length, purchase_type, profiles, refreshed_by = current_user AS by_me
  FROM cdp.rfm_snapshot_runs ORDER BY as_of;
-- the snapshot equals the function as of the last microsecond of the day
SELECT count(*) FILTER (WHERE (s.recency_days, s.frequency, s.monetary, s.rfm, s.segment)
                              IS DISTINCT FROM (p.recency_days, p.frequency, p.monetary, p.rfm, p.segment)) AS differ
  FROM cdp.rfm_snapshots s
  FULL JOIN cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09') p USING (profile_id)
 WHERE s.as_of = '2024-06-30' OR s.as_of IS NULL;
-- profile 9 bought on the day itself: recency 0; profile 12's order of July 1st is left out
SELECT profile_id, recency_days FROM cdp.rfm_snapshots WHERE as_of = '2024-06-30' AND profile_id IN (9, 12);
SELECT as_of, segment, name_en, profiles, revenue, profile_share, revenue_share
  FROM cdp.rfm_snapshot_summary ORDER BY as_of, segment;
SELECT cdp.rfm_refresh(NULL);
\echo :SQLSTATE
SELECT cdp.rfm_refresh('infinity');
\echo :SQLSTATE
SELECT cdp.rfm_refresh('2024-06-30', scheme => 'missing');
\echo :SQLSTATE
SELECT as_of, count(*) FROM cdp.rfm_snapshots GROUP BY as_of ORDER BY as_of;

-- the reader's rights and row-level security apply through the views and
-- the function: a role without rights on cdp.events sees nothing, and
-- row-level security on cdp.events narrows the scored population
CREATE ROLE regress_rfm_reader;
GRANT SELECT ON cdp.rfm_profiles, cdp.rfm_segments TO regress_rfm_reader;
SET ROLE regress_rfm_reader;
SELECT count(*) FROM cdp.rfm_profiles;
\echo :SQLSTATE
RESET ROLE;
GRANT SELECT ON cdp.events TO regress_rfm_reader;
ALTER TABLE cdp.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY regress_some_profiles ON cdp.events FOR SELECT TO regress_rfm_reader USING (profile_id <= 3);
SET ROLE regress_rfm_reader;
SELECT profile_id, frequency, rfm FROM cdp.rfm_profiles ORDER BY profile_id;
RESET ROLE;
DROP POLICY regress_some_profiles ON cdp.events;
ALTER TABLE cdp.events DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON cdp.events, cdp.rfm_profiles, cdp.rfm_segments FROM regress_rfm_reader;

-- memory: past work_mem * hash_mem_multiplier the profiles in memory are
-- spilled to a sort by profile_id, merged at the end and scored from
-- there; the result is the same.  3,000 more profiles, their orders
-- interleaved so that most profiles are spilled more than once.
INSERT INTO cdp.profiles (family_name) SELECT 'q' || g FROM generate_series(1, 3000) g;
INSERT INTO cdp.events (source_id, profile_id, event_type, occurred_at, amount, currency)
SELECT s.source_id, p.profile_id, 'order',
       timestamptz '2024-01-01 12:00+09' + ((p.profile_id * 37 + k * 101) % 180) * interval '1 day',
       (p.profile_id * 13 + k * 7) % 1000 + 0.25, 'JPY'
  FROM cdp.sources s, cdp.profiles p, generate_series(1, 5) k
 WHERE p.family_name LIKE 'q%' AND k <= 1 + p.profile_id % 5
 ORDER BY k, p.profile_id;
CREATE TABLE in_memory AS SELECT * FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09');
CREATE TABLE in_memory_scheme AS
SELECT * FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09', scheme => 'shop');
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE (p.recency_days, p.frequency, p.monetary, p.first_at, p.last_at, p.rfm, p.segment)
                              IS DISTINCT FROM (m.recency_days, m.frequency, m.monetary, m.first_at, m.last_at, m.rfm, m.segment)) AS differ
  FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09') p FULL JOIN in_memory m USING (profile_id);
SELECT count(*) AS profiles, count(*) FILTER (WHERE (p.rfm, p.segment) IS DISTINCT FROM (m.rfm, m.segment)) AS differ
  FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09', scheme => 'shop') p
  FULL JOIN in_memory_scheme m USING (profile_id);
-- sums past 2^63 ten-thousandths take numeric arithmetic, spilled or not
RESET work_mem;
RESET hash_mem_multiplier;
INSERT INTO cdp.events (source_id, profile_id, event_type, occurred_at, amount, currency)
SELECT s.source_id, p.profile_id, 'order', '2024-06-01 12:00+09', 99999999999999, 'JPY'
  FROM cdp.sources s, cdp.profiles p, generate_series(1, 10) k
 WHERE p.family_name IN ('q10', 'q20');
CREATE TABLE in_memory_big AS SELECT * FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09');
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE (p.recency_days, p.frequency, p.monetary, p.first_at, p.last_at, p.rfm, p.segment)
                              IS DISTINCT FROM (m.recency_days, m.frequency, m.monetary, m.first_at, m.last_at, m.rfm, m.segment)) AS differ,
       max(p.monetary) AS biggest
  FROM cdp.rfm_profile_scores('2024-06-30 23:59:59.999999+09') p FULL JOIN in_memory_big m USING (profile_id);
RESET work_mem;
RESET hash_mem_multiplier;
DROP TABLE in_memory, in_memory_scheme, in_memory_big;

DROP EXTENSION cdp;
DROP ROLE regress_rfm_reader;
