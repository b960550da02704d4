--
-- match_normalize_name: cdp.normalize_name and the kanji variant table
--
CREATE EXTENSION cdp;

-- Japanese: old/variant kanji, white space (U+3000 too), kana forms
SELECT x, cdp.normalize_name(x)
  FROM unnest(ARRAY['髙橋', '山﨑', '渡邊', '渡邉', '齋藤', '齊藤', '斉藤', '澤田', '廣瀬',
                    '濱口', '櫻井', '關', '山田　太郎', '山田 太郎', '  山田太郎  ',
                    'やまだ たろう', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'ヤマダ タロウ', 'ジョン・スミス', 'ジョン･スミス',
                    'ｼﾞｮﾝ ｽﾐｽ', 'ＹＡＭＡＤＡ　ＴＡＲＯ', '𠮷田', '髙橋󠄀', 'タロ-', 'タロー',
                    '山田 Taro']) AS x;

-- the issue's pairs fold to one form
SELECT cdp.normalize_name('髙橋') = cdp.normalize_name('高橋') AS takahashi,
       cdp.normalize_name('﨑') = '崎' AS saki,
       cdp.normalize_name('邊') = '辺' AND cdp.normalize_name('邉') = '辺' AS watanabe,
       cdp.normalize_name('齋') = '斎' AND cdp.normalize_name('齊') = '斎' AS saito,
       cdp.normalize_name('澤廣濱櫻關') = '沢広浜桜関' AS others;

-- Latin: case, accents, ligatures, punctuation, white space
SELECT x, cdp.normalize_name(x)
  FROM unnest(ARRAY['José Müller', 'JOSE MULLER', 'Straße', 'STRASSE', 'Øyvind Ångström',
                    'Łukasz Dvořák', 'Æsa Œuvre', 'Þór Ðorđe', 'Nguyễn Văn', 'O''Brien', 'O’Brien',
                    'Jean-Pierre', 'Jean–Pierre', 'Smith, John Jr.', 'J.R.R. Tolkien',
                    E'  Mary\tAnn  ', 'ＪＯＨＮ　ＳＭＩＴＨ', 'ﬁona', 'Zoë', 'İlker']) AS x;

-- fast path (ASCII) and full path agree
SELECT cdp.normalize_name('Jean-Pierre O''Brien, Jr.') = cdp.normalize_name('Jean‐Pierre O’Brien， Jr．') AS same;

-- NULL, empty, separators only
SELECT cdp.normalize_name(NULL) IS NULL AS null_in_null_out,
       cdp.normalize_name('') = '' AS empty,
       cdp.normalize_name(' ・ - , . ') = '' AS separators_only;

-- idempotent on everything above
SELECT count(*) AS not_idempotent
  FROM unnest(ARRAY['髙橋　ﾀﾛｳ', 'José Müller', 'ジョン・スミス', 'Smith, John Jr.', 'タロ-', 'Þór']) x
 WHERE cdp.normalize_name(cdp.normalize_name(x)) <> cdp.normalize_name(x);

-- very long input: 100,000 characters, both paths
SELECT length(cdp.normalize_name(repeat('Ab ', 33334))) AS ascii_long,
       length(cdp.normalize_name(repeat('髙ﾀ　', 33334))) AS japanese_long,
       cdp.normalize_name(repeat('髙ﾀ　', 33334)) = repeat('高タ', 33334) AS japanese_long_right;

-- the variant table: read-only, every variant folds to its standard form
SELECT count(*) >= 100 AS many_variants FROM cdp.kanji_variants;
SELECT count(*) AS variants_not_folded
  FROM cdp.kanji_variants WHERE cdp.normalize_name(variant) <> standard;
SELECT count(*) AS standards_changed
  FROM cdp.kanji_variants WHERE cdp.normalize_name(standard) <> standard;
SELECT count(*) AS standard_is_variant
  FROM cdp.kanji_variants a JOIN cdp.kanji_variants b ON a.standard = b.variant;
SELECT count(*) - count(DISTINCT variant) AS duplicate_variants FROM cdp.kanji_variants;
SELECT variant, standard FROM cdp.kanji_variants
 WHERE variant IN ('髙', '﨑', '邊', '邉', '齋', '齊', '澤', '廣', '濱', '櫻', '關') ORDER BY variant COLLATE "C";
INSERT INTO cdp.kanji_variants VALUES ('x', 'y');
\echo :SQLSTATE
DELETE FROM cdp.kanji_variants;
\echo :SQLSTATE
SELECT count(*) >= 100 AS table_unchanged FROM cdp.kanji_variants;

-- markings
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p
 WHERE p.oid IN ('cdp.normalize_name(text)'::regprocedure, 'cdp.kanji_variant_table()'::regprocedure)
 ORDER BY 1;

-- usable in an expression index
CREATE TABLE people (id int, name text);
INSERT INTO people VALUES (1, '髙橋 一郎'), (2, 'ﾀｶﾊｼ ｲﾁﾛｳ'), (3, 'José Müller');
CREATE INDEX ON people (cdp.normalize_name(name));
SELECT id FROM people WHERE cdp.normalize_name(name) = cdp.normalize_name('高橋　一郎');
DROP TABLE people;

DROP EXTENSION cdp;
