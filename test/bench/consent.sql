--
-- consent.sql: the cost of consent-aware row access.  The same queries run
-- under cdp's row-level security policy (a role acting for a purpose) and
-- with row-level security off, on the same data in the same run; the
-- policy must cost at most 1.3x on a scan-and-aggregate and 1.1x on an
-- indexed look-up of one profile.  "Off" is a role with BYPASSRLS and the
-- same memberships, so that both sides pay the same privilege checks and
-- only the policy differs (a superuser skips those checks too; its
-- figures are printed for reference).
--
-- Sizes: full = 1,000,000 profiles with about 10,000,000 events; tiny =
-- 2,000 profiles with about 20,000 events (psql -v profiles=N overrides).
--
-- Two consent sets:
--   all        every profile granted "analytics": the policy must return
--              exactly what the superuser sees, so results are compared
--              with the unfiltered queries;
--   selective  30% of profiles granted "email_marketing": compared with the
--              superuser's query joined to the profiles that consented
--              (what a query without row-level security must do).
-- Serial plans on both sides (max_parallel_workers_per_gather = 0): the
-- policy function is PARALLEL RESTRICTED, see the README; the superuser's
-- parallel time is printed too.  Each query is timed best of :runs.
--
\set ON_ERROR_STOP 1
\if :{?profiles}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 1000000 END AS profiles \gset
\endif
SELECT CASE WHEN :'scale' = 'tiny' THEN 3 ELSE 7 END AS runs \gset
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 50000 END AS lookups \gset

CREATE EXTENSION IF NOT EXISTS cdp;
SET client_min_messages = warning;

-- ------------------------------------------------------------------------
-- Data: profiles with 1 + floor(Exp(9.5)) orders each (10 on average)
-- ------------------------------------------------------------------------
SELECT setseed(0.42);
INSERT INTO cdp.sources (source_key, display_name, kind) VALUES ('shop', 'Shop', 'ecommerce');
INSERT INTO cdp.profiles (status, email)
SELECT 'active', 'p' || g || '@example.jp' FROM generate_series(1, :profiles) g;
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
-- the ledger: analytics for everybody, e-mail marketing for 30%
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at, source_id)
SELECT profile_id, 'analytics', 'granted', timestamptz '2022-06-01 00:00+00', 1 FROM cdp.profiles;
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at, source_id)
SELECT profile_id, 'email_marketing', 'granted', timestamptz '2022-06-01 00:00+00', 1
  FROM cdp.profiles WHERE random() < 0.3;
RESET session_replication_role;
SELECT cdp.consent_refresh();
VACUUM ANALYZE cdp.profiles, cdp.events, cdp.consent_current;
SELECT count(*) AS events, count(DISTINCT profile_id) AS profiles FROM cdp.events \gset
SELECT count(*) AS marketing FROM cdp.consent_current WHERE purpose = 'email_marketing' AND granted \gset
\echo events: :events, profiles: :profiles, consented to e-mail marketing: :marketing

DROP ROLE IF EXISTS regress_bench_reader;
DROP ROLE IF EXISTS regress_bench_bypass;
CREATE ROLE regress_bench_reader NOLOGIN IN ROLE cdp_analyst, cdp_marketer;
CREATE ROLE regress_bench_bypass NOLOGIN BYPASSRLS IN ROLE cdp_analyst, cdp_marketer;
-- the selective queries of the role without row-level security read the consent state
GRANT SELECT ON cdp.consent_current TO regress_bench_bypass;

-- ------------------------------------------------------------------------
-- The queries.  mode "off" runs as regress_bench_bypass (BYPASSRLS: no
-- row-level security), "superuser" as the superuser; a purpose runs as
-- regress_bench_reader with cdp.purpose set.
-- ------------------------------------------------------------------------
-- The look-up loops cycle over the same 10,000 profiles (spread over all
-- ids), whose rows fit in shared buffers: what is compared is the cost of a
-- look-up, not of reading pages from the operating system, which varies by
-- 15% or more with what ran just before.
CREATE FUNCTION pg_temp.profile_lookups(n int, max_id bigint, restrict_to text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	found_email text;
	hits	int := 0;
	id		bigint;
BEGIN
	FOR i IN 1 .. n LOOP
		id := 1 + ((i % 10000)::bigint * 7919) % max_id;
		found_email := NULL;
		IF restrict_to IS NULL THEN
			SELECT p.email INTO found_email FROM cdp.profiles p WHERE p.profile_id = id;
		ELSE
			SELECT p.email INTO found_email FROM cdp.profiles p
			 WHERE p.profile_id = id
			   AND EXISTS (SELECT FROM cdp.consent_current c
							WHERE c.profile_id = p.profile_id AND c.purpose = restrict_to AND c.granted);
		END IF;
		IF found_email IS NOT NULL THEN
			hits := hits + 1;
		END IF;
	END LOOP;
	RETURN hits::text;
END
$$;
CREATE FUNCTION pg_temp.event_lookups(n int, max_id bigint, restrict_to text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	cnt		bigint;
	amt		numeric;
	total_cnt bigint := 0;
	total_amt numeric := 0;
	id		bigint;
BEGIN
	FOR i IN 1 .. n LOOP
		id := 1 + ((i % 10000)::bigint * 7919) % max_id;
		IF restrict_to IS NULL THEN
			SELECT count(*), coalesce(sum(e.amount), 0) INTO cnt, amt FROM cdp.events e WHERE e.profile_id = id;
		ELSE
			SELECT count(*), coalesce(sum(e.amount), 0) INTO cnt, amt FROM cdp.events e
			 WHERE e.profile_id = id
			   AND EXISTS (SELECT FROM cdp.consent_current c
							WHERE c.profile_id = e.profile_id AND c.purpose = restrict_to AND c.granted);
		END IF;
		total_cnt := total_cnt + cnt;
		total_amt := total_amt + amt;
	END LOOP;
	RETURN total_cnt || ' ' || total_amt;
END
$$;

CREATE TEMP TABLE bench_query (name text, consent text, mode text, sql text, PRIMARY KEY (name, consent, mode));
INSERT INTO bench_query VALUES
('events_total', 'all', 'off', 'SELECT count(*), sum(amount) FROM cdp.events'),
('events_total', 'all', 'analytics', 'SELECT count(*), sum(amount) FROM cdp.events'),
('events_by_profile', 'all', 'off',
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events GROUP BY profile_id) s'),
('events_by_profile', 'all', 'analytics',
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events GROUP BY profile_id) s'),
('profile_lookup', 'all', 'off', format('SELECT pg_temp.profile_lookups(%s, %s, NULL)', :lookups, :profiles)),
('profile_lookup', 'all', 'analytics', format('SELECT pg_temp.profile_lookups(%s, %s, NULL)', :lookups, :profiles)),
('profile_events_lookup', 'all', 'off', format('SELECT pg_temp.event_lookups(%s, %s, NULL)', :lookups, :profiles)),
('profile_events_lookup', 'all', 'analytics', format('SELECT pg_temp.event_lookups(%s, %s, NULL)', :lookups, :profiles)),
-- selective: the superuser must join to the consented profiles
('events_total', 'selective', 'off',
 'SELECT count(*), sum(amount) FROM cdp.events e WHERE e.profile_id IN
   (SELECT c.profile_id FROM cdp.consent_current c WHERE c.purpose = ''email_marketing'' AND c.granted)'),
('events_total', 'selective', 'email_marketing', 'SELECT count(*), sum(amount) FROM cdp.events'),
('events_by_profile', 'selective', 'off',
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events e WHERE e.profile_id IN
   (SELECT c.profile_id FROM cdp.consent_current c WHERE c.purpose = ''email_marketing'' AND c.granted)
   GROUP BY profile_id) s'),
('events_by_profile', 'selective', 'email_marketing',
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events GROUP BY profile_id) s'),
('profile_lookup', 'selective', 'off', format('SELECT pg_temp.profile_lookups(%s, %s, ''email_marketing'')', :lookups, :profiles)),
('profile_lookup', 'selective', 'email_marketing', format('SELECT pg_temp.profile_lookups(%s, %s, NULL)', :lookups, :profiles)),
('profile_events_lookup', 'selective', 'off', format('SELECT pg_temp.event_lookups(%s, %s, ''email_marketing'')', :lookups, :profiles)),
('profile_events_lookup', 'selective', 'email_marketing', format('SELECT pg_temp.event_lookups(%s, %s, NULL)', :lookups, :profiles));

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE bench_time (name text, consent text, mode text, ms double precision, result text);
INSERT INTO bench_query
SELECT name, consent, 'superuser', sql FROM bench_query WHERE mode = 'off' AND consent = 'all';
GRANT SELECT ON bench_query TO regress_bench_reader, regress_bench_bypass;
-- each query: a warm-up run, then bench.runs rounds that run every query
-- once in turn (so that a busy moment of the machine hits both sides);
-- the best of each query's runs counts.  Serial plans.  The sides of a
-- query (policy, RLS off, superuser) take turns at each position from
-- round to round: where a run comes among the runs of the same query
-- changes how many of its pages are in shared buffers (by about 15% for
-- the look-up loops at full size, the superuser's side as much as the
-- policy's), and a fixed order would charge that to some sides only.
SET max_parallel_workers_per_gather = 0;
CREATE FUNCTION pg_temp.time_queries() RETURNS SETOF bench_time
LANGUAGE plpgsql AS $$
DECLARE
	q		record;
	started timestamptz;
	elapsed double precision;
	result	text;
	best	double precision[];
	results text[];
	k		int;
BEGIN
	FOR i IN 0 .. current_setting('bench.runs')::int LOOP
		FOR q IN SELECT b.*
				   FROM (SELECT b.*, row_number() OVER (ORDER BY b.name, b.consent, b.mode) AS k,
								row_number() OVER (PARTITION BY b.name, b.consent ORDER BY b.mode) AS side,
								count(*) OVER (PARTITION BY b.name, b.consent) AS sides
						   FROM bench_query b) b
				  ORDER BY b.name, b.consent, (b.side + i) % b.sides LOOP
			k := q.k;
			IF q.mode = 'off' THEN
				EXECUTE 'SET ROLE regress_bench_bypass';
				PERFORM set_config('cdp.purpose', '', false);
			ELSIF q.mode = 'superuser' THEN
				EXECUTE 'RESET ROLE';
				PERFORM set_config('cdp.purpose', '', false);
			ELSE
				EXECUTE 'SET ROLE regress_bench_reader';
				PERFORM set_config('cdp.purpose', q.mode, false);
			END IF;
			started := clock_timestamp();
			EXECUTE 'SELECT row(q.*)::text FROM (' || q.sql || ') q' INTO result;
			elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
			IF i > 0 THEN
				best[k] := least(best[k], elapsed);
			END IF;
			results[k] := result;
		END LOOP;
	END LOOP;
	EXECUTE 'RESET ROLE';
	PERFORM set_config('cdp.purpose', '', false);
	k := 0;
	FOR q IN SELECT * FROM bench_query ORDER BY name, consent, mode LOOP
		k := k + 1;
		RETURN NEXT (q.name, q.consent, q.mode, best[k], results[k])::bench_time;
	END LOOP;
END
$$;
INSERT INTO bench_time SELECT * FROM pg_temp.time_queries();
-- the superuser's parallel plans, for reference (the policy's scans are serial)
RESET max_parallel_workers_per_gather;
DO $$
DECLARE
	q		record;
	started timestamptz;
	elapsed double precision;
	best	double precision;
	result	text;
BEGIN
	FOR q IN SELECT * FROM bench_query WHERE mode = 'off' AND consent = 'all' AND name LIKE 'events%' LOOP
		best := NULL;
		FOR i IN 1 .. current_setting('bench.runs')::int LOOP
			started := clock_timestamp();
			EXECUTE 'SELECT row(q.*)::text FROM (' || q.sql || ') q' INTO result;
			elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
			best := least(best, elapsed);
		END LOOP;
		INSERT INTO bench_time VALUES (q.name, q.consent, 'off_parallel', best, result);
	END LOOP;
END
$$;

-- the first statement after another transaction's consent change patches
-- the cached set (it rereads the profiles the change log names); after a
-- change of who may act for what (a statement on cdp.role_purposes, even
-- one that changes no row) it rebuilds the set from every profile
SET ROLE regress_bench_reader;
SET cdp.purpose = 'analytics';
SELECT count(*) FROM cdp.profiles WHERE profile_id = 1;
RESET ROLE;
SELECT cdp.record_consent('analytics', 'granted', profile_id => 1, collected_at => '2022-07-01') > 0 AS recorded;
SET ROLE regress_bench_reader;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM cdp.profiles WHERE profile_id = 1;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS patch_ms \gset
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM cdp.profiles WHERE profile_id = 1;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS cached_ms \gset
RESET ROLE;
UPDATE cdp.role_purposes SET enabled = enabled WHERE false;
SET ROLE regress_bench_reader;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM cdp.profiles WHERE profile_id = 1;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS rebuild_ms \gset
RESET ROLE;
RESET cdp.purpose;

-- ------------------------------------------------------------------------
-- Report and agreement
-- ------------------------------------------------------------------------
SELECT name, consent, mode, round(ms::numeric, 1) AS ms, result FROM bench_time ORDER BY name, consent, mode;
SELECT format('consent %s, %s (%s consent): policy %s ms, rls off (BYPASSRLS role) %s ms, ratio %s (limit %s)%s',
			  p.name, p.consent, CASE p.consent WHEN 'all' THEN 'every profile' ELSE :'marketing' || ' profiles' END,
			  round(p.ms::numeric, 1), round(o.ms::numeric, 1), round((p.ms / o.ms)::numeric, 3),
			  CASE WHEN p.name LIKE '%lookup' THEN '1.1' ELSE '1.3' END,
			  CASE WHEN p.name LIKE '%lookup' THEN format(' [%s lookups: %s us vs %s us each]', :lookups,
						 round((p.ms * 1000 / :lookups)::numeric, 1), round((o.ms * 1000 / :lookups)::numeric, 1))
				   ELSE '' END) AS " "
  FROM bench_time p JOIN bench_time o ON o.name = p.name AND o.consent = p.consent AND o.mode = 'off'
 WHERE p.mode NOT IN ('off', 'off_parallel', 'superuser')
 ORDER BY p.consent, p.name;
SELECT format('consent %s, all: superuser %s ms (ratio of the policy to it %s)', s.name, round(s.ms::numeric, 1),
			  round((p.ms / s.ms)::numeric, 3)) AS " "
  FROM bench_time s JOIN bench_time p ON p.name = s.name AND p.consent = s.consent AND p.mode = 'analytics'
 WHERE s.mode = 'superuser' ORDER BY s.name;
SELECT format('consent %s, all: superuser with parallel workers %s ms', name, round(ms::numeric, 1)) AS " "
  FROM bench_time WHERE mode = 'off_parallel' ORDER BY name;
SELECT format('consent cache, %s profiles with the purpose: first statement after a consent change (patch) %s ms, after a role-purpose change (full rebuild) %s ms, a statement with the cache valid %s ms',
			  :profiles, round(:patch_ms::numeric, 1), round(:rebuild_ms::numeric, 1), round(:cached_ms::numeric, 2)) AS " ";
-- the policy returns exactly what the superuser's query returns
DO $$
DECLARE
	bad text;
BEGIN
	SELECT string_agg(p.name || '/' || p.consent || ': ' || p.result || ' <> ' || o.result, '; ') INTO bad
	  FROM bench_time p JOIN bench_time o ON o.name = p.name AND o.consent = p.consent AND o.mode = 'off'
	 WHERE p.mode NOT IN ('off', 'off_parallel') AND p.result IS DISTINCT FROM o.result;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'consent benchmark: results differ: %', bad;
	END IF;
END
$$;
SELECT 'results agree' AS " ";
DROP TABLE bench_query;
REVOKE SELECT ON cdp.consent_current FROM regress_bench_bypass;
DROP ROLE regress_bench_reader, regress_bench_bypass;
