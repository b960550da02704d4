--
-- match_address: cdp.normalize_address and cdp.normalize_postal_code
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

-- Japanese: digits, kanji numerals, block markers, ヶ/が, の/ノ, spaces
SELECT x, cdp.normalize_address(x)
  FROM unnest(ARRAY['東京都千代田区千代田１丁目１番１号', '東京都千代田区千代田一丁目一番一号',
                    '東京都千代田区千代田 1-1-1', '東京都千代田区千代田1丁目1-1',
                    '東京都港区六本木六丁目十番一号 六本木ヒルズ森タワー',
                    '千代田区霞が関二丁目１－２', '千代田区霞ヶ関2-1-2', '千代田区霞ケ関２ー１ー２',
                    '千代田区霞ガ関2丁目1番2号', '港区虎の門1-2-3', '港区虎ノ門一丁目二番三号',
                    '東京都千代田区一番町23番地の3', '東京都千代田区一番町二十三番地三',
                    '北海道札幌市中央区北一条西二丁目', '宮﨑県宮崎市橘通東一丁目9番10号',
                    '新宿区四谷三丁目', '千代田区千代田1丁目 2番 3号', '1 - 2 - 3',
                    '大阪市北区梅田三丁目1-3 ﾉｰｽｹﾞｰﾄﾋﾞﾙ 10F', '百五番地', '三〇二号室', '3号館',
                    '国道1号線', '千葉県市川市八幡2-3-4 コーポ・サクラ 201']) AS x;

-- the same address written four ways is one
SELECT count(DISTINCT cdp.normalize_address(x)) AS forms
  FROM unnest(ARRAY['東京都千代田区霞が関２丁目１番２号', '東京都千代田区霞ヶ関二丁目1-2',
                    '東京都 千代田区 霞ケ関 2-1-2', '東京都千代田区霞ガ関２－１－２']) AS x;

-- Western: case, abbreviations, punctuation
SELECT x, cdp.normalize_address(x)
  FROM unnest(ARRAY['123 Main Street, Apartment 4B', '123 MAIN ST., APT. 4B', '123 main st apt 4b',
                    '1600 Pennsylvania Avenue NW, Washington', 'P.O. Box 12, North Road',
                    '10 Downing Street, London', '221B Baker Street', 'Suite 500, 1 Infinite Loop Drive',
                    '5 Rue de la Paix', 'Café Boulevard 7', '1-1-1 Shibuya, Tokyo']) AS x;

-- NULL, empty, long
SELECT cdp.normalize_address(NULL) IS NULL AS null_in_null_out, cdp.normalize_address('') = '' AS empty,
       length(cdp.normalize_address(repeat('一丁目', 33334))) AS long_japanese,
       length(cdp.normalize_address(repeat('Street ', 15000))) AS long_western;

-- postal codes: JP forms
SELECT x, cdp.normalize_postal_code(x)
  FROM unnest(ARRAY['〒100-0001', '1000001', '１００−０００１', '100ー0001', ' 〒 100 0001 ',
                    '〒１００－０００１', '100‐0001']) AS x;
-- other regions
SELECT x, r, cdp.normalize_postal_code(x, r)
  FROM (VALUES ('12345', 'US'), ('12345-6789', 'us'), ('123456789', 'US'), ('k1a0b1', 'CA'),
               ('K1A 0B1', 'CA'), ('sw1a1aa', 'GB'), ('SW1A 1AA', 'GB'), ('m1 1ae', 'GB'),
               ('B33 8TH', 'GB'), ('CR2 6XH', 'GB'), ('DN55 1PT', 'GB'), ('W1A 0AX', 'GB'),
               ('EC1A 1BB', 'GB'), ('GIR 0AA', 'GB')) AS t(x, r);
-- bad codes: 22P02
SELECT cdp.normalize_postal_code('100-001');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('1000-001');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('abc-defg');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('〒');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('1234', 'US');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('1234-56789', 'US');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('D1A 0B1', 'CA');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('SW1A 1CA', 'GB');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('1AA 1AA', 'GB');
\echo :SQLSTATE
SELECT cdp.normalize_postal_code(repeat('1', 100000));
\echo :SQLSTATE
SELECT cdp.normalize_postal_code('100-0001', 'FR');
\echo :SQLSTATE
-- NULL code is NULL; NULL region means the setting
SELECT cdp.normalize_postal_code(NULL) IS NULL AS null_code,
       cdp.normalize_postal_code('1000001', NULL) AS null_region;
SET cdp.default_region = 'US';
SELECT cdp.normalize_postal_code('12345') AS us_default;
SELECT cdp.normalize_postal_code('1000001');
\echo :SQLSTATE
RESET cdp.default_region;

SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p
 WHERE p.oid IN ('cdp.normalize_address(text)'::regprocedure,
                 'cdp.normalize_postal_code(text, text)'::regprocedure)
 ORDER BY 1;

DROP EXTENSION cdp;
