--
-- match_similarity: similarity on characters (code points) — known values,
-- Japanese, NULL and empty strings, very long strings, bad arguments, and
-- agreement with slow reference implementations written below in PL/pgSQL.
--
CREATE EXTENSION cdp;

-- markings: immutable, strict, parallel safe; leakproof only where nothing
-- can raise an error that depends on the arguments
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
  FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace
   AND p.proname IN ('levenshtein', 'levenshtein_le', 'osa_distance', 'jaro', 'jaro_winkler',
                     'ngram_dice', 'ngram_jaccard', 'token_set_similarity')
 ORDER BY 1::text;

-- Levenshtein: classic values, characters not bytes
SELECT cdp.levenshtein('kitten', 'sitting') AS kitten_sitting,
       cdp.levenshtein('flaw', 'lawn') AS flaw_lawn,
       cdp.levenshtein('', 'abc') AS empty_abc,
       cdp.levenshtein('', '') AS empty_empty,
       cdp.levenshtein('abc', 'abc') AS same;
SELECT cdp.levenshtein('髙橋', '高橋') AS variant_kanji,
       cdp.levenshtein('やまだ', 'ヤマダ') AS hiragana_katakana,
       cdp.levenshtein('ﾔﾏﾀﾞ', 'ヤマダ') AS halfwidth_fullwidth,
       cdp.levenshtein('José', 'Jose') AS accent,
       cdp.levenshtein('🍣寿司', '寿司') AS astral;
SELECT cdp.levenshtein(NULL, 'a') AS null_a, cdp.levenshtein('a', NULL) AS a_null;

-- bounded: the distance when it is at most max, otherwise max + 1
SELECT cdp.levenshtein_le('kitten', 'sitting', 0) AS le0,
       cdp.levenshtein_le('kitten', 'sitting', 2) AS le2,
       cdp.levenshtein_le('kitten', 'sitting', 3) AS le3,
       cdp.levenshtein_le('kitten', 'sitting', 100) AS le100,
       cdp.levenshtein_le('a', 'abcdef', 3) AS length_gap,
       cdp.levenshtein_le('', '', 0) AS empty,
       cdp.levenshtein_le('abc', 'abc', 2147483647) AS max_int;
SELECT cdp.levenshtein_le('a', 'b', NULL) AS null_max;
SELECT cdp.levenshtein_le('kitten', 'sitting', -1);
\echo :SQLSTATE

-- optimal string alignment: a transposition costs 1, but no substring is
-- edited twice ('ca' -> 'abc' is 3, where unrestricted Damerau gives 2)
SELECT cdp.osa_distance('abcd', 'acbd') AS transposition,
       cdp.levenshtein('abcd', 'acbd') AS levenshtein_of_it,
       cdp.osa_distance('ca', 'abc') AS ca_abc,
       cdp.osa_distance('ハシタカ', 'ハタシカ') AS kana_swap,
       cdp.osa_distance('', 'ab') AS empty,
       cdp.osa_distance(NULL, 'ab') AS null_arg;

-- Jaro and Jaro-Winkler: the textbook values
SELECT round(cdp.jaro('MARTHA', 'MARHTA')::numeric, 6) AS jaro_martha,
       round(cdp.jaro_winkler('MARTHA', 'MARHTA')::numeric, 6) AS jw_martha,
       round(cdp.jaro('DIXON', 'DICKSONX')::numeric, 6) AS jaro_dixon,
       round(cdp.jaro_winkler('DIXON', 'DICKSONX')::numeric, 6) AS jw_dixon,
       round(cdp.jaro_winkler('DWAYNE', 'DUANE')::numeric, 6) AS jw_dwayne;
-- exact values: 17/18 and 0.9611111... as pg_similarity computes them
SELECT cdp.jaro('MARTHA', 'MARHTA') = 17.0 / 18 AS jaro_is_17_18,
       cdp.jaro_winkler('MARTHA', 'MARHTA') AS jw_martha_float8;
-- the boost needs jaro > threshold; prefix of at most 4; scale and threshold
SELECT round(cdp.jaro_winkler('abcdefgh', 'abcdefgx', 0.1, 0.7)::numeric, 6) AS prefix_capped_at_4,
       round(cdp.jaro_winkler('abcdefgh', 'abcdefgx', 0.0)::numeric, 6) AS no_boost,
       round(cdp.jaro_winkler('abcdefgh', 'abcdefgx', 0.25)::numeric, 6) AS max_scale,
       round(cdp.jaro_winkler('abcdefgh', 'abcdefgx', 0.1, 0.99)::numeric, 6) AS below_threshold,
       round(cdp.jaro('abcdefgh', 'abcdefgx')::numeric, 6) AS jaro_itself;
-- short strings: the window is floor(max / 2) - 1, at least 0
SELECT cdp.jaro('a', 'a') AS one_char, cdp.jaro('ab', 'ba') AS swapped_pair,
       cdp.jaro('a', 'b') AS nothing_matches, cdp.jaro('', '') AS both_empty,
       cdp.jaro('', 'a') AS one_empty, cdp.jaro_winkler('', '') AS jw_both_empty;
-- Japanese: code points, not bytes
SELECT round(cdp.jaro('山田太郎', '山田次郎')::numeric, 6) AS yamada,
       round(cdp.jaro_winkler('山田太郎', '山田次郎')::numeric, 6) AS yamada_jw,
       cdp.jaro('髙橋', '高橋') AS variant_kanji;
SELECT cdp.jaro(NULL, 'a') AS null_jaro, cdp.jaro_winkler('a', 'a', NULL) AS null_scale;
SELECT cdp.jaro_winkler('MARTHA', 'MARHTA', 0.3);
\echo :SQLSTATE
SELECT cdp.jaro_winkler('MARTHA', 'MARHTA', -0.1);
\echo :SQLSTATE
SELECT cdp.jaro_winkler('MARTHA', 'MARHTA', 'NaN');
\echo :SQLSTATE
SELECT cdp.jaro_winkler('MARTHA', 'MARHTA', 0.1, 'NaN');
\echo :SQLSTATE

-- n-grams: sets of substrings of n characters, no padding
SELECT cdp.ngram_dice('night', 'nacht') AS dice_night_nacht,
       round(cdp.ngram_jaccard('night', 'nacht')::numeric, 6) AS jaccard_night_nacht,
       cdp.ngram_dice('高橋一郎', '高橋次郎') AS dice_kanji,
       round(cdp.ngram_jaccard('高橋一郎', '高橋次郎')::numeric, 6) AS jaccard_kanji,
       cdp.ngram_dice('abcd', 'abce', 3) AS trigrams,
       cdp.ngram_dice('abc', 'cab', 1) AS unigrams;
-- a gram repeated counts once; shorter than n: the string is its one gram
SELECT cdp.ngram_dice('aaaa', 'aa') AS repeats,
       cdp.ngram_dice('林', '林') AS one_char_same,
       cdp.ngram_dice('林', '森') AS one_char_other,
       cdp.ngram_dice('林', '林田') AS short_vs_long,
       cdp.ngram_dice('ab', 'ab', 5) AS both_short,
       cdp.ngram_dice('', '') AS both_empty,
       cdp.ngram_jaccard('', 'a') AS one_empty;
SELECT cdp.ngram_dice('a', 'b', NULL) AS null_n, cdp.ngram_jaccard(NULL, 'b') AS null_arg;
SELECT cdp.ngram_dice('a', 'b', 0);
\echo :SQLSTATE
SELECT cdp.ngram_jaccard('a', 'b', -3);
\echo :SQLSTATE

-- token sets: word order, case, punctuation and repeats do not matter
SELECT cdp.token_set_similarity('Taro Yamada', 'YAMADA, Taro') AS swapped,
       cdp.token_set_similarity('Taro Yamda', 'Yamada Taro') AS swapped_typo,
       round(cdp.token_set_similarity('Yamada', 'Yamada Taro')::numeric, 6) AS missing_token,
       cdp.token_set_similarity('O''Brien, Mary-Ann', 'mary ann obrien') AS punctuation,
       cdp.token_set_similarity('山田　太郎', '太郎・山田') AS japanese,
       cdp.token_set_similarity('ÉMILE Zola', 'émile zola zola') AS case_repeats,
       cdp.token_set_similarity('...', 'a') AS no_tokens,
       cdp.token_set_similarity('', '') AS both_empty;
-- 'Taro Yamda' vs 'Yamada Taro': taro 1, yamda 5/6 (one insertion), twice
SELECT cdp.token_set_similarity('Taro Yamda', 'Yamada Taro') = (1 + 5 / 6.0::float8 + 1 + 5 / 6.0::float8) / 4 AS as_defined;
SELECT cdp.token_set_similarity(NULL, 'a') AS null_arg;

-- very long strings: no length limit, known answers
SELECT length(repeat('abcdefghij', 1200)) AS long_length,
       cdp.levenshtein(repeat('abcdefghij', 1200), repeat('abcdefghij', 1200)) AS same_12k,
       cdp.levenshtein(repeat('abcdefghij', 1200),
                       'Z' || overlay(overlay(repeat('abcdefghij', 1200) PLACING 'X' FROM 5000 FOR 1)
                                     PLACING '' FROM 9000 FOR 1)) AS three_edits_12k,
       cdp.levenshtein_le(repeat('abcdefghij', 1200),
                          'Z' || overlay(repeat('abcdefghij', 1200) PLACING 'X' FROM 5000 FOR 1), 1) AS le1_of_2,
       cdp.levenshtein_le(repeat('abcdefghij', 1200),
                          'Z' || overlay(repeat('abcdefghij', 1200) PLACING 'X' FROM 5000 FOR 1), 5) AS le5_of_2,
       cdp.levenshtein(repeat('a', 20000), repeat('b', 15000)) AS all_different,
       cdp.levenshtein_le(repeat('a', 20000), repeat('b', 15000), 100) AS all_different_le;
SELECT cdp.osa_distance(repeat('山田太郎', 3000), repeat('山田郎太', 3000)) AS osa_3000_swaps,
       cdp.levenshtein(repeat('山田太郎', 3000), repeat('山田郎太', 3000)) AS lev_3000_swaps,
       cdp.jaro(repeat('山田太郎', 3000), repeat('山田太郎', 3000)) AS jaro_same_12k,
       round(cdp.jaro(repeat('ab', 6000), repeat('ba', 6000))::numeric, 6) AS jaro_shifted_12k,
       cdp.ngram_dice(repeat('山田太郎', 3000), repeat('山田太郎', 2999) || '山田次郎') AS dice_12k,
       cdp.token_set_similarity(repeat('taro yamada ', 2000), 'Yamada Taro') AS tokens_12k;

-- slow references: the textbook dynamic programs and the classic Jaro
CREATE FUNCTION pg_temp.ref_distance(a text, b text, osa boolean) RETURNS int
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  m int := length(a); n int := length(b); w int := length(b) + 1;
  d int[] := array_fill(0, ARRAY[(length(a) + 1) * (length(b) + 1)]);
  ca text[] := regexp_split_to_array(a, ''); cb text[] := regexp_split_to_array(b, '');
  i int; j int; v int;
BEGIN
  FOR i IN 0 .. m LOOP d[i * w + 1] := i; END LOOP;
  FOR j IN 0 .. n LOOP d[j + 1] := j; END LOOP;
  FOR i IN 1 .. m LOOP
    FOR j IN 1 .. n LOOP
      v := least(d[(i - 1) * w + j + 1] + 1, d[i * w + j] + 1,
                 d[(i - 1) * w + j] + CASE WHEN ca[i] = cb[j] THEN 0 ELSE 1 END);
      IF osa AND i > 1 AND j > 1 AND ca[i] = cb[j - 1] AND ca[i - 1] = cb[j] THEN
        v := least(v, d[(i - 2) * w + j - 1] + 1);
      END IF;
      d[i * w + j + 1] := v;
    END LOOP;
  END LOOP;
  RETURN d[m * w + n + 1];
END $$;

CREATE FUNCTION pg_temp.ref_jaro(a text, b text) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  la int := length(a); lb int := length(b);
  ca text[] := regexp_split_to_array(a, ''); cb text[] := regexp_split_to_array(b, '');
  win int; used boolean[]; ma text[] := '{}'; mb text[] := '{}';
  m int := 0; half int := 0; i int; j int;
BEGIN
  IF la = 0 OR lb = 0 THEN RETURN 0; END IF;
  win := greatest(greatest(la, lb) / 2 - 1, 0);
  used := array_fill(false, ARRAY[lb]);
  FOR i IN 1 .. la LOOP
    FOR j IN greatest(1, i - win) .. least(lb, i + win) LOOP
      IF NOT used[j] AND ca[i] = cb[j] THEN
        used[j] := true; m := m + 1; ma := ma || ca[i]; EXIT;
      END IF;
    END LOOP;
  END LOOP;
  IF m = 0 THEN RETURN 0; END IF;
  FOR j IN 1 .. lb LOOP IF used[j] THEN mb := mb || cb[j]; END IF; END LOOP;
  FOR i IN 1 .. m LOOP IF ma[i] <> mb[i] THEN half := half + 1; END IF; END LOOP;
  RETURN (1::float8 / 3 * m / la) + (1::float8 / 3 * m / lb) + (1::float8 / 3 * (m - half / 2) / m);
END $$;

-- random pairs: short (one word), around 64 (word edges) and up to 200
-- characters (several words), over small alphabets (many matches), Latin
-- and Japanese, unrelated and near-identical
SELECT setseed(0.5);
CREATE TEMP TABLE pairs AS
SELECT i, a, CASE WHEN i % 2 = 0 THEN b
                  ELSE overlay(a PLACING substr(b, 1, 2) FROM 1 + (i * 7) % greatest(length(a), 1) FOR i % 3) END AS b
  FROM (SELECT i,
               (SELECT string_agg(substr(alpha, 1 + floor(random() * length(alpha))::int + 0 * g, 1), '')
                  FROM generate_series(1, len) AS g) AS a,
               (SELECT string_agg(substr(alpha, 1 + floor(random() * length(alpha))::int + 0 * g, 1), '')
                  FROM generate_series(1, len + (i % 5) - 2) AS g) AS b
          FROM (SELECT i, (ARRAY['ab', 'abcd', '山田太郎次', 'aあ髙高'])[1 + i % 4] AS alpha,
                       (ARRAY[5, 20, 63, 64, 65, 127, 129, 200])[1 + i % 8] AS len
                  FROM generate_series(1, 48) AS i) AS s) AS t;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE cdp.levenshtein(a, b) <> pg_temp.ref_distance(a, b, false)) AS levenshtein_wrong,
       count(*) FILTER (WHERE cdp.levenshtein_le(a, b, k) <> least(pg_temp.ref_distance(a, b, false), k + 1)) AS le_wrong,
       count(*) FILTER (WHERE cdp.osa_distance(a, b) <> pg_temp.ref_distance(a, b, true)) AS osa_wrong,
       count(*) FILTER (WHERE abs(cdp.jaro(a, b) - pg_temp.ref_jaro(a, b)) > 1e-12) AS jaro_wrong
  FROM pairs CROSS JOIN LATERAL (SELECT i % 13 AS k) AS kk;

DROP EXTENSION cdp;
