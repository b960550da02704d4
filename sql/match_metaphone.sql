--
-- match_metaphone: cdp.double_metaphone
--
CREATE EXTENSION cdp;

-- the rules' own examples; {primary, alternate}
SELECT x, cdp.double_metaphone(x)
  FROM unnest(ARRAY['Smith', 'Schmidt', 'Smyth', 'Thompson', 'Thomas', 'Jose', 'San Jacinto',
                    'Xavier', 'Michael', 'Caesar', 'Chianti', 'Character', 'Charles', 'Orchestra',
                    'Czerny', 'Focaccia', 'Accident', 'Bacci', 'McClellan', 'Mac Gregor',
                    'Edge', 'Edgar', 'Gnome', 'Knight', 'Wright', 'Psychology', 'Ghislane',
                    'Laugh', 'Hugh', 'Tagliaro', 'Danger', 'Biaggi', 'Gallegos', 'Cabrillo',
                    'Dumb', 'Rogier', 'Sugar', 'Schlesinger', 'Schenker', 'School', 'Resnais',
                    'Breaux', 'Zhao', 'Filipowicz', 'Wasserman', 'Arnow', 'Agnes', 'Isle',
                    'Jankelowicz', 'Van Dyke']) AS x;

-- Latin letters are folded first: accents, ß, ç as S
SELECT x, cdp.double_metaphone(x)
  FROM unnest(ARRAY['Müller', 'MUELLER', 'François', 'Francois', 'Jürgen', 'Strauß',
                    'Ｓｍｉｔｈ', 'O''Brien', 'Núñez']) AS x;

-- names that sound alike share a code
SELECT a, b, cdp.double_metaphone(a) && cdp.double_metaphone(b) AS share_a_code
  FROM (VALUES ('Smith', 'Schmidt'), ('Catherine', 'Kathryn'), ('Stephen', 'Steven'),
               ('Philip', 'Filip'), ('Jon', 'John'), ('Thompson', 'Tomson'),
               ('Smith', 'Jones')) AS t(a, b);

-- NULL, empty, no letters, long
SELECT cdp.double_metaphone(NULL) IS NULL AS null_in_null_out,
       cdp.double_metaphone('') AS empty,
       cdp.double_metaphone('123 山田') AS no_latin,
       cdp.double_metaphone(repeat('Smith', 20000)) AS long;

-- agrees with contrib fuzzystrmatch's dmetaphone on the Febrl sample names
-- (single words of plain letters, where both read the same letters)
CREATE EXTENSION fuzzystrmatch;
\getenv abs_srcdir PG_ABS_SRCDIR
\set febrl :abs_srcdir '/test/data/febrl/dataset1.csv'
CREATE TEMP TABLE febrl (rec_id text, given_name text, surname text, street_number text,
                         address_1 text, address_2 text, suburb text, postcode text, state text,
                         date_of_birth text, soc_sec_id text);
COPY febrl FROM :'febrl' (FORMAT csv, HEADER);
WITH names AS (
  SELECT DISTINCT trim(x) AS x
    FROM febrl, unnest(ARRAY[given_name, surname, suburb]) AS x
   WHERE trim(x) ~ '^[a-z]+$'
)
SELECT count(*) > 500 AS enough_names,
       count(*) FILTER (WHERE cdp.double_metaphone(x) <> ARRAY[dmetaphone(x), dmetaphone_alt(x)]) AS differ
  FROM names;
DROP EXTENSION fuzzystrmatch;

SELECT p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p WHERE p.oid = 'cdp.double_metaphone(text)'::regprocedure;

DROP EXTENSION cdp;
