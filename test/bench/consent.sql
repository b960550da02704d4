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
-- parallel time is printed too.  Each scan is timed best of :runs; the
-- look-ups are timed in interleaved chunks (see pg_temp.time_lookups).
--
\set ON_ERROR_STOP 1
\if :{?profiles}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 1000000 END AS profiles \gset
\endif
SELECT CASE WHEN :'scale' = 'tiny' THEN 3 ELSE 7 END AS runs \gset
-- look-ups: chunks of chunk_lookups look-ups per side
SELECT CASE WHEN :'scale' = 'tiny' THEN 4 ELSE 100 END AS chunks \gset
SELECT CASE WHEN :'scale' = 'tiny' THEN 250 ELSE 2000 END AS chunk_lookups \gset
SELECT :chunks * :chunk_lookups AS lookups \gset

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
-- The look-ups: one profile by id, and the count and sum of one profile's
-- events.  They cycle over the same 10,000 profiles (spread over all ids),
-- whose rows fit in shared buffers: what is compared is the cost of a
-- look-up, not of reading pages from the operating system, which varies by
-- 15% or more with what ran just before.  Each side gets its own copy of
-- the loop, so that each keeps its cached plans (a plan made under
-- row-level security is remade when the user changes).
DO $do$
DECLARE
	side	text;
BEGIN
	FOREACH side IN ARRAY ARRAY['policy', 'off', 'superuser'] LOOP
		EXECUTE format($f$
CREATE FUNCTION pg_temp.lookups_%s(what text, n int, start int, max_id bigint, restrict_to text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	found_email text;
	hits	int := 0;
	cnt		bigint;
	amt		numeric;
	total_cnt bigint := 0;
	total_amt numeric := 0;
	id		bigint;
BEGIN
	FOR i IN start .. start + n - 1 LOOP
		id := 1 + ((i %% 10000)::bigint * 7919) %% max_id;
		IF what = 'profile' THEN
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
		ELSE
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
		END IF;
	END LOOP;
	RETURN CASE WHEN what = 'profile' THEN hits::text ELSE total_cnt || ' ' || total_amt END;
END
$$ $f$, side);
	END LOOP;
END
$do$;

CREATE TEMP TABLE bench_query (name text, consent text, mode text, sql text, PRIMARY KEY (name, consent, mode));
INSERT INTO bench_query VALUES
('events_total', 'all', 'off', 'SELECT count(*), sum(amount) FROM cdp.events'),
('events_total', 'all', 'analytics', 'SELECT count(*), sum(amount) FROM cdp.events'),
('events_by_profile', 'all', 'off',
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events GROUP BY profile_id) s'),
('events_by_profile', 'all', 'analytics',
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events GROUP BY profile_id) s'),
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
 'SELECT count(*), sum(t) FROM (SELECT profile_id, sum(amount) AS t FROM cdp.events GROUP BY profile_id) s');

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE bench_time (name text, consent text, mode text, ms double precision, result text,
						  chunk_ratio double precision);
INSERT INTO bench_query
SELECT name, consent, 'superuser', sql FROM bench_query WHERE mode = 'off' AND consent = 'all';
GRANT SELECT ON bench_query TO regress_bench_reader, regress_bench_bypass;
-- each scan: a warm-up run, then bench.runs rounds that run every query
-- once in turn (so that a busy moment of the machine hits both sides);
-- the best of each query's runs counts.  Serial plans.  The sides of a
-- query (policy, RLS off, superuser) take turns at each position from
-- round to round: where a run comes among the runs of the same query
-- changes how many of its pages are in shared buffers, and a fixed order
-- would charge that to some sides only.
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
		RETURN NEXT (q.name, q.consent, q.mode, best[k], results[k], NULL)::bench_time;
	END LOOP;
END
$$;
INSERT INTO bench_time SELECT * FROM pg_temp.time_queries();

-- The look-ups are timed differently: a look-up takes microseconds, and
-- in runs of whole loops one after the other, two sides without any
-- policy (superuser and RLS off) came out 10% apart, as much as the policy
-- costs.  So the sides take turns in chunks of look-ups (2,000 at full
-- size), each chunk the same profiles for every side, the order of the sides
-- rotating from chunk to chunk, after a warm-up chunk: a busy moment of
-- the machine falls on all sides alike.  A side's time is the sum of its
-- chunks; the median of the chunks' ratios to the side with row-level
-- security off is printed too.  Every chunk's results must agree.
CREATE FUNCTION pg_temp.time_lookups(chunks int, chunk int, max_id bigint, floor_only boolean)
RETURNS SETOF bench_time
LANGUAGE plpgsql AS $$
DECLARE
	q		record;
	sides	text[];
	side	text;
	purpose text;
	restrict_to text;
	started timestamptz;
	elapsed double precision[];
	total	double precision[];
	ratios	double precision[];
	result	text;
	first_result text;
	sums	numeric[];
	nsides	int;
	k		int;
	off_side int;
BEGIN
	FOR q IN SELECT * FROM (VALUES ('profile', 'profile_lookup', 'all'), ('events', 'profile_events_lookup', 'all'),
								   ('profile', 'profile_lookup', 'selective'),
								   ('events', 'profile_events_lookup', 'selective')) v (what, name, consent)
			  WHERE NOT floor_only OR (v.what = 'profile' AND v.consent = 'all') LOOP
		IF floor_only THEN
			sides := ARRAY['policy', 'off'];
			purpose := 'analytics';
		ELSIF q.consent = 'all' THEN
			sides := ARRAY['policy', 'off', 'superuser'];
			purpose := 'analytics';
		ELSE
			sides := ARRAY['policy', 'off'];
			purpose := 'email_marketing';
		END IF;
		nsides := cardinality(sides);
		off_side := array_position(sides, 'off');
		total := array_fill(0::double precision, ARRAY[nsides]);
		ratios := array_fill(NULL::double precision, ARRAY[nsides, chunks]);
		sums := NULL;
		FOR c IN 0 .. chunks LOOP
			elapsed := array_fill(NULL::double precision, ARRAY[nsides]);
			first_result := NULL;
			FOR j IN 0 .. nsides - 1 LOOP
				k := (j + c) % nsides + 1;
				side := sides[k];
				restrict_to := NULL;
				IF side = 'policy' THEN
					EXECUTE 'SET ROLE regress_bench_reader';
					PERFORM set_config('cdp.purpose', purpose, false);
				ELSIF side = 'off' THEN
					EXECUTE 'SET ROLE regress_bench_bypass';
					PERFORM set_config('cdp.purpose', '', false);
					IF q.consent = 'selective' THEN
						restrict_to := purpose;
					END IF;
				ELSE
					EXECUTE 'RESET ROLE';
					PERFORM set_config('cdp.purpose', '', false);
				END IF;
				started := clock_timestamp();
				IF side = 'policy' THEN
					result := pg_temp.lookups_policy(q.what, chunk, c * chunk, max_id, restrict_to);
				ELSIF side = 'off' THEN
					result := pg_temp.lookups_off(q.what, chunk, c * chunk, max_id, restrict_to);
				ELSE
					result := pg_temp.lookups_superuser(q.what, chunk, c * chunk, max_id, restrict_to);
				END IF;
				elapsed[k] := extract(epoch FROM clock_timestamp() - started) * 1000;
				IF first_result IS NULL THEN
					first_result := result;
				ELSIF result IS DISTINCT FROM first_result THEN
					RAISE EXCEPTION 'consent benchmark: % look-ups, % consent, chunk %: % gave %, another side %',
						q.what, q.consent, c, side, result, first_result;
				END IF;
			END LOOP;
			IF c > 0 THEN
				FOR s IN 1 .. nsides LOOP
					total[s] := total[s] + elapsed[s];
					ratios[s][c] := elapsed[s] / elapsed[off_side];
				END LOOP;
				-- the results summed over the chunks ("hits" or "count amount")
				IF sums IS NULL THEN
					sums := string_to_array(first_result, ' ')::numeric[];
				ELSE
					sums := ARRAY(SELECT a + b FROM unnest(sums, string_to_array(first_result, ' ')::numeric[]) u (a, b));
				END IF;
			END IF;
		END LOOP;
		EXECUTE 'RESET ROLE';
		PERFORM set_config('cdp.purpose', '', false);
		FOR s IN 1 .. nsides LOOP
			RETURN NEXT (q.name, q.consent,
						 CASE WHEN floor_only THEN 'floor_' || sides[s] WHEN sides[s] <> 'policy' THEN sides[s]
							  ELSE purpose END,
						 total[s],
						 array_to_string(sums, ' '),
						 (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r)
							FROM unnest(ratios[s:s][1:chunks]) r))::bench_time;
		END LOOP;
	END LOOP;
END
$$;
INSERT INTO bench_time SELECT * FROM pg_temp.time_lookups(:chunks, :chunk_lookups, :profiles, false);
-- PostgreSQL's own floor: the look-up of one profile under the cheapest
-- policy there is, a built-in comparison that hides nothing (profile_id <>
-- -1) in place of cdp's, the same loop against RLS off.  What the policy
-- costs beyond this is cdp's.
ALTER POLICY consent_read ON cdp.profiles USING (profile_id <> -1);
INSERT INTO bench_time SELECT * FROM pg_temp.time_lookups(:chunks, :chunk_lookups, :profiles, true);
ALTER POLICY consent_read ON cdp.profiles USING (cdp._consent_visible(profile_id));
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
		INSERT INTO bench_time VALUES (q.name, q.consent, 'off_parallel', best, result, NULL);
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
			  CASE WHEN p.name LIKE '%lookup' THEN format(' [%s look-ups in %s chunks: %s us vs %s us each; median of the chunks'' ratios %s]',
						 :lookups, :chunks,
						 round((p.ms * 1000 / :lookups)::numeric, 2),
						 round((o.ms * 1000 / :lookups)::numeric, 2),
						 round(p.chunk_ratio::numeric, 3))
				   ELSE '' END) AS " "
  FROM bench_time p JOIN bench_time o ON o.name = p.name AND o.consent = p.consent AND o.mode = 'off'
 WHERE p.mode NOT IN ('off', 'off_parallel', 'superuser', 'floor_policy', 'floor_off')
 ORDER BY p.consent, p.name;
SELECT format('consent %s, all: superuser %s ms (ratio of the policy to it %s)', s.name, round(s.ms::numeric, 1),
			  round((p.ms / s.ms)::numeric, 3)) AS " "
  FROM bench_time s JOIN bench_time p ON p.name = s.name AND p.consent = s.consent AND p.mode = 'analytics'
 WHERE s.mode = 'superuser' ORDER BY s.name;
SELECT format('consent %s, all: superuser with parallel workers %s ms', name, round(ms::numeric, 1)) AS " "
  FROM bench_time WHERE mode = 'off_parallel' ORDER BY name;
SELECT format('consent %s, all, PostgreSQL''s floor: a policy of only (profile_id <> -1) %s us vs rls off %s us each, ratio %s, median of the chunks'' ratios %s (cdp''s policy: %s, median %s)',
			  f.name, round((f.ms * 1000 / :lookups)::numeric, 2),
			  round((o.ms * 1000 / :lookups)::numeric, 2), round((f.ms / o.ms)::numeric, 3),
			  round(f.chunk_ratio::numeric, 3), round((p.ms / po.ms)::numeric, 3), round(p.chunk_ratio::numeric, 3)) AS " "
  FROM bench_time f
  JOIN bench_time o ON o.name = f.name AND o.consent = f.consent AND o.mode = 'floor_off'
  JOIN bench_time p ON p.name = f.name AND p.consent = f.consent AND p.mode = 'analytics'
  JOIN bench_time po ON po.name = f.name AND po.consent = f.consent AND po.mode = 'off'
 WHERE f.mode = 'floor_policy';
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
