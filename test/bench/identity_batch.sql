--
-- identity_batch.sql: deterministic identity resolution of every record,
-- cdp's constrained union-find in C beside SQL label propagation (the
-- iterative min-label UPDATE loop that dbt and RudderStack id-stitching
-- run), on the same identifier graph in the same run; then the whole
-- batch, cdp.resolve(), that also writes profiles, the merge log and the
-- golden records.
--
-- Sizes: full = 1,000,000 records with about 3 identifiers each; tiny =
-- 2,000 records (psql -v records=N, or BENCH_RECORDS=N in the
-- environment, overrides).
--
-- The graph: records of about 400,000 people (full), each record carrying
-- some of its person's e-mail, phone and CRM id and a cookie of its own,
-- plus placeholder values on the blocked list and cookies shared by more
-- records than the cap.  No person has two CRM ids, so cdp's one-per-person
-- rule refuses nothing and both methods must find exactly the connected
-- components of the links that pass the blocked list and the caps: the run
-- fails unless every record gets the same component from both.
--
\set ON_ERROR_STOP 1
\getenv bench_records BENCH_RECORDS
\if :{?bench_records}
\set records :bench_records
\endif
\if :{?records}
\else
SELECT CASE WHEN :'scale' = 'tiny' THEN 2000 ELSE 1000000 END AS records \gset
\endif

CREATE EXTENSION IF NOT EXISTS cdp;
SET client_min_messages = warning;
SET work_mem = '256MB';

SELECT setseed(0.42);
INSERT INTO cdp.sources (source_key, display_name) VALUES ('shop', 'Shop');
CREATE TEMP TABLE gen AS
SELECT r, 1 + floor(random() * :records * 0.4)::int AS person FROM generate_series(1, :records) r;
INSERT INTO cdp.source_records (source_id, source_record_key)
SELECT 1, 'R' || r FROM gen ORDER BY r;
-- identifiers inserted directly, as a loader that normalises them itself does
INSERT INTO cdp.identifiers (record_id, kind, value)
SELECT g.r, x.kind, x.value
  FROM gen g
 CROSS JOIN LATERAL (
	SELECT 'email', CASE WHEN random() < 0.01 THEN 'test@example.com' ELSE 'u' || g.person || '@example.org' END
	 WHERE random() < 0.85
	UNION ALL
	SELECT 'phone', CASE WHEN random() < 0.01 THEN '+810000000000' ELSE '+8190' || lpad(g.person::text, 8, '0') END
	 WHERE random() < 0.6
	UNION ALL
	SELECT 'crm_id', 'C' || g.person WHERE random() < 0.5
	UNION ALL
	-- a few cookies are on a kiosk shared by more records than the cap (5)
	SELECT 'cookie_id', CASE WHEN random() < 0.02 THEN 'kiosk' || floor(random() * 3) ELSE 'ck' || g.r END
	 WHERE random() < 0.9
 ) x(kind, value);
-- the records are loaded, not yet linked: extraction would find nothing
UPDATE cdp.source_records SET linked_at = NULL;
VACUUM ANALYZE cdp.source_records;
VACUUM ANALYZE cdp.identifiers;
SELECT count(*) AS identifiers, round(count(*)::numeric / :records, 2) AS per_record FROM cdp.identifiers \gset
\echo records: :records, identifiers: :identifiers (:per_record per record)

-- ------------------------------------------------------------------------
-- cdp: the clustering step of cdp.resolve() (C union-find over the
-- identifiers, read in link order), best of two
-- ------------------------------------------------------------------------
CREATE TEMP TABLE cdp_components (record_id bigint, component bigint);
CREATE FUNCTION pg_temp.time_cdp() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	TRUNCATE cdp_components;
	INSERT INTO cdp_components SELECT record_id, component FROM cdp._cluster(NULL, 0);
	RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
SELECT least(pg_temp.time_cdp(), pg_temp.time_cdp()) AS cdp_s \gset

-- ------------------------------------------------------------------------
-- The peer: SQL label propagation.  The links are the same: values of
-- linking kinds, not blocked, held by 2 to max_records_per_value records.
-- Every record starts with its own id as label; each round a value takes
-- the smallest label of its records and a record the smallest label of
-- its values, until no label changes.
-- ------------------------------------------------------------------------
CREATE FUNCTION pg_temp.time_peer() RETURNS TABLE (seconds float8, rounds int) LANGUAGE plpgsql AS $$
DECLARE
	t0		timestamptz := clock_timestamp();
	changed bigint;
BEGIN
	DROP TABLE IF EXISTS peer_edges, peer_labels;
	CREATE TEMP TABLE peer_edges AS
	SELECT i.record_id, v.value_id
	  FROM cdp.identifiers i
	  JOIN (SELECT i.kind, i.value, row_number() OVER () AS value_id
			  FROM cdp.identifiers i JOIN cdp.identifier_kinds k USING (kind)
			 WHERE k.links
			   AND NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers b WHERE b.kind = i.kind AND b.value = i.value)
			 GROUP BY i.kind, i.value, k.max_records_per_value
			HAVING count(*) >= 2 AND (k.max_records_per_value IS NULL OR count(*) <= k.max_records_per_value)) v
		USING (kind, value);
	CREATE TEMP TABLE peer_labels AS SELECT record_id, record_id AS label FROM cdp.source_records;
	ALTER TABLE peer_labels ADD PRIMARY KEY (record_id);
	ANALYZE peer_edges;
	ANALYZE peer_labels;
	rounds := 0;
	LOOP
		UPDATE peer_labels l SET label = m.label
		  FROM (SELECT e.record_id, min(v.label) AS label
				  FROM peer_edges e
				  JOIN (SELECT e2.value_id, min(l2.label) AS label
						  FROM peer_edges e2 JOIN peer_labels l2 USING (record_id)
						 GROUP BY e2.value_id) v USING (value_id)
				 GROUP BY e.record_id) m
		 WHERE l.record_id = m.record_id AND m.label < l.label;
		GET DIAGNOSTICS changed = ROW_COUNT;
		rounds := rounds + 1;
		EXIT WHEN changed = 0;
	END LOOP;
	seconds := extract(epoch FROM clock_timestamp() - t0);
	RETURN NEXT;
END $$;
SELECT seconds AS peer_s, rounds AS peer_rounds FROM pg_temp.time_peer() \gset

-- the same partition, record for record
SELECT count(*) AS compared,
	   count(*) FILTER (WHERE c.component IS DISTINCT FROM p.label) AS different,
	   count(DISTINCT c.component) AS components
  FROM cdp_components c FULL JOIN peer_labels p USING (record_id) \gset
\echo compared :compared records in :components components, :different different
SELECT :different = 0 AND :compared = :records AS agree \gset
\if :agree
\else
\echo 'identity_batch: cdp and label propagation disagree'
SELECT 1/0 AS disagreement;
\endif

SELECT format('identity clustering, %s records: cdp %s s, SQL label propagation %s s (%s rounds), ratio %s (target >= 10)',
			  :records, round(:cdp_s::numeric, 2), round(:peer_s::numeric, 2), :peer_rounds,
			  round((:peer_s / :cdp_s)::numeric, 1)) AS " ";

-- ------------------------------------------------------------------------
-- The whole batch: extraction, clustering, profiles with stable ids,
-- identifiers and events following their records, the merge log and the
-- golden records, in one transaction
-- ------------------------------------------------------------------------
SELECT * FROM cdp.resolve(0) \gset
SELECT format('cdp.resolve(), %s records: %s s, %s us a record (ratio to the 60 us a record of the 60 s / 1M target: %s); %s profiles created',
			  :records, round(extract(epoch FROM :'elapsed'::interval)::numeric, 2),
			  round((extract(epoch FROM :'elapsed'::interval) * 1e6 / :records)::numeric),
			  round((extract(epoch FROM :'elapsed'::interval) * 1e6 / :records / 60)::numeric, 2),
			  :profiles_created) AS " ";
SELECT count(*) = :components AS profiles_match_components FROM cdp.profiles WHERE status = 'active' \gset
\if :profiles_match_components
\else
\echo 'identity_batch: cdp.resolve() made a different number of profiles'
SELECT 1/0 AS disagreement;
\endif
