--
-- match_kana: cdp.kana_key, cdp.to_romaji, cdp.romaji_key
--
CREATE EXTENSION cdp;

-- the issue's readings are one key
SELECT x, cdp.kana_key(x)
  FROM unnest(ARRAY['ヤマダ タロウ', 'やまだたろう', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'ヤマダ タロー', 'ヤマダ・タロオ',
                    'ヤマダ　タロ']) AS x;
SELECT count(DISTINCT cdp.kana_key(x)) AS keys
  FROM unnest(ARRAY['ヤマダ タロウ', 'やまだたろう', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'ヤマダ タロー']) AS x;

-- small kana, ヴ/ブ, ヂ/ジ, ヅ/ズ, ヲ/オ, ヰ/イ, ヱ/エ, vowel length, iteration marks
SELECT a, b, cdp.kana_key(a) = cdp.kana_key(b) AS equal, cdp.kana_key(a) AS key
  FROM (VALUES ('キョウコ', 'キヨコ'), ('ハットリ', 'ハツトリ'), ('ヴァイオリン', 'バイオリン'),
               ('ヴィクトリア', 'ビクトリア'), ('ヴ', 'ブ'), ('ちぢみ', 'チジミ'), ('つづき', 'ツズキ'),
               ('ヲノ', 'オノ'), ('ヰセキ', 'イセキ'), ('ヱビス', 'エビス'), ('オオノ', 'オーノ'),
               ('サトウ', 'サトー'), ('ユウキ', 'ユーキ'), ('ケイコ', 'ケーコ'), ('みすゞ', 'ミスズ'),
               ('ササキ', 'サヽキ'), ('ｶｯﾁｬﾝ', 'カツチヤン'), ('タロ-', 'タロー')) AS t(a, b);

-- what the key keeps apart: voicing, different kana
SELECT cdp.kana_key('タナカ') = cdp.kana_key('ダナカ') AS voicing_kept,
       cdp.kana_key('サトウ') = cdp.kana_key('サイトウ') AS different_names;

-- non-kana is kept (folded as names are), separators go
SELECT cdp.kana_key('山田 タロウ') AS mixed, cdp.kana_key('髙橋') AS kanji, cdp.kana_key('Taro') AS latin;

-- romaji: Hepburn from kana
SELECT x, cdp.to_romaji(x)
  FROM unnest(ARRAY['ヤマダ タロウ', 'やまだたろう', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'サトウ', 'じゅんいち', 'しんいち', 'ちゃ',
                    'つづき', 'ふじ', 'ハットリ', 'まっちゃ', 'きょうこ', 'ラーメン', 'なんば', 'ほんま',
                    'ティファニー', 'ヴァイオリン', 'ウィリアム', 'ジェーン', 'ファミリー', 'シェフ',
                    'ぢ づ ゐ ゑ を', 'みすゞ', 'ﾀﾞｲｽｹ', '山田 タロウ', 'Tarō']) AS x;

-- the romaji key: kana and romaji spellings meet
SELECT x, cdp.romaji_key(x)
  FROM unnest(ARRAY['Satou', 'Sato', 'Satoh', 'SATO', 'サトウ', 'さとう', 'Satō', 'Satoo']) AS x;
SELECT count(DISTINCT cdp.romaji_key(x)) AS keys
  FROM unnest(ARRAY['Satou', 'Sato', 'Satoh', 'SATO', 'サトウ']) AS x;
SELECT a, b, cdp.romaji_key(a) = cdp.romaji_key(b) AS equal, cdp.romaji_key(a) AS key
  FROM (VALUES ('Ohno', 'Ono'), ('Oono', 'おおの'), ('Ōta', 'Ohta'), ('Yuuki', 'Yūki'),
               ('Yuki', 'ユウキ'), ('Jun''ichi', 'じゅんいち'), ('Junichi', 'Jun-ichi'),
               ('Syun''iti', 'Shun''ichi'), ('Tuzuki', 'Tsuzuki'), ('Huzii', 'Fujii'),
               ('Namba', 'なんば'), ('Homma', 'Honma'), ('Kouhei', 'Kōhei'), ('Keiko', 'ケイコ'),
               ('Ryouko', 'Ryoko'), ('Hattori', 'ハットリ'), ('Matcha', 'Maccha'),
               ('Tyou', 'Chou'), ('Zyunko', 'Junko'), ('Yamada Taro', 'やまだ たろう')) AS t(a, b);
-- what it keeps apart
SELECT cdp.romaji_key('Hattori') = cdp.romaji_key('Hatori') AS double_consonant_kept,
       cdp.romaji_key('Sato') = cdp.romaji_key('Saito') AS different_names;

-- NULL, empty, long
SELECT cdp.kana_key(NULL) IS NULL AS kana_null, cdp.to_romaji(NULL) IS NULL AS romaji_null,
       cdp.romaji_key(NULL) IS NULL AS key_null,
       cdp.kana_key('') = '' AS kana_empty, cdp.to_romaji('') = '' AS romaji_empty,
       cdp.romaji_key('') = '' AS key_empty;
SELECT length(cdp.kana_key(repeat('やまだ ', 25000))) AS kana_long,
       length(cdp.to_romaji(repeat('じゅん', 50000))) AS romaji_long,
       length(cdp.romaji_key(repeat('Satou ', 20000))) AS key_long;
-- keys longer than their romaji (si, ti, tu become shi, chi, tsu), and mv
-- written like mb
SELECT cdp.romaji_key(repeat('si', 5000)) = repeat('shi', 5000) AS si_long,
       cdp.romaji_key(repeat('tuti', 2500)) = repeat('tsuchi', 2500) AS tuti_long,
       cdp.romaji_key('Homvu') = cdp.romaji_key('Hombu') AS mv_mb,
       cdp.romaji_key('Homvu') AS key;

SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p
 WHERE p.oid IN ('cdp.kana_key(text)'::regprocedure, 'cdp.to_romaji(text)'::regprocedure,
                 'cdp.romaji_key(text)'::regprocedure)
 ORDER BY 1;

DROP EXTENSION cdp;
