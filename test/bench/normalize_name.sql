--
-- Benchmark: cdp.normalize_name against PostgreSQL's built-in
-- normalize(x, NFKC) over the same names (Latin and Japanese mixed).
--
-- Each function's own cost is the time of a scan calling it minus the time
-- of the same scan calling a trivial function of the same argument
-- (length(x)); the ratio is our own cost over normalize()'s, target <= 2.
-- Each scan runs three times and the fastest counts.  Before timing, the
-- results are checked: cdp.normalize_name is idempotent and gives the same
-- result on the NFKC form of a name as on the name itself.
--
-- psql -v scale=tiny|full -f normalize_name.sql
--
\set ON_ERROR_STOP 1
SELECT CASE WHEN :'scale' = 'tiny' THEN 1000 ELSE 1000000 END AS n \gset

CREATE EXTENSION IF NOT EXISTS cdp;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

-- names as customer data has them: Latin with accents, case and
-- punctuation; Japanese in kanji (old forms too), hiragana, katakana,
-- half-width kana and full-width Latin, with ASCII or ideographic spaces
CREATE TEMP TABLE bench_names AS
WITH parts AS (
	SELECT ARRAY['James', 'Mary', 'José', 'Zoë', 'Jean-Pierre', 'Øyvind', 'ANNA', 'Siobhán',
				 'François', 'Björn', 'Łukasz', 'Renée', 'Michael', 'Chloé', 'Ðorđe', 'Sean'] AS latin_given,
		   ARRAY['Smith', 'Müller', 'O''Brien', 'García', 'Nguyễn', 'Ångström', 'Dvořák', 'SCHMIDT',
				 'Kowalski', 'Fernández', 'van der Berg', 'Søren', 'Brontë', 'Jones', 'Straße', 'Łódź'] AS latin_family,
		   ARRAY['山田', '髙橋', '渡邊', '齋藤', '佐藤', '鈴木', '田中', '伊藤',
				 '濱田', '澤村', '廣瀬', '櫻井', '小林', '中村', '吉田', '山﨑'] AS kanji_family,
		   ARRAY['太郎', '花子', '一郎', '美咲', '翔太', '陽菜', '健', '結衣'] AS kanji_given,
		   ARRAY['やまだ たろう', 'ヤマダ　タロウ', 'ﾔﾏﾀﾞ ﾀﾛｳ', 'たかはし はなこ', 'ﾀｶﾊｼ ﾊﾅｺ',
				 'サトウ・イチロウ', 'すずき みさき', 'ジョン・スミス', 'ＹＡＭＡＤＡ　ＴＡＲＯ', 'ｻﾄｳ ｹﾝ'] AS kana
)
SELECT g AS id,
	   CASE g % 4
		   WHEN 0 THEN latin_given[1 + g % 16] || ' ' || latin_family[1 + (g / 16) % 16]
		   WHEN 1 THEN latin_family[1 + (g / 7) % 16] || ', ' || latin_given[1 + (g / 3) % 16]
		   WHEN 2 THEN kanji_family[1 + (g / 4) % 16] || CASE WHEN g % 3 = 0 THEN '　' ELSE ' ' END
					   || kanji_given[1 + (g / 64) % 8]
		   ELSE kana[1 + (g / 4) % 10]
	   END AS name
  FROM parts, generate_series(1, :n) AS g;
ANALYZE bench_names;

-- correctness before speed: consistent with NFKC, idempotent
DO $$
DECLARE
	bad record;
BEGIN
	SELECT name, cdp.normalize_name(name) AS ours, cdp.normalize_name(normalize(name, NFKC)) AS after_nfkc
	  INTO bad
	  FROM (SELECT name FROM bench_names ORDER BY id LIMIT 20000) s
	 WHERE cdp.normalize_name(name) IS DISTINCT FROM cdp.normalize_name(normalize(name, NFKC))
		OR cdp.normalize_name(cdp.normalize_name(name)) IS DISTINCT FROM cdp.normalize_name(name)
	 LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'cdp.normalize_name disagrees with NFKC or is not idempotent on "%": "%" vs "%"',
			bad.name, bad.ours, bad.after_nfkc;
	END IF;
	IF (SELECT cdp.normalize_name('髙橋　ﾀﾛｳ')) <> '高橋タロウ' THEN
		RAISE EXCEPTION 'cdp.normalize_name gives a wrong result';
	END IF;
END
$$;

SELECT count(*) AS names,
	   count(*) FILTER (WHERE name ~ '^[ -~]*$') AS ascii_names,
	   round(avg(length(name)), 1) AS avg_chars
  FROM bench_names;

DO $$
DECLARE
	t0 timestamptz;
	base float8 := 'Infinity';
	peer float8 := 'Infinity';
	ours float8 := 'Infinity';
	n bigint;
	rep int;
BEGIN
	SELECT count(*) INTO n FROM bench_names;
	PERFORM count(length(name)) FROM bench_names;	-- warm the cache
	FOR rep IN 1..3 LOOP
		t0 := clock_timestamp();
		PERFORM count(length(name)) FROM bench_names;
		base := least(base, extract(epoch FROM clock_timestamp() - t0) * 1000);

		t0 := clock_timestamp();
		PERFORM count(normalize(name, NFKC)) FROM bench_names;
		peer := least(peer, extract(epoch FROM clock_timestamp() - t0) * 1000);

		t0 := clock_timestamp();
		PERFORM count(cdp.normalize_name(name)) FROM bench_names;
		ours := least(ours, extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;

	RAISE NOTICE 'rows: %', n;
	RAISE NOTICE 'scan with length(x):           % ms (% ns/row)', round(base::numeric, 1), round((base * 1e6 / n)::numeric, 1);
	RAISE NOTICE 'scan with normalize(x, NFKC):  % ms, own cost % ns/row',
		round(peer::numeric, 1), round(((peer - base) * 1e6 / n)::numeric, 1);
	RAISE NOTICE 'scan with cdp.normalize_name:  % ms, own cost % ns/row',
		round(ours::numeric, 1), round(((ours - base) * 1e6 / n)::numeric, 1);
	RAISE NOTICE 'normalize_name ratio (own cost, cdp / normalize NFKC): % (target <= 2)',
		round(((ours - base) / greatest(peer - base, 0.001))::numeric, 2);
END
$$;
