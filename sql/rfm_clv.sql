--
-- rfm_clv: customer lifetime value.  The BG/NBD and Gamma-Gamma fits
-- reproduce the published CDNOW figures, from the published summary and
-- end to end from the purchases loaded as cdp.events; the special function
-- 2F1, the predictions and bad input are checked too.
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET timezone = 'UTC';
SET extra_float_digits = 0;
-- the source tree (pg_regress's --inputdir) holds the data files
\getenv abs_srcdir PG_ABS_SRCDIR

-- ------------------------------------------------------------------------
-- 2F1 against values from an independent arbitrary-precision library
-- (mpmath, 30 digits), on every branch: series, Euler, Pfaff (z < 0), the
-- connection formula near z = 1, Gauss's theorem at z = 1, polynomials
-- ------------------------------------------------------------------------
SELECT a, b, c, z, round(cdp.hyp2f1(a, b, c, z)::numeric, 9) AS value,
       abs(cdp.hyp2f1(a, b, c, z) / reference - 1) < 1e-12 AS matches
  FROM (VALUES (1, 1, 2, 0.5, 1.38629436111989061883),
               (1, 1, 2, -3, 0.462098120373296872945),
               (0.5, 0.5, 1.5, 0.95, 1.38023115426996600825),
               (2.5, 1.3, 3.1, 0.97, 23.8266900263319990929),
               (1, 1, 2, 0.99, 4.65168705655362678906),
               (0.3, 0.7, 4.2, 1, 1.06759292821801795698),
               (-3, 2, 1.5, 0.7, -0.0752),
               (1.5, 2.5, 3.2, -0.95, 0.446861676456427791394),
               (10, 12, 3, 0.3, 25687.6716767893250197)) v(a, b, c, z, reference);
-- identities: 2F1(a, b; b; z) = (1 - z)^-a, 2F1(1, 1; 2; z) = -ln(1 - z) / z
SELECT bool_and(abs(cdp.hyp2f1(a, 1.7, 1.7, z) / (1 - z) ^ (-a) - 1) < 1e-12) AS power_identity,
       bool_and(abs(cdp.hyp2f1(1, 1, 2, z) / (-ln(1 - z) / z) - 1) < 1e-12) AS log_identity
  FROM (VALUES (0.3), (1.9), (-0.4)) a(a), (VALUES (-5.0), (-0.9), (0.1), (0.6), (0.93), (0.999)) z(z);
SELECT cdp.hyp2f1(1, 2, 3, 0), cdp.hyp2f1(0, 2, 3, 0.9), cdp.hyp2f1(NULL, 1, 1, 0.5) IS NULL AS null_in;
SELECT cdp.hyp2f1(1, 1, 2, 1.5);
\echo :SQLSTATE
SELECT cdp.hyp2f1(1, 1, -2, 0.5);
\echo :SQLSTATE
SELECT cdp.hyp2f1(1, 1, 2, 1);
\echo :SQLSTATE
SELECT cdp.hyp2f1('NaN', 1, 2, 0.5);
\echo :SQLSTATE

-- ------------------------------------------------------------------------
-- BG/NBD on the published CDNOW summary (2,357 customers, weeks): Fader,
-- Hardie & Lee (2005) report r = 0.243, alpha = 4.414, a = 0.793,
-- b = 2.426, log-likelihood -9582.4
-- ------------------------------------------------------------------------
CREATE TABLE cdnow (id int PRIMARY KEY, frequency int, recency float8, t float8);
\set file :abs_srcdir '/test/data/cdnow/cdnow_customers_summary.csv'
COPY cdnow FROM :'file' (FORMAT csv, HEADER);
CREATE TABLE bgnbd AS SELECT cdp.bgnbd_fit(frequency, recency, t) AS m FROM cdnow;
SELECT round((m).r::numeric, 3) AS r, round((m).alpha::numeric, 3) AS alpha,
       round((m).a::numeric, 3) AS a, round((m).b::numeric, 3) AS b,
       round((m).log_likelihood::numeric, 1) AS log_likelihood, (m).customers, (m).converged
  FROM bgnbd;
SELECT abs((m).r - 0.243) <= 0.002 AND abs((m).alpha - 4.414) <= 0.002 AND abs((m).a - 0.793) <= 0.002
       AND abs((m).b - 2.426) <= 0.002 AS published_parameters
  FROM bgnbd;
-- conditional expected purchases in the next 39 weeks for frequency 2,
-- recency 30.43, T 38.86: 1.226 in Hardie's spreadsheet
SELECT round(cdp.bgnbd_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 4) AS expected,
       abs(cdp.bgnbd_expected_purchases(m, 39, 2, 30.43, 38.86) - 1.226) <= 0.001 AS published,
       round(cdp.bgnbd_probability_alive(m, 2, 30.43, 38.86)::numeric, 4) AS alive
  FROM bgnbd;
-- more predictions from fixed parameters, against mpmath evaluations of
-- equations 9 and 10 of the paper (z below and above 0.9)
CREATE TABLE fixed AS
SELECT ROW(0.24259291210214912, 4.413531054612942, 0.7928863863871104, 2.4257544484801823,
           NULL, NULL, NULL, NULL)::cdp.bgnbd_model AS m;
SELECT periods, frequency, recency, t,
       abs(CASE WHEN t IS NULL THEN cdp.bgnbd_expected_purchases(m, periods)
                ELSE cdp.bgnbd_expected_purchases(m, periods, frequency, recency, t) END / reference - 1) < 1e-12 AS matches
  FROM fixed, (VALUES (39, 2, 30.43, 38.86, 1.22591044415685695310),
                      (39, NULL, NULL, NULL, 1.19501640670823077096),
                      (100, 5, 20, 30, 5.23990495267117450423),
                      (1000, 0, 0, 50, 1.90202421441799774577),
                      (5, 10, 38, 38.86, 1.05039567909116057888)) v(periods, frequency, recency, t, reference);
-- a above 2 (little dropout) takes the other form of the bracket; a and b in
-- the millions (what a population too small to show any dropout fits to) too
SELECT abs(cdp.bgnbd_expected_purchases(m, periods, frequency, recency, t) / reference - 1) < 1e-12 AS matches
  FROM (VALUES (ROW(0.5, 5, 3.5, 6, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 39, 2, 30, 38, 0.832802526171086861271),
               (ROW(0.5, 5, 3.5, 6, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 10, 0, 0, 0, 0.667760007053291430632),
               (ROW(0.7677252605377679, 10.772110512841385, 6759698.512319588, 21523581.23528403, NULL, NULL, NULL, NULL)::cdp.bgnbd_model,
                39, 2, 30.43, 38.86, 1.03920549874143484352)) v(m, periods, frequency, recency, t, reference);
-- a = 1 exactly: the formula's 0/0 has a limit
SELECT round(cdp.bgnbd_expected_purchases(ROW(0.25, 4, 1, 2.5, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 39, 2, 30, 39)::numeric, 6) AS at_a_1,
       round(cdp.bgnbd_expected_purchases(ROW(0.25, 4, 1.000001, 2.5, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 39, 2, 30, 39)::numeric, 6) AS near_a_1;
-- probability alive: 1 without repeat purchases, lower the longer since the last
SELECT cdp.bgnbd_probability_alive(m, 0, 0, 38.86) AS no_repeat,
       round(cdp.bgnbd_probability_alive(m, 5, 38, 38.86)::numeric, 4) AS recent,
       round(cdp.bgnbd_probability_alive(m, 5, 10, 38.86)::numeric, 4) AS lapsed
  FROM bgnbd;
-- predictions over the whole population: expected purchases are finite,
-- positive, and grow with the horizon
SELECT count(*) AS customers,
       count(*) FILTER (WHERE e39 > 0 AND e78 > e39 AND alive > 0 AND alive <= 1) AS sensible,
       round(sum(e39)::numeric, 1) AS expected_in_39_weeks
  FROM (SELECT cdp.bgnbd_expected_purchases(m, 39, frequency, recency, t) AS e39,
               cdp.bgnbd_expected_purchases(m, 78, frequency, recency, t) AS e78,
               cdp.bgnbd_probability_alive(m, frequency, recency, t) AS alive
          FROM cdnow, bgnbd) p;

-- each call site remembers the model and the brackets by (frequency, t,
-- horizon): a model that changes from row to row is parsed again and
-- nothing derived from the other is used; with more distinct t than the
-- table holds (5,000 here) it is emptied or turned off, and the values
-- do not depend on the order of the rows
SELECT count(*) AS calls,
       bool_and(abs(cdp.bgnbd_expected_purchases(m, 39, frequency, recency, t) / reference - 1) < 1e-12) AS matches
  FROM (VALUES (ROW(0.5, 5, 3.5, 6, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 2, 30, 38, 0.832802526171086861271),
               ((SELECT m FROM fixed), 2, 30.43, 38.86, 1.22591044415685695310)) v(m, frequency, recency, t, reference),
       generate_series(1, 3) again;
CREATE TABLE many AS
SELECT i, i % 7 AS frequency, (i % 7) * 3.0 AS recency, 25 + (i % 5000) / 100.0 AS t FROM generate_series(1, 12000) i;
SELECT count(*) AS customers, count(*) FILTER (WHERE a.e IS DISTINCT FROM b.e) AS differ
  FROM (SELECT i, cdp.bgnbd_expected_purchases(m, 39, frequency, recency, t) AS e FROM many, fixed) a
  JOIN (SELECT i, cdp.bgnbd_expected_purchases(m, 39, frequency, recency, t) AS e
          FROM (SELECT * FROM many ORDER BY t DESC, frequency) s, fixed) b USING (i);
DROP TABLE many;

-- the fit is the same when it runs in parallel (states serialised, combined)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT (f).r = (b.m).r AND (f).alpha = (b.m).alpha AND (f).a = (b.m).a AND (f).b = (b.m).b AS same_in_parallel
  FROM (SELECT cdp.bgnbd_fit(frequency, recency, t) AS f FROM cdnow) p, bgnbd b;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ------------------------------------------------------------------------
-- Gamma-Gamma on the customers with repeat purchases (946): Fader & Hardie
-- (2013) report p = 6.25, q = 3.74, v = 15.44
-- ------------------------------------------------------------------------
CREATE TABLE cdnow_spend (id int PRIMARY KEY, x int, t_x float8, t float8, zbar float8);
\set file :abs_srcdir '/test/data/cdnow/cdnow_customers_summary_with_transactions.csv'
COPY cdnow_spend FROM :'file' (FORMAT csv, HEADER);
CREATE TABLE gg AS SELECT cdp.gamma_gamma_fit(x, zbar) AS m FROM cdnow_spend;
SELECT round((m).p::numeric, 2) AS p, round((m).q::numeric, 2) AS q, round((m).v::numeric, 2) AS v,
       (m).customers, (m).converged,
       abs((m).p - 6.25) <= 0.01 AND abs((m).q - 3.74) <= 0.01 AND abs((m).v - 15.44) <= 0.01 AS published_parameters
  FROM gg;
-- expected spend: p (v + x zbar) / (p x + q - 1), the population mean p v / (q - 1) for x = 0
SELECT round(cdp.gamma_gamma_expected_spend(m, 2, 22.35)::numeric, 4) AS customer_1,
       round(((m).p * ((m).v + 2 * 22.35) / ((m).p * 2 + (m).q - 1))::numeric, 4) AS by_hand,
       round(cdp.gamma_gamma_expected_spend(m, 0, 0)::numeric, 4) AS new_customer,
       round(((m).p * (m).v / ((m).q - 1))::numeric, 4) AS population_mean
  FROM gg;

-- lifetime value: spend x expected purchases; discounting lowers it
SELECT round(cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 39)::numeric, 4) AS clv_39_weeks,
       round((cdp.gamma_gamma_expected_spend(g.m, 2, 22.35) * cdp.bgnbd_expected_purchases(b.m, 39, 2, 30.43, 38.86))::numeric, 4) AS by_hand,
       round(cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 39, 0.01, 4)::numeric, 4) AS discounted,
       cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 39, 0.01, 4)
         < cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 39) AS discount_lowers,
       abs(cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 39, 0, 4)
           - cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 39)) < 1e-9 AS steps_without_discount_agree,
       cdp.customer_lifetime_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 0) AS no_horizon
  FROM bgnbd b, gg g;

-- ------------------------------------------------------------------------
-- End to end: the CDNOW purchases (1/10 sample) as cdp.events, summarised
-- by cdp.clv_profile_summary as of 1997-09-30 in weeks, equal the published
-- summary, and fit to the published parameters
-- ------------------------------------------------------------------------
CREATE TABLE cdnow_lines (line text);
\set file :abs_srcdir '/test/data/cdnow/CDNOW_sample.txt'
COPY cdnow_lines FROM :'file' (FORMAT text, DELIMITER E'\x01');
INSERT INTO cdp.sources (source_key, display_name, kind) VALUES ('cdnow', 'CDNOW', 'ecommerce');
INSERT INTO cdp.profiles (attributes)
SELECT jsonb_build_object('cdnow_id', id)
  FROM (SELECT DISTINCT (regexp_split_to_array(btrim(line), '\s+'))[2]::int AS id FROM cdnow_lines) c ORDER BY id;
INSERT INTO cdp.events (source_id, profile_id, event_type, occurred_at, amount, currency, quantity)
SELECT s.source_id, p.profile_id, 'order', to_date(f[3], 'YYYYMMDD') + time '12:00', f[5]::numeric, 'USD', f[4]::int
  FROM (SELECT regexp_split_to_array(btrim(line), '\s+') AS f FROM cdnow_lines) l
  JOIN cdp.profiles p ON (p.attributes ->> 'cdnow_id')::int = f[2]::int
 CROSS JOIN cdp.sources s;
SELECT count(*) AS events, count(DISTINCT profile_id) AS profiles, sum(amount) AS dollars FROM cdp.events;
CREATE TABLE summary AS
SELECT (p.attributes ->> 'cdnow_id')::int AS id, s.*
  FROM cdp.clv_profile_summary('1997-09-30', '7 days') s JOIN cdp.profiles p USING (profile_id);
-- the published file rounds to 2 decimals
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (s.frequency, round(s.recency::numeric, 2), round(s.t::numeric, 2), round(s.monetary_value::numeric, 2))
                              IS DISTINCT FROM (c.x, c.t_x::numeric, c.t::numeric, c.zbar::numeric)) AS differ
  FROM summary s FULL JOIN cdnow_spend c USING (id);
SELECT round((b).r::numeric, 3) AS r, round((b).alpha::numeric, 3) AS alpha, round((b).a::numeric, 3) AS a,
       round((b).b::numeric, 3) AS b,
       abs((b).r - 0.243) <= 0.002 AND abs((b).alpha - 4.414) <= 0.002 AND abs((b).a - 0.793) <= 0.002
       AND abs((b).b - 2.426) <= 0.002 AS bgnbd_published,
       round((g).p::numeric, 2) AS p, round((g).q::numeric, 2) AS q, round((g).v::numeric, 2) AS v,
       abs((g).p - 6.25) <= 0.01 AND abs((g).q - 3.74) <= 0.01 AND abs((g).v - 15.44) <= 0.01 AS gamma_gamma_published
  FROM (SELECT cdp.bgnbd_fit(frequency, recency, t) AS b, cdp.gamma_gamma_fit(frequency, monetary_value) AS g
          FROM summary) f;
-- and the predictions per profile, customer 1 among them
SELECT (p.attributes ->> 'cdnow_id')::int AS id, c.frequency, round(c.recency::numeric, 2) AS recency,
       round(c.t::numeric, 2) AS t, round(c.probability_alive::numeric, 4) AS alive,
       round(c.expected_purchases::numeric, 3) AS expected_purchases,
       round(c.expected_spend::numeric, 2) AS expected_spend, round(c.clv::numeric, 2) AS clv
  FROM cdp.clv_profile_predictions('1997-09-30', 39) c JOIN cdp.profiles p USING (profile_id)
 WHERE (p.attributes ->> 'cdnow_id')::int IN (1, 2, 3) ORDER BY 1;

-- ------------------------------------------------------------------------
-- The summary aggregate: days, not transactions; the first day's spend left
-- out of the mean; NULL amounts add nothing
-- ------------------------------------------------------------------------
SELECT (cdp.clv_summary_agg(t, a, '2024-01-31', '7 days')).*
  FROM (VALUES ('2024-01-01 09:00'::timestamptz, 10.0), ('2024-01-01 18:00', 5), ('2024-01-08 10:00', 20),
               ('2024-01-15 10:00', 30), ('2024-01-15 11:00', NULL), (NULL, 1000)) v(t, a);
SELECT (cdp.clv_summary_agg(t, a, '2024-01-31', '1 day')).*
  FROM (VALUES ('2024-01-31 23:59'::timestamptz, 10.0)) v(t, a);
-- the calendar day is the session time zone's
SET timezone = 'Asia/Tokyo';
SELECT (cdp.clv_summary_agg(t, 1, '2024-01-31', '1 day')).*
  FROM (VALUES ('2024-01-01 23:00+00'::timestamptz), ('2024-01-02 01:00+00')) v(t);
SET timezone = 'UTC';
SELECT cdp.clv_summary_agg(t, 1, '2024-01-31', '1 day') IS NULL AS empty FROM (VALUES (now())) v(t) WHERE false;
-- bad input
SELECT cdp.clv_summary_agg(t, 1, '2024-01-31', '1 day') FROM (VALUES ('2024-02-01 00:00'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.clv_summary_agg(t, -1, '2024-01-31', '1 day') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.clv_summary_agg(t, 1, NULL, '1 day') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.clv_summary_agg(t, 1, '2024-01-31', '1 month') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.clv_summary_agg(t, 1, '2024-01-31', '0 days') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.clv_summary_agg(t, 1, 'infinity', '1 day') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
\echo :SQLSTATE
SELECT cdp.clv_summary_agg(t, 1, d, '1 day')
  FROM (VALUES ('2024-01-01'::timestamptz, '2024-01-31'::date), ('2024-01-02', '2024-01-30')) v(t, d);
\echo :SQLSTATE

-- ------------------------------------------------------------------------
-- Populations whose likelihood has no maximum inside the parameter space:
-- the fit stops after a few thousand evaluations (the budget is 40,000 for
-- BG/NBD, 30,000 for Gamma-Gamma) with converged = false, and the
-- parameters it returns give the limit's predictions.  (A population
-- without any repeat purchase is an error, below.)
-- ------------------------------------------------------------------------
-- everybody buys every week: no dropout (a / (a + b) -> 0) and one rate
-- for all (r, alpha -> infinity with r / alpha the rate, 465 / 480)
CREATE TABLE weekly AS
SELECT x AS frequency, x::float8 AS recency, x + 0.5 AS t FROM generate_series(1, 30) x, generate_series(1, 20) copy;
SELECT (m).converged, (m).evaluations < 5000 AS stopped_early, (m).a / ((m).a + (m).b) < 1e-9 AS no_dropout,
       round(((m).r / (m).alpha)::numeric, 2) AS rate,
       round(cdp.bgnbd_expected_purchases(m, 10, 10, 10, 10.5)::numeric, 2) AS next_10_weeks,
       cdp.bgnbd_probability_alive(m, 10, 10, 10.5) > 0.999999 AS alive
  FROM (SELECT cdp.bgnbd_fit(frequency, recency, t) AS m FROM weekly) f;
-- nobody drops out, rates differ: every repeat buyer bought in the last
-- half week
CREATE TABLE staying AS
SELECT i % 9 AS frequency, CASE WHEN i % 9 = 0 THEN 0 ELSE 40 + i % 13 - (i % 5) * 0.1 END AS recency,
       40.0 + i % 13 AS t
  FROM generate_series(1, 2000) i;
SELECT (m).converged, (m).evaluations < 5000 AS stopped_early, (m).a / ((m).a + (m).b) < 1e-9 AS no_dropout,
       (SELECT min(cdp.bgnbd_probability_alive(m, frequency, recency, t)) FROM staying) > 0.999999 AS all_alive
  FROM (SELECT cdp.bgnbd_fit(frequency, recency, t) AS m FROM staying) f;
-- Gamma-Gamma: everybody spends the same (q, v -> infinity): the expected
-- spend is that amount
CREATE TABLE same_spend AS SELECT i % 10 + 1 AS frequency, 20.0::float8 AS monetary_value FROM generate_series(1, 1000) i;
SELECT (m).converged, (m).evaluations < 5000 AS stopped_early,
       round(cdp.gamma_gamma_expected_spend(m, 3, 20)::numeric, 4) AS repeat_buyer,
       round(cdp.gamma_gamma_expected_spend(m, 0, 0)::numeric, 2) AS new_customer
  FROM (SELECT cdp.gamma_gamma_fit(frequency, monetary_value) AS m FROM same_spend) f;
DROP TABLE weekly, staying, same_spend;

-- bad input to the fits and predictions: errors, and NULL for no customers
SELECT cdp.bgnbd_fit(frequency, recency, t) IS NULL AS no_customers FROM cdnow WHERE false;
SELECT cdp.gamma_gamma_fit(x, zbar) IS NULL AS no_customers FROM cdnow_spend WHERE false;
SELECT cdp.bgnbd_fit(frequency, recency, t) FROM cdnow WHERE frequency = 0;
\echo :SQLSTATE
SELECT cdp.gamma_gamma_fit(x, zbar) FROM cdnow_spend WHERE x = 0;
\echo :SQLSTATE
SELECT cdp.bgnbd_fit(f, r, t) FROM (VALUES (1, 40.0, 39.0)) v(f, r, t);
\echo :SQLSTATE
SELECT cdp.bgnbd_fit(f, r, t) FROM (VALUES (-1, 1.0, 39.0)) v(f, r, t);
\echo :SQLSTATE
SELECT cdp.bgnbd_fit(f, r, t) FROM (VALUES (1, 'NaN'::float8, 39.0)) v(f, r, t);
\echo :SQLSTATE
SELECT cdp.bgnbd_fit(f, r, t) FROM (VALUES (2, 0.0, 39.0)) v(f, r, t);
\echo :SQLSTATE
SELECT cdp.gamma_gamma_fit(x, m) FROM (VALUES (2, 0.0)) v(x, m);
\echo :SQLSTATE
SELECT cdp.gamma_gamma_fit(x, m) FROM (VALUES (2, -5.0)) v(x, m);
\echo :SQLSTATE
SELECT cdp.bgnbd_expected_purchases(m, -1, 1, 1, 2) FROM bgnbd;
\echo :SQLSTATE
SELECT cdp.bgnbd_expected_purchases(m, 'Infinity') FROM bgnbd;
\echo :SQLSTATE
SELECT cdp.bgnbd_probability_alive(m, 1, 3, 2) FROM bgnbd;
\echo :SQLSTATE
SELECT cdp.bgnbd_expected_purchases(ROW(0, 1, 1, 1, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 39);
\echo :SQLSTATE
SELECT cdp.bgnbd_expected_purchases(ROW(NULL, 1, 1, 1, NULL, NULL, NULL, NULL)::cdp.bgnbd_model, 39);
\echo :SQLSTATE
SELECT cdp.gamma_gamma_expected_spend(ROW(6, 0.5, 15, NULL, NULL, NULL, NULL)::cdp.gamma_gamma_model, 0, 0);
\echo :SQLSTATE
SELECT cdp.gamma_gamma_expected_spend(m, 1, -3) FROM gg;
\echo :SQLSTATE
SELECT cdp.customer_lifetime_value(b.m, g.m, 2, 30, 38, 22, 39, -0.1) FROM bgnbd b, gg g;
\echo :SQLSTATE
SELECT cdp.customer_lifetime_value(b.m, g.m, 2, 30, 38, 22, 39, 0.01, 0) FROM bgnbd b, gg g;
\echo :SQLSTATE
SELECT cdp.customer_lifetime_value(b.m, g.m, 2, 30, 38, 22, 1e9, 0.01, 1) FROM bgnbd b, gg g;
\echo :SQLSTATE
SELECT cdp.bgnbd_expected_purchases(NULL::cdp.bgnbd_model, 39) IS NULL AS null_model,
       cdp.customer_lifetime_value(NULL, NULL, 1, 1, 1, 1, 1) IS NULL AS null_models;

DROP TABLE cdnow, bgnbd, fixed, cdnow_spend, gg, cdnow_lines, summary;
DROP EXTENSION cdp;
