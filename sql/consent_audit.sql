--
-- consent_audit: the audit trail: rows written by cdp's functions with who,
-- when, for which purpose and whose data; no role but cdp_admin may remove
-- them and nobody changes them; cdp.audit_report shows them
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

CREATE ROLE regress_audit_steward;
GRANT cdp_steward TO regress_audit_steward;
CREATE ROLE regress_audit_admin;
GRANT cdp_admin TO regress_audit_admin;
CREATE ROLE regress_audit_analyst;
GRANT cdp_analyst TO regress_audit_analyst;

INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.profiles (family_name, email) VALUES ('山田', 'taro@example.jp'), ('佐藤', 'hanako@example.jp');
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, email)
VALUES (1, 'C-1', 1, 'taro@example.jp'), (1, 'C-2', 2, 'hanako@example.jp');

-- every data-subject function writes one audit row
SET ROLE regress_audit_steward;
SELECT cdp.export_person(1) IS NOT NULL AS exported;
SELECT cdp.restrict_processing(2, 'disputed') IS NOT NULL AS restricted;
SELECT cdp.lift_restriction(2) IS NOT NULL AS lifted;
SELECT (cdp.erase_person(1) ->> 'request_id') IS NOT NULL AS erased;
RESET ROLE;
SELECT audit_id, acting_role, session_role = session_user AS session_ok, purpose, action, profile_ids,
       details ->> 'request_id' AS request_id
  FROM cdp.audit_log ORDER BY audit_id;
-- each names the request it served
SELECT bool_and(EXISTS (SELECT 1 FROM cdp.dsr_requests d
                         WHERE d.request_id = (a.details ->> 'request_id')::bigint AND d.kind = a.action))
       AS every_row_matches_its_request
  FROM cdp.audit_log a;
-- times only move forward
SELECT bool_and(logged_at <= clock_timestamp()) AND count(DISTINCT logged_at) = count(*) AS ordered_times
  FROM cdp.audit_log;
-- details hold ids and counts, never the person's values
SELECT count(*) AS rows_with_personal_values FROM cdp.audit_log a WHERE a::text ~* 'taro|山田|hanako|佐藤';

-- the acting role is the caller's, whichever way it got there: SET ROLE, a
-- nested SET ROLE, or a SECURITY DEFINER function of its own in between
SET ROLE regress_audit_admin;
SELECT cdp.export_person(2) IS NOT NULL AS exported;
RESET ROLE;
CREATE FUNCTION public.regress_audit_wrapper(id bigint) RETURNS boolean
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT cdp.export_person(id) IS NOT NULL $$;
ALTER FUNCTION public.regress_audit_wrapper(bigint) OWNER TO regress_audit_steward;
GRANT EXECUTE ON FUNCTION public.regress_audit_wrapper(bigint) TO regress_audit_analyst;
SET ROLE regress_audit_analyst;
SELECT public.regress_audit_wrapper(2) AS exported_through_a_wrapper;
RESET ROLE;
SELECT acting_role, action FROM cdp.audit_log WHERE audit_id > 4 ORDER BY audit_id;

-- the purpose the session declared is recorded with the row and the request
SET ROLE regress_audit_steward;
SET cdp.purpose = 'analytics';
SELECT cdp.export_person(2) IS NOT NULL AS exported_for_analytics;
RESET cdp.purpose;
RESET ROLE;
SELECT a.action, a.purpose, d.purpose AS request_purpose
  FROM cdp.audit_log a JOIN cdp.dsr_requests d ON d.request_id = (a.details ->> 'request_id')::bigint
 ORDER BY a.audit_id DESC LIMIT 1;

-- cdp._audit, the entry point of other capabilities
SELECT cdp._audit('merge', ARRAY[2, NULL, 2, 1]::bigint[], '{"merge_id": 7}') > 0 AS written;
SELECT action, profile_ids, details FROM cdp.audit_log ORDER BY audit_id DESC LIMIT 1;
SELECT cdp._audit('consent_change', '{}', NULL) > 0 AS written_without_details;
SELECT profile_ids, details FROM cdp.audit_log ORDER BY audit_id DESC LIMIT 1;
SELECT cdp._audit('Drop table', '{1}', '{}');
\echo :SQLSTATE
SELECT cdp._audit($$x'); DELETE FROM cdp.audit_log; --$$, '{1}', '{}');
\echo :SQLSTATE
SELECT cdp._audit(NULL, '{1}', '{}');
\echo :SQLSTATE
SELECT cdp._audit('merge', '{1}', '[1, 2]');
\echo :SQLSTATE
-- roles that change data may call it (for functions that run with their
-- rights); the row names them, so they can only add rows about themselves
CREATE ROLE regress_audit_loader;
GRANT cdp_loader TO regress_audit_loader;
SET ROLE regress_audit_loader;
SELECT cdp._audit('consent_change', '{2}', '{"consent_events": 2}') > 0 AS written_by_a_loader;
RESET ROLE;
SELECT acting_role, action, profile_ids FROM cdp.audit_log ORDER BY audit_id DESC LIMIT 1;
-- others may not
SET ROLE regress_audit_analyst;
SELECT cdp._audit('forged', '{1}', '{}');
\echo :SQLSTATE
RESET ROLE;
SELECT count(*) AS audit_rows FROM cdp.audit_log;

--
-- Append-only: nobody changes audit rows; only cdp_admin removes them
--
-- a role without privileges is stopped by them
SET ROLE regress_audit_steward;
SELECT count(*) > 0 AS steward_reads FROM cdp.audit_log;
UPDATE cdp.audit_log SET acting_role = 'someone_else';
\echo :SQLSTATE
DELETE FROM cdp.audit_log;
\echo :SQLSTATE
TRUNCATE cdp.audit_log;
\echo :SQLSTATE
INSERT INTO cdp.audit_log (acting_role, action) VALUES ('someone_else', 'forged');
\echo :SQLSTATE
RESET ROLE;
SET ROLE regress_audit_analyst;
SELECT count(*) FROM cdp.audit_log;
\echo :SQLSTATE
RESET ROLE;
-- a role granted UPDATE, DELETE and TRUNCATE by mistake is stopped by the triggers
GRANT UPDATE, DELETE, TRUNCATE ON cdp.audit_log TO regress_audit_steward;
SET ROLE regress_audit_steward;
UPDATE cdp.audit_log SET acting_role = 'someone_else';
\echo :SQLSTATE
DELETE FROM cdp.audit_log WHERE audit_id = 1;
\echo :SQLSTATE
TRUNCATE cdp.audit_log;
\echo :SQLSTATE
RESET ROLE;
REVOKE UPDATE, DELETE, TRUNCATE ON cdp.audit_log FROM regress_audit_steward;
-- not even a superuser or cdp_admin changes a row
UPDATE cdp.audit_log SET details = '{}' WHERE audit_id = 1;
\echo :SQLSTATE
SET ROLE regress_audit_admin;
UPDATE cdp.audit_log SET details = '{}' WHERE audit_id = 1;
\echo :SQLSTATE
-- cdp_admin deletes old rows (retention)
DELETE FROM cdp.audit_log WHERE audit_id = 1;
RESET ROLE;
SELECT count(*) AS audit_rows, min(audit_id) AS first_audit_id FROM cdp.audit_log;

--
-- The report
--
SET ROLE regress_audit_steward;
SELECT audit_id, acting_role, action, profile_ids, summary
  FROM cdp.audit_report(NULL, NULL) ORDER BY audit_id;
-- one profile's rows
SELECT audit_id, summary FROM cdp.audit_report(NULL, NULL, profile_id => 2);
-- a period: [from_time, to_time)
SELECT count(*) AS in_the_future FROM cdp.audit_report(now() + interval '1 day', NULL);
SELECT count(*) AS until_now FROM cdp.audit_report('-infinity', clock_timestamp());
SELECT count(*) AS empty_period FROM cdp.audit_report(now(), now());
SELECT * FROM cdp.audit_report(now(), now() - interval '1 hour');
\echo :SQLSTATE
RESET ROLE;
-- a role outside cdp_admin and cdp_steward reads no report
SET ROLE regress_audit_analyst;
SELECT * FROM cdp.audit_report(NULL, NULL);
\echo :SQLSTATE
RESET ROLE;

--
-- Consent decisions and identity changes: one audit row per call, naming
-- the profiles touched; a batch writes one row with counts only
--
SELECT max(audit_id) AS last_audit_id FROM cdp.audit_log \gset
-- a loader records a decision about a profile, and one about a record it
-- cannot read (the row names the record's profile all the same)
SET ROLE regress_audit_loader;
SELECT cdp.record_consent('email_marketing', 'granted', profile_id => 2, collected_at => '2026-01-01') > 0
       AS recorded_for_a_profile;
SELECT cdp.record_consent('email_marketing', 'withdrawn', record_id => 2, collected_at => '2026-02-01') > 0
       AS recorded_for_a_record;
RESET ROLE;
-- a steward, for a declared purpose
SET ROLE regress_audit_steward;
SET cdp.purpose = 'analytics';
SELECT cdp.record_consent('analytics', 'granted', profile_id => 2, collected_at => '2026-03-01') > 0
       AS recorded_for_analytics;
RESET cdp.purpose;
RESET ROLE;
-- a decision that is refused writes no row
SET ROLE regress_audit_loader;
SELECT cdp.record_consent('no_such_purpose', 'granted', profile_id => 2);
\echo :SQLSTATE
RESET ROLE;
SELECT acting_role, purpose, action, profile_ids,
       details - 'consent_event_id' AS details,
       (details ->> 'consent_event_id')::bigint IN (SELECT consent_event_id FROM cdp.consent_events) AS names_its_event
  FROM cdp.audit_log WHERE audit_id > :last_audit_id ORDER BY audit_id;

-- identity resolution (run by the extension's owner here)
SELECT max(audit_id) AS last_audit_id FROM cdp.audit_log \gset
INSERT INTO cdp.source_records (source_id, source_record_key, email)
VALUES (1, 'C-3', 'hanako@example.jp'), (1, 'C-4', 'jiro@example.jp');
SELECT cdp.resolve_record(3) AS resolved_into;
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT cdp.extract_identifiers(4) AS identifiers;
-- undo the batch's merge; then link a record to profile 4 and split it off
SELECT cdp.unmerge((SELECT merge_id FROM cdp.merge_log WHERE action = 'merge')) AS unmerged_into;
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'C-5', 'jiro@example.jp');
SELECT cdp.resolve_record(5) AS resolved_into;
SELECT cdp.split(4, ARRAY[5]::bigint[]) AS split_into;
SELECT cdp.refresh_golden_records(ARRAY[2]::bigint[]) AS refreshed;
SELECT cdp.refresh_golden_records() AS refreshed_all_active;
-- more than 100 profiles: counted, not listed
SELECT cdp.refresh_golden_records(ARRAY(SELECT generate_series(1001, 1101)::bigint)) AS refreshed_many;
SELECT acting_role = current_user AS by_me, purpose, action, profile_ids, details
  FROM cdp.audit_log WHERE audit_id > :last_audit_id ORDER BY audit_id;
-- each names the profiles the merge log says it changed
SELECT a.action, a.profile_ids @> ARRAY[l.profile_id, l.other_profile_id] AS names_both_profiles
  FROM cdp.audit_log a JOIN cdp.merge_log l ON l.merge_id = (a.details ->> 'merge_id')::bigint
 WHERE a.audit_id > :last_audit_id ORDER BY a.audit_id;
-- what the report says about them
SELECT action, replace(summary, current_user, 'owner') AS summary
  FROM cdp.audit_report(NULL, NULL) WHERE audit_id > :last_audit_id ORDER BY audit_id;
-- and about profile 2: every call that touched it, the batch aside
SELECT action, count(*) FROM cdp.audit_report(NULL, NULL, profile_id => 2)
 WHERE audit_id > :last_audit_id GROUP BY action ORDER BY action;
-- a loader, too, may not change or remove audit rows
SET ROLE regress_audit_loader;
UPDATE cdp.audit_log SET purpose = 'analytics';
\echo :SQLSTATE
DELETE FROM cdp.audit_log;
\echo :SQLSTATE
TRUNCATE cdp.audit_log;
\echo :SQLSTATE
RESET ROLE;

DROP FUNCTION public.regress_audit_wrapper(bigint);
DROP EXTENSION cdp;
DROP ROLE regress_audit_steward, regress_audit_admin, regress_audit_analyst, regress_audit_loader;
