--
-- rfm_aggregate: cdp.rfm_agg computes recency, frequency and monetary value
-- of a customer's purchases for any customer key; bad input is refused
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET timezone = 'UTC';

CREATE TABLE orders (customer text, ordered_at timestamptz, total numeric);
INSERT INTO orders VALUES
  ('ann', '2024-01-01 10:00', 10.50),
  ('ann', '2024-03-01 09:00', 20.25),
  ('ann', '2024-03-30 12:00', NULL),        -- a purchase without an amount
  ('bob', '2023-06-15 08:00', 100),
  ('cid', '2024-03-31 23:00', 0.0001),
  ('cid', NULL, 99);                        -- no time: ignored

-- recency: whole days to as_of; frequency: purchases; monetary: their spend
SELECT customer, (cdp.rfm_agg(ordered_at, total, '2024-04-01 00:00')).*
  FROM orders GROUP BY customer ORDER BY customer;
-- independently: whole days, count(*), sum()
SELECT customer, floor(extract(epoch FROM '2024-04-01 00:00'::timestamptz - max(ordered_at)) / 86400) AS days,
       count(ordered_at), sum(total) FILTER (WHERE ordered_at IS NOT NULL)
  FROM orders GROUP BY customer ORDER BY customer;

-- a window counts frequency and monetary in [as_of - window, as_of] only;
-- recency still looks at the last purchase ever
SELECT customer, (cdp.rfm_agg(ordered_at, total, '2024-04-01 00:00', '45 days')).*
  FROM orders GROUP BY customer ORDER BY customer;
-- the window's start is inclusive
SELECT (cdp.rfm_agg(t, 1, '2024-04-01 00:00', '1 day')).frequency
  FROM (VALUES ('2024-03-31 00:00'::timestamptz), ('2024-03-30 23:59:59.999999')) v(t);
-- a NULL window means all history
SELECT (cdp.rfm_agg(ordered_at, total, '2024-04-01 00:00', NULL)).frequency FROM orders WHERE customer = 'ann';
-- a purchase exactly at as_of counts, recency 0
SELECT (cdp.rfm_agg(t, 5, t)).* FROM (VALUES ('2024-04-01 00:00'::timestamptz)) v(t);

-- no rows, or only rows without a time: NULL
SELECT cdp.rfm_agg(ordered_at, total, '2024-04-01') IS NULL AS empty FROM orders WHERE false;
SELECT cdp.rfm_agg(ordered_at, total, '2024-04-01') IS NULL AS no_times FROM orders WHERE ordered_at IS NULL;

-- sums are exact: many decimals, huge values and mixed scales
SELECT (cdp.rfm_agg(t, a, '2024-01-02')).monetary
  FROM (VALUES ('2024-01-01'::timestamptz, 0.1), ('2024-01-01', 0.2)) v(t, a);
SELECT (cdp.rfm_agg(t, a, '2024-01-02')).monetary
  FROM (VALUES ('2024-01-01'::timestamptz, 0.123456789), ('2024-01-01', 1.1)) v(t, a);
SELECT (cdp.rfm_agg(t, a, '2024-01-02')).monetary = sum(a) AS exact_past_2_63
  FROM (VALUES ('2024-01-01'::timestamptz, 900000000000000.0001), ('2024-01-01', 900000000000000),
               ('2024-01-01', 12345678901234567890.5)) v(t, a);
SELECT (cdp.rfm_agg('2024-01-01', a, '2024-01-02')).monetary, sum(a)
  FROM (SELECT 922337203685477.5807::numeric FROM generate_series(1, 3)) v(a);
SELECT (cdp.rfm_agg('2024-01-01', a, '2024-01-02')).monetary
  FROM (VALUES (0::numeric), (0.00), (1e-4), (2.5e3)) v(a);

-- the same result in parallel (partial aggregates, serialised and combined)
CREATE TABLE many AS
SELECT g % 1000 AS customer, timestamptz '2024-01-01' + (g % 97) * interval '1 day' AS t,
       CASE WHEN g % 89 = 0 THEN 0.123456 ELSE (g % 500) / 4.0 END AS amount
  FROM generate_series(1, 60000) g;
ANALYZE many;
CREATE TABLE serial_result AS
SELECT customer, cdp.rfm_agg(t, amount, '2024-06-01', '100 days') AS m FROM many GROUP BY customer;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_hashagg = off;
CREATE FUNCTION pg_temp.plan_has(query text, pattern text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line LIKE pattern THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END
$$;
SELECT pg_temp.plan_has($$SELECT customer, cdp.rfm_agg(t, amount, '2024-06-01', '100 days') FROM many GROUP BY customer$$,
                        '%Partial%Aggregate%') AS partial_aggregation;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE s.m::text IS DISTINCT FROM p.m::text) AS differ
  FROM serial_result s
  FULL JOIN (SELECT customer, cdp.rfm_agg(t, amount, '2024-06-01', '100 days') AS m
               FROM many GROUP BY customer) p USING (customer);
-- one group over everything, combined from the workers
SELECT (cdp.rfm_agg(t, amount, '2024-06-01')).frequency, (cdp.rfm_agg(t, amount, '2024-06-01')).monetary = sum(amount) AS exact
  FROM many;
RESET ALL;
SET timezone = 'UTC';

-- bad input: each is an error with its SQLSTATE, and nothing is returned
SELECT cdp.rfm_agg(t, -5, '2024-04-01') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.rfm_agg(t, 'NaN', '2024-04-01') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.rfm_agg(t, 'Infinity', '2024-04-01') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
-- a purchase after as_of
SELECT cdp.rfm_agg(ordered_at, total, '2024-03-01 00:00') FROM orders;
\echo :SQLSTATE
SELECT cdp.rfm_agg(t, 1, '2024-04-01') FROM (VALUES ('-infinity'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.rfm_agg(ordered_at, total, NULL) FROM orders;
\echo :SQLSTATE
SELECT cdp.rfm_agg(ordered_at, total, 'infinity') FROM orders;
\echo :SQLSTATE
-- as_of must be one value per group
SELECT cdp.rfm_agg(ordered_at, total, ordered_at + interval '1 day') FROM orders WHERE customer = 'ann';
\echo :SQLSTATE
-- a window of zero length, or negative
SELECT cdp.rfm_agg(ordered_at, total, '2024-04-01', '0 days') FROM orders;
\echo :SQLSTATE
SELECT cdp.rfm_agg(ordered_at, total, '2024-04-01', '-1 day') FROM orders;
\echo :SQLSTATE
SELECT cdp.rfm_agg(ordered_at, total, '2024-04-01', '1 month -31 days') FROM orders;
\echo :SQLSTATE

DROP TABLE orders, many, serial_result;
DROP EXTENSION cdp;
