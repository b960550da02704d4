--
-- audit.sql: what an audit row costs a cdp function.  Each call of
-- cdp.resolve_record, cdp.record_consent, ... writes one row through
-- cdp._audit (acting role, purpose, sorted profile ids, and here the
-- current profile of a record looked up by id).  The peer is the INSERT a
-- hand-written audit would do: the same row into a table of the same shape
-- and indexes, the profile passed in.  Both run one call per row from a
-- PL/pgSQL loop, as the functions do.
--
-- Sizes: full = 100,000 calls; tiny = 2,000 (psql -v calls=N overrides).
-- Best of :runs.  They must agree: the same number of rows, naming the same
-- profiles.
--
\set ON_ERROR_STOP 1
\if :{?calls}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 100000 END AS calls \gset
\endif
SELECT 3 AS runs \gset

CREATE EXTENSION IF NOT EXISTS cdp;
SET client_min_messages = warning;

INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.profiles (record_count) SELECT 1 FROM generate_series(1, :calls);
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id)
SELECT 1, 'R-' || g, g FROM generate_series(1, :calls) g;
ANALYZE cdp.profiles, cdp.source_records;

CREATE TABLE bench_peer_log (LIKE cdp.audit_log INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);

SELECT set_config('bench.runs', :'runs', false);
SELECT set_config('bench.calls', :'calls', false);
CREATE TEMP TABLE bench_time (name text PRIMARY KEY, ms double precision, written bigint, profiles_named bigint);
CREATE FUNCTION pg_temp.time_calls(name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	started timestamptz;
	elapsed double precision;
	best	double precision;
	n		int := current_setting('bench.calls')::int;
BEGIN
	FOR i IN 1 .. current_setting('bench.runs')::int LOOP
		-- (the audit log is append-only even for its owner: start past its rows instead)
		TRUNCATE bench_peer_log;
		started := clock_timestamp();
		IF name = 'cdp_audit' THEN
			FOR r IN 1 .. n LOOP
				PERFORM cdp._audit('resolve_record', ARRAY[r::bigint], '{}', ARRAY[r::bigint]);
			END LOOP;
		ELSE
			FOR r IN 1 .. n LOOP
				INSERT INTO bench_peer_log (acting_role, purpose, action, profile_ids, details)
				VALUES (current_user, nullif(current_setting('cdp.purpose', true), ''), 'resolve_record',
						ARRAY[r::bigint], jsonb_build_object('record_ids', jsonb_build_array(r)));
			END LOOP;
		END IF;
		elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
		best := least(best, elapsed);
	END LOOP;
	IF name = 'cdp_audit' THEN
		INSERT INTO bench_time
		SELECT name, best, count(*), count(DISTINCT p)
		  FROM (SELECT * FROM cdp.audit_log ORDER BY audit_id DESC LIMIT n) a, unnest(a.profile_ids) p;
	ELSE
		INSERT INTO bench_time
		SELECT name, best, count(*), count(DISTINCT p) FROM bench_peer_log a, unnest(a.profile_ids) p;
	END IF;
END
$$;

SELECT pg_temp.time_calls('peer_plain_insert');
SELECT pg_temp.time_calls('cdp_audit');

-- agreement: one row per call, each naming its record's profile
DO $$
BEGIN
	IF (SELECT count(DISTINCT (written, profiles_named)) FROM bench_time) <> 1
	   OR (SELECT min(written) FROM bench_time) <> current_setting('bench.calls')::bigint THEN
		RAISE EXCEPTION 'the audits differ: %',
			(SELECT string_agg(name || '=' || written || '/' || profiles_named, ', ') FROM bench_time);
	END IF;
END
$$;

SET client_min_messages = notice;
\echo
\echo calls per run: :calls
SELECT name, round(ms::numeric, 1) AS ms, round((ms * 1000 / :calls)::numeric, 2) AS us_per_call
  FROM bench_time ORDER BY ms;
SELECT round((c.ms / p.ms)::numeric, 2) AS ratio_cdp_audit_vs_plain_insert,
	   round(((c.ms - p.ms) * 1000 / :calls)::numeric, 2) AS us_added_per_call
  FROM bench_time p, bench_time c WHERE p.name = 'peer_plain_insert' AND c.name = 'cdp_audit';
DROP TABLE bench_peer_log;
