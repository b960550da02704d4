--
-- match_types: cdp.email and cdp.phone as keys: btree and hash indexes,
-- joins, grouping, binary COPY
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

CREATE TABLE customers (id int PRIMARY KEY, email cdp.email UNIQUE, phone cdp.phone);
INSERT INTO customers
SELECT g, 'user' || g || '@example.com', '090' || lpad(g::text, 8, '0')
  FROM generate_series(1, 2000) AS g;
-- unique on the canonical form: case and spacing do not make a new address
INSERT INTO customers VALUES (2001, ' USER1@EXAMPLE.COM', '090-9999-9999');
\echo :SQLSTATE
CREATE INDEX customers_phone_hash ON customers USING hash (phone);
ANALYZE customers;

-- btree and hash indexes are used
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM customers WHERE email = 'User42@Example.com';
SELECT id FROM customers WHERE email = 'User42@Example.com';
EXPLAIN (COSTS OFF) SELECT id FROM customers WHERE phone = '090-0000-0042';
SELECT id FROM customers WHERE phone = '090-0000-0042';
EXPLAIN (COSTS OFF) SELECT count(*) FROM customers WHERE email BETWEEN 'user10@example.com' AND 'user11@example.com';
SELECT count(*) FROM customers WHERE email BETWEEN 'user10@example.com' AND 'user11@example.com';
CREATE INDEX customers_phone_btree ON customers (phone);
EXPLAIN (COSTS OFF) SELECT id FROM customers WHERE phone < '+819000000003' ORDER BY phone;
SELECT id FROM customers WHERE phone < '+819000000003' ORDER BY phone;
RESET enable_seqscan;

-- joins: hash join and merge join
CREATE TABLE orders (order_id int, email cdp.email, phone cdp.phone);
INSERT INTO orders SELECT g, 'USER' || (g % 100 + 1) || '@example.COM', '+81 90 ' || lpad((g % 50 + 1)::text, 8, '0')
  FROM generate_series(1, 500) AS g;
ANALYZE orders;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM orders o JOIN customers c ON c.email = o.email;
SELECT count(*) FROM orders o JOIN customers c ON c.email = o.email;
EXPLAIN (COSTS OFF) SELECT count(*) FROM orders o JOIN customers c ON c.phone = o.phone;
SELECT count(*) FROM orders o JOIN customers c ON c.phone = o.phone;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM orders o JOIN customers c ON c.phone = o.phone;
SELECT count(*) FROM orders o JOIN customers c ON c.phone = o.phone;
RESET enable_hashjoin;
RESET enable_nestloop;

-- grouping and DISTINCT by hashing and by sorting
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT email, count(*) FROM orders GROUP BY email;
SELECT count(*) AS groups FROM (SELECT email, count(*) FROM orders GROUP BY email) s;
RESET enable_sort;
SET enable_hashagg = off;
SELECT count(DISTINCT phone) AS distinct_phones FROM orders;
RESET enable_hashagg;

-- binary COPY round trip
\getenv abs_builddir PG_ABS_BUILDDIR
\set copyfile :abs_builddir '/results/match_types.bin'
COPY (SELECT id, email, phone FROM customers WHERE id <= 100) TO :'copyfile' (FORMAT binary);
CREATE TABLE customers_copy (id int, email cdp.email, phone cdp.phone);
COPY customers_copy FROM :'copyfile' (FORMAT binary);
SELECT count(*) AS copied,
       count(*) FILTER (WHERE c.email = k.email AND c.phone = k.phone) AS identical
  FROM customers c JOIN customers_copy k USING (id);
-- the wire form is the canonical text
SELECT cdp.email_send('A@Example.com') AS email_wire, cdp.phone_send('090-1234-5678') AS phone_wire;
-- binary input is validated: text columns written in binary are read back
-- as the types (the wire forms are the same), bad values are refused
CREATE TABLE wire (id int, email text, phone text);
INSERT INTO wire VALUES (1, ' Taro@Example.COM', '+81 90 1234 5678');
COPY wire TO :'copyfile' (FORMAT binary);
COPY customers_copy FROM :'copyfile' (FORMAT binary);
SELECT id, email, phone FROM customers_copy WHERE id = 1 ORDER BY email;
TRUNCATE wire;
INSERT INTO wire VALUES (2, 'not an address', '+81 90 1234 5678');
COPY wire TO :'copyfile' (FORMAT binary);
COPY customers_copy FROM :'copyfile' (FORMAT binary);
\echo :SQLSTATE
TRUNCATE wire;
INSERT INTO wire VALUES (3, 'jiro@example.com', '090-1234-5678');
COPY wire TO :'copyfile' (FORMAT binary);
COPY customers_copy FROM :'copyfile' (FORMAT binary);
\echo :SQLSTATE
SELECT count(*) AS rows_after_refused_copies FROM customers_copy;
DROP TABLE wire;

-- nothing changed by the failed insert
SELECT count(*) AS customers FROM customers;

DROP TABLE customers_copy, orders, customers;
DROP EXTENSION cdp;
