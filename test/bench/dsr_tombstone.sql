--
-- dsr_tombstone.sql: what erasure tombstones cost a loader.  The same
-- identifiers are loaded into cdp.identifiers with the tombstone trigger
-- disabled (the peer: a plain INSERT), with the trigger and no tombstone
-- yet, and with the trigger and many tombstones; then erase_person's own
-- cost per person.
--
-- Sizes: full = 200,000 identifiers and 20,000 tombstones; tiny = 2,000
-- and 200 (psql -v rows=N overrides).  Each load is timed best of :runs.
-- The loads must agree: the same rows arrive, and a tombstoned value is
-- refused.
--
\set ON_ERROR_STOP 1
\if :{?rows}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 200000 END AS rows \gset
\endif
SELECT CASE WHEN :'scale' = 'tiny' THEN 3 ELSE 3 END AS runs \gset

CREATE EXTENSION IF NOT EXISTS cdp;
SET client_min_messages = warning;

INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.source_records (source_id, source_record_key)
SELECT 1, 'R-' || g FROM generate_series(1, :rows) g;
CREATE TEMP TABLE load AS
SELECT record_id, 'email'::text AS kind, 'user' || record_id || '@example.jp' AS value FROM cdp.source_records;
ANALYZE load;

SELECT set_config('bench.runs', :'runs', false);
CREATE TEMP TABLE bench_time (name text PRIMARY KEY, ms double precision, loaded bigint);
CREATE FUNCTION pg_temp.time_load(name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	started timestamptz;
	elapsed double precision;
	best	double precision;
	n		bigint;
BEGIN
	FOR i IN 1 .. current_setting('bench.runs')::int LOOP
		TRUNCATE cdp.identifiers;
		started := clock_timestamp();
		INSERT INTO cdp.identifiers (record_id, kind, value) SELECT record_id, kind, value FROM load;
		elapsed := extract(epoch FROM clock_timestamp() - started) * 1000;
		best := least(best, elapsed);
	END LOOP;
	SELECT count(*) INTO n FROM cdp.identifiers;
	INSERT INTO bench_time VALUES (name, best, n);
END
$$;

ALTER TABLE cdp.identifiers DISABLE TRIGGER identifiers_tombstone_check;
SELECT pg_temp.time_load('peer_plain_insert');
ALTER TABLE cdp.identifiers ENABLE TRIGGER identifiers_tombstone_check;
SELECT pg_temp.time_load('cdp_no_tombstones');

-- tombstones of other people, made as erase_person makes them
INSERT INTO cdp.dsr_requests (kind, subject_profile_id, acting_role, outcome) VALUES ('erase', 0, current_user, 'completed');
INSERT INTO cdp.tombstones (kind, value_hash, request_id)
SELECT 'email', cdp._tombstone_hash(cdp._dsr_secret(true), 'email', 'erased' || g || '@example.jp'), 1
  FROM generate_series(1, greatest(:rows / 10, 1)) g;
ANALYZE cdp.tombstones;
SELECT pg_temp.time_load('cdp_with_tombstones');

-- agreement: every load brought every row; a tombstoned address is refused
DO $$
DECLARE
	refused boolean := false;
BEGIN
	IF (SELECT count(DISTINCT loaded) FROM bench_time) <> 1
	   OR (SELECT min(loaded) FROM bench_time) <> (SELECT count(*) FROM load) THEN
		RAISE EXCEPTION 'the loads differ: %', (SELECT string_agg(name || '=' || loaded, ', ') FROM bench_time);
	END IF;
	BEGIN
		INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (1, 'email', ' Erased1@Example.JP ');
	EXCEPTION WHEN insufficient_privilege THEN
		refused := true;
	END;
	IF NOT refused THEN
		RAISE EXCEPTION 'a tombstoned address was loaded';
	END IF;
END
$$;

-- erase_person: five people with three records, identifiers and events each
INSERT INTO cdp.profiles (family_name) SELECT 'p' || g FROM generate_series(1, 5) g;
UPDATE cdp.source_records r SET profile_id = (r.record_id - 1) / 3 + 1 WHERE r.record_id <= 15;
UPDATE cdp.identifiers i SET profile_id = (i.record_id - 1) / 3 + 1 WHERE i.record_id <= 15;
INSERT INTO cdp.events (source_id, record_id, profile_id, event_type, occurred_at)
SELECT 1, record_id, profile_id, 'visit', '2026-01-01' FROM cdp.source_records WHERE record_id <= 15;
DO $$
DECLARE
	started timestamptz := clock_timestamp();
	p		bigint;
BEGIN
	FOR p IN 1 .. 5 LOOP
		PERFORM cdp.erase_person(p);
	END LOOP;
	INSERT INTO bench_time VALUES ('cdp_erase_person', extract(epoch FROM clock_timestamp() - started) * 1000 / 5, 5);
	IF EXISTS (SELECT 1 FROM cdp.source_records WHERE record_id <= 15) THEN
		RAISE EXCEPTION 'erase_person left records behind';
	END IF;
END
$$;

SET client_min_messages = notice;
\echo
\echo identifiers loaded per run: :rows, tombstones: rows / 10
SELECT name, round(ms::numeric, 1) AS ms,
	   round((ms * 1000 / :rows)::numeric, 2) AS us_per_row
  FROM bench_time WHERE name <> 'cdp_erase_person' ORDER BY ms;
SELECT round((c.ms / p.ms)::numeric, 2) AS ratio_no_tombstones_vs_plain,
	   round((t.ms / p.ms)::numeric, 2) AS ratio_with_tombstones_vs_plain,
	   round(((t.ms - p.ms) * 1000 / :rows)::numeric, 2) AS us_added_per_row
  FROM bench_time p, bench_time c, bench_time t
 WHERE p.name = 'peer_plain_insert' AND c.name = 'cdp_no_tombstones' AND t.name = 'cdp_with_tombstones';
SELECT round(ms::numeric, 1) AS erase_person_ms_per_person FROM bench_time WHERE name = 'cdp_erase_person';
