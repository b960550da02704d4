--
-- name_search: indexed top-10 name search (cdp.name_gist_ops, ORDER BY name
-- <~> query LIMIT 10) over 1M names, Japanese and Latin, against
--   - a sequential scan ordering by the same similarity (speed ratio), and
--   - pg_trgm's GiST index, ORDER BY name <-> query LIMIT 10 (recall@10).
-- Queries are variations of stored names: variant kanji (髙/高 ...), hiragana
-- and half-width kana for katakana names, a replaced kanji, Latin typos and
-- accents dropped.  A query is a hit when its top 10 holds a row with the
-- name it was made from.  Both orderings must return the same distances
-- with and without our index, or the benchmark fails.
-- Parallel query is off so that both sides use one core.
--
\set ON_ERROR_STOP 1
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 1000000 END AS n,
       CASE WHEN :'scale' = 'tiny' THEN 40 ELSE 400 END AS nqueries,
       CASE WHEN :'scale' = 'tiny' THEN 4 ELSE 10 END AS nseq \gset
SELECT set_config('bench.nseq', :'nseq', false);
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cdp;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SET search_path = public, cdp;
SELECT setseed(0.42);

-- kanji of surnames, given names, with one katakana reading each
CREATE TEMP TABLE kanji (part int, k text, r text);
INSERT INTO kanji SELECT 1, k, r FROM unnest(
  '{高,崎,辺,斎,沢,広,浜,桜,関,吉,島,国,山,田,中,小,大,木,林,森,井,上,石,川,松,藤,佐,伊,加,渡,村,野,原,岡,本,西,東,北,長,清}'::text[],
  '{タカ,サキ,ワタ,サイ,サワ,ヒロ,ハマ,サクラ,セキ,ヨシ,シマ,クニ,ヤマ,タ,ナカ,コ,オオ,キ,ハヤシ,モリ,イ,ウエ,イシ,カワ,マツ,フジ,サ,イ,カ,ワタ,ムラ,ノ,ハラ,オカ,モト,ニシ,ヒガシ,キタ,ナガ,キヨ}'::text[]) AS x(k, r);
INSERT INTO kanji SELECT 2, k, r FROM unnest(
  '{田,橋,山,川,本,野,村,井,木,藤,島,崎,沢,原,口,谷,部,岡,辺,浜,尾,内,中,宮,瀬,関,林,森,池,坂}'::text[],
  '{ダ,ハシ,ヤマ,カワ,モト,ノ,ムラ,イ,キ,トウ,ジマ,ザキ,ザワ,ハラ,グチ,タニ,ベ,オカ,ベ,ハマ,オ,ウチ,ナカ,ミヤ,セ,ゼキ,バヤシ,モリ,イケ,サカ}'::text[]) AS x(k, r);
INSERT INTO kanji SELECT 3, k, r FROM unnest(
  '{一,健,大,翔,拓,誠,直,正,和,美,恵,花,優,真,智,陽,愛,結,彩,千,由,裕,秀,浩,博,明,雅,俊,光,幸}'::text[],
  '{イチ,ケン,ダイ,ショウ,タク,セイ,ナオ,マサ,カズ,ミ,メグ,ハナ,ユウ,マ,トモ,ヨウ,アイ,ユイ,アヤ,チ,ユ,ヒロ,ヒデ,コウ,ヒロ,アキ,マサ,トシ,ミツ,ユキ}'::text[]) AS x(k, r);
INSERT INTO kanji SELECT 4, k, r FROM unnest(
  '{郎,太,子,美,也,介,樹,人,奈,香,菜,代,恵,司,斗,輝,平,江,希,海}'::text[],
  '{ロウ,タ,コ,ミ,ヤ,スケ,キ,ト,ナ,カ,ナ,ヨ,エ,ジ,ト,キ,ヘイ,エ,キ,ミ}'::text[]) AS x(k, r);
CREATE TEMP TABLE kanji_arr AS
SELECT part, array_agg(k ORDER BY k) AS ks, array_agg(r ORDER BY k) AS rs FROM kanji GROUP BY part;

-- variant forms, as people write them on forms
CREATE TEMP TABLE variants (std text, var text);
INSERT INTO variants VALUES ('高','髙'), ('崎','﨑'), ('辺','邊'), ('斎','齋'), ('沢','澤'), ('広','廣'),
  ('浜','濱'), ('桜','櫻'), ('関','關'), ('吉','𠮷'), ('島','嶋'), ('国','國');

CREATE TEMP TABLE latin (part int, w text);
INSERT INTO latin SELECT 1, unnest('{James,John,Robert,Michael,William,David,Richard,Joseph,Thomas,Charles,Mary,Patricia,Jennifer,Linda,Elizabeth,Barbara,Susan,Jessica,Sarah,Karen,José,María,Juan,Luis,Carlos,Jorge,Ana,Lucía,Sofía,Andrés,François,Hélène,Chloé,Zoë,Noël,Jürgen,Björn,Søren,Renée,Inès,Peter,Paul,Mark,Anna,Laura,Emma,Olivia,Daniel,Lucas,Hugo}'::text[]);
INSERT INTO latin SELECT 2, unnest('{Smith,Johnson,Williams,Brown,Jones,Miller,Davis,Wilson,Anderson,Taylor,Thomas,Moore,Martin,Jackson,Thompson,White,Harris,Clark,Lewis,Walker,García,Martínez,Hernández,González,López,Pérez,Sánchez,Ramírez,Gómez,Díaz,Muñoz,Jiménez,Álvarez,Núñez,Romero,Ruiz,Lefèvre,Dubois,Müller,Schröder,Jäger,Weiß,Østergaard,Brontë,Côté,Bélanger,Gagnon,Roy,Fournier,Girard}'::text[]);
CREATE TEMP TABLE latin_arr AS SELECT part, array_agg(w ORDER BY w) AS ws FROM latin GROUP BY part;

CREATE OR REPLACE FUNCTION pg_temp.hiragana(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT translate(s, 'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴ',
                    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔ') $$;
CREATE OR REPLACE FUNCTION pg_temp.halfwidth(s text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  voiced text[] := '{ガ,ｶﾞ,ギ,ｷﾞ,グ,ｸﾞ,ゲ,ｹﾞ,ゴ,ｺﾞ,ザ,ｻﾞ,ジ,ｼﾞ,ズ,ｽﾞ,ゼ,ｾﾞ,ゾ,ｿﾞ,ダ,ﾀﾞ,ヂ,ﾁﾞ,ヅ,ﾂﾞ,デ,ﾃﾞ,ド,ﾄﾞ,バ,ﾊﾞ,ビ,ﾋﾞ,ブ,ﾌﾞ,ベ,ﾍﾞ,ボ,ﾎﾞ,パ,ﾊﾟ,ピ,ﾋﾟ,プ,ﾌﾟ,ペ,ﾍﾟ,ポ,ﾎﾟ,ヴ,ｳﾞ}';
  i int;
BEGIN
  FOR i IN 1 .. array_length(voiced, 1) BY 2 LOOP
    s := replace(s, voiced[i], voiced[i + 1]);
  END LOOP;
  RETURN translate(s, 'ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー　',
                      'ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ ');
END $$;
CREATE OR REPLACE FUNCTION pg_temp.unaccent(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT translate(s, 'áéíóúÁÉÍÓÚñÑüÜöÖäÄëËïÏçÇèÈêÊôÔàÀâÂøØß', 'aeiouAEIOUnNuUoOaAeEiIcCeEeEoOaAaAoOs') $$;

-- the names: half Japanese (kanji, a tenth with variant kanji, or katakana),
-- half Latin (given name and one or two surnames)
CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO people
SELECT i,
       CASE WHEN i % 2 = 0 THEN
              CASE WHEN i % 5 < 3
                   THEN s1k || s2k || CASE WHEN i % 3 = 0 THEN '' ELSE ' ' END || g1k || g2k
                   ELSE s1r || s2r || ' ' || g1r || g2r END
            ELSE f || ' ' || l1 || CASE WHEN i % 4 = 1 THEN ' ' || l2 ELSE '' END
       END
  FROM (SELECT i,
               floor(random() * 40)::int + 1 AS a1, floor(random() * 30)::int + 1 AS a2,
               floor(random() * 30)::int + 1 AS a3, floor(random() * 20)::int + 1 AS a4,
               floor(random() * 50)::int + 1 AS b1, floor(random() * 50)::int + 1 AS b2,
               floor(random() * 50)::int + 1 AS b3
          FROM generate_series(1, :n) AS i) AS r
  CROSS JOIN LATERAL (SELECT k1.ks[a1] AS s1k, k1.rs[a1] AS s1r, k2.ks[a2] AS s2k, k2.rs[a2] AS s2r,
                             k3.ks[a3] AS g1k, k3.rs[a3] AS g1r, k4.ks[a4] AS g2k, k4.rs[a4] AS g2r
                        FROM kanji_arr k1, kanji_arr k2, kanji_arr k3, kanji_arr k4
                       WHERE k1.part = 1 AND k2.part = 2 AND k3.part = 3 AND k4.part = 4) AS j
  CROSS JOIN LATERAL (SELECT l1_.ws[b1] AS f, l2_.ws[b2] AS l1, l2_.ws[b3] AS l2
                        FROM latin_arr l1_, latin_arr l2_ WHERE l1_.part = 1 AND l2_.part = 2) AS l;
-- a tenth of the kanji names are stored with a variant kanji
UPDATE people p SET name = replace(p.name, v.std, v.var)
  FROM variants v
 WHERE p.id % 30 = 6 AND strpos(p.name, v.std) > 0;
ANALYZE people;

-- the queries: variations of stored names, and the name each was made from
CREATE TEMP TABLE queries (qid serial, kind text, query text, target text);
CREATE TEMP TABLE sample AS
SELECT id, name,
       CASE WHEN id % 2 = 1 THEN 'latin'
            WHEN name ~ '^[ァ-ヴー ]+$' THEN 'katakana' ELSE 'kanji' END AS script
  FROM people ORDER BY random() LIMIT 50 * :nqueries;
INSERT INTO queries (kind, query, target)
SELECT 'variant kanji', q, name FROM (
  SELECT name, (SELECT CASE WHEN strpos(s.name, v.var) > 0 THEN replace(s.name, v.var, v.std)
                            ELSE replace(s.name, v.std, v.var) END
                  FROM variants v WHERE strpos(s.name, v.std) > 0 OR strpos(s.name, v.var) > 0
                 ORDER BY v.std LIMIT 1) AS q
    FROM sample s WHERE script = 'kanji') x
 WHERE q IS NOT NULL LIMIT :nqueries / 6;
INSERT INTO queries (kind, query, target)
SELECT 'hiragana', pg_temp.hiragana(name), name FROM sample WHERE script = 'katakana' LIMIT :nqueries / 6;
INSERT INTO queries (kind, query, target)
SELECT 'half-width kana', pg_temp.halfwidth(name), name FROM sample WHERE script = 'katakana'
 OFFSET :nqueries / 6 LIMIT :nqueries / 6;
-- a wrong kanji anywhere but in first place (as the Latin typos below)
INSERT INTO queries (kind, query, target)
SELECT 'kanji typo', overlay(name PLACING x FROM pos FOR 1), name
  FROM sample s
 CROSS JOIN LATERAL (SELECT CASE WHEN substr(s.name, p, 1) = ' ' THEN p + 1 ELSE p END AS pos
                       FROM (SELECT 2 + (s.id / 7) % (length(s.name) - 1) AS p) AS pp) AS p
 CROSS JOIN LATERAL (SELECT CASE WHEN ks[1 + s.id % 20] <> substr(s.name, pos, 1) THEN ks[1 + s.id % 20]
                                 ELSE ks[1 + (s.id + 1) % 20] END AS x
                       FROM kanji_arr WHERE part = 4) AS k
 WHERE script = 'kanji' OFFSET :nqueries / 6 LIMIT :nqueries / 6;
INSERT INTO queries (kind, query, target)
SELECT 'latin typo',
       CASE s.id % 3
         WHEN 0 THEN overlay(name PLACING '' FROM pos FOR 1)
         WHEN 1 THEN overlay(name PLACING chr(97 + (s.id / 3) % 26) FROM pos FOR 1)
         ELSE overlay(name PLACING substr(name, pos + 1, 1) || substr(name, pos, 1) FROM pos FOR 2)
       END, name
  FROM sample s CROSS JOIN LATERAL (SELECT 2 + (s.id / 7) % (length(name) - 3) AS pos) p
 WHERE script = 'latin' LIMIT :nqueries / 6;
INSERT INTO queries (kind, query, target)
SELECT 'accents dropped', pg_temp.unaccent(name), name FROM sample
 WHERE script = 'latin' AND pg_temp.unaccent(name) <> name OFFSET :nqueries / 6 LIMIT :nqueries / 6;
SELECT kind, count(*) AS queries, min(query) AS example FROM queries GROUP BY kind ORDER BY kind;

\echo building the indexes
CREATE INDEX people_name_cdp ON people USING gist (name cdp.name_gist_ops);
CREATE INDEX people_name_trgm ON people USING gist (name gist_trgm_ops);
ANALYZE people;

-- the plans: our index for <~>, pg_trgm's for <->
EXPLAIN (COSTS OFF) SELECT name FROM people ORDER BY name <~> 'タカハシ' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT name FROM people ORDER BY name <-> 'タカハシ' LIMIT 10;

CREATE TEMP TABLE results (method text, qid int, rank int, name text, dist float8);
CREATE TEMP TABLE timings (method text, queries int, ms float8);

DO $$
DECLARE
  t0 timestamptz;
  nq int;
  nseq int := current_setting('bench.nseq')::int;
BEGIN
  SELECT count(*) INTO nq FROM queries;

  t0 := clock_timestamp();
  INSERT INTO results
  SELECT 'cdp index', q.qid, r.rank, r.name, r.dist
    FROM queries q CROSS JOIN LATERAL (
      SELECT row_number() OVER () AS rank, name, dist
        FROM (SELECT name, name <~> q.query AS dist FROM people
               ORDER BY name <~> q.query LIMIT 10) s) r;
  INSERT INTO timings VALUES ('cdp index', nq, extract(epoch FROM clock_timestamp() - t0) * 1000);

  t0 := clock_timestamp();
  INSERT INTO results
  SELECT 'pg_trgm index', q.qid, r.rank, r.name, r.dist
    FROM queries q CROSS JOIN LATERAL (
      SELECT row_number() OVER () AS rank, name, dist
        FROM (SELECT name, name <-> q.query AS dist FROM people
               ORDER BY name <-> q.query LIMIT 10) s) r;
  INSERT INTO timings VALUES ('pg_trgm index', nq, extract(epoch FROM clock_timestamp() - t0) * 1000);

  -- the same similarity without the index, on the first queries
  SET LOCAL enable_indexscan = off;
  SET LOCAL enable_bitmapscan = off;
  t0 := clock_timestamp();
  INSERT INTO results
  SELECT 'cdp seqscan', q.qid, r.rank, r.name, r.dist
    FROM (SELECT * FROM queries ORDER BY qid LIMIT nseq) q CROSS JOIN LATERAL (
      SELECT row_number() OVER () AS rank, name, dist
        FROM (SELECT name, name <~> q.query AS dist FROM people
               ORDER BY name <~> q.query LIMIT 10) s) r;
  INSERT INTO timings VALUES ('cdp seqscan', nseq, extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;

-- the index returns what the sequential scan returns: the same distances
DO $$
DECLARE
  bad int;
BEGIN
  SELECT count(*) INTO bad
    FROM (SELECT qid, array_agg(dist ORDER BY rank) AS d FROM results WHERE method = 'cdp seqscan' GROUP BY qid) s
    FULL JOIN (SELECT qid, array_agg(dist ORDER BY rank) AS d FROM results WHERE method = 'cdp index'
                GROUP BY qid) i USING (qid)
   WHERE s.qid IS NOT NULL AND s.d IS DISTINCT FROM i.d;
  IF bad > 0 THEN
    RAISE EXCEPTION 'the index and the sequential scan disagree on % queries', bad;
  END IF;
END $$;

-- recall@10: the name a query was made from is among its 10 nearest
CREATE TEMP TABLE recall AS
SELECT q.kind, m.method,
       avg(CASE WHEN EXISTS (SELECT 1 FROM results r WHERE r.method = m.method AND r.qid = q.qid
                                AND r.name = q.target) THEN 1.0 ELSE 0.0 END) AS recall
  FROM queries q CROSS JOIN (VALUES ('cdp index'), ('pg_trgm index')) AS m(method)
 GROUP BY GROUPING SETS ((q.kind, m.method), (m.method));

SELECT coalesce(kind, 'all queries') AS kind,
       round(max(recall) FILTER (WHERE method = 'cdp index'), 3) AS cdp_recall_at_10,
       round(max(recall) FILTER (WHERE method = 'pg_trgm index'), 3) AS pg_trgm_recall_at_10
  FROM recall GROUP BY kind ORDER BY kind NULLS LAST;

SELECT method, queries, round((ms / queries)::numeric, 3) AS ms_per_query FROM timings ORDER BY method;

SELECT format('name_search recall@10: cdp %s, pg_trgm %s (recall ratio cdp/pg_trgm %s)',
              round(c.recall, 3), round(t.recall, 3),
              CASE WHEN t.recall > 0 THEN round(c.recall / t.recall, 2)::text ELSE 'inf' END) AS result
  FROM recall c, recall t
 WHERE c.kind IS NULL AND c.method = 'cdp index' AND t.kind IS NULL AND t.method = 'pg_trgm index';
SELECT format('name_search speed ratio (sequential scan / cdp index, top-10, per query): %s (%s ms vs %s ms); pg_trgm index %s ms',
              round((s.ms / s.queries / (i.ms / i.queries))::numeric, 1),
              round((s.ms / s.queries)::numeric, 2), round((i.ms / i.queries)::numeric, 2),
              round((t.ms / t.queries)::numeric, 2)) AS result
  FROM timings s, timings i, timings t
 WHERE s.method = 'cdp seqscan' AND i.method = 'cdp index' AND t.method = 'pg_trgm index';
