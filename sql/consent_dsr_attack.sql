--
-- consent_dsr_attack: the data-subject functions as an attacker would try
-- them: search_path hijacking of the SECURITY DEFINER functions (look-alike
-- functions, operators and catalog views in public and pg_temp) and SQL
-- injection through text arguments and through table and column names
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

-- a steward: allowed to call the functions, and nothing more
CREATE ROLE regress_attacker;
GRANT cdp_steward TO regress_attacker;
-- the CVE-2018-1058 set-up: a schema on everybody's search_path that the attacker may create in
GRANT CREATE ON SCHEMA public TO regress_attacker;
CREATE TABLE public.regress_attack_log (who name, what text);
GRANT SELECT, INSERT ON public.regress_attack_log TO PUBLIC;

INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'CRM');
INSERT INTO cdp.profiles (family_name, email) VALUES ('山田', 'taro@example.jp'), ('佐藤', 'hanako@example.jp'),
                                                     ('鈴木', 'jiro@example.jp');
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, email)
VALUES (1, 'C-1', 1, 'taro@example.jp'), (1, 'C-2', 2, 'hanako@example.jp'), (1, 'C-3', 3, 'jiro@example.jp');
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value)
SELECT record_id, profile_id, 'email', email FROM cdp.source_records;
INSERT INTO cdp.events (source_id, record_id, profile_id, event_type, occurred_at, properties)
SELECT source_id, record_id, profile_id, 'visit', '2026-01-01', '{"page": "/"}' FROM cdp.source_records;

--
-- search_path hijacking
--
SET ROLE regress_attacker;
-- look-alikes of functions the DSR code calls, each leaving a mark when it runs
CREATE FUNCTION public.regress_mark(what text) RETURNS boolean LANGUAGE sql
  AS $$ INSERT INTO public.regress_attack_log VALUES (current_user, what); SELECT true $$;
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('lower') THEN pg_catalog.lower($1) END $$;
CREATE FUNCTION public.btrim(text) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('btrim') THEN pg_catalog.btrim($1) END $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('now') THEN pg_catalog.now() END $$;
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('clock_timestamp') THEN pg_catalog.clock_timestamp() END $$;
CREATE FUNCTION public.current_setting(text, boolean) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('current_setting') THEN pg_catalog.current_setting($1, $2) END $$;
CREATE FUNCTION public.to_regclass(text) RETURNS regclass LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('to_regclass') THEN pg_catalog.to_regclass($1) END $$;
CREATE FUNCTION public.cardinality(anyarray) RETURNS integer LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('cardinality') THEN pg_catalog.cardinality($1) END $$;
CREATE FUNCTION public.jsonb_typeof(jsonb) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('jsonb_typeof') THEN pg_catalog.jsonb_typeof($1) END $$;
CREATE FUNCTION public.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('to_jsonb') THEN pg_catalog.to_jsonb($1) END $$;
CREATE FUNCTION public.gen_random_uuid() RETURNS uuid LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('gen_random_uuid') THEN '00000000-0000-0000-0000-000000000000'::uuid END $$;
CREATE FUNCTION public.pg_current_xact_id() RETURNS xid8 LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('pg_current_xact_id') THEN pg_catalog.pg_current_xact_id() END $$;
CREATE FUNCTION public.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE sql
  AS $$ SELECT x FROM pg_catalog.unnest($1) x WHERE public.regress_mark('unnest') $$;
-- look-alike operators with the exact argument types
CREATE FUNCTION public.regress_int8eq(bigint, bigint) RETURNS boolean LANGUAGE sql
  AS $$ SELECT public.regress_mark('= bigint') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.regress_int8eq);
CREATE FUNCTION public.regress_texteq(text, text) RETURNS boolean LANGUAGE sql
  AS $$ SELECT public.regress_mark('= text') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regress_texteq);
CREATE FUNCTION public.regress_overlap(bigint[], bigint[]) RETURNS boolean LANGUAGE sql
  AS $$ SELECT public.regress_mark('&&') AND $1 OPERATOR(pg_catalog.&&) $2 $$;
CREATE OPERATOR public.&& (LEFTARG = bigint[], RIGHTARG = bigint[], FUNCTION = public.regress_overlap);
CREATE FUNCTION public.regress_jsonb_concat(jsonb, jsonb) RETURNS jsonb LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('||') THEN $1 OPERATOR(pg_catalog.||) $2 END $$;
CREATE OPERATOR public.|| (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = public.regress_jsonb_concat);
-- look-alikes in pg_temp: functions, and catalog relations the DSR code reads
CREATE FUNCTION pg_temp.lower(text) RETURNS text LANGUAGE sql
  AS $$ SELECT CASE WHEN public.regress_mark('pg_temp.lower') THEN pg_catalog.lower($1) END $$;
CREATE TEMP VIEW pg_depend AS SELECT * FROM pg_catalog.pg_depend WHERE (SELECT public.regress_mark('pg_temp.pg_depend'));
CREATE TEMP VIEW pg_attribute AS SELECT * FROM pg_catalog.pg_attribute WHERE (SELECT public.regress_mark('pg_temp.pg_attribute'));
CREATE TEMP VIEW pg_class AS SELECT * FROM pg_catalog.pg_class WHERE (SELECT public.regress_mark('pg_temp.pg_class'));
CREATE TEMP TABLE profiles (profile_id bigint, status text);
CREATE TEMP TABLE dsr_secret (singleton boolean, secret bytea);
-- the attacker's search path puts the look-alikes first
SET search_path = pg_temp, public, pg_catalog;
-- the traps work: the attacker's own query falls into them
SELECT lower('ABC') AS trapped, (SELECT count(*) > 0 FROM pg_depend) AS trapped_view;
SELECT what, count(*) FROM public.regress_attack_log GROUP BY what ORDER BY what;
-- now every DSR function, called with that search path: nothing of the attacker's runs
SELECT (cdp.export_person(1) -> 'subject' ->> 'profile_id') AS exported;
SELECT cdp.restrict_processing(2, 'disputed') > 0 AS restricted;
SELECT cdp.lift_restriction(2) > 0 AS lifted;
SELECT (cdp.erase_person(1) -> 'rows' ->> 'source_records_deleted') AS erased_records;
SELECT count(*) > 0 AS reported FROM cdp.audit_report(NULL, NULL, 1);
SELECT what, count(*) FROM public.regress_attack_log GROUP BY what ORDER BY what;
RESET ROLE;
-- the trigger that checks tombstones, fired by a superuser with the hostile path, runs nothing either
INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (2, 'email', 'hanako.other@example.jp');
INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (2, 'email', 'TARO@example.jp');
\echo :SQLSTATE
SELECT what, count(*) FROM public.regress_attack_log GROUP BY what ORDER BY what;
RESET search_path;
-- the erasure did its work with the real functions: a real key, not the look-alike's zeros
SELECT length(secret) = 32 AND secret <> decode(repeat('0', 64), 'hex') AS real_key FROM cdp.dsr_secret;
SELECT profile_id, status, email FROM cdp.profiles ORDER BY profile_id;
-- the temp look-alikes are the attacker's alone and unchanged
SET ROLE regress_attacker;
SELECT count(*) AS attacker_temp_secret FROM pg_temp.dsr_secret;
RESET ROLE;

--
-- SQL injection through text arguments
--
SET ROLE regress_attacker;
SELECT cdp.restrict_processing(2, $$x'); DELETE FROM cdp.profiles; --$$) > 0 AS restricted;
SELECT cdp.restrict_processing(2, $$x$q$); DELETE FROM cdp.profiles; --$$) > 0 AS restricted;
RESET ROLE;
SELECT reason FROM cdp.dsr_requests WHERE kind = 'restrict' ORDER BY request_id;
SELECT count(*) AS profiles_left FROM cdp.profiles;

--
-- SQL injection through table and column names: a member table whose
-- names are hostile (as if a later version had made one) is quoted, not run
--
CREATE TABLE cdp."x""; DELETE FROM cdp.profiles; --" (
  "owner"" = ANY ($1) OR true OR ""x" bigint REFERENCES cdp.profiles,
  note text);
ALTER EXTENSION cdp ADD TABLE cdp."x""; DELETE FROM cdp.profiles; --";
INSERT INTO cdp."x""; DELETE FROM cdp.profiles; --" VALUES (2, 'Hanako''s note'), (3, 'Jiro''s note');
SELECT table_name, profile_columns FROM cdp._dsr_personal_tables() WHERE table_name LIKE 'x%';
SET ROLE regress_attacker;
SELECT jsonb_pretty(cdp.export_person(2) -> 'data' -> 'x"; DELETE FROM cdp.profiles; --') AS hostile_table_rows;
SELECT cdp.erase_person(2) -> 'rows' -> 'x"; DELETE FROM cdp.profiles; --_deleted' AS hostile_rows_deleted;
RESET ROLE;
SELECT * FROM cdp."x""; DELETE FROM cdp.profiles; --";
SELECT profile_id, status FROM cdp.profiles ORDER BY profile_id;
SELECT count(*) AS dsr_secret_in_exports FROM cdp.dsr_secret s
 WHERE position(encode(s.secret, 'hex') IN cdp.export_person(3)::text) > 0;

DROP EXTENSION cdp;
DROP OWNED BY regress_attacker;
DROP TABLE public.regress_attack_log;
REVOKE CREATE ON SCHEMA public FROM regress_attacker;
DROP ROLE regress_attacker;
