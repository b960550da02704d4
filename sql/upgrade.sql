--
-- upgrade: every version is reachable from 0.1.0 with ALTER EXTENSION UPDATE,
-- user data survives each step, and the upgraded extension is the same, object
-- for object and definition for definition, as a fresh install of the newest
-- version.
--
\set VERBOSITY terse
-- A description of every object of the extension: its identity and the parts
-- of its definition an upgrade could get wrong.
CREATE FUNCTION pg_temp.relation_definition(rel oid) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT concat_ws(E'\n',
  (SELECT format('kind=%s rls=%s force=%s options=%s acl=%s', relkind, relrowsecurity,
                 relforcerowsecurity, reloptions, relacl)
     FROM pg_class WHERE oid = rel),
  (SELECT string_agg(format('column %s %s notnull=%s default=%s identity=%s generated=%s acl=%s',
                            a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                            pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attacl),
                     E'\n' ORDER BY a.attname)
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(format('constraint %s %s', conname, pg_get_constraintdef(oid)), E'\n' ORDER BY conname)
     FROM pg_constraint WHERE conrelid = rel),
  (SELECT string_agg(format('index %s', pg_get_indexdef(indexrelid)), E'\n' ORDER BY pg_get_indexdef(indexrelid))
     FROM pg_index WHERE indrelid = rel),
  (SELECT string_agg(format('trigger %s enabled=%s', pg_get_triggerdef(oid), tgenabled), E'\n' ORDER BY tgname)
     FROM pg_trigger WHERE tgrelid = rel AND NOT tgisinternal),
  (SELECT string_agg(format('policy %s cmd=%s permissive=%s roles=%s using=%s check=%s', polname, polcmd,
                            polpermissive, polroles::regrole[], pg_get_expr(polqual, polrelid),
                            pg_get_expr(polwithcheck, polrelid)), E'\n' ORDER BY polname)
     FROM pg_policy WHERE polrelid = rel),
  (SELECT 'view ' || pg_get_viewdef(rel) FROM pg_class WHERE oid = rel AND relkind IN ('v', 'm')),
  (SELECT string_agg(format('comment %s %s', objsubid, description), E'\n' ORDER BY objsubid)
     FROM pg_description WHERE objoid = rel AND classoid = 'pg_class'::regclass)
)
$$;

CREATE FUNCTION pg_temp.object_definition(classid oid, objid oid) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT concat_ws(E'\n',
  CASE classid
    WHEN 'pg_class'::regclass THEN pg_temp.relation_definition(objid)
    WHEN 'pg_proc'::regclass THEN
      (SELECT CASE WHEN p.prokind = 'a'
                   THEN format('aggregate %s transfn=%s finalfn=%s combinefn=%s serialfn=%s deserialfn=%s stype=%s init=%s parallel=%s',
                               p.oid::regprocedure, a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
                               a.aggdeserialfn, a.aggtranstype::regtype, a.agginitval, p.proparallel)
                   ELSE pg_get_functiondef(p.oid) || format(' leakproof=%s parallel=%s acl=%s',
                                                            p.proleakproof, p.proparallel, p.proacl)
              END
         FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid WHERE p.oid = objid)
    WHEN 'pg_type'::regclass THEN
      (SELECT format('type %s type=%s len=%s byval=%s align=%s storage=%s in=%s out=%s recv=%s send=%s category=%s',
                     format_type(t.oid, NULL), t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage,
                     t.typinput, t.typoutput, t.typreceive, t.typsend, t.typcategory)
         FROM pg_type t WHERE t.oid = objid)
    WHEN 'pg_operator'::regclass THEN
      (SELECT format('operator %s code=%s commutator=%s negator=%s restrict=%s join=%s hashes=%s merges=%s',
                     o.oid::regoperator, o.oprcode, o.oprcom::regoperator, o.oprnegate::regoperator,
                     o.oprrest, o.oprjoin, o.oprcanhash, o.oprcanmerge)
         FROM pg_operator o WHERE o.oid = objid)
    WHEN 'pg_opfamily'::regclass THEN
      concat_ws(E'\n',
        (SELECT string_agg(format('amop %s %s %s', amopstrategy, amopopr::regoperator, amoppurpose), E'\n' ORDER BY amopstrategy, amopopr::regoperator::text, amoppurpose)
           FROM pg_amop WHERE amopfamily = objid),
        (SELECT string_agg(format('amproc %s %s %s %s', amprocnum, amproclefttype::regtype,
                                  amprocrighttype::regtype, amproc::regprocedure), E'\n'
                          ORDER BY amprocnum, amproclefttype::regtype::text, amprocrighttype::regtype::text)
           FROM pg_amproc WHERE amprocfamily = objid))
    WHEN 'pg_opclass'::regclass THEN
      (SELECT format('opclass default=%s keytype=%s', opcdefault, opckeytype::regtype)
         FROM pg_opclass WHERE oid = objid)
    WHEN 'pg_namespace'::regclass THEN
      (SELECT format('schema acl=%s', nspacl) FROM pg_namespace WHERE oid = objid)
    ELSE ''
  END,
  (SELECT string_agg('comment ' || description, E'\n')
     FROM pg_description d WHERE d.objoid = objid AND d.classoid = classid AND d.objsubid = 0
       AND classid <> 'pg_class'::regclass))
$$;

CREATE TABLE catalog_snapshot (install text, object text, definition text);
CREATE FUNCTION pg_temp.snapshot(install text) RETURNS void
LANGUAGE sql AS $$
INSERT INTO catalog_snapshot
SELECT install, pg_describe_object(d.classid, d.objid, d.objsubid),
       pg_temp.object_definition(d.classid, d.objid)
  FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'cdp'
UNION ALL
SELECT install, 'extension configuration',
       (SELECT string_agg(format('%s %s', c, w), E'\n' ORDER BY c)
          FROM pg_extension e, unnest(e.extconfig::regclass[], e.extcondition) AS x(c, w)
         WHERE e.extname = 'cdp')
$$;

-- User data in every table of the first version, to see that it survives.
-- (the bodies name cdp's tables, which exist only once the extension does)
SET check_function_bodies = off;
CREATE FUNCTION pg_temp.load_sample() RETURNS void
LANGUAGE sql AS $$
INSERT INTO cdp.sources (source_key, display_name, kind, trust_rank) VALUES ('crm', 'CRM', 'crm', 90);
INSERT INTO cdp.profiles (family_name, given_name) VALUES ('山田', '太郎');
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, family_name, given_name, email)
SELECT s.source_id, 'C-1', p.profile_id, '山田', '太郎', 'taro@example.jp'
  FROM cdp.sources s, cdp.profiles p;
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value)
SELECT record_id, profile_id, 'email', 'taro@example.jp' FROM cdp.source_records;
INSERT INTO cdp.identifier_kinds (kind, description) VALUES ('member_no', 'our own member number');
INSERT INTO cdp.events (source_id, record_id, profile_id, event_type, occurred_at, amount, currency)
SELECT source_id, record_id, profile_id, 'order', '2026-03-01 12:00+09', 1200, 'JPY' FROM cdp.source_records;
INSERT INTO cdp.purposes (purpose, name_en) VALUES ('surveys', 'Customer surveys');
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at)
SELECT record_id, 'surveys', 'granted', '2026-03-01 12:00+09' FROM cdp.source_records;
$$;

CREATE FUNCTION pg_temp.sample_survives() RETURNS boolean
LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM cdp.source_records WHERE family_name = '山田' AND profile_id IS NOT NULL) = 1
   AND (SELECT count(*) FROM cdp.identifiers WHERE value = 'taro@example.jp') = 1
   AND (SELECT count(*) FROM cdp.events WHERE amount = 1200) = 1
   AND (SELECT count(*) FROM cdp.consent_events WHERE purpose = 'surveys') = 1
   AND (SELECT count(*) FROM cdp.identifier_kinds WHERE kind = 'member_no') = 1
$$;

RESET check_function_bodies;

-- the versions, oldest first, and the newest (the default)
SELECT string_agg(version, ' ' ORDER BY string_to_array(version, '.')::int[]) AS versions
  FROM pg_available_extension_versions WHERE name = 'cdp';
SELECT default_version = (SELECT version FROM pg_available_extension_versions WHERE name = 'cdp'
                           ORDER BY string_to_array(version, '.')::int[] DESC LIMIT 1) AS default_is_newest
  FROM pg_available_extensions WHERE name = 'cdp';

-- Every version, installed on its own, updates to the newest with its data kept.
CREATE TABLE update_results (version text, path text, data_survives boolean);
DO $$
DECLARE
  v text;
  step text;
  newest text := (SELECT default_version FROM pg_available_extensions WHERE name = 'cdp');
  path text;
BEGIN
  FOR v IN SELECT version FROM pg_available_extension_versions WHERE name = 'cdp'
            ORDER BY string_to_array(version, '.')::int[]
  LOOP
    EXECUTE format('CREATE EXTENSION cdp VERSION %L', v);
    PERFORM pg_temp.load_sample();
    SELECT u.path INTO path FROM pg_extension_update_paths('cdp') u
     WHERE u.source = v AND u.target = newest;
    -- one step at a time, as a DBA who skipped no release would
    FOREACH step IN ARRAY coalesce((string_to_array(path, '--'))[2:], '{}')
    LOOP
      EXECUTE format('ALTER EXTENSION cdp UPDATE TO %L', step);
    END LOOP;
    INSERT INTO update_results
    SELECT v, coalesce(path, v), pg_temp.sample_survives()
      FROM pg_extension WHERE extname = 'cdp' AND extversion = newest;
    IF v = '0.1.0' THEN
      PERFORM pg_temp.snapshot('upgraded from 0.1.0');
    END IF;
    DROP EXTENSION cdp;
  END LOOP;
END
$$;
SELECT count(*) = (SELECT count(*) FROM pg_available_extension_versions WHERE name = 'cdp') AS every_version_updated,
       bool_and(data_survives) AS data_survives_every_path
  FROM update_results;
SELECT path FROM update_results WHERE version = '0.1.0';

-- A fresh install of the newest version ...
CREATE EXTENSION cdp;
SELECT pg_temp.snapshot('fresh');
DROP EXTENSION cdp;

-- ... has the same objects with the same definitions as the upgraded one.
SELECT count(*) > 20 AS many_objects_compared FROM catalog_snapshot WHERE install = 'fresh';
(SELECT 'only in fresh install' AS difference, object, definition FROM catalog_snapshot WHERE install = 'fresh'
 EXCEPT
 SELECT 'only in fresh install', object, definition FROM catalog_snapshot WHERE install = 'upgraded from 0.1.0')
UNION ALL
(SELECT 'only after upgrade', object, definition FROM catalog_snapshot WHERE install = 'upgraded from 0.1.0'
 EXCEPT
 SELECT 'only after upgrade', object, definition FROM catalog_snapshot WHERE install = 'fresh')
ORDER BY 2, 1;

-- an unknown version is an error
CREATE EXTENSION cdp VERSION '9.9.9';
\echo :SQLSTATE
DROP TABLE catalog_snapshot, update_results;
