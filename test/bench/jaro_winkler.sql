--
-- jaro_winkler: cdp.jaro_winkler against pg_similarity's jarowinkler over
-- name pairs, Latin and Japanese, in the same run on the same rows.
--
-- pg_similarity (checked in its source, jaro.c and similarity.h) computes
-- the classic Jaro-Winkler: window floor(max/2) - 1, transpositions halved
-- and rounded down, prefix up to 4, scale 0.1, boost only above 0.7, 0 for
-- an empty string; but on bytes, with ASCII case folded (PGS_IGNORE_CASE),
-- and only up to 1024 bytes.  cdp works on code points and is
-- case-sensitive (fold case first, e.g. with lower()).  So both are defined
-- alike on ASCII strings, where cdp.jaro_winkler(lower(a), lower(b)) must
-- equal jarowinkler(a, b) exactly (same floating-point operations), and on
-- ASCII strings without upper case, where cdp.jaro_winkler(a, b) must.
-- Timings run over all pairs (pg_similarity takes Japanese too, as bytes)
-- and over the ASCII ones.
--
-- Own cost: a query's time minus the time of the same scan computing
-- octet_length(a) + octet_length(b) (see levenshtein.sql for why not
-- length()).  Each query runs five times; the fastest counts.  Parallel
-- query is off.
--
\set ON_ERROR_STOP 1
SELECT CASE WHEN :'scale' = 'tiny' THEN 1000 ELSE 1000000 END AS n \gset
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cdp;
CREATE EXTENSION IF NOT EXISTS pg_similarity;
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
ALTER TABLE pairs ADD COLUMN ascii boolean;
UPDATE pairs SET ascii = octet_length(a) = length(a) AND octet_length(b) = length(b);
ANALYZE pairs;
SELECT latin, count(*) AS pairs, round(avg(length(a)), 1) AS avg_chars, max(length(a)) AS max_chars,
       min(a) AS example_a, min(b) AS example_b
  FROM pairs GROUP BY latin ORDER BY latin;

-- identical results wherever both are defined
DO $$
DECLARE
  bad int;
  bad_lower int;
BEGIN
  SELECT count(*) FILTER (WHERE cdp.jaro_winkler(lower(a), lower(b)) <> jarowinkler(a, b)),
         count(*) FILTER (WHERE a = lower(a) AND b = lower(b) AND cdp.jaro_winkler(a, b) <> jarowinkler(a, b))
    INTO bad, bad_lower FROM pairs WHERE ascii;
  IF bad > 0 OR bad_lower > 0 THEN
    RAISE EXCEPTION 'cdp and pg_similarity disagree on % ASCII pairs (% without upper case)', bad, bad_lower;
  END IF;
END $$;
SELECT count(*) AS ascii_pairs_checked_identical,
       count(*) FILTER (WHERE a = lower(a) AND b = lower(b)) AS of_which_lower_case
  FROM pairs WHERE ascii;
-- ... and the same ASCII pairs lower-cased first, where cdp folds nothing
-- and the two must still agree
DO $$
DECLARE
  bad int;
BEGIN
  SELECT count(*) INTO bad FROM pairs
   WHERE ascii AND cdp.jaro_winkler(lower(a), lower(b)) <> jarowinkler(lower(a), lower(b));
  IF bad > 0 THEN
    RAISE EXCEPTION 'cdp and pg_similarity disagree on % lower-cased pairs', bad;
  END IF;
END $$;

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
CREATE TABLE pairs_ascii AS SELECT * FROM pairs WHERE ascii;
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
  FROM (VALUES ('all', 'pairs'), ('ASCII', 'pairs_ascii'), ('Japanese', 'pairs_japanese')) AS s(subset, tab),
       (VALUES ('baseline octet_length', 'octet_length(a) + octet_length(b)'),
               ('baseline length', 'length(a) + length(b)'),
               ('pg_similarity jarowinkler', 'jarowinkler(a, b)'),
               ('cdp.jaro_winkler', 'cdp.jaro_winkler(a, b)'),
               ('cdp.jaro', 'cdp.jaro(a, b)')) AS q(what, expr);

SELECT t.subset, t.what, round(t.ms::numeric, 1) AS ms,
       round((t.ms * 1e6 / t.rows)::numeric, 1) AS ns_per_row,
       round(((t.ms - b.ms) * 1e6 / t.rows)::numeric, 1) AS own_ns_per_row
  FROM timings t JOIN timings b ON b.subset = t.subset AND b.what = 'baseline octet_length'
 ORDER BY t.subset, t.what;

CREATE FUNCTION pg_temp.ratio(peer float8, ours float8) RETURNS text LANGUAGE sql AS $$
SELECT CASE WHEN ours <= 0 THEN 'n/a (ours is within the baseline''s noise)'
            ELSE round((peer / ours)::numeric, 1)::text || 'x' END $$;
SELECT format('jaro_winkler %s: own-cost ratio pg_similarity/cdp %s (own ns per row: %s vs %s; with length() as baseline: %s)',
              p.subset,
              pg_temp.ratio(p.ms - b.ms, o.ms - b.ms),
              round(((p.ms - b.ms) * 1e6 / p.rows)::numeric, 1), round(((o.ms - b.ms) * 1e6 / o.rows)::numeric, 1),
              pg_temp.ratio(p.ms - l.ms, o.ms - l.ms)) AS result
  FROM timings p
  JOIN timings o ON o.subset = p.subset AND o.what = 'cdp.jaro_winkler'
  JOIN timings b ON b.subset = p.subset AND b.what = 'baseline octet_length'
  JOIN timings l ON l.subset = p.subset AND l.what = 'baseline length'
 WHERE p.what = 'pg_similarity jarowinkler'
 ORDER BY p.subset;

DROP TABLE pairs, pairs_ascii, pairs_japanese;
