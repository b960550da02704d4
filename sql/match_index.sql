--
-- match_index: candidate search on names — the folded grams, the name
-- similarity, the operators %~ and <~>, the setting cdp.similarity_threshold
-- and the GiST operator class cdp.name_gist_ops: the index is used, and it
-- returns exactly what a sequential scan returns.
--
CREATE EXTENSION cdp;
SET search_path = public, cdp;

-- the setting: default, range, bad values
SHOW cdp.similarity_threshold;
SET cdp.similarity_threshold = 1.5;
\echo :SQLSTATE
SET cdp.similarity_threshold = 'high';
\echo :SQLSTATE
SHOW cdp.similarity_threshold;

-- what a name is compared by: folded (cdp.normalize_name: NFKC, case,
-- accents, kana, variant kanji, separators; then no spaces), bigrams with
-- start and end marks, unigrams of kana and kanji, the start trigram
SELECT cdp.name_grams('髙橋 一郎') AS kanji, cdp.name_grams('ﾀｶﾊｼ') AS halfwidth_kana;
SELECT cdp.name_grams('José GARCÍA-López') AS latin, cdp.name_grams('') AS empty,
       cdp.name_grams('・ ') AS only_punctuation, cdp.name_grams(NULL) AS null_name;
SELECT cdp.name_grams('たかはし') = cdp.name_grams('タカハシ') AS hiragana_is_katakana,
       cdp.name_grams('﨑') = cdp.name_grams('崎') AS compat_kanji,
       cdp.name_grams('邊') = cdp.name_grams('辺') AND cdp.name_grams('邉') = cdp.name_grams('辺') AS watanabe,
       cdp.name_grams('ＳＭＩＴＨ') = cdp.name_grams('smith') AS fullwidth_latin,
       cdp.name_grams('Søren') = cdp.name_grams('SOREN') AS latin_letters,
       cdp.name_grams('Yamada Taro') = cdp.name_grams('yamada-taro') AS word_breaks,
       cdp.name_grams('山田 太郎') = cdp.name_grams('山田太郎') AS japanese_space;

-- the similarity: Dice coefficient of the gram sets
SELECT n.a, n.b, round(cdp.name_similarity(n.a, n.b)::numeric, 4) AS similarity,
       n.a %~ n.b AS similar, round((n.a <~> n.b)::numeric, 4) AS distance
  FROM (VALUES ('髙橋', '高橋'), ('たかはし', 'タカハシ'), ('ﾀｶﾊｼ', 'タカハシ'), ('齋藤', '斎藤'),
               ('José García', 'jose garcia'), ('高橋', '高嶋'), ('佐藤', '佐藤花子'),
               ('smith', 'SMYTH'), ('Smith', 'Schmidt'), ('山田 太郎', '山田太郎'),
               ('', ''), ('', 'a'), ('林', '森')) AS n(a, b);
SELECT cdp.name_similarity(NULL, 'a') AS null_sim, NULL::text %~ 'a' AS null_op, 'a' <~> NULL AS null_dist;
-- the threshold moves the filter
SET cdp.similarity_threshold = 0.3;
SELECT '高橋' %~ '高嶋' AS at_0_3;
RESET cdp.similarity_threshold;
SELECT '高橋' %~ '高嶋' AS at_default;

-- markings: the operators' functions are not leakproof (ICU may fail)
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
  FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace
   AND p.proname IN ('name_similarity', 'name_grams', 'name_similar_op', 'name_distance_op')
 ORDER BY 1::text;

-- a table of names: generated Japanese and Latin names, and the ones we look for
CREATE TABLE people (id serial PRIMARY KEY, name text);
INSERT INTO people (name)
SELECT (ARRAY['高','山','田','中','佐','藤','鈴','木','渡','辺','伊','小','林','加','吉','松'])[1 + (i * 7) % 16] ||
       (ARRAY['橋','田','本','村','野','川','井','島','崎','沢','原','口'])[1 + (i * 5) % 12] || ' ' ||
       (ARRAY['一','健','大','翔','美','恵','花','真','智','陽'])[1 + (i * 3) % 10] ||
       (ARRAY['郎','太','子','美','也','介','樹','奈'])[1 + (i * 11) % 8]
  FROM generate_series(1, 1500) AS i;
INSERT INTO people (name)
SELECT (ARRAY['John','Mary','José','María','Anna','Peter','Zoë','François','Søren','Lucía'])[1 + (i * 3) % 10] || ' ' ||
       (ARRAY['Smith','García','Müller','Brown','Núñez','Dubois','Taylor','López','Schmidt','Côté','Wilson'])[1 + (i * 7) % 11]
  FROM generate_series(1, 1500) AS i;
INSERT INTO people (name) VALUES
  ('髙橋 一郎'), ('高橋一郎'), ('たかはし いちろう'), ('ﾀｶﾊｼ ｲﾁﾛｳ'), ('タカハシ イチロウ'),
  ('山﨑 花子'), ('渡邊 健太'), ('齋藤 真美'), ('José Núñez'), ('Jose Nunez'), ('JOSE NUNEZ'),
  (''), (NULL), (NULL);
-- a name too long for a list of gram hashes: its leaf key is a signature
INSERT INTO people (name)
SELECT string_agg(chr(19968 + g * 37 % 500), '' ORDER BY g) FROM generate_series(1, 300) AS g;
CREATE INDEX people_name_idx ON people USING gist (name cdp.name_gist_ops);
ANALYZE people;
SET enable_seqscan = off;

-- the filter and the nearest-first order use the index
EXPLAIN (COSTS OFF) SELECT id FROM people WHERE name %~ '高橋一郎';
EXPLAIN (COSTS OFF) SELECT id FROM people ORDER BY name <~> '高橋一郎' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM people WHERE name OPERATOR(cdp.%~) 'x';

-- Japanese: variant kanji, hiragana, half-width kana all meet
SELECT name, round(distance::numeric, 4) AS distance, count(*) AS rows
  FROM (SELECT name, name <~> '髙橋 一郎' AS distance FROM people ORDER BY name <~> '髙橋 一郎' LIMIT 8) AS top
 GROUP BY name, distance ORDER BY distance, name;
SELECT name FROM people WHERE name %~ 'タカハシイチロウ' ORDER BY name;
SELECT name FROM people WHERE name %~ '山崎花子' ORDER BY name;
SELECT name FROM people WHERE name %~ '渡辺 健太' AND name LIKE '渡%' ORDER BY name;
SELECT name, count(*) FROM people WHERE name %~ 'jose nunez' GROUP BY name ORDER BY name;
SELECT count(*) AS empty_query_matches FROM people WHERE name %~ '';
SELECT length(name) AS long_name_found, round((name <~> q)::numeric, 4) AS distance
  FROM people, (SELECT string_agg(chr(19968 + g * 37 % 500), '' ORDER BY g) AS q
                  FROM generate_series(2, 300) AS g) AS query
 WHERE name %~ q;

-- the index returns exactly what a sequential scan returns, for a spread of
-- queries and thresholds: same rows for %~, same distances for <~>
CREATE TEMP TABLE probe (q text);
INSERT INTO probe VALUES ('高橋一郎'), ('髙橋'), ('たかはし'), ('ﾔﾏﾀﾞ'), ('佐藤 花子'), ('林'),
  ('John Smith'), ('Maria Garcia'), ('Francois Cote'), ('Soren Muller'), ('Zoe'), ('x'), ('');
INSERT INTO probe
SELECT string_agg(chr(19968 + g * 37 % 500), '' ORDER BY g) FROM generate_series(2, 300) AS g;
CREATE TEMP TABLE with_index (t float8, q text, ids int[]);
CREATE TEMP TABLE without_index (t float8, q text, ids int[]);
CREATE TEMP TABLE knn_index AS
SELECT q, array_agg(d ORDER BY rn) AS dists
  FROM probe, LATERAL (SELECT row_number() OVER () AS rn, d
                         FROM (SELECT name <~> q AS d FROM people ORDER BY name <~> q LIMIT 15) x) r
 GROUP BY q;
CREATE FUNCTION pg_temp.filter_at(threshold float8, target text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('cdp.similarity_threshold', threshold::text, false);
  EXECUTE format('INSERT INTO %I SELECT $1, q, ARRAY(SELECT id FROM people WHERE name %%~ q ORDER BY id) FROM probe',
                 target) USING threshold;
END $$;
SELECT pg_temp.filter_at(t, 'with_index') FROM (VALUES (0.3), (0.5), (0.8)) AS th(t);
RESET enable_seqscan;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM people WHERE name %~ '高橋一郎';
EXPLAIN (COSTS OFF) SELECT id FROM people ORDER BY name <~> '高橋一郎' LIMIT 10;
SELECT pg_temp.filter_at(t, 'without_index') FROM (VALUES (0.3), (0.5), (0.8)) AS th(t);
CREATE TEMP TABLE knn_seq AS
SELECT q, array_agg(d ORDER BY rn) AS dists
  FROM probe, LATERAL (SELECT row_number() OVER () AS rn, d
                         FROM (SELECT name <~> q AS d FROM people ORDER BY name <~> q LIMIT 15) x) r
 GROUP BY q;
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET cdp.similarity_threshold;
SELECT (SELECT count(*) FROM with_index) AS filter_cases,
       (SELECT sum(cardinality(ids)) FROM with_index) AS rows_found,
       (SELECT count(*) FROM (SELECT * FROM with_index EXCEPT SELECT * FROM without_index) d) AS only_with_index,
       (SELECT count(*) FROM (SELECT * FROM without_index EXCEPT SELECT * FROM with_index) d) AS only_without_index,
       (SELECT count(*) FROM knn_index i JOIN knn_seq s USING (q) WHERE i.dists = s.dists) AS knn_same,
       (SELECT count(*) FROM knn_index) AS knn_cases;

-- the index follows inserts, updates and deletes
INSERT INTO people (name) VALUES ('櫻井 翔');
UPDATE people SET name = '濱田 雅美' WHERE name = '齋藤 真美';
DELETE FROM people WHERE name = 'JOSE NUNEZ';
SET enable_seqscan = off;
SELECT name FROM people WHERE name %~ '桜井翔';
SELECT name FROM people WHERE name %~ '浜田雅美';
SELECT name FROM people WHERE name %~ '斎藤真美';
SELECT name, count(*) FROM people WHERE name %~ 'Jose Nunez' GROUP BY name ORDER BY name;
RESET enable_seqscan;

-- the key type cannot be typed in
SELECT 'x'::cdp.name_gist_key;
\echo :SQLSTATE

DROP TABLE people;
DROP EXTENSION cdp;
