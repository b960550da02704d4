--
-- The markings of the matching layer's functions, and that the LEAKPROOF
-- ones return a value for every kind of input.
--
-- IMMUTABLE: the result depends on the arguments only (rules compiled in).
-- STABLE: reads a setting (cdp.default_region, cdp.similarity_threshold).
-- Not STRICT: only where a NULL argument means the setting.
-- PARALLEL SAFE: per-backend caches only, no shared state.
-- LEAKPROOF: only where no input can raise an error (bar running out of
-- memory or a cancel): not the normalisers (22021 on non-ASCII text in a
-- database that is not UTF8, 22P02 on bad values), not the measures with a
-- checked parameter (22023), not the name similarity (ICU folding).
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

SELECT p.oid::regprocedure AS function,
	   p.provolatile AS vol, p.proisstrict AS strict, p.proparallel AS par,
	   p.proleakproof AS leakproof
FROM pg_proc AS p
JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
	AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'cdp'
WHERE p.proname ~ ('^(normalize_(name|email|phone|address|postal_code)|kanji_variant_table'
				   '|kana_key|to_romaji|romaji_key|double_metaphone'
				   '|(email|phone)_(in|out|recv|send|eq|ne|lt|le|gt|ge|cmp|hash|hash_extended)'
				   '|levenshtein|levenshtein_le|osa_distance|jaro|jaro_winkler'
				   '|ngram_dice|ngram_jaccard|token_set_similarity'
				   '|name_similarity|name_grams|name_similar_op|name_distance_op'
				   '|name_gist_[a-z_]+)$')
ORDER BY p.proname, p.oid::regprocedure::text;

-- the LEAKPROOF measures on every kind of input: empty, ASCII, kana, kanji,
-- characters outside the BMP, combining marks, long strings; no error
SELECT count(*) AS combinations,
	   count(cdp.levenshtein(a, b)) AS levenshtein,
	   count(cdp.osa_distance(a, b)) AS osa_distance,
	   count(cdp.jaro(a, b)) AS jaro,
	   count(cdp.token_set_similarity(a, b)) AS token_set_similarity
FROM (VALUES (''), ('a'), (' '), ('''-.'), ('Åström'), ('やまだ　たろう'), ('ﾔﾏﾀﾞ'),
			 ('髙﨑'), ('𠮷野家😀'), ('e' || chr(769)), (repeat('ab', 40)),
			 (repeat('佐藤', 3000)), (repeat('x y ', 2000))) AS x(a),
	 (VALUES (''), ('a'), ('Astrom'), ('ヤマダ タロウ'), ('高崎'), (repeat('ab', 33)),
			 (repeat('藤佐', 2999)), (repeat('y x ', 1999))) AS y(b);

-- NULL in, NULL out (STRICT) for each measure
SELECT cdp.levenshtein(NULL, 'a') IS NULL AS levenshtein,
	   cdp.osa_distance('a', NULL) IS NULL AS osa_distance,
	   cdp.jaro(NULL, NULL) IS NULL AS jaro,
	   cdp.token_set_similarity(NULL, 'a') IS NULL AS token_set_similarity,
	   cdp.levenshtein_le('a', 'b', NULL) IS NULL AS levenshtein_le;

DROP EXTENSION cdp;
