--
-- Properties of the matching functions over generated inputs: deterministic
-- pseudo-random strings of Latin letters, hiragana, katakana, kanji and a
-- mix of everything (half-width kana, full-width digits, combining marks,
-- characters outside the BMP), from empty up to 5,000 code points.  Each
-- check prints how many inputs it looked at and how many broke the
-- property; every violation count must be 0.
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET client_min_messages = warning;

-- byte i of a deterministic stream for seed (md5 of the seed and i / 16)
CREATE FUNCTION pg_temp.rnd(seed integer, i integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS
$$ SELECT get_byte(decode(md5(seed || '/' || (i / 16)), 'hex'), i % 16) $$;

-- a character of alphabet "kind" chosen by byte r
CREATE FUNCTION pg_temp.sym(kind integer, r integer) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE kind
	WHEN 2 THEN chr(12353 + r % 86)		-- hiragana ぁ..ゖ
	WHEN 3 THEN chr(12449 + r % 90)		-- katakana ァ..ヺ
	ELSE substr(alphabet, 1 + r % length(alphabet), 1)
	END
   FROM (SELECT CASE kind
	WHEN 0 THEN 'abc'
	WHEN 1 THEN 'abcdefghijklmnopqrstuvwxyzSATOHéüøß -''.'
	WHEN 4 THEN '佐藤鈴木高髙橋田中山崎﨑辺邊邉斎齋齊沢澤広廣浜濱桜櫻関關太郎花子一二三'
	ELSE 'aZé1２ｱｶﾞあアー佐髙・-（）😀' || chr(769) || chr(12288) || 'ﬃＡ𠮷ヴゔ' || chr(12441) || ' '
	END AS alphabet) AS a $$;

-- a string of len characters of alphabet kind
CREATE FUNCTION pg_temp.gen(seed integer, kind integer, len integer) RETURNS text
LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce(string_agg(pg_temp.sym(kind, pg_temp.rnd(seed, i)), '' ORDER BY i), '')
   FROM generate_series(0, len - 1) AS i $$;

-- s with up to three random edits: substitution, deletion, insertion or
-- transposition of neighbours
CREATE FUNCTION pg_temp.mutate(s text, seed integer, kind integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS
$$
DECLARE
	k integer;
	p integer;
	c text;
BEGIN
	FOR k IN 1 .. seed % 4 LOOP
		p := 1 + pg_temp.rnd(seed, 3 * k) * 257 % greatest(length(s), 1);
		c := pg_temp.sym(kind, pg_temp.rnd(seed, 3 * k + 1));
		CASE pg_temp.rnd(seed, 3 * k + 2) % 4
			WHEN 0 THEN s := overlay(s PLACING c FROM p FOR 1);
			WHEN 1 THEN s := overlay(s PLACING '' FROM p FOR 1);
			WHEN 2 THEN s := overlay(s PLACING c FROM p FOR 0);
			ELSE s := overlay(s PLACING substr(s, p + 1, 1) || substr(s, p, 1) FROM p FOR 2);
		END CASE;
	END LOOP;
	RETURN s;
END
$$;

-- textbook dynamic programme: Levenshtein, or with osa the optimal string
-- alignment distance (adjacent transpositions, no substring edited twice)
CREATE FUNCTION pg_temp.ref_distance(a text, b text, osa boolean) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS
$$
DECLARE
	x text[] := coalesce(string_to_array(a, NULL), '{}');
	y text[] := coalesce(string_to_array(b, NULL), '{}');
	m integer := length(a);
	n integer := length(b);
	prev2 integer[];
	prev integer[];
	cur integer[];
	v integer;
	i integer;
	j integer;
BEGIN
	prev := array_fill(0, ARRAY[n + 1], ARRAY[0]);
	cur := array_fill(0, ARRAY[n + 1], ARRAY[0]);
	FOR j IN 0 .. n LOOP
		prev[j] := j;
	END LOOP;
	prev2 := prev;
	FOR i IN 1 .. m LOOP
		cur[0] := i;
		FOR j IN 1 .. n LOOP
			v := least(prev[j] + 1, cur[j - 1] + 1,
					   prev[j - 1] + CASE WHEN x[i] = y[j] THEN 0 ELSE 1 END);
			IF osa AND i > 1 AND j > 1 AND x[i] = y[j - 1] AND x[i - 1] = y[j] THEN
				v := least(v, prev2[j - 2] + 1);
			END IF;
			cur[j] := v;
		END LOOP;
		prev2 := prev;
		prev := cur;
		cur := array_fill(0, ARRAY[n + 1], ARRAY[0]);
	END LOOP;
	RETURN prev[n];
END
$$;

-- the corpus: 1,200 strings of six alphabets, mostly name-sized, some of
-- 65..164 characters (several 64-character words), a dozen of 1,000 up to
-- exactly 5,000
CREATE TEMP TABLE corpus AS
SELECT id, kind, pg_temp.gen(id, kind, len) AS s
FROM (SELECT id, id % 6 AS kind,
			 CASE WHEN id = 1164 THEN 5000
				  WHEN id % 97 = 0 THEN 1000 + id * 37 % 4001
				  WHEN id % 13 = 0 THEN 65 + id % 100
				  ELSE id / 6 % 21 END AS len
	  FROM generate_series(1, 1200) AS id) AS g;

SELECT kind, count(*) AS strings, max(length(s)) AS longest,
	   count(*) FILTER (WHERE s = '') AS empty
FROM corpus GROUP BY kind ORDER BY kind;

-- pairs: half a string and its mutation, half two unrelated strings
CREATE TEMP TABLE pairs AS
SELECT c1.id, c1.kind,
	   c1.s AS a,
	   CASE WHEN c1.id % 2 = 0 THEN pg_temp.mutate(c1.s, c1.id, c1.kind)
			ELSE c2.s END AS b
FROM corpus AS c1
JOIN corpus AS c2 ON c2.id = (c1.id * 7 + 3) % 1200 + 1;

-- triples for the triangle inequality: a, a mutation b of a, and c either
-- a mutation of b or an unrelated string
CREATE TEMP TABLE triples AS
SELECT p.id, p.a, p.b,
	   CASE WHEN p.id % 3 = 0 THEN c.s
			ELSE pg_temp.mutate(p.b, p.id + 7, p.kind) END AS c
FROM pairs AS p
JOIN corpus AS c ON c.id = (p.id * 11 + 5) % 1200 + 1
WHERE p.id % 2 = 0;

-- Levenshtein: symmetric, 0 exactly for equal strings, at least the length
-- difference and at most the longer length, triangle inequality
SELECT 'levenshtein' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.levenshtein(a, b) <> cdp.levenshtein(b, a)) AS asymmetric,
	   count(*) FILTER (WHERE (cdp.levenshtein(a, b) = 0) <> (a = b)) AS zero_not_iff_equal,
	   count(*) FILTER (WHERE cdp.levenshtein(a, b) < abs(length(a) - length(b))
						   OR cdp.levenshtein(a, b) > greatest(length(a), length(b))) AS out_of_bounds
FROM pairs;
SELECT 'levenshtein(s, s)' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.levenshtein(s, s) <> 0
						   OR cdp.levenshtein(s, '') <> length(s)) AS violations
FROM corpus;
SELECT 'levenshtein triangle' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.levenshtein(a, c) >
						cdp.levenshtein(a, b) + cdp.levenshtein(b, c)) AS violations
FROM triples;

-- against the textbook dynamic programme: short strings (one word, direct
-- comparison or table masks) and patterns of 65..164 characters (blocks)
CREATE TEMP TABLE reference_sample AS
SELECT a, b FROM pairs WHERE length(a) <= 20 AND length(b) <= 24 AND id % 3 <> 1
UNION ALL
SELECT a, b FROM pairs WHERE length(a) BETWEEN 65 AND 164 AND id % 5 = 0;
SELECT 'levenshtein = reference' AS property,
	   count(*) FILTER (WHERE length(a) > 64 AND length(b) > 64) AS long_pairs,
	   count(*) AS checked,
	   count(*) FILTER (WHERE cdp.levenshtein(a, b) <> pg_temp.ref_distance(a, b, false)) AS violations
FROM reference_sample;
SELECT 'osa_distance = reference' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.osa_distance(a, b) <> pg_temp.ref_distance(a, b, true)) AS violations
FROM reference_sample;

-- the bounded form: the distance when at most max, else max + 1
SELECT 'levenshtein_le' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.levenshtein_le(a, b, k) <>
						least(cdp.levenshtein(a, b), k + 1)) AS violations
FROM pairs, unnest(ARRAY[0, 1, 2, 3, 5, 10, 50, 200, 6000]) AS k;

-- OSA: symmetric, 0 exactly for equal strings, never above Levenshtein,
-- and at least half of it (a transposition does the work of two edits)
SELECT 'osa_distance' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.osa_distance(a, b) <> cdp.osa_distance(b, a)) AS asymmetric,
	   count(*) FILTER (WHERE (cdp.osa_distance(a, b) = 0) <> (a = b)) AS zero_not_iff_equal,
	   count(*) FILTER (WHERE cdp.osa_distance(a, b) > cdp.levenshtein(a, b)) AS above_levenshtein,
	   count(*) FILTER (WHERE 2 * cdp.osa_distance(a, b) < cdp.levenshtein(a, b)) AS below_half
FROM pairs;

-- Jaro and Jaro-Winkler: in [0, 1], symmetric, 1 for equal non-empty
-- strings, 0 when one is empty; Jaro-Winkler never below Jaro.  "1" within
-- 1e-15: the formula keeps the reference implementations' order of
-- operations (m/3/len thrice), which for some lengths sums to 1 - 2^-52.
SELECT 'jaro, jaro_winkler' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE NOT (cdp.jaro(a, b) BETWEEN 0 AND 1)
						   OR NOT (cdp.jaro_winkler(a, b) BETWEEN 0 AND 1)
						   OR NOT (cdp.jaro_winkler(a, b, 0.25, 0) BETWEEN 0 AND 1)) AS out_of_range,
	   count(*) FILTER (WHERE cdp.jaro(a, b) <> cdp.jaro(b, a)
						   OR cdp.jaro_winkler(a, b) <> cdp.jaro_winkler(b, a)) AS asymmetric,
	   count(*) FILTER (WHERE cdp.jaro_winkler(a, b) < cdp.jaro(a, b)) AS winkler_below_jaro,
	   count(*) FILTER (WHERE (a = '' OR b = '') AND cdp.jaro(a, b) <> 0) AS empty_not_0
FROM pairs;
SELECT 'jaro(s, s)' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.jaro(s, s) < 1 - 1e-15 OR cdp.jaro(s, s) > 1
						   OR cdp.jaro_winkler(s, s) < 1 - 1e-15
						   OR cdp.jaro_winkler(s, s) > 1) AS violations,
	   count(*) FILTER (WHERE cdp.jaro(s, s) <> 1) AS rounded_below_1
FROM corpus WHERE s <> '';

-- n-gram measures: in [0, 1], symmetric, 1 for equal non-empty strings,
-- and Dice = 2 Jaccard / (1 + Jaccard) on the same gram sets
SELECT 'ngram_dice, ngram_jaccard' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE NOT (cdp.ngram_dice(a, b, n) BETWEEN 0 AND 1)
						   OR NOT (cdp.ngram_jaccard(a, b, n) BETWEEN 0 AND 1)) AS out_of_range,
	   count(*) FILTER (WHERE cdp.ngram_dice(a, b, n) <> cdp.ngram_dice(b, a, n)
						   OR cdp.ngram_jaccard(a, b, n) <> cdp.ngram_jaccard(b, a, n)) AS asymmetric,
	   count(*) FILTER (WHERE abs(cdp.ngram_dice(a, b, n) - 2 * cdp.ngram_jaccard(a, b, n) /
							  (1 + cdp.ngram_jaccard(a, b, n))) > 1e-12) AS dice_not_from_jaccard,
	   count(*) FILTER (WHERE a = b AND a <> '' AND (cdp.ngram_dice(a, b, n) <> 1
												   OR cdp.ngram_jaccard(a, b, n) <> 1)) AS equal_not_1
FROM pairs, unnest(ARRAY[1, 2, 3, 5]) AS n;

-- token-set similarity: in [0, 1], symmetric, 1 for a string and its words
-- in reverse order (when it has any)
SELECT 'token_set_similarity' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE NOT (cdp.token_set_similarity(a, b) BETWEEN 0 AND 1)) AS out_of_range,
	   count(*) FILTER (WHERE abs(cdp.token_set_similarity(a, b) -
							  cdp.token_set_similarity(b, a)) > 1e-12) AS asymmetric
FROM pairs;
SELECT 'token_set_similarity(s, reversed words)' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.token_set_similarity(s, r) <> 1) AS violations
FROM (SELECT s, array_to_string(ARRAY(SELECT w FROM unnest(string_to_array(s, ' '))
									  WITH ORDINALITY AS t(w, o) ORDER BY o DESC), ' ') AS r
	  FROM corpus WHERE kind = 1 AND s ~ '[a-z]') AS t;

-- Normalisers are idempotent: applying one to its own output changes
-- nothing (and never fails on what it produced)
SELECT 'normalize_name, kana_key, romaji_key idempotent' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.normalize_name(cdp.normalize_name(s)) <> cdp.normalize_name(s)) AS normalize_name,
	   count(*) FILTER (WHERE cdp.kana_key(cdp.kana_key(s)) <> cdp.kana_key(s)) AS kana_key,
	   count(*) FILTER (WHERE cdp.romaji_key(cdp.romaji_key(s)) <> cdp.romaji_key(s)) AS romaji_key
FROM corpus;

-- Readings written three ways: hiragana, katakana and half-width katakana
-- (voiced marks as separate characters), with a separator written three
-- ways too.  Every key is the same for the three.
CREATE TEMP TABLE syllables (n integer, hira text, kata text, half text);
INSERT INTO syllables
SELECT o - 1, h, k, w
FROM unnest(
	string_to_array('あ い う え お か き く け こ さ し す せ そ た ち つ て と な に ぬ ね の は ひ ふ へ ほ ま み む め も や ゆ よ ら り る れ ろ わ を ん が ぎ ぐ げ ご ざ じ ず ぜ ぞ だ ぢ づ で ど ば び ぶ べ ぼ ぱ ぴ ぷ ぺ ぽ きゃ しゅ ちょ にゃ りょ じゅ っ ー ゔ ぁ ぃ ぇ', ' '),
	string_to_array('ア イ ウ エ オ カ キ ク ケ コ サ シ ス セ ソ タ チ ツ テ ト ナ ニ ヌ ネ ノ ハ ヒ フ ヘ ホ マ ミ ム メ モ ヤ ユ ヨ ラ リ ル レ ロ ワ ヲ ン ガ ギ グ ゲ ゴ ザ ジ ズ ゼ ゾ ダ ヂ ヅ デ ド バ ビ ブ ベ ボ パ ピ プ ペ ポ キャ シュ チョ ニャ リョ ジュ ッ ー ヴ ァ ィ ェ', ' '),
	string_to_array('ｱ ｲ ｳ ｴ ｵ ｶ ｷ ｸ ｹ ｺ ｻ ｼ ｽ ｾ ｿ ﾀ ﾁ ﾂ ﾃ ﾄ ﾅ ﾆ ﾇ ﾈ ﾉ ﾊ ﾋ ﾌ ﾍ ﾎ ﾏ ﾐ ﾑ ﾒ ﾓ ﾔ ﾕ ﾖ ﾗ ﾘ ﾙ ﾚ ﾛ ﾜ ｦ ﾝ ｶﾞ ｷﾞ ｸﾞ ｹﾞ ｺﾞ ｻﾞ ｼﾞ ｽﾞ ｾﾞ ｿﾞ ﾀﾞ ﾁﾞ ﾂﾞ ﾃﾞ ﾄﾞ ﾊﾞ ﾋﾞ ﾌﾞ ﾍﾞ ﾎﾞ ﾊﾟ ﾋﾟ ﾌﾟ ﾍﾟ ﾎﾟ ｷｬ ｼｭ ﾁｮ ﾆｬ ﾘｮ ｼﾞｭ ｯ ｰ ｳﾞ ｧ ｨ ｪ', ' '))
	WITH ORDINALITY AS t(h, k, w, o);
SELECT count(*) AS syllables, count(DISTINCT hira) AS distinct_hira,
	   count(*) FILTER (WHERE kata IS NULL OR half IS NULL) AS unpaired
FROM syllables;

CREATE TEMP TABLE readings AS
SELECT r,
	   string_agg(CASE WHEN i = gap THEN '　' ELSE '' END || y.hira, '' ORDER BY i) AS hira,
	   string_agg(CASE WHEN i = gap THEN ' ' ELSE '' END || y.kata, '' ORDER BY i) AS kata,
	   string_agg(CASE WHEN i = gap THEN '･' ELSE '' END || y.half, '' ORDER BY i) AS half
FROM (SELECT r, 1 + r % 12 AS len, CASE WHEN r % 3 = 0 THEN 1 + r % 5 END AS gap
	  FROM generate_series(1, 400) AS r) AS g
CROSS JOIN LATERAL generate_series(0, g.len - 1) AS i
JOIN syllables AS y ON y.n = pg_temp.rnd(r + 5000, i) % 83
GROUP BY r;

SELECT 'readings: same key for hiragana, katakana, half-width' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.kana_key(hira) <> cdp.kana_key(kata)
						   OR cdp.kana_key(kata) <> cdp.kana_key(half)) AS kana_key,
	   count(*) FILTER (WHERE cdp.normalize_name(hira) <> cdp.normalize_name(kata)
						   OR cdp.normalize_name(kata) <> cdp.normalize_name(half)) AS normalize_name,
	   count(*) FILTER (WHERE cdp.to_romaji(hira) <> cdp.to_romaji(kata)
						   OR cdp.to_romaji(kata) <> cdp.to_romaji(half)) AS to_romaji,
	   count(*) FILTER (WHERE cdp.romaji_key(hira) <> cdp.romaji_key(kata)
						   OR cdp.romaji_key(kata) <> cdp.romaji_key(half)) AS romaji_key
FROM readings;
SELECT 'readings: keys idempotent' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE cdp.kana_key(cdp.kana_key(x)) <> cdp.kana_key(x)) AS kana_key,
	   count(*) FILTER (WHERE cdp.romaji_key(cdp.romaji_key(x)) <> cdp.romaji_key(x)) AS romaji_key,
	   count(*) FILTER (WHERE cdp.romaji_key(cdp.to_romaji(x)) <> cdp.romaji_key(x)) AS romaji_key_of_romaji
FROM readings, LATERAL (VALUES (hira), (kata), (half)) AS v(x);

-- E-mail addresses and phone numbers, valid and not: what a normaliser
-- accepts it maps to a form it maps to itself, and the types read back
-- what they print.  A rejected input gives NULL here (22P02 caught).
CREATE FUNCTION pg_temp.try_email(x text, rules boolean) RETURNS text
LANGUAGE plpgsql AS
$$ BEGIN RETURN cdp.normalize_email(x, rules);
EXCEPTION WHEN invalid_text_representation THEN RETURN NULL; END $$;
CREATE FUNCTION pg_temp.try_phone(x text, region text) RETURNS text
LANGUAGE plpgsql AS
$$ BEGIN RETURN cdp.normalize_phone(x, region);
EXCEPTION WHEN invalid_text_representation THEN RETURN NULL; END $$;
CREATE FUNCTION pg_temp.try_email_type(x text) RETURNS cdp.email
LANGUAGE plpgsql AS
$$ BEGIN RETURN x::cdp.email;
EXCEPTION WHEN invalid_text_representation THEN RETURN NULL; END $$;
CREATE FUNCTION pg_temp.try_phone_type(x text) RETURNS cdp.phone
LANGUAGE plpgsql AS
$$ BEGIN RETURN x::cdp.phone;
EXCEPTION WHEN invalid_text_representation THEN RETURN NULL; END $$;

CREATE TEMP TABLE emails AS
SELECT r, CASE r % 9 WHEN 0 THEN ' ' ELSE '' END
		  || (SELECT string_agg(substr('abcXYZ09.+_-ｍü', 1 + pg_temp.rnd(r, i) % 14, 1), '' ORDER BY i)
			  FROM generate_series(0, r % 11) AS i)
		  || CASE r % 13 WHEN 0 THEN '@@' WHEN 1 THEN '' ELSE '@' END
		  || (ARRAY['gmail.com', 'Example.COM', 'ｅｘａｍｐｌｅ.jp', 'googlemail.com',
					'mail.例え.jp', 'x.co.uk', 'localhost', '-bad-.com', 'a..b.org'])[1 + r % 9] AS e
FROM generate_series(1, 600) AS r;

SELECT 'normalize_email idempotent' AS property, count(*) AS accepted,
	   count(*) FILTER (WHERE pg_temp.try_email(n, rules) IS DISTINCT FROM n) AS violations
FROM (SELECT pg_temp.try_email(e, rules) AS n, rules
	  FROM emails, unnest(ARRAY[true, false]) AS rules) AS t
WHERE n IS NOT NULL;
SELECT 'cdp.email input(output(x)) = x' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE pg_temp.try_email_type(x::text) IS DISTINCT FROM x) AS violations,
	   count(*) FILTER (WHERE x::text IS DISTINCT FROM pg_temp.try_email(e, false)) AS not_normalize_email
FROM (SELECT e, pg_temp.try_email_type(e) AS x FROM emails) AS t
WHERE x IS NOT NULL;
SELECT 'cdp.email accepts what normalize_email(x, false) accepts' AS property,
	   count(*) AS checked,
	   count(*) FILTER (WHERE (pg_temp.try_email_type(e) IS NULL) <>
						(pg_temp.try_email(e, false) IS NULL)) AS violations
FROM emails;

CREATE TEMP TABLE phones AS
SELECT r, (ARRAY['090-%-%', '0%%', '+81 90 % %', '０９０－%－%', '(03)%-%', '%', '+1 (212) %-%',
				 '+44 20 % %', '81-%', '+%'])[1 + r % 10] AS pattern,
		  (SELECT string_agg(chr(48 + pg_temp.rnd(r, i) % 10), '' ORDER BY i)
		   FROM generate_series(0, 3 + r % 6) AS i) AS d1,
		  (SELECT string_agg(chr(48 + pg_temp.rnd(r + 1000, i) % 10), '' ORDER BY i)
		   FROM generate_series(0, 3 + r % 3) AS i) AS d2
FROM generate_series(1, 600) AS r;

SELECT 'normalize_phone idempotent' AS property, count(*) AS accepted,
	   count(*) FILTER (WHERE pg_temp.try_phone(n, region) IS DISTINCT FROM n) AS violations
FROM (SELECT pg_temp.try_phone(replace(replace(pattern, '%', d1), '%', d2), region) AS n, region
	  FROM phones, unnest(ARRAY['JP', 'US', 'GB']) AS region) AS t
WHERE n IS NOT NULL;
SELECT 'cdp.phone input(output(x)) = x' AS property, count(*) AS checked,
	   count(*) FILTER (WHERE pg_temp.try_phone_type(x::text) IS DISTINCT FROM x) AS violations
FROM (SELECT pg_temp.try_phone_type(replace(replace(pattern, '%', d1), '%', d2)) AS x
	  FROM phones) AS t
WHERE x IS NOT NULL;

DROP FUNCTION pg_temp.try_email_type(text), pg_temp.try_phone_type(text);
DROP EXTENSION cdp;
