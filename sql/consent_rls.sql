--
-- consent_rls: row-level security by consent, seen from roles that are
-- not superuser, do not own the tables and do not bypass RLS; and the
-- attacks that must not show a hidden row
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET timezone = 'UTC';

CREATE ROLE regress_analyst NOLOGIN IN ROLE cdp_analyst;
CREATE ROLE regress_marketer NOLOGIN IN ROLE cdp_marketer;
CREATE ROLE regress_steward NOLOGIN IN ROLE cdp_steward;
CREATE ROLE regress_loader NOLOGIN IN ROLE cdp_loader;
CREATE ROLE regress_admin NOLOGIN IN ROLE cdp_admin;
CREATE ROLE regress_nobody NOLOGIN;
SELECT rolname, rolsuper, rolbypassrls, rolcanlogin
  FROM pg_roles WHERE rolname ~ '^(cdp|regress)_' ORDER BY 1;

-- every table with a profile_id forces row-level security
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT string_agg(polname, ', ' ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'profile_id'
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'r' ORDER BY 1;

-- six people; profile 5's e-mail is the secret the attacks go after
INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.profiles (family_name, email)
SELECT 'P' || g, CASE g WHEN 5 THEN 'secret-five@example.jp' ELSE 'p' || g || '@example.jp' END
  FROM generate_series(1, 6) g;
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, email)
SELECT 1, 'R-' || g, g, 'p' || g || '@example.jp' FROM generate_series(1, 6) g;
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'R-unresolved', 'u@example.jp');
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value)
SELECT record_id, profile_id, 'email', email FROM cdp.source_records;
INSERT INTO cdp.events (source_id, record_id, profile_id, event_type, occurred_at, amount, currency)
SELECT 1, record_id, profile_id, 'order', timestamptz '2025-01-01' + n * interval '1 day', 100 * n, 'JPY'
  FROM cdp.source_records, generate_series(1, 2) n;
SELECT cdp.rfm_refresh('2025-06-30');
-- analytics: 1, 2, 3 (3 restricted); e-mail: 2, 4 (5 withdrew); personalisation: 6
SELECT count(cdp.record_consent(v.purpose, v.decision, profile_id => v.p, collected_at => '2025-01-01')) AS recorded
  FROM (VALUES ('analytics', 'granted', 1), ('analytics', 'granted', 2), ('analytics', 'granted', 3),
               ('email_marketing', 'granted', 2), ('email_marketing', 'granted', 4),
               ('email_marketing', 'withdrawn', 5), ('personalisation', 'granted', 6)) v(purpose, decision, p);

INSERT INTO cdp.processing_restrictions (profile_id, reason) VALUES (3, 'objection pending');

-- which profiles a role sees in every personal table
CREATE FUNCTION public.regress_seen() RETURNS TABLE (relation text, profile_ids text)
LANGUAGE plpgsql AS $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['profiles', 'source_records', 'identifiers', 'events', 'consent_events',
	                         'consent_current', 'rfm_snapshots', 'merge_log', 'processing_restrictions'] LOOP
		relation := t;
		BEGIN
			EXECUTE format('SELECT coalesce(string_agg(coalesce(p::text, ''unresolved''), '','' ORDER BY p NULLS LAST), '''')'
			               '  FROM (SELECT DISTINCT profile_id AS p FROM cdp.%I) s', t) INTO profile_ids;
		EXCEPTION WHEN insufficient_privilege THEN
			profile_ids := 'permission denied';
		END;
		RETURN NEXT;
	END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION public.regress_seen() TO PUBLIC;

-- the analyst: no purpose, no personal rows
SET ROLE regress_analyst;
SHOW cdp.purpose;
SELECT * FROM public.regress_seen();
-- for analytics: profiles 1 and 2 (3 is restricted), never unresolved records
SET cdp.purpose = 'analytics';
SELECT * FROM public.regress_seen();
-- a purpose the role does not hold is refused, however it is set
SET cdp.purpose = 'email_marketing';
\echo :SQLSTATE
BEGIN;
SET LOCAL cdp.purpose = 'third_party_sharing';
\echo :SQLSTATE
ROLLBACK;
SELECT set_config('cdp.purpose', 'email_marketing', false);
\echo :SQLSTATE
SHOW cdp.purpose;
-- SET LOCAL holds for the transaction only
RESET cdp.purpose;
BEGIN;
SET LOCAL cdp.purpose = 'analytics';
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS in_transaction FROM cdp.profiles;
COMMIT;
SELECT count(*) AS after_commit FROM cdp.profiles;
SELECT set_config('cdp.purpose', 'analytics', false);

-- views (security_invoker) show the reader's rows only
SELECT profile_id, purpose, state FROM cdp.consent_state ORDER BY 1, 2;
SELECT as_of, segment, profiles FROM cdp.rfm_snapshot_summary ORDER BY 1, 2;
SELECT count(*) AS rfm_profiles FROM cdp.rfm_profiles;
-- joins, with the analyst's own table too
CREATE TEMP TABLE wanted AS SELECT g AS profile_id FROM generate_series(1, 6) g;
SELECT w.profile_id, p.email FROM wanted w LEFT JOIN cdp.profiles p USING (profile_id) ORDER BY 1;
SELECT p.profile_id, count(e.*) AS events, sum(e.amount) AS amount
  FROM cdp.profiles p JOIN cdp.events e USING (profile_id) GROUP BY 1 ORDER BY 1;
-- errors raised by the user's own predicate never see a hidden row
SELECT count(*) FROM cdp.profiles WHERE 1 / (profile_id - 5) <> 7;
SELECT count(*) FROM cdp.profiles WHERE CASE WHEN profile_id = 5 THEN email::int ELSE 0 END = 0;
SELECT count(*) FROM cdp.events WHERE CASE WHEN profile_id = 5 THEN 1 / (amount - amount) ELSE 0 END = 0;
-- a leaky function in WHERE (cheap, so the planner would like it first)
-- sees the visible rows only
CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
	RAISE NOTICE 'leak saw %', $1;
	RETURN true;
END
$$;
SELECT profile_id FROM cdp.profiles WHERE pg_temp.leak(email) ORDER BY 1;
SELECT count(*) FROM cdp.identifiers WHERE pg_temp.leak(value);
-- EXPLAIN ANALYZE: the policy runs first; only the visible rows come out,
-- and the rows it removed are not counted
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM cdp.profiles WHERE pg_temp.leak(email);
-- an indexed equality is leakproof and runs before the policy, as the
-- index condition: the filter count would tell that a hidden row matches
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM cdp.identifiers WHERE kind = 'email' AND value = 'p5@example.jp';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM cdp.identifiers WHERE kind = 'email' AND value = 'nobody@example.jp';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON)
SELECT profile_id FROM cdp.profiles WHERE profile_id = 5;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- COPY goes through the policy too
COPY cdp.profiles (profile_id, email) TO STDOUT;
COPY (SELECT profile_id FROM cdp.events ORDER BY 1) TO STDOUT;
-- row_security = off does not switch the policy off: it refuses
SET row_security = off;
SELECT count(*) FROM cdp.profiles;
\echo :SQLSTATE
RESET row_security;
-- the policy is bound to cdp's function, not to whatever search_path finds
RESET ROLE;
CREATE SCHEMA regress_evil;
CREATE FUNCTION regress_evil._consent_visible(bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
GRANT USAGE ON SCHEMA regress_evil TO PUBLIC;
SET ROLE regress_analyst;
SET search_path = regress_evil, cdp, public;
SELECT count(*) AS with_look_alike FROM cdp.profiles;
RESET search_path;
-- cdp.consent_allows answers for the analyst's purposes only
SELECT cdp.consent_allows(2, 'analytics') AS p2, cdp.consent_allows(4, 'analytics') AS p4;
SELECT cdp.consent_allows(4, 'email_marketing');
\echo :SQLSTATE

-- SET ROLE after setting a purpose: the new role must hold the purpose too
RESET ROLE;
SET cdp.purpose = 'email_marketing';
SET ROLE regress_analyst;
SELECT * FROM public.regress_seen() WHERE relation IN ('profiles', 'events');
RESET ROLE;
SET ROLE regress_marketer;
SELECT * FROM public.regress_seen() WHERE relation IN ('profiles', 'events');
-- the marketer: e-mail marketing 2 and 4, personalisation 6, no analytics
SELECT * FROM public.regress_seen();
SET cdp.purpose = 'personalisation';
SELECT string_agg(profile_id::text, ',') AS personalisation FROM cdp.profiles;
SET cdp.purpose = 'analytics';
\echo :SQLSTATE
SELECT count(*) FROM cdp.source_records;
\echo :SQLSTATE

-- taking a purpose away from a role applies at the next statement, even
-- with the purpose already set
RESET ROLE;
SET ROLE regress_analyst;
SET cdp.purpose = 'analytics';
PREPARE analytics_profiles AS SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) FROM cdp.profiles;
EXECUTE analytics_profiles;
RESET ROLE;
UPDATE cdp.role_purposes SET enabled = false WHERE role_name = 'cdp_analyst' AND purpose = 'analytics';
SET ROLE regress_analyst;
EXECUTE analytics_profiles;
RESET ROLE;
UPDATE cdp.role_purposes SET enabled = true WHERE role_name = 'cdp_analyst' AND purpose = 'analytics';
SET ROLE regress_analyst;
EXECUTE analytics_profiles;
-- a withdrawal applies to a statement prepared before it
RESET ROLE;
SELECT cdp.record_consent('analytics', 'withdrawn', profile_id => 2, collected_at => '2025-02-01') IS NOT NULL AS withdrawn;
SET ROLE regress_analyst;
EXECUTE analytics_profiles;
-- a cursor opened before a withdrawal stops showing the profile at its next FETCH
RESET ROLE;
SELECT cdp.record_consent('analytics', 'granted', profile_id => 2, collected_at => '2025-03-01') IS NOT NULL AS granted;
BEGIN;
SET LOCAL ROLE regress_analyst;
DECLARE c CURSOR FOR SELECT profile_id FROM cdp.profiles ORDER BY profile_id;
FETCH 1 FROM c;
RESET ROLE;
SELECT cdp.record_consent('analytics', 'withdrawn', profile_id => 2, collected_at => '2025-04-01') IS NOT NULL AS withdrawn;
SET LOCAL ROLE regress_analyst;
FETCH 1 FROM c;
SELECT string_agg(profile_id::text, ',') AS new_statement FROM cdp.profiles;
COMMIT;
-- a grant lapses at its expiry while the cache is warm, with no new event
RESET ROLE;
SELECT cdp.record_consent('analytics', 'granted', profile_id => 6, collected_at => '2025-01-01',
                          expires_at => statement_timestamp() + interval '1 second') IS NOT NULL AS short_grant;
SET ROLE regress_analyst;
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS before_expiry FROM cdp.profiles;
SELECT pg_sleep(1.2);
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS after_expiry FROM cdp.profiles;

-- the steward: consented rows and unresolved records; changes only those
RESET ROLE;
SET ROLE regress_steward;
SET cdp.purpose = 'analytics';
SELECT * FROM public.regress_seen();
UPDATE cdp.source_records SET email = 'changed@example.jp' WHERE profile_id = 5;
UPDATE cdp.source_records SET full_name = 'Unresolved Person' WHERE profile_id IS NULL;
UPDATE cdp.profiles SET given_name = 'One' WHERE profile_id IN (1, 5);
-- SECURITY DEFINER functions do not use the caller's search_path: a
-- look-alike placed before pg_catalog never runs with the owner's rights
RESET ROLE;
CREATE FUNCTION regress_evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'look-alike unnest ran as %', current_user;
END
$$;
CREATE FUNCTION regress_evil.array_agg(anyelement) RETURNS anyarray LANGUAGE sql AS 'SELECT NULL';
SET ROLE regress_steward;
SET search_path = regress_evil, pg_catalog, cdp;
SELECT cdp.consent_refresh(ARRAY[1, 2]::bigint[]);
SELECT cdp.record_consent('analytics', 'granted', profile_id => 4, collected_at => '2025-01-01') > 0 AS recorded;
RESET search_path;
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS after_refresh FROM cdp.profiles;

-- the loader: inserts, reads nothing back, acts for no purpose
RESET ROLE;
SET ROLE regress_loader;
-- (the purpose set before SET ROLE stays set, and gives the loader nothing)
SHOW cdp.purpose;
SET cdp.purpose = 'analytics';
\echo :SQLSTATE
RESET cdp.purpose;
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'L-1', 'new@example.jp');
INSERT INTO cdp.events (source_id, profile_id, event_type, occurred_at) VALUES (1, 1, 'visit', '2025-05-05');
SELECT cdp.record_consent('analytics', 'granted', profile_id => 1, collected_at => '2025-05-05') > 0 AS recorded;
SELECT * FROM public.regress_seen();
INSERT INTO cdp.source_records (source_id, source_record_key) VALUES (1, 'L-2') RETURNING record_id;
\echo :SQLSTATE
UPDATE cdp.source_records SET email = 'x@example.jp';
\echo :SQLSTATE

-- the admin sees every row with or without a purpose
RESET ROLE;
SET ROLE regress_admin;
RESET cdp.purpose;
SELECT * FROM public.regress_seen();

-- a role without cdp's privileges reads nothing at all
RESET ROLE;
SET ROLE regress_nobody;
SELECT count(*) FROM cdp.profiles;
\echo :SQLSTATE
SET cdp.purpose = 'analytics';
\echo :SQLSTATE

RESET ROLE;
RESET cdp.purpose;
DEALLOCATE analytics_profiles;
DROP TABLE wanted;
DROP FUNCTION pg_temp.leak(text);
DROP FUNCTION public.regress_seen();
DROP SCHEMA regress_evil CASCADE;
DROP EXTENSION cdp;
DROP ROLE regress_analyst, regress_marketer, regress_steward, regress_loader, regress_admin, regress_nobody;
