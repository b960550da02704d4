--
-- rfm.sql: RFM scores and segments of every customer, cdp beside the plain
-- SQL a BI analyst would write (GROUP BY, NTILE window functions, CASE), on
-- the same generated orders in the same run; then the lifetime-value fit
-- and prediction.
--
-- Sizes: full = 1,000,000 customers with about 10,000,000 orders; tiny =
-- 2,000 customers with about 20,000 orders (psql -v customers=N overrides).
--
-- The peers:
--   peer_ntile  the analyst's query: NTILE(5) over each metric.  NTILE
--               splits ties arbitrarily (two customers with the same
--               frequency can get different F), so its scores are checked
--               against cdp's where the tie policy says they must agree:
--               cdp's level is NTILE's bucket for the first row of each
--               group of equal values.
--   peer_ties   the same query with cdp's tie policy written in SQL (the
--               NTILE bucket of rank() - 1): its scores must equal cdp's
--               on every customer.
-- cdp runs twice: cdp.rfm_profile_scores (C set-returning function) and the
-- composition of cdp.rfm_agg, cdp.rfm_quantiles and cdp.rfm_score in SQL
-- (what works for any customer key).  Each query is timed best of :runs.
--
\set ON_ERROR_STOP 1
\if :{?customers}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 1000000 END AS customers \gset
\endif
SELECT CASE WHEN :'scale' = 'tiny' THEN 3 ELSE 2 END AS runs \gset

CREATE EXTENSION IF NOT EXISTS cdp;
SET client_min_messages = warning;

-- ------------------------------------------------------------------------
-- Data: customers with 1 + floor(Exp(9.5)) orders each (10 on average),
-- at uniform times over 2023-2024, amounts skewed towards small ones.
-- ------------------------------------------------------------------------
SELECT setseed(0.42);
INSERT INTO cdp.sources (source_key, display_name, kind) VALUES ('shop', 'Shop', 'ecommerce');
INSERT INTO cdp.profiles (status) SELECT 'active' FROM generate_series(1, :customers);
-- the foreign keys hold by construction; skip their per-row triggers
SET session_replication_role = replica;
INSERT INTO cdp.events (source_id, profile_id, event_type, occurred_at, amount, currency)
SELECT s.source_id, p.profile_id, 'order',
	   timestamptz '2023-01-01 00:00+00' + random() * interval '730 days',
	   round((5 + 300 * random() ^ 2)::numeric, 2), 'USD'
  FROM (SELECT profile_id, (1 + floor(-ln(1 - random()) * 9.5))::int AS orders
		  FROM cdp.profiles) p
 CROSS JOIN LATERAL generate_series(1, p.orders)
 CROSS JOIN cdp.sources s;
RESET session_replication_role;
VACUUM ANALYZE cdp.events;
SELECT count(*) AS orders, count(DISTINCT profile_id) AS customers FROM cdp.events \gset
\echo orders: :orders, customers: :customers

-- ------------------------------------------------------------------------
-- The queries, each ending in an aggregate over every output column so
-- that nothing is optimised away and no rows travel to the client.
-- ------------------------------------------------------------------------
CREATE TEMP TABLE bench_query (name text PRIMARY KEY, sql text);
INSERT INTO bench_query VALUES
('cdp_function', $q$
SELECT count(*), sum(cdp.recency_score(rfm) + cdp.frequency_score(rfm) + cdp.monetary_score(rfm)), count(segment)
  FROM cdp.rfm_profile_scores('2025-01-01 00:00+00')
$q$),
('cdp_aggregates', $q$
WITH m AS MATERIALIZED (
	SELECT profile_id, cdp.rfm_agg(occurred_at, amount, '2025-01-01 00:00+00') AS x
	  FROM cdp.events
	 WHERE profile_id IS NOT NULL AND event_type = 'order' AND occurred_at <= '2025-01-01 00:00+00'
	 GROUP BY profile_id),
c AS (SELECT cdp.rfm_quantiles(x, 5) AS cuts FROM m),
s AS (SELECT m.profile_id, cdp.rfm_score(m.x, c.cuts) AS rfm FROM m CROSS JOIN c)
SELECT count(*), sum(cdp.recency_score(rfm) + cdp.frequency_score(rfm) + cdp.monetary_score(rfm)),
	   count(cdp.rfm_segment(rfm))
  FROM s
$q$),
('peer_ntile', $q$
WITH m AS (
	SELECT profile_id,
		   floor(extract(epoch FROM timestamptz '2025-01-01 00:00+00' - max(occurred_at)) / 86400)::int AS recency_days,
		   count(*) AS frequency, sum(amount) AS monetary
	  FROM cdp.events
	 WHERE profile_id IS NOT NULL AND event_type = 'order' AND occurred_at <= '2025-01-01 00:00+00'
	 GROUP BY profile_id),
s AS (
	SELECT profile_id,
		   ntile(5) OVER (ORDER BY recency_days DESC) AS r,
		   ntile(5) OVER (ORDER BY frequency) AS f,
		   ntile(5) OVER (ORDER BY monetary) AS m
	  FROM m),
g AS (
	SELECT profile_id, r, f, m,
		   CASE WHEN r = 5 AND f >= 4 THEN 'champions'
				WHEN r BETWEEN 3 AND 4 AND f >= 4 THEN 'loyal'
				WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'potential_loyalist'
				WHEN r = 5 AND f = 1 THEN 'new'
				WHEN r = 4 AND f = 1 THEN 'promising'
				WHEN r = 3 AND f = 3 THEN 'need_attention'
				WHEN r = 3 AND f <= 2 THEN 'about_to_sleep'
				WHEN r <= 2 AND f BETWEEN 3 AND 4 THEN 'at_risk'
				WHEN r <= 2 AND f = 5 THEN 'cant_lose'
				WHEN r = 2 AND f <= 2 THEN 'hibernating'
				WHEN r = 1 AND f <= 2 THEN 'lost'
		   END AS segment
	  FROM s)
SELECT count(*), sum(r + f + m), count(segment) FROM g
$q$);
-- peer_ties: NTILE's bucket of position rank() - 1, i.e. of the number of
-- customers strictly worse: (k - 1) * q + min(k - 1, rest) is where
-- bucket k starts, with q = n / 5 and rest = n % 5
INSERT INTO bench_query
SELECT 'peer_ties', replace(replace(replace(sql,
	'ntile(5) OVER (ORDER BY recency_days DESC) AS r',
	'rank() OVER (ORDER BY recency_days DESC) - 1 AS r_worse'),
	'ntile(5) OVER (ORDER BY frequency) AS f',
	'rank() OVER (ORDER BY frequency) - 1 AS f_worse'),
	'ntile(5) OVER (ORDER BY monetary) AS m',
	'rank() OVER (ORDER BY monetary) - 1 AS m_worse, count(*) OVER () AS n')
  FROM bench_query WHERE name = 'peer_ntile';
UPDATE bench_query SET sql = replace(sql, $s$	  FROM s)
SELECT$s$, $s$	  FROM (SELECT profile_id,
				   pg_temp.bucket(r_worse, n) AS r, pg_temp.bucket(f_worse, n) AS f,
				   pg_temp.bucket(m_worse, n) AS m
			  FROM s) s)
SELECT$s$)
 WHERE name = 'peer_ties';
CREATE FUNCTION pg_temp.bucket(worse bigint, n bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN worse < (n % 5) * (n / 5 + 1) THEN worse / (n / 5 + 1)
			ELSE n % 5 + (worse - (n % 5) * (n / 5 + 1)) / (n / 5) END::int + 1
$$;

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE bench_time (name text PRIMARY KEY, ms double precision, result text);
DO $$
DECLARE
	q		record;
	started timestamptz;
	elapsed double precision;
	best	double precision;
	result	text;
	i		int;
BEGIN
	FOR q IN SELECT * FROM bench_query ORDER BY name LOOP
		best := NULL;
		FOR i IN 1 .. current_setting('bench.runs')::int LOOP
			started := clock_timestamp();
			EXECUTE 'SELECT row(q.*)::text FROM (' || q.sql || ') q' INTO result;
			elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
			best := least(best, elapsed);
		END LOOP;
		INSERT INTO bench_time VALUES (q.name, best, result);
	END LOOP;
END
$$;

-- ------------------------------------------------------------------------
-- Agreement, per customer (not timed)
-- ------------------------------------------------------------------------
SET client_min_messages = notice;
CREATE TEMP TABLE ours AS
SELECT * FROM cdp.rfm_profile_scores('2025-01-01 00:00+00');
CREATE TEMP TABLE ours_sql AS
WITH m AS MATERIALIZED (
	SELECT profile_id, cdp.rfm_agg(occurred_at, amount, '2025-01-01 00:00+00') AS x
	  FROM cdp.events
	 WHERE profile_id IS NOT NULL AND event_type = 'order' AND occurred_at <= '2025-01-01 00:00+00'
	 GROUP BY profile_id),
c AS (SELECT cdp.rfm_quantiles(x, 5) AS cuts FROM m)
SELECT m.profile_id, (m.x).*, cdp.rfm_score(m.x, c.cuts) AS rfm, cdp.rfm_segment(cdp.rfm_score(m.x, c.cuts)) AS segment
  FROM m CROSS JOIN c;
CREATE TEMP TABLE peer AS
WITH m AS (
	SELECT profile_id,
		   floor(extract(epoch FROM timestamptz '2025-01-01 00:00+00' - max(occurred_at)) / 86400)::int AS recency_days,
		   count(*) AS frequency, sum(amount) AS monetary
	  FROM cdp.events
	 WHERE profile_id IS NOT NULL AND event_type = 'order' AND occurred_at <= '2025-01-01 00:00+00'
	 GROUP BY profile_id)
SELECT m.*,
	   ntile(5) OVER (ORDER BY recency_days DESC) AS r_ntile,
	   ntile(5) OVER (ORDER BY frequency) AS f_ntile,
	   ntile(5) OVER (ORDER BY monetary) AS m_ntile,
	   pg_temp.bucket(rank() OVER (ORDER BY recency_days DESC) - 1, count(*) OVER ()) AS r_ties,
	   pg_temp.bucket(rank() OVER (ORDER BY frequency) - 1, count(*) OVER ()) AS f_ties,
	   pg_temp.bucket(rank() OVER (ORDER BY monetary) - 1, count(*) OVER ()) AS m_ties
  FROM m;

DO $$
DECLARE
	bad bigint;
	n bigint;
BEGIN
	SELECT count(*) INTO n FROM ours;
	IF n <> (SELECT count(*) FROM peer) OR n = 0 THEN
		RAISE EXCEPTION 'cdp scored % customers, the peer %', n, (SELECT count(*) FROM peer);
	END IF;
	-- the C function and the SQL composition of the aggregates agree
	SELECT count(*) INTO bad
	  FROM ours o FULL JOIN ours_sql a USING (profile_id)
	 WHERE (o.recency_days, o.frequency, o.monetary, o.first_at, o.last_at, o.rfm, o.segment)
		   IS DISTINCT FROM (a.recency_days, a.frequency, a.monetary, a.first_at, a.last_at, a.rfm, a.segment);
	IF bad > 0 THEN
		RAISE EXCEPTION 'cdp.rfm_profile_scores and the aggregates differ on % customers', bad;
	END IF;
	-- metrics equal the analyst's GROUP BY
	SELECT count(*) INTO bad
	  FROM ours o JOIN peer p USING (profile_id)
	 WHERE (o.recency_days, o.frequency, o.monetary) IS DISTINCT FROM (p.recency_days, p.frequency, p.monetary);
	IF bad > 0 THEN
		RAISE EXCEPTION 'RFM metrics differ from the SQL peer on % customers', bad;
	END IF;
	-- scores equal the SQL written with the same tie policy, on every customer
	SELECT count(*) INTO bad
	  FROM ours o JOIN peer p USING (profile_id)
	 WHERE (cdp.recency_score(o.rfm), cdp.frequency_score(o.rfm), cdp.monetary_score(o.rfm))
		   IS DISTINCT FROM (p.r_ties, p.f_ties, p.m_ties);
	IF bad > 0 THEN
		RAISE EXCEPTION 'RFM scores differ from the tie-consistent SQL peer on % customers', bad;
	END IF;
	-- and equal plain NTILE's bucket for the first row of each group of ties
	SELECT count(*) INTO bad
	  FROM (SELECT o.rfm, p.*,
				   min(p.r_ntile) OVER (PARTITION BY p.recency_days) AS r_first,
				   min(p.f_ntile) OVER (PARTITION BY p.frequency) AS f_first,
				   min(p.m_ntile) OVER (PARTITION BY p.monetary) AS m_first
			  FROM ours o JOIN peer p USING (profile_id)) x
	 WHERE (cdp.recency_score(x.rfm), cdp.frequency_score(x.rfm), cdp.monetary_score(x.rfm))
		   IS DISTINCT FROM (x.r_first, x.f_first, x.m_first);
	IF bad > 0 THEN
		RAISE EXCEPTION 'RFM scores differ from NTILE''s first bucket of each tie group on % customers', bad;
	END IF;
	-- the segments of the timed queries agree too
	IF (SELECT count(DISTINCT split_part(trim(result, '()'), ',', 1) || '/' || split_part(trim(result, '()'), ',', 2))
		  FROM bench_time WHERE name IN ('cdp_function', 'cdp_aggregates', 'peer_ties')) <> 1 THEN
		RAISE EXCEPTION 'the timed queries disagree: %',
			(SELECT string_agg(name || ' ' || result, '; ') FROM bench_time);
	END IF;
	-- how far NTILE's arbitrary tie-breaking moves customers
	SELECT count(*) INTO bad
	  FROM ours o JOIN peer p USING (profile_id)
	 WHERE (cdp.recency_score(o.rfm), cdp.frequency_score(o.rfm), cdp.monetary_score(o.rfm))
		   IS DISTINCT FROM (p.r_ntile, p.f_ntile, p.m_ntile);
	RAISE NOTICE 'plain NTILE scores % of % customers differently from tie-consistent scoring', bad, n;
END
$$;

\pset footer off
SELECT name, round(ms::numeric, 1) AS ms, round((ms * 1000 / :customers)::numeric, 3) AS us_per_customer, result
  FROM bench_time ORDER BY name;
SELECT format('rfm scores+segments: %s customers, %s orders: peer_ntile %s ms, peer_ties %s ms, cdp.rfm_profile_scores %s ms (ratio %s vs NTILE, %s vs tie-consistent SQL), cdp aggregates in SQL %s ms (ratio %s vs NTILE)',
			  :customers, :orders,
			  round(p.ms::numeric), round(t.ms::numeric), round(f.ms::numeric),
			  round((p.ms / f.ms)::numeric, 2), round((t.ms / f.ms)::numeric, 2),
			  round(a.ms::numeric), round((p.ms / a.ms)::numeric, 2)) AS " "
  FROM bench_time p, bench_time t, bench_time f, bench_time a
 WHERE p.name = 'peer_ntile' AND t.name = 'peer_ties' AND f.name = 'cdp_function' AND a.name = 'cdp_aggregates';

-- ------------------------------------------------------------------------
-- Lifetime value.  Fit: BG/NBD and Gamma-Gamma on CDNOW-sized populations
-- (2,357 and 23,570 customers, the sample and the full CDNOW) simulated
-- from the BG/NBD process with the published CDNOW parameters, so the fit
-- should find them again.  Prediction: every customer of the orders above,
-- each function's cost over the same scan with a trivial expression.
-- ------------------------------------------------------------------------
SET client_min_messages = warning;
-- Gamma variates (Marsaglia & Tsang; shape < 1 boosted by U^(1/shape))
CREATE FUNCTION pg_temp.rgamma(shape float8) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	boost	float8 := 1;
	d		float8;
	c		float8;
	x		float8;
	v		float8;
BEGIN
	IF shape < 1 THEN
		boost := random() ^ (1 / shape);
		shape := shape + 1;
	END IF;
	d := shape - 1.0 / 3;
	c := 1 / sqrt(9 * d);
	LOOP
		LOOP
			x := sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
			v := 1 + c * x;
			EXIT WHEN v > 0;
		END LOOP;
		v := v * v * v;
		IF ln(1 - random()) < 0.5 * x * x + d - d * v + d * ln(v) THEN
			RETURN boost * d * v;
		END IF;
	END LOOP;
END
$$;
-- one customer: purchase rate Gamma(r, alpha), dropout probability
-- Beta(a, b) after each repeat purchase, observed for T weeks (27 to 39)
CREATE FUNCTION pg_temp.simulate(n int) RETURNS TABLE (frequency int, recency float8, t float8, spend float8)
LANGUAGE plpgsql AS $$
DECLARE
	rate	float8;
	p		float8;
	x_a		float8;
	now_t	float8;
	spend_nu float8;
	total	float8;
BEGIN
	FOR i IN 1 .. n LOOP
		rate := pg_temp.rgamma(0.243) / 4.414;
		x_a := pg_temp.rgamma(0.793);
		p := x_a / (x_a + pg_temp.rgamma(2.426));
		spend_nu := pg_temp.rgamma(3.74) / 15.44;
		t := 27 + 12 * random();
		frequency := 0;
		recency := 0;
		total := 0;
		now_t := 0;
		LOOP
			now_t := now_t - ln(1 - random()) / greatest(rate, 1e-12);
			EXIT WHEN now_t > t;
			frequency := frequency + 1;
			recency := now_t;
			total := total + pg_temp.rgamma(6.25) / spend_nu;
			EXIT WHEN random() < p;
		END LOOP;
		spend := CASE WHEN frequency > 0 THEN total / frequency ELSE 0 END;
		RETURN NEXT;
	END LOOP;
END
$$;
SELECT setseed(0.7);
CREATE TEMP TABLE sim_2357 AS SELECT * FROM pg_temp.simulate(2357);
CREATE TEMP TABLE sim_23570 AS SELECT * FROM pg_temp.simulate(23570);
CREATE TEMP TABLE clv_time (name text PRIMARY KEY, ms double precision, result text);
DO $$
DECLARE
	q		record;
	started timestamptz;
	elapsed double precision;
	best	double precision;
	result	text;
BEGIN
	FOR q IN SELECT * FROM (VALUES
		('bgnbd_fit_2357', 'SELECT row((m).r, (m).alpha, (m).a, (m).b, (m).converged)::text FROM (SELECT cdp.bgnbd_fit(frequency, recency, t) AS m FROM sim_2357) f'),
		('bgnbd_fit_23570', 'SELECT row((m).r, (m).alpha, (m).a, (m).b, (m).converged)::text FROM (SELECT cdp.bgnbd_fit(frequency, recency, t) AS m FROM sim_23570) f'),
		('gamma_gamma_fit_2357', 'SELECT row((m).p, (m).q, (m).v, (m).converged)::text FROM (SELECT cdp.gamma_gamma_fit(frequency, spend) AS m FROM sim_2357) f'),
		('gamma_gamma_fit_23570', 'SELECT row((m).p, (m).q, (m).v, (m).converged)::text FROM (SELECT cdp.gamma_gamma_fit(frequency, spend) AS m FROM sim_23570) f')) v(name, sql)
	LOOP
		best := NULL;
		FOR i IN 1 .. 3 LOOP
			started := clock_timestamp();
			EXECUTE q.sql INTO result;
			elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
			best := least(best, elapsed);
		END LOOP;
		INSERT INTO clv_time VALUES (q.name, best, result);
	END LOOP;
END
$$;
SELECT name, round(ms::numeric, 1) AS ms, result FROM clv_time ORDER BY name;
-- the fits find the simulated parameters (within sampling error)
DO $$
DECLARE
	m cdp.bgnbd_model;
	g cdp.gamma_gamma_model;
BEGIN
	m := (SELECT cdp.bgnbd_fit(frequency, recency, t) FROM sim_23570);
	g := (SELECT cdp.gamma_gamma_fit(frequency, spend) FROM sim_23570);
	IF NOT m.converged OR NOT g.converged OR abs(m.r / 0.243 - 1) > 0.25 OR abs(m.alpha / 4.414 - 1) > 0.35
	   OR abs(g.p / 6.25 - 1) > 0.35 THEN
		RAISE EXCEPTION 'the fits did not recover the simulated parameters: % %', m, g;
	END IF;
END
$$;

-- prediction for every customer of the orders above
CREATE TEMP TABLE summ AS SELECT * FROM cdp.clv_profile_summary('2024-12-31', '7 days');
CREATE TEMP TABLE models AS
SELECT cdp.bgnbd_fit(frequency, recency, t) AS bgnbd, cdp.gamma_gamma_fit(frequency, monetary_value) AS gg FROM summ;
VACUUM ANALYZE summ;
SET max_parallel_workers_per_gather = 0;
-- The queries take about a second at full size and the machine is shared:
-- they run in 7 rounds, each round every query once, and each keeps its
-- best time, so that a burst of load elsewhere does not fall on one query
-- only.
CREATE TEMP TABLE predict_query (i int, name text, sql text);
INSERT INTO predict_query VALUES
	(1, 'scan', 'SELECT sum(s.frequency + s.recency + s.t + s.monetary_value)::text FROM summ s CROSS JOIN models m'),
	(2, 'expected_purchases', 'SELECT sum(cdp.bgnbd_expected_purchases(m.bgnbd, 52, s.frequency, s.recency, s.t))::text FROM summ s CROSS JOIN models m'),
	(3, 'probability_alive', 'SELECT sum(cdp.bgnbd_probability_alive(m.bgnbd, s.frequency, s.recency, s.t))::text FROM summ s CROSS JOIN models m'),
	(4, 'expected_spend', 'SELECT sum(cdp.gamma_gamma_expected_spend(m.gg, s.frequency, s.monetary_value))::text FROM summ s CROSS JOIN models m'),
	(5, 'clv', 'SELECT sum(cdp.customer_lifetime_value(m.bgnbd, m.gg, s.frequency, s.recency, s.t, s.monetary_value, 52))::text FROM summ s CROSS JOIN models m');
DO $$
DECLARE
	q		record;
	started timestamptz;
	elapsed double precision;
	result	text;
BEGIN
	FOR round IN 1 .. 7 LOOP
		FOR q IN SELECT * FROM predict_query ORDER BY i LOOP
			started := clock_timestamp();
			EXECUTE q.sql INTO result;
			elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
			INSERT INTO clv_time VALUES ('predict_' || q.name, elapsed, result)
			ON CONFLICT (name) DO UPDATE SET ms = least(clv_time.ms, excluded.ms);
		END LOOP;
	END LOOP;
END
$$;
RESET max_parallel_workers_per_gather;
SELECT count(*) AS profiles FROM summ \gset
SELECT format('clv fit: BG/NBD %s ms on 2357 customers, %s ms on 23570; Gamma-Gamma %s ms, %s ms (ratio to a 1 s budget: %s)',
			  round(b1.ms::numeric, 1), round(b2.ms::numeric, 1), round(g1.ms::numeric, 1), round(g2.ms::numeric, 1),
			  round(((b2.ms + g2.ms) / 1000)::numeric, 3)) AS " "
  FROM clv_time b1, clv_time b2, clv_time g1, clv_time g2
 WHERE b1.name = 'bgnbd_fit_2357' AND b2.name = 'bgnbd_fit_23570'
   AND g1.name = 'gamma_gamma_fit_2357' AND g2.name = 'gamma_gamma_fit_23570';
SELECT format('clv prediction, %s profiles: %s %s ms, %s ns per profile over the plain scan (%s ms; ratio %s of the scan''s time)',
			  :profiles, substr(p.name, 9), round(p.ms::numeric, 1),
			  round(((p.ms - s.ms) * 1e6 / :profiles)::numeric), round(s.ms::numeric, 1),
			  round((p.ms / s.ms)::numeric, 2)) AS " "
  FROM clv_time p, clv_time s
 WHERE p.name LIKE 'predict_%' AND p.name <> 'predict_scan' AND s.name = 'predict_scan'
 ORDER BY p.name;
