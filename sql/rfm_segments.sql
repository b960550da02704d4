--
-- rfm_segments: the standard segment map, editable as data, with English
-- and Japanese names; cdp.rfm_segment names the segment of a score
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

SELECT segment, name_en, name_ja, priority, recency_min, recency_max, frequency_min, frequency_max,
       monetary_min, monetary_max, enabled, builtin
  FROM cdp.rfm_segments ORDER BY priority;

-- every score on five levels has exactly one segment, and every segment is
-- reachable: no two rules overlap, none is shadowed
WITH scores AS (
  SELECT cdp.rfm_score(r, f, m) AS s FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m)
SELECT count(*) AS scores, count(cdp.rfm_segment(s)) AS with_segment,
       count(DISTINCT cdp.rfm_segment(s)) AS segments_reached,
       (SELECT count(*) FROM scores, cdp.rfm_segments g
         WHERE cdp.recency_score(s) BETWEEN g.recency_min AND g.recency_max
           AND cdp.frequency_score(s) BETWEEN g.frequency_min AND g.frequency_max
           AND cdp.monetary_score(s) BETWEEN g.monetary_min AND g.monetary_max) AS rule_matches
  FROM scores;
-- the R x F grid
SELECT r, string_agg(cdp.rfm_segment(cdp.rfm_score(r, f, 3)), ' | ' ORDER BY f) AS "F = 1 .. 5"
  FROM generate_series(1, 5) r, generate_series(1, 5) f GROUP BY r ORDER BY r DESC;
SELECT cdp.rfm_segment('5-5-5'), cdp.rfm_segment('1-1-1'), cdp.rfm_segment(NULL) IS NULL AS null_in;
-- levels above 5 (a map for more levels is the user's to write) match nothing
SELECT cdp.rfm_segment('7-7-7') IS NULL AS no_segment;

-- editing: a changed seed row is the user's (builtin false, kept by pg_dump)
UPDATE cdp.rfm_segments SET name_ja = '常連顧客' WHERE segment = 'loyal';
SELECT segment, name_ja, builtin FROM cdp.rfm_segments WHERE segment = 'loyal';
-- a user's segment with a lower priority number wins
INSERT INTO cdp.rfm_segments (segment, name_en, name_ja, priority, recency_min, frequency_min, monetary_min)
VALUES ('vip', 'VIP', '最優良顧客', 5, 5, 5, 5);
SELECT cdp.rfm_segment('5-5-5') AS top, cdp.rfm_segment('5-5-4') AS next;
-- switched off, a rule no longer matches
UPDATE cdp.rfm_segments SET enabled = false WHERE segment = 'lost';
SELECT cdp.rfm_segment('1-1-1') IS NULL AS lost_off, builtin FROM cdp.rfm_segments WHERE segment = 'lost';
-- inserting a row with a seed's key overwrites the seed (what pg_restore does)
INSERT INTO cdp.rfm_segments (segment, name_en, name_ja, priority, recency_min, recency_max, frequency_min, frequency_max)
VALUES ('new', 'First-time buyers', '初回購入者', 40, 5, 5, 1, 1);
SELECT segment, name_en, name_ja, builtin FROM cdp.rfm_segments WHERE segment = 'new';
-- ... but a user's own row is never replaced silently
INSERT INTO cdp.rfm_segments (segment, name_en, priority) VALUES ('vip', 'Again', 1);
\echo :SQLSTATE
-- bad rows are refused and change nothing
INSERT INTO cdp.rfm_segments (segment, name_en, priority, recency_min, recency_max) VALUES ('odd', 'Odd', 1, 4, 2);
\echo :SQLSTATE
INSERT INTO cdp.rfm_segments (segment, name_en, priority, monetary_min) VALUES ('odd', 'Odd', 1, 0);
\echo :SQLSTATE
INSERT INTO cdp.rfm_segments (segment, name_en, priority, frequency_max) VALUES ('odd', 'Odd', 1, 100);
\echo :SQLSTATE
INSERT INTO cdp.rfm_segments (segment, name_en, priority) VALUES ('Odd One', 'Odd', 1);
\echo :SQLSTATE
INSERT INTO cdp.rfm_segments (segment, name_en, priority) VALUES ('odd', ' ', 1);
\echo :SQLSTATE
INSERT INTO cdp.rfm_segments (segment, name_en) VALUES ('odd', 'Odd');
\echo :SQLSTATE
SELECT count(*) AS segments, count(*) FILTER (WHERE builtin) AS still_builtin FROM cdp.rfm_segments;
-- pg_dump keeps the user's rows only
SELECT c.relname, e.cond
  FROM pg_extension x,
       unnest(x.extconfig, x.extcondition) AS e(oid, cond)
  JOIN pg_class c ON c.oid = e.oid
 WHERE x.extname = 'cdp' AND c.relname LIKE 'rfm%' ORDER BY 1;

DROP EXTENSION cdp;
