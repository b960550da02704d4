--
-- install: CREATE EXTENSION cdp builds its schema, DROP EXTENSION removes it
--
CREATE EXTENSION cdp;
-- the library loaded is the one the SQL was installed with; ICU is linked
SELECT extversion = cdp.library_version() AS library_matches_sql FROM pg_extension WHERE extname = 'cdp';
SELECT cdp.icu_version() ~ '^[0-9]+\.[0-9]+' AS icu_linked;
-- everything lives in schema cdp and belongs to the extension
SELECT e.extrelocatable, pg_describe_object(d.classid, d.objid, 0) AS schema_owned
  FROM pg_extension e JOIN pg_depend d ON d.refobjid = e.oid AND d.deptype = 'e'
 WHERE e.extname = 'cdp' AND d.classid = 'pg_namespace'::regclass;
SELECT c.relname, c.relkind
  FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1;
-- every table of cdp is registered for pg_dump (its user rows are kept)
SELECT c.relname AS not_dumped
  FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'r'
   AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'cdp')::oid[])
 ORDER BY 1;
-- every identity sequence is registered too, so restored ids do not restart
SELECT s.relname AS sequence_not_dumped
  FROM pg_class s
 WHERE s.relnamespace = 'cdp'::regnamespace AND s.relkind = 'S'
   AND s.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'cdp')::oid[])
 ORDER BY 1;
-- every view reads with its reader's rights, so row-level security applies
SELECT c.relname AS view_not_security_invoker
  FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'v'
   AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
 ORDER BY 1;
-- every table with personal data (a profile_id or record_id column) forces row-level security
SELECT c.relname AS personal_table_without_forced_rls
  FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p')
   AND EXISTS (SELECT FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname IN ('profile_id', 'record_id') AND NOT a.attisdropped)
   AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
 ORDER BY 1;
-- and has the consent policy
SELECT c.relname AS personal_table_without_consent_policy
  FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p')
   AND EXISTS (SELECT FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = 'profile_id' AND NOT a.attisdropped)
   AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'consent_read')
 ORDER BY 1;
-- SECURITY DEFINER functions pin search_path
SELECT p.oid::regprocedure AS definer_without_search_path
  FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');
-- installing twice is an error, IF NOT EXISTS is not
CREATE EXTENSION cdp;
\echo :SQLSTATE
CREATE EXTENSION IF NOT EXISTS cdp;
-- the extension cannot be moved to another schema
CREATE SCHEMA elsewhere;
ALTER EXTENSION cdp SET SCHEMA elsewhere;
\echo :SQLSTATE
DROP SCHEMA elsewhere;
-- DROP EXTENSION removes the schema with everything in it
DROP EXTENSION cdp;
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname = 'cdp';
-- a schema named cdp that is not the extension's is refused, not reused
CREATE SCHEMA cdp;
CREATE TABLE cdp.trap (x int);
CREATE EXTENSION cdp;
\echo :SQLSTATE
SELECT count(*) AS trap_untouched FROM cdp.trap;
DROP SCHEMA cdp CASCADE;
-- install, drop and install again leaves nothing behind
CREATE EXTENSION cdp;
DROP EXTENSION cdp;
SELECT count(*) AS objects_left FROM pg_class WHERE relnamespace IN
  (SELECT oid FROM pg_namespace WHERE nspname = 'cdp');
CREATE EXTENSION cdp;
SELECT count(*) > 0 AS reinstalled FROM cdp.purposes;
DROP EXTENSION cdp;
