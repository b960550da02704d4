--
-- consent_cache: the backend-local set behind cdp._consent_visible, with
-- enough profiles for whole 512-id blocks of its bitmap (whose summary bit
-- answers without the bitmap), and the cheap per-row check of a call site
-- (an epoch bumped by statements, purpose changes and invalidations; the
-- user compared on every row)
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET timezone = 'UTC';

CREATE ROLE regress_cc_analyst NOLOGIN IN ROLE cdp_analyst;
CREATE ROLE regress_cc_marketer NOLOGIN IN ROLE cdp_marketer;

-- 1,500 profiles, every one granted analytics: ids 512 to 1023 are a whole block
INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.profiles (family_name, email)
SELECT 'P' || g, 'p' || g || '@example.jp' FROM generate_series(1, 1500) g;
INSERT INTO cdp.consent_events (profile_id, purpose, decision, collected_at, source_id)
SELECT profile_id, 'analytics', 'granted', timestamptz '2025-01-01', 1 FROM cdp.profiles;
SELECT cdp.consent_refresh();
SELECT count(*) AS granted FROM cdp.consent_current WHERE purpose = 'analytics' AND granted;

-- the policy through a plpgsql function (a call site that lives across
-- calls), and the same as a role that may not act for analytics
CREATE FUNCTION public.regress_cc_visible(id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RETURN cdp._consent_visible(id); END $$;
CREATE FUNCTION public.regress_cc_visible_as_marketer(id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN public.regress_cc_visible(id); END $$;
ALTER FUNCTION public.regress_cc_visible_as_marketer(bigint) OWNER TO regress_cc_marketer;

SET ROLE regress_cc_analyst;
SET cdp.purpose = 'analytics';
SELECT count(*) AS visible, count(*) FILTER (WHERE profile_id BETWEEN 512 AND 1023) AS in_block
  FROM cdp.profiles;
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS around_700
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 701;

-- a withdrawal inside the whole block (another transaction: the set is patched)
RESET ROLE;
SELECT cdp.record_consent('analytics', 'withdrawn', profile_id => 700, collected_at => '2025-02-01') > 0 AS withdrawn;
SET ROLE regress_cc_analyst;
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS around_700
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 701;
SELECT count(*) AS visible, count(*) FILTER (WHERE profile_id BETWEEN 512 AND 1023) AS in_block
  FROM cdp.profiles;
-- granted again: the block is whole again
RESET ROLE;
SELECT cdp.record_consent('analytics', 'granted', profile_id => 700, collected_at => '2025-03-01') > 0 AS granted;
SET ROLE regress_cc_analyst;
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS around_700
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 701;
-- a processing restriction hides a profile of a whole block too
RESET ROLE;
INSERT INTO cdp.processing_restrictions (profile_id, reason) VALUES (600, 'objection pending');
SET ROLE regress_cc_analyst;
SELECT count(*) AS visible, bool_or(profile_id = 600) AS shows_600 FROM cdp.profiles;
RESET ROLE;
DELETE FROM cdp.processing_restrictions WHERE profile_id = 600;
SET ROLE regress_cc_analyst;
SELECT count(*) AS visible, bool_or(profile_id = 600) AS shows_600 FROM cdp.profiles;
-- ids past the last profile, zero and negative ids are not visible
SELECT cdp._consent_visible(1500) AS last, cdp._consent_visible(1501) AS past_last,
       cdp._consent_visible(0) AS zero, cdp._consent_visible(-700) AS negative,
       cdp._consent_visible(NULL) AS null_id;

-- the user is checked on every row: the same call site, reached through a
-- SECURITY DEFINER function of a role without analytics, sees nobody, and
-- the caller's rows afterwards are checked for the caller again
SELECT public.regress_cc_visible(700) AS analyst, public.regress_cc_visible_as_marketer(700) AS marketer,
       public.regress_cc_visible(700) AS analyst_again;
SELECT profile_id, public.regress_cc_visible_as_marketer(profile_id) AS marketer,
       public.regress_cc_visible(profile_id) AS analyst
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 701 ORDER BY profile_id;

-- a change of cdp.purpose within a statement: refused for a purpose the
-- role does not hold, and applied from the next row on otherwise
BEGIN;
SELECT public.regress_cc_visible(700) AS analytics,
       set_config('cdp.purpose', 'email_marketing', true) IS NOT NULL AS changed,
       public.regress_cc_visible(700) AS no_purpose_granted;
\echo :SQLSTATE
ROLLBACK;
BEGIN;
SELECT public.regress_cc_visible(700) AS analytics,
       set_config('cdp.purpose', '', true) = '' AS cleared,
       public.regress_cc_visible(700) AS no_purpose;
COMMIT;
SHOW cdp.purpose;

-- a command of the statement's own transaction (here a nested statement
-- that withdraws 701 at row 699) applies from the next row on
RESET ROLE;
CREATE FUNCTION public.regress_cc_withdraw(id bigint) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT cdp.record_consent('analytics', 'withdrawn', profile_id => id, collected_at => '2025-04-01') > 0 $$;
SET ROLE regress_cc_analyst;
SET cdp.purpose = 'analytics';
BEGIN;
SELECT profile_id, CASE WHEN profile_id = 699 THEN public.regress_cc_withdraw(701) END AS withdrew_701
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 702 ORDER BY profile_id;
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS next_statement
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 702;
ROLLBACK;
-- rolled back: 701 is back
SELECT string_agg(profile_id::text, ',' ORDER BY profile_id) AS after_rollback
  FROM cdp.profiles WHERE profile_id BETWEEN 699 AND 702;

RESET ROLE;
RESET cdp.purpose;
DROP FUNCTION public.regress_cc_visible_as_marketer(bigint);
DROP FUNCTION public.regress_cc_visible(bigint);
DROP FUNCTION public.regress_cc_withdraw(bigint);
DROP EXTENSION cdp;
DROP ROLE regress_cc_analyst, regress_cc_marketer;
