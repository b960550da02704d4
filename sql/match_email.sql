--
-- match_email: cdp.normalize_email and the cdp.email type
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

-- canonical form: trimmed, NFKC, lower case, IDN domain in ASCII
SELECT x, cdp.normalize_email(x, false) AS canonical, cdp.normalize_email(x) AS with_provider_rules
  FROM unnest(ARRAY['  Taro.Yamada@Example.COM ', 'ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ', E'\ttaro@example.com\n',
                    'taro@example.com　', 'Taro.Yamada+news@Gmail.com', 't.a.r.o@googlemail.com',
                    'taro+shop@outlook.com', 'taro+shop@icloud.com', 'taro+shop@example.com',
                    'taro.yamada@yahoo.co.jp', 'user@例え.jp', 'Hans@Bücher.DE', 'user@ＥＸＡＭＰＬＥ．ｊｐ',
                    'taro..ya.@docomo.ne.jp', '.taro@ezweb.ne.jp', 'o''brien@example.ie',
                    'a!#$%&*/=?^_`{|}~-z@sub.example.co.uk', 'ユーザー@example.jp']) AS x;

-- not addresses: 22P02, naming the value and why
\set VERBOSITY default
SELECT cdp.normalize_email('');
\echo :SQLSTATE
SELECT cdp.normalize_email('   ');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro.example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('ta ro@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@localhost');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@example..com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@-example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@example.123');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@[192.0.2.1]');
\echo :SQLSTATE
SELECT cdp.normalize_email('"taro yamada"@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro..yamada@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro.@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro(yamada)@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('+news@gmail.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('...@gmail.com');
\echo :SQLSTATE
SELECT cdp.normalize_email(repeat('a', 65) || '@example.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@' || repeat('a', 64) || '.com');
\echo :SQLSTATE
SELECT cdp.normalize_email('taro@xn--.jp');
\echo :SQLSTATE
SELECT length(cdp.normalize_email(repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 58) || '.jp')) AS longest;
SELECT cdp.normalize_email(repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 59) || '.jp');
\echo :SQLSTATE
SELECT cdp.normalize_email(repeat('x', 100000));
\echo :SQLSTATE

\set VERBOSITY terse

-- NULL in, NULL out (either argument)
SELECT cdp.normalize_email(NULL) IS NULL AS null_address, cdp.normalize_email('a@b.jp', NULL) IS NULL AS null_rules;

-- the type: input normalises, output is canonical
SELECT ' Taro.Yamada@Example.COM '::cdp.email AS email, 'ｔａｒｏ＠例え．ｊｐ'::cdp.email AS idn;
-- provider rules are not applied by the type: the address stays as given
SELECT 'Taro.Yamada+news@Gmail.com'::cdp.email AS kept,
       cdp.normalize_email('Taro.Yamada+news@Gmail.com'::cdp.email::text) AS matching_key;
SELECT 'taro'::cdp.email;
\echo :SQLSTATE
SELECT ''::cdp.email;
\echo :SQLSTATE

-- comparison: case and spacing do not matter, bytewise order
SELECT 'A@example.com'::cdp.email = ' a@EXAMPLE.com'::cdp.email AS eq,
       'a@example.com'::cdp.email <> 'b@example.com'::cdp.email AS ne,
       'a@example.com'::cdp.email < 'b@example.com'::cdp.email AS lt,
       'a@example.com'::cdp.email <= 'a@example.com'::cdp.email AS le,
       'b@example.com'::cdp.email > 'a@example.com'::cdp.email AS gt,
       'b@example.com'::cdp.email >= 'b@example.com'::cdp.email AS ge,
       cdp.email_cmp('a@example.com', 'a@example.co') AS cmp;
SELECT e FROM unnest(ARRAY['b@x.jp', 'A@x.jp', 'a@w.jp', 'aa@x.jp']::cdp.email[]) AS e ORDER BY e;

-- casts: text to cdp.email in assignment, cdp.email to text
CREATE TABLE contacts (id int PRIMARY KEY, email cdp.email);
INSERT INTO contacts VALUES (1, 'Taro@Example.com'), (2, ' hanako@example.com');
INSERT INTO contacts SELECT 3, 'Jiro@Example.com'::text;
INSERT INTO contacts VALUES (4, 'not an address');
\echo :SQLSTATE
UPDATE contacts SET email = 'bad@' WHERE id = 1;
\echo :SQLSTATE
SELECT id, email, email::text AS as_text, pg_typeof(email::text) FROM contacts ORDER BY id;
SELECT id FROM contacts WHERE email = 'TARO@example.COM';
CREATE TABLE plain (t text);
INSERT INTO plain SELECT email FROM contacts;
SELECT t FROM plain ORDER BY t;
DROP TABLE plain;
DROP TABLE contacts;

SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof
  FROM pg_proc p
 WHERE p.oid IN ('cdp.normalize_email(text, boolean)'::regprocedure, 'cdp.email_in(cstring)'::regprocedure,
                 'cdp.email_eq(cdp.email, cdp.email)'::regprocedure)
 ORDER BY 1;

DROP EXTENSION cdp;
