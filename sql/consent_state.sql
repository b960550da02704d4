--
-- consent_state: the append-only consent ledger and the state derived from
-- it (latest explicit decision wins, grants lapse, merges never widen)
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM'), ('shop', 'Online shop');
INSERT INTO cdp.profiles (family_name) SELECT 'P' || g FROM generate_series(1, 6) g;
-- records: R-1 and R-2 belong to profile 1, R-3 to profile 2, R-4 to profile 3, R-5 is unresolved
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id)
SELECT s.source_id, v.k, v.p
  FROM (VALUES ('crm', 'R-1', 1), ('shop', 'R-2', 1), ('crm', 'R-3', 2), ('shop', 'R-4', 3),
               ('shop', 'R-5', NULL)) v(src, k, p)
  JOIN cdp.sources s ON s.source_key = v.src;
CREATE FUNCTION pg_temp.rec(key text) RETURNS bigint LANGUAGE sql
AS $$ SELECT record_id FROM cdp.source_records WHERE source_record_key = key $$;
CREATE FUNCTION pg_temp.state() RETURNS TABLE (profile_id bigint, purpose text, state text, allowed boolean,
                                               collected_at timestamptz, consent_event_id bigint)
LANGUAGE sql AS $$
SELECT profile_id, purpose, state, allowed, collected_at, consent_event_id
  FROM cdp.consent_state ORDER BY profile_id, purpose
$$;
SET timezone = 'UTC';

-- decisions on two records of one profile: the latest wins, whichever record it came from
SELECT cdp.record_consent('email_marketing', 'granted', record_id => pg_temp.rec('R-1'),
                          collected_at => '2025-01-01', source_key => 'crm') AS e1;
SELECT cdp.record_consent('email_marketing', 'withdrawn', record_id => pg_temp.rec('R-2'),
                          collected_at => '2025-03-01', source_key => 'shop') AS e2;
SELECT * FROM pg_temp.state();
-- a grant collected earlier but recorded later does not lift the withdrawal
SELECT cdp.record_consent('email_marketing', 'granted', record_id => pg_temp.rec('R-1'),
                          collected_at => '2025-02-01') AS e3;
SELECT * FROM pg_temp.state();
-- a later grant given on the profile directly does
SELECT cdp.record_consent('email_marketing', 'granted', profile_id => 1, collected_at => '2025-04-01') AS e4;
SELECT * FROM pg_temp.state();
-- equal collected_at: the later event (higher id) wins
SELECT cdp.record_consent('analytics', 'granted', profile_id => 2, collected_at => '2025-05-01') AS e5;
SELECT cdp.record_consent('analytics', 'withdrawn', record_id => pg_temp.rec('R-3'), collected_at => '2025-05-01') AS e6;
SELECT * FROM pg_temp.state() WHERE profile_id = 2;
-- a decision on an unresolved record counts for nobody until the record is linked
SELECT cdp.record_consent('analytics', 'granted', record_id => pg_temp.rec('R-5'), collected_at => '2025-01-01') AS e7;
SELECT count(*) AS states_of_unresolved FROM cdp.consent_current WHERE purpose = 'analytics' AND profile_id NOT IN (2);
UPDATE cdp.source_records SET profile_id = 4 WHERE source_record_key = 'R-5';
SELECT cdp._profiles_changed(ARRAY[4]::bigint[]);
SELECT * FROM pg_temp.state() WHERE profile_id = 4;

-- expiry: a grant lapses at expires_at, with no new event
SELECT cdp.record_consent('personalisation', 'granted', profile_id => 5,
                          collected_at => '2020-01-01', expires_at => '2021-01-01') AS e8;
SELECT cdp.record_consent('personalisation', 'granted', profile_id => 6,
                          collected_at => statement_timestamp() - interval '1 day',
                          expires_at => statement_timestamp() + interval '1 second') AS e9;
SELECT profile_id, state, allowed FROM cdp.consent_state WHERE purpose = 'personalisation' ORDER BY 1;
SELECT cdp.consent_allows(5, 'personalisation') AS p5, cdp.consent_allows(6, 'personalisation') AS p6;
SELECT pg_sleep(1.2);
SELECT profile_id, state, allowed FROM cdp.consent_state WHERE purpose = 'personalisation' ORDER BY 1;
SELECT cdp.consent_allows(6, 'personalisation') AS p6_after_expiry;
-- a lapsed grant does not bring back an older one: the latest decision lapsed
SELECT cdp.record_consent('personalisation', 'granted', profile_id => 5, collected_at => '2019-01-01') AS e10;
SELECT cdp.consent_allows(5, 'personalisation') AS p5_still_lapsed;

-- merges: the merged profile's state is the latest explicit decision across
-- its records and merged profiles; a merge never lifts a withdrawal
SELECT cdp.record_consent('analytics', 'granted', record_id => pg_temp.rec('R-4'), collected_at => '2025-04-01') AS e11;
SELECT cdp.record_consent('email_marketing', 'granted', record_id => pg_temp.rec('R-4'), collected_at => '2025-06-01') AS e12;
SELECT * FROM pg_temp.state() WHERE profile_id IN (2, 3);
UPDATE cdp.profiles SET status = 'merged', merged_into = 2 WHERE profile_id = 3;
UPDATE cdp.source_records SET profile_id = 2 WHERE profile_id = 3;
SELECT cdp._profiles_changed(ARRAY[2, 3]::bigint[]);
-- analytics: profile 2's withdrawal (May) beats profile 3's older grant (April)
SELECT * FROM pg_temp.state() WHERE profile_id IN (2, 3);
-- a decision recorded on the merged profile counts for the survivor
SELECT cdp.record_consent('analytics', 'granted', profile_id => 3, collected_at => '2025-07-01') AS e13;
SELECT * FROM pg_temp.state() WHERE profile_id IN (2, 3);
-- unmerge: each profile gets back the decisions of its own records
UPDATE cdp.profiles SET status = 'active', merged_into = NULL WHERE profile_id = 3;
UPDATE cdp.source_records SET profile_id = 3 WHERE source_record_key = 'R-4';
SELECT cdp._profiles_changed(ARRAY[2, 3]::bigint[]);
SELECT * FROM pg_temp.state() WHERE profile_id IN (2, 3);
-- an erased profile has no consent state
UPDATE cdp.profiles SET status = 'erased' WHERE profile_id = 6;
SELECT cdp._profiles_changed(ARRAY[6]::bigint[]);
SELECT count(*) AS states_of_erased FROM cdp.consent_current WHERE profile_id = 6;
-- a bulk load of the ledger (one statement, 5000 people: more than the
-- lock table holds, were each person locked) is one refresh
INSERT INTO cdp.profiles (family_name) SELECT 'Bulk ' || g FROM generate_series(1, 5000) g;
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at)
SELECT profile_id, 'third_party_sharing', 'granted', '2025-01-01' FROM cdp.profiles WHERE family_name LIKE 'Bulk %';
SELECT count(*) AS bulk_states FROM cdp.consent_state WHERE purpose = 'third_party_sharing' AND allowed;
-- a full rebuild gives the same state as the incremental maintenance
CREATE TEMP TABLE before_rebuild AS SELECT * FROM cdp.consent_current;
SELECT cdp.consent_refresh();
SELECT count(*) AS differences
  FROM ((TABLE before_rebuild EXCEPT TABLE cdp.consent_current)
        UNION ALL (TABLE cdp.consent_current EXCEPT TABLE before_rebuild)) d;

-- a restricted profile is allowed nothing, whatever its consent
SELECT cdp.consent_allows(1, 'email_marketing') AS before_restriction;
INSERT INTO cdp.processing_restrictions (profile_id, reason) VALUES (1, 'art. 18 request');
SELECT cdp.consent_allows(1, 'email_marketing') AS restricted;
SELECT profile_id, purpose, state, allowed, restricted FROM cdp.consent_state WHERE profile_id = 1;
DELETE FROM cdp.processing_restrictions WHERE profile_id = 1;
SELECT cdp.consent_allows(1, 'email_marketing') AS lifted;
-- NULL in, NULL out
SELECT cdp.consent_allows(NULL, 'analytics') AS null_profile, cdp.consent_allows(1, NULL) AS null_purpose;
SELECT cdp.consent_allows(424242, 'analytics') AS unknown_profile;

-- bad input is refused with its SQLSTATE and changes nothing
SELECT count(*) AS ledger_before FROM cdp.consent_events \gset
SELECT cdp.consent_allows(1, 'telepathy');
\echo :SQLSTATE
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at) VALUES (1, 'telepathy', 'granted', now());
\echo :SQLSTATE
SELECT cdp.record_consent('telepathy', 'granted', profile_id => 1);
\echo :SQLSTATE
SELECT cdp.record_consent('analytics', 'maybe', profile_id => 1);
\echo :SQLSTATE
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at) VALUES (1, 'analytics', 'maybe', now());
\echo :SQLSTATE
SELECT cdp.record_consent('analytics', 'granted');
\echo :SQLSTATE
SELECT cdp.record_consent(NULL, 'granted', profile_id => 1);
\echo :SQLSTATE
SELECT cdp.record_consent('analytics', 'withdrawn', profile_id => 1, expires_at => now() + interval '1 day');
\echo :SQLSTATE
SELECT cdp.record_consent('analytics', 'granted', profile_id => 1, collected_at => '2025-01-02', expires_at => '2025-01-01');
\echo :SQLSTATE
SELECT cdp.record_consent('analytics', 'granted', profile_id => 1, source_key => 'fax');
\echo :SQLSTATE
SELECT cdp.record_consent('analytics', 'granted', profile_id => 424242);
\echo :SQLSTATE
-- the ledger is append-only, even for its owner
UPDATE cdp.consent_events SET decision = 'granted' WHERE consent_event_id = 2;
\echo :SQLSTATE
DELETE FROM cdp.consent_events WHERE consent_event_id = 2;
\echo :SQLSTATE
TRUNCATE cdp.consent_events;
\echo :SQLSTATE
SELECT count(*) = :ledger_before AS ledger_unchanged FROM cdp.consent_events;

-- cdp.purpose takes known purposes only
SET cdp.purpose = 'telepathy';
\echo :SQLSTATE
SET cdp.purpose = 'Analytics; DROP TABLE x';
\echo :SQLSTATE
SET cdp.purpose = 'analytics';
SHOW cdp.purpose;
RESET cdp.purpose;
-- no other cdp.* setting can be invented
SET cdp.purpos = 'analytics';
\echo :SQLSTATE

-- default purposes of the roles; a default cannot be deleted, only disabled
SELECT role_name, string_agg(purpose, ', ' ORDER BY purpose) AS purposes
  FROM cdp.role_purposes WHERE enabled GROUP BY role_name ORDER BY role_name;
DELETE FROM cdp.role_purposes WHERE role_name = 'cdp_marketer' AND purpose = 'personalisation';
\echo :SQLSTATE
UPDATE cdp.role_purposes SET enabled = false WHERE role_name = 'cdp_marketer' AND purpose = 'personalisation';
SELECT enabled, builtin FROM cdp.role_purposes WHERE role_name = 'cdp_marketer' AND purpose = 'personalisation';
-- a table without profile_id cannot be protected by consent
CREATE TABLE public.no_profile (x int);
SELECT cdp._protect_personal_table('public.no_profile');
\echo :SQLSTATE
DROP TABLE public.no_profile;
-- the change-log trigger refuses to run per row (it reads transition
-- tables of a statement), and the statement it guards changes nothing
CREATE TABLE public.wrong_trigger (profile_id bigint);
CREATE TRIGGER wrong_trigger AFTER INSERT ON public.wrong_trigger
	FOR EACH ROW EXECUTE FUNCTION cdp._consent_log_changes();
SELECT count(*) AS log_rows_before FROM cdp.consent_changes \gset
INSERT INTO public.wrong_trigger VALUES (1);
\echo :SQLSTATE
SELECT count(*) AS wrong_rows, (SELECT count(*) FROM cdp.consent_changes) = :log_rows_before AS log_unchanged
  FROM public.wrong_trigger;
DROP TABLE public.wrong_trigger;

DROP EXTENSION cdp;

-- an upgrade from 0.4.0 derives the state of a ledger that is already there
CREATE EXTENSION cdp VERSION '0.4.0';
INSERT INTO cdp.profiles (family_name) VALUES ('Before the upgrade');
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at)
SELECT profile_id, 'analytics', 'granted', '2024-01-01' FROM cdp.profiles;
ALTER EXTENSION cdp UPDATE TO '0.5.0';
SELECT purpose, state, allowed FROM cdp.consent_state;
DROP EXTENSION cdp;
