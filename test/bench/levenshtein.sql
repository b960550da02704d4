--
-- levenshtein: cdp.levenshtein against contrib fuzzystrmatch's levenshtein
-- (and cdp.levenshtein_le against levenshtein_less_equal) over name pairs,
-- Latin and Japanese, in the same run on the same rows.
--
-- fuzzystrmatch counts characters, not bytes, for multibyte text (PostgreSQL
-- 15), and refuses strings over 255 characters; every pair here is shorter,
-- so both are defined on all pairs and must agree on every one.
--
-- Own cost: a query's time minus the time of the same scan computing
-- octet_length(a) + octet_length(b).  We subtract octet_length, not length:
-- length() counts characters and costs more than our whole kernel on these
-- names, so subtracting it would hide our cost (the figures against length()
-- are printed too).  Each query runs five times; the fastest counts.
-- Parallel query is off.
--
\set ON_ERROR_STOP 1
SELECT CASE WHEN :'scale' = 'tiny' THEN 1000 ELSE 1000000 END AS n \gset
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cdp;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
SELECT setseed(0.17);

-- names: Latin (some with accents) and Japanese (kanji and katakana)
CREATE TEMP TABLE words AS
SELECT '{James,John,Robert,Michael,William,David,Richard,Joseph,Thomas,Charles,Mary,Patricia,Jennifer,Linda,Elizabeth,Barbara,Susan,Jessica,Sarah,Karen,José,María,Juan,Luis,Carlos,Jorge,Ana,Lucía,Sofía,Andrés}'::text[] AS first,
       '{Smith,Johnson,Williams,Brown,Jones,Miller,Davis,Wilson,Anderson,Taylor,Thomas,Moore,Martin,Jackson,Thompson,White,Harris,Clark,Lewis,Walker,García,Martínez,Hernández,González,López,Pérez,Sánchez,Ramírez,Gómez,Díaz}'::text[] AS last,
       '{高橋,佐藤,鈴木,田中,伊藤,渡辺,山本,中村,小林,加藤,吉田,山田,佐々木,山口,松本,井上,木村,林,斎藤,清水,山崎,森,池田,橋本,阿部,石川,山下,中島,石井,小川}'::text[] AS family,
       '{太郎,一郎,健太,翔太,大輔,拓也,直樹,誠,花子,美咲,陽子,恵美,由美子,真由美,愛,結衣,さくら,ゆかり,あゆみ,ひろし}'::text[] AS given,
       '{タカハシ,サトウ,スズキ,タナカ,イトウ,ワタナベ,ヤマモト,ナカムラ,コバヤシ,カトウ,ヨシダ,ヤマダ,ササキ,ヤマグチ,マツモト}'::text[] AS kana;

CREATE TEMP TABLE names AS
SELECT i, CASE WHEN i % 2 = 0
               THEN first[1 + floor(random() * 30)::int] || ' ' || last[1 + floor(random() * 30)::int]
               WHEN i % 4 = 1
               THEN family[1 + floor(random() * 30)::int] || given[1 + floor(random() * 20)::int]
               ELSE kana[1 + floor(random() * 15)::int] || ' ' || kana[1 + floor(random() * 15)::int]
          END AS name
  FROM generate_series(1, :n) AS i, words;

-- pairs within a script: half near-duplicates (one or two edits), half
-- unrelated names
CREATE TABLE pairs AS
SELECT n.i, n.i % 2 = 0 AS latin, n.name AS a,
       CASE WHEN n.i % 4 < 2
            THEN overlay(n.name PLACING CASE WHEN n.i % 3 = 0 THEN '' ELSE substr(o.name, 2, n.i % 3) END
                         FROM 1 + (n.i / 4) % length(n.name) FOR 1 + (n.i / 8) % 2)
            ELSE o.name END AS b
  FROM names n JOIN names o ON o.i = 2 * ((n.i::bigint * 7919) % (:n / 2)) + 2 - n.i % 2;
ANALYZE pairs;
SELECT latin, count(*) AS pairs, round(avg(length(a)), 1) AS avg_chars, max(length(a)) AS max_chars,
       min(a) AS example_a, min(b) AS example_b
  FROM pairs GROUP BY latin ORDER BY latin;

-- identical results on every pair
DO $$
DECLARE
  bad int;
  bad_le int;
BEGIN
  SELECT count(*) FILTER (WHERE cdp.levenshtein(a, b) <> levenshtein(a, b)),
         count(*) FILTER (WHERE cdp.levenshtein_le(a, b, 2) <> least(levenshtein_less_equal(a, b, 2), 3))
    INTO bad, bad_le FROM pairs;
  IF bad > 0 OR bad_le > 0 THEN
    RAISE EXCEPTION 'cdp and fuzzystrmatch disagree: levenshtein on % pairs, levenshtein_le on % pairs', bad, bad_le;
  END IF;
END $$;
SELECT count(*) AS pairs_checked_identical FROM pairs;

CREATE FUNCTION pg_temp.best_ms(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  best float8 := 'Infinity';
  r int;
BEGIN
  FOR r IN 1 .. 5 LOOP
    t0 := clock_timestamp();
    EXECUTE query;
    best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
  RETURN best;
END $$;

-- each subset in its own table, so that every timed scan reads only its rows
CREATE TABLE pairs_latin AS SELECT * FROM pairs WHERE latin;
CREATE TABLE pairs_japanese AS SELECT * FROM pairs WHERE NOT latin;
CREATE FUNCTION pg_temp.row_count(tab text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %I', tab) INTO n;
  RETURN n;
END $$;

CREATE TEMP TABLE timings (subset text, what text, ms float8, rows bigint);
INSERT INTO timings
SELECT s.subset, q.what,
       pg_temp.best_ms(format('SELECT sum(%s) FROM %I', q.expr, s.tab)),
       pg_temp.row_count(s.tab)
  FROM (VALUES ('all', 'pairs'), ('Latin', 'pairs_latin'), ('Japanese', 'pairs_japanese')) AS s(subset, tab),
       (VALUES ('baseline octet_length', 'octet_length(a) + octet_length(b)'),
               ('baseline length', 'length(a) + length(b)'),
               ('fuzzystrmatch levenshtein', 'levenshtein(a, b)'),
               ('cdp.levenshtein', 'cdp.levenshtein(a, b)'),
               ('fuzzystrmatch levenshtein_less_equal 2', 'levenshtein_less_equal(a, b, 2)'),
               ('cdp.levenshtein_le 2', 'cdp.levenshtein_le(a, b, 2)')) AS q(what, expr);

SELECT t.subset, t.what, round(t.ms::numeric, 1) AS ms,
       round((t.ms * 1e6 / t.rows)::numeric, 1) AS ns_per_row,
       round(((t.ms - b.ms) * 1e6 / t.rows)::numeric, 1) AS own_ns_per_row
  FROM timings t JOIN timings b ON b.subset = t.subset AND b.what = 'baseline octet_length'
 ORDER BY t.subset, t.what;

CREATE FUNCTION pg_temp.ratio(peer float8, ours float8) RETURNS text LANGUAGE sql AS $$
SELECT CASE WHEN ours <= 0 THEN 'n/a (ours is within the baseline''s noise)'
            ELSE round((peer / ours)::numeric, 1)::text || 'x' END $$;
SELECT format('levenshtein %s: own-cost ratio fuzzystrmatch/cdp %s (own ns per row: %s vs %s; with length() as baseline: %s)',
              p.subset,
              pg_temp.ratio(p.ms - b.ms, o.ms - b.ms),
              round(((p.ms - b.ms) * 1e6 / p.rows)::numeric, 1), round(((o.ms - b.ms) * 1e6 / o.rows)::numeric, 1),
              pg_temp.ratio(p.ms - l.ms, o.ms - l.ms)) AS result
  FROM timings p
  JOIN timings o ON o.subset = p.subset AND o.what = 'cdp.levenshtein'
  JOIN timings b ON b.subset = p.subset AND b.what = 'baseline octet_length'
  JOIN timings l ON l.subset = p.subset AND l.what = 'baseline length'
 WHERE p.what = 'fuzzystrmatch levenshtein'
 ORDER BY p.subset;
SELECT format('levenshtein_le %s: own-cost ratio fuzzystrmatch/cdp %s (max 2)', p.subset,
              pg_temp.ratio(p.ms - b.ms, o.ms - b.ms)) AS result
  FROM timings p
  JOIN timings o ON o.subset = p.subset AND o.what = 'cdp.levenshtein_le 2'
  JOIN timings b ON b.subset = p.subset AND b.what = 'baseline octet_length'
 WHERE p.what = 'fuzzystrmatch levenshtein_less_equal 2'
 ORDER BY p.subset;

DROP TABLE pairs, pairs_latin, pairs_japanese;
