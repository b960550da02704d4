--
-- match_phone: cdp.normalize_phone, the setting cdp.default_region and the
-- cdp.phone type
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

SHOW cdp.default_region;

-- the issue's Japanese forms, and the ones Japanese data has
SELECT x, cdp.normalize_phone(x)
  FROM unnest(ARRAY['090-1234-5678', '09012345678', '+81 90 1234 5678', '０９０－１２３４－５６７８',
                    '(03)1234-5678', '03-1234-5678', '０９０ー１２３４ー５６７８', '090.1234.5678',
                    ' 090 1234 5678 ', '+81-90-1234-5678', '+81 (0)90 1234 5678', '+81 090 1234 5678',
                    '＋８１　９０　１２３４　５６７８', '0120-123-456', '0570-012-345', '0800-123-4567',
                    '050-1234-5678', '070-1234-5678', '080-1234-5678', '020-1234-5678',
                    '011-123-4567', '0166-12-3456', '06-1234-5678', '010-1-212-555-0123',
                    '010 44 20 7946 0958']) AS x;

-- other regions, by argument (any case)
SELECT x, r, cdp.normalize_phone(x, r)
  FROM (VALUES ('(212) 555-0123', 'US'), ('212-555-0123', 'us'), ('1 (212) 555-0123', 'US'),
               ('+1 212 555 0123', 'US'), ('613-555-0199', 'CA'), ('011 81 90 1234 5678', 'US'),
               ('020 7946 0958', 'GB'), ('07700 900123', 'GB'), ('01632 960001', 'GB'),
               ('00 81 90 1234 5678', 'GB'), ('+44 (0)20 7946 0958', 'GB'), ('090-1234-5678', 'JP'),
               ('+33 1 23 45 67 89', 'GB'), ('+49 30 12345678', 'JP'), ('+852 2123 4567', 'US'))
       AS t(x, r);

-- what cannot be a number is an error (22P02), never a guess; the detail says why
\set VERBOSITY default
SELECT cdp.normalize_phone('');
\echo :SQLSTATE
SELECT cdp.normalize_phone('abc');
\echo :SQLSTATE
SELECT cdp.normalize_phone('090-1234-567');
\echo :SQLSTATE
SELECT cdp.normalize_phone('090-1234-56789');
\echo :SQLSTATE
SELECT cdp.normalize_phone('03-1234-567');
\echo :SQLSTATE
SELECT cdp.normalize_phone('9012345678');
\echo :SQLSTATE
SELECT cdp.normalize_phone('00-1234-5678');
\echo :SQLSTATE
SELECT cdp.normalize_phone('03-1234-5678 内線 12');
\echo :SQLSTATE
SELECT cdp.normalize_phone('03-1234-5678 ext. 12');
\echo :SQLSTATE
SELECT cdp.normalize_phone('090+1234+5678');
\echo :SQLSTATE
SELECT cdp.normalize_phone('+0 123 4567');
\echo :SQLSTATE
SELECT cdp.normalize_phone('+123 45');
\echo :SQLSTATE
SELECT cdp.normalize_phone('+1234567890123456');
\echo :SQLSTATE
SELECT cdp.normalize_phone('+1 112 555 0123');
\echo :SQLSTATE
SELECT cdp.normalize_phone('+1 911 555 0123');
\echo :SQLSTATE
SELECT cdp.normalize_phone('+81 0120 123 4567');
\echo :SQLSTATE
SELECT cdp.normalize_phone('555-0123', 'US');
\echo :SQLSTATE
SELECT cdp.normalize_phone('020 7946 095', 'GB');
\echo :SQLSTATE
SELECT cdp.normalize_phone('040 7946 0958', 'GB');
\echo :SQLSTATE
SELECT cdp.normalize_phone('1-800-FLOWERS', 'US');
\echo :SQLSTATE
SELECT cdp.normalize_phone(repeat('0', 100000));
\echo :SQLSTATE
\set VERBOSITY terse
-- a region cdp does not know is a bad argument (22023)
SELECT cdp.normalize_phone('090-1234-5678', 'XX');
\echo :SQLSTATE
SELECT cdp.normalize_phone('090-1234-5678', 'JPN');
\echo :SQLSTATE

-- NULL number is NULL; NULL region means the setting
SELECT cdp.normalize_phone(NULL) IS NULL AS null_number,
       cdp.normalize_phone(NULL, 'US') IS NULL AS null_number_region,
       cdp.normalize_phone('090-1234-5678', NULL) AS null_region;

-- the setting
SET cdp.default_region = 'us';
SHOW cdp.default_region;
SELECT cdp.normalize_phone('(212) 555-0123') AS us_number, cdp.normalize_phone('+81 90 1234 5678') AS plus_form;
SELECT cdp.normalize_phone('090-1234-5678');
\echo :SQLSTATE
SET cdp.default_region = 'GB';
SELECT cdp.normalize_phone('020 7946 0958') AS gb_number;
SET cdp.default_region = 'XX';
\echo :SQLSTATE
SET cdp.default_region = 'UK';
\echo :SQLSTATE
SET cdp.default_region = '';
\echo :SQLSTATE
SHOW cdp.default_region;
RESET cdp.default_region;
SHOW cdp.default_region;
-- SET LOCAL lasts for the transaction
BEGIN;
SET LOCAL cdp.default_region = 'CA';
SELECT cdp.normalize_phone('613-555-0199') AS in_transaction;
COMMIT;
SHOW cdp.default_region;
SELECT name, setting, context, vartype, boot_val FROM pg_settings WHERE name = 'cdp.default_region';

-- the type
SELECT '090-1234-5678'::cdp.phone AS mobile, '(03)1234-5678'::cdp.phone AS tokyo,
       '+1 (212) 555-0123'::cdp.phone AS new_york, '+44 20 7946 0958'::cdp.phone AS london;
SELECT 'abc'::cdp.phone;
\echo :SQLSTATE
SELECT '090-1234-567'::cdp.phone;
\echo :SQLSTATE
-- input follows the setting for numbers without '+'
SET cdp.default_region = 'US';
SELECT '212-555-0123'::cdp.phone AS us;
SELECT '090-1234-5678'::cdp.phone;
\echo :SQLSTATE
RESET cdp.default_region;

-- comparison orders as the E.164 text
SELECT '090-1234-5678'::cdp.phone = '+81 90 1234 5678'::cdp.phone AS eq,
       '090-1234-5678'::cdp.phone <> '090-1234-5679'::cdp.phone AS ne,
       cdp.phone_cmp('+12125550123', '+819012345678') AS cmp_1_81,
       cdp.phone_cmp('+81312345678', '+819012345678') AS cmp_short_long,
       cdp.phone_cmp('+819012345678', '+819012345678') AS cmp_equal;
SELECT p, p::text AS as_text FROM unnest(ARRAY['+819012345678', '+12125550123', '+442079460958', '+81312345678',
                                    '+33123456789', '+8529876543', '+819012345679', '+85221234567']::cdp.phone[]) AS p
 ORDER BY p;
SELECT count(*) AS order_differs_from_text
  FROM (SELECT p, row_number() OVER (ORDER BY p) AS by_phone, row_number() OVER (ORDER BY p::text COLLATE "C") AS by_text
          FROM unnest(ARRAY['+819012345678', '+12125550123', '+442079460958', '+81312345678',
                            '+33123456789', '+8529876543', '+819012345679', '+8520000000', '+85221234567']::cdp.phone[]) AS p) s
 WHERE by_phone <> by_text;

-- casts: text to cdp.phone in assignment (reads the setting), cdp.phone to text
CREATE TABLE calls (id int, phone cdp.phone);
INSERT INTO calls VALUES (1, '090-1234-5678'), (2, '+81 3 1234 5678');
INSERT INTO calls SELECT 3, '０９０－１２３４－５６７８'::text;
INSERT INTO calls VALUES (4, '12345');
\echo :SQLSTATE
SELECT id, phone, phone::text, pg_typeof(phone::text) FROM calls ORDER BY id;
DROP TABLE calls;

SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
  FROM pg_proc p
 WHERE p.oid IN ('cdp.normalize_phone(text, text)'::regprocedure, 'cdp.phone_in(cstring)'::regprocedure,
                 'cdp.phone_recv(internal)'::regprocedure, 'cdp.phone_eq(cdp.phone, cdp.phone)'::regprocedure)
 ORDER BY 1;

DROP EXTENSION cdp;
