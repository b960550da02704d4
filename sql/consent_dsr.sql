--
-- consent_dsr: data-subject requests: export a person's data, erase it with
-- tombstones that stop re-ingestion, restrict and lift processing; every
-- request recorded; only cdp_admin and cdp_steward may ask
--
CREATE EXTENSION cdp;
\set VERBOSITY terse
SET timezone = 'Asia/Tokyo';

CREATE ROLE regress_dsr_steward;
GRANT cdp_steward TO regress_dsr_steward;
CREATE ROLE regress_dsr_analyst;
GRANT cdp_analyst TO regress_dsr_analyst;

-- restriction state, whether or not cdp.processing_restrictions exists yet
CREATE FUNCTION pg_temp.restricted(id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  result boolean;
BEGIN
  IF to_regclass('cdp.processing_restrictions') IS NULL THEN
    RETURN cdp._dsr_restricted(id);
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM cdp.processing_restrictions WHERE profile_id = $1)' INTO result USING id;
  RETURN result;
END
$$;

-- Taro (profile 1, with profile 2 merged into it), Hanako (3) and Jiro (4)
INSERT INTO cdp.sources (source_key, display_name, kind) VALUES ('crm', 'CRM', 'crm'), ('shop', 'Shop', 'ecommerce');
INSERT INTO cdp.profiles (family_name, given_name, email, phone, birth_date, attributes)
VALUES ('山田', '太郎', 'taro.yamada@example.jp', '+819012345678', '1980-04-01', '{"vip": true}'),
       ('山田', '太郎', 'tyamada@gmail.com', NULL, NULL, '{}'),
       ('佐藤', '花子', 'hanako@example.jp', '+818011112222', '1985-05-05', '{}'),
       ('鈴木', '次郎', 'jiro@example.jp', NULL, NULL, '{}');
UPDATE cdp.profiles SET status = 'merged', merged_into = 1 WHERE profile_id = 2;
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, family_name, given_name, email, phone)
VALUES (1, 'C-1', 1, '山田', '太郎', 'Taro.Yamada@Example.jp', '090-1234-5678'),
       (2, 'S-1', 2, 'ヤマダ', 'タロウ', 'T.Yamada@gmail.com', NULL),
       (1, 'C-2', 3, '佐藤', '花子', 'hanako@example.jp', '080-1111-2222'),
       (2, 'S-2', 4, '鈴木', '次郎', 'jiro@example.jp', NULL);
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value, raw_value)
SELECT record_id, profile_id, 'email', cdp.normalize_email(email), email FROM cdp.source_records
UNION ALL
SELECT record_id, profile_id, 'phone', cdp.normalize_phone(phone), phone FROM cdp.source_records WHERE phone IS NOT NULL
UNION ALL
SELECT record_id, profile_id, 'crm_id', source_record_key, NULL FROM cdp.source_records WHERE source_id = 1;
-- a placeholder address is not tombstoned: other people type it too
INSERT INTO cdp.identifiers (record_id, profile_id, kind, value) VALUES (1, 1, 'email', 'test@example.com');
INSERT INTO cdp.events (source_id, source_event_key, record_id, profile_id, event_type, occurred_at, amount, currency, properties)
VALUES (1, 'O-1', 1, 1, 'order', '2026-01-10 12:00', 5000, 'JPY', '{"gift_message": "for Taro''s mother"}'),
       (2, 'O-2', 2, 2, 'order', '2026-02-10 12:00', 3000, 'JPY', '{"sku": "A-1"}'),
       (2, 'V-1', 2, 2, 'visit', '2026-02-11 12:00', NULL, NULL, '{}'),
       (1, 'O-3', 3, 3, 'order', '2026-01-20 12:00', 8000, 'JPY', '{}'),
       (2, 'O-4', 4, 4, 'order', '2026-03-01 12:00', 1000, 'JPY', '{}');
INSERT INTO cdp.consent_events (record_id, profile_id, purpose, decision, collected_at, evidence)
VALUES (1, NULL, 'analytics', 'granted', '2026-01-01', '{"form": "signup", "ip": "192.0.2.1"}'),
       (NULL, 2, 'email_marketing', 'withdrawn', '2026-01-05', '{}'),
       (3, 3, 'analytics', 'granted', '2026-01-02', '{}');
INSERT INTO cdp.merge_log (action, profile_id, other_profile_id, record_ids, details)
VALUES ('merge', 1, 2, ARRAY[2::bigint], '{"why": "same name 山田太郎"}'),
       ('link', 3, NULL, ARRAY[3::bigint], '{}');
INSERT INTO cdp.rfm_snapshots (as_of, profile_id, recency_days, frequency, monetary, first_at, last_at, rfm, segment)
VALUES ('2026-03-31', 1, 48, 2, 8000, '2026-01-10', '2026-02-10', '4-3-3', 'loyal'),
       ('2026-03-31', 3, 70, 1, 8000, '2026-01-20', '2026-01-20', '3-1-3', NULL);

-- A table a later version adds: found because it is a member of the extension
-- with a column naming a profile or a record, in any order of foreign keys
CREATE TABLE cdp.regress_later_a (a_id int PRIMARY KEY, record_id bigint REFERENCES cdp.source_records, note text);
CREATE TABLE cdp.regress_later_b (b_id int PRIMARY KEY, a_id int REFERENCES cdp.regress_later_a,
                                  owner bigint REFERENCES cdp.profiles, note text);
ALTER EXTENSION cdp ADD TABLE cdp.regress_later_a;
ALTER EXTENSION cdp ADD TABLE cdp.regress_later_b;
INSERT INTO cdp.regress_later_a VALUES (1, 1, 'Taro likes tea'), (2, 3, 'Hanako likes coffee');
INSERT INTO cdp.regress_later_b VALUES (1, 1, 1, 'Taro again'), (2, 2, 3, 'Hanako again');
-- (the tables of this version; later versions add theirs)
SELECT table_name, profile_columns, record_columns, profile_array_columns, record_array_columns
  FROM cdp._dsr_personal_tables()
 WHERE table_name IN ('audit_log', 'consent_current', 'consent_events', 'dsr_erasures_in_progress', 'dsr_requests',
                      'events', 'identifiers', 'merge_log', 'processing_restrictions', 'profiles',
                      'regress_later_a', 'regress_later_b', 'rfm_snapshots', 'source_records')
 ORDER BY table_name;
-- every member table with a profile_id or record_id column is among them
-- (but the consent caches' change log: ids only, see _dsr_personal_tables)
SELECT c.relname AS personal_table_not_found
  FROM pg_class c
 WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'r'
   AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('profile_id', 'record_id'))
   AND c.oid NOT IN (SELECT table_oid FROM cdp._dsr_personal_tables())
   AND c.relname <> 'consent_changes';

--
-- Export: everything about one person, for a steward
--
SET ROLE regress_dsr_steward;
CREATE TEMP TABLE export1 AS SELECT cdp.export_person(1) AS doc;
-- who: the survivor and the profile merged into it, with their records
SELECT doc -> 'subject' AS subject, doc ? 'exported_at' AS dated FROM export1;
-- every table with personal data, with the person's rows only
SELECT t.key AS table_name, jsonb_array_length(t.value) AS rows
  FROM export1, jsonb_each(doc -> 'data') t WHERE jsonb_array_length(t.value) > 0 ORDER BY 1;
SELECT doc -> 'data' ? 'dsr_requests' AND doc -> 'data' ? 'processing_restrictions' AS empty_tables_listed FROM export1;
-- the content itself
SELECT p ->> 'profile_id' AS profile_id, p ->> 'status' AS status, p ->> 'email' AS email,
       p ->> 'birth_date' AS birth_date, p -> 'attributes' AS attributes
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'profiles') p;
SELECT r ->> 'source_record_key' AS record_key, r ->> 'email' AS email, r ->> 'phone' AS phone
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'source_records') r;
SELECT i ->> 'kind' AS kind, i ->> 'value' AS value
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'identifiers') i;
SELECT e ->> 'source_event_key' AS event_key, e ->> 'amount' AS amount, e -> 'properties' AS properties
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'events') e;
SELECT c ->> 'purpose' AS purpose, c ->> 'decision' AS decision, c -> 'evidence' AS evidence
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'consent_events') c;
SELECT m ->> 'action' AS action, m -> 'details' AS details
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'merge_log') m;
SELECT s ->> 'rfm' AS rfm, s ->> 'segment' AS segment
  FROM export1, jsonb_array_elements(doc -> 'data' -> 'rfm_snapshots') s;
SELECT doc -> 'data' -> 'regress_later_a' AS later_a, doc -> 'data' -> 'regress_later_b' AS later_b FROM export1;
-- nobody else's data is in it
SELECT doc::text LIKE '%花子%' OR doc::text LIKE '%hanako%' OR doc::text LIKE '%次郎%' AS leaks_others FROM export1;
-- a merged profile's id exports its whole person
-- (the export also lists the person's earlier requests)
SELECT (cdp.export_person(2) -> 'data') - 'dsr_requests' = (SELECT (doc -> 'data') - 'dsr_requests' FROM export1) AS same_person,
       cdp.export_person(2) -> 'subject' ->> 'requested_profile_id' AS requested;
-- NULL in, NULL out; an unknown profile is an error that records nothing
SELECT cdp.export_person(NULL) IS NULL AS null_export;
SELECT cdp.export_person(999);
\echo :SQLSTATE
RESET ROLE;
SELECT request_id, kind, subject_profile_id, acting_role, outcome, details -> 'rows' -> 'events' AS events
  FROM cdp.dsr_requests ORDER BY request_id;

--
-- Erasure of Taro, keeping his events de-identified
--
SET ROLE regress_dsr_steward;
CREATE TEMP TABLE erase1 AS SELECT cdp.erase_person(2) AS r;
RESET ROLE;
SELECT r - 'request_id' - 'rows' AS erased FROM erase1;
SELECT t.key AS what, t.value AS count FROM erase1, jsonb_each(r -> 'rows') t WHERE t.value <> '0' ORDER BY 1;
-- the profiles are shells: id, status and times only
SELECT profile_id, status, merged_into, family_name, given_name, email, phone, birth_date, attributes, record_count
  FROM cdp.profiles ORDER BY profile_id;
-- records and identifiers are gone, Hanako's and Jiro's stay
SELECT record_id, source_record_key FROM cdp.source_records ORDER BY record_id;
SELECT record_id, kind, value FROM cdp.identifiers ORDER BY record_id, kind, value;
-- events stay for totals, but name nobody and carry no properties
SELECT event_id, profile_id, record_id, source_event_key, event_type, amount, properties
  FROM cdp.events ORDER BY event_id;
-- the consent ledger keeps the decisions, no longer tied to a record or evidence
SELECT consent_event_id, record_id, profile_id, purpose, decision, evidence ? 'erased_by_request' AS erased,
       evidence - 'erased_by_request' AS evidence_left
  FROM cdp.consent_events ORDER BY consent_event_id;
SELECT merge_id, profile_id, other_profile_id, details ? 'erased_by_request' AS erased, details - 'erased_by_request' AS details_left
  FROM cdp.merge_log ORDER BY merge_id;
SELECT profile_id, rfm FROM cdp.rfm_snapshots ORDER BY profile_id;
SELECT * FROM cdp.regress_later_a ORDER BY a_id;
SELECT * FROM cdp.regress_later_b ORDER BY b_id;
-- no trace of Taro's personal values in any table of cdp
DO $$
DECLARE
  t regclass;
  n bigint;
BEGIN
  FOR t IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind = 'r' ORDER BY c.relname LOOP
    EXECUTE format('SELECT count(*) FROM %s x WHERE x::text ~* %L', t, 'yamada|山田|ヤマダ|taro|090-?1234|9012345678|likes tea|C-1|O-1|192\.0\.2')
      INTO n;
    IF n > 0 THEN
      RAISE NOTICE '% still has % rows about Taro', t, n;
    END IF;
  END LOOP;
END
$$;
-- tombstones: one per distinct normalised identifier, hashed, the placeholder left out
SELECT kind, count(*) AS tombstones, bool_and(length(value_hash) = 32) AS hashed
  FROM cdp.tombstones GROUP BY kind ORDER BY kind;
SELECT count(*) AS plain_values_in_tombstones FROM cdp.tombstones
 WHERE position(convert_to('taro', 'UTF8') IN value_hash) > 0 OR value_hash = sha256(convert_to('taro.yamada@example.jp', 'UTF8'));
-- the key is made once and only its owner reads it
SELECT count(*) AS secrets, bool_and(length(secret) = 32) AS key_32_bytes FROM cdp.dsr_secret;
-- no erasure is left in progress
SELECT count(*) AS in_progress FROM cdp.dsr_erasures_in_progress;
-- the export of an erased person shows the shell
SELECT jsonb_array_length(doc -> 'data' -> 'source_records') AS records,
       doc -> 'data' -> 'profiles' -> 0 ->> 'status' AS status
  FROM (SELECT cdp.export_person(1) AS doc) x;

--
-- Re-ingestion of an erased person is refused, in every spelling that
-- normalises equal
--
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'C-9', ' TARO.YAMADA@EXAMPLE.JP ');
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'C-9', 'ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ');
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key, phone) VALUES (1, 'C-9', '０９０－１２３４－５６７８');
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (2, 'S-9', 't.y.a.m.a.d.a+shop@googlemail.com');
\echo :SQLSTATE
INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (3, 'phone', '+81 90 1234 5678');
\echo :SQLSTATE
INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (3, 'crm_id', ' C-1 ');
\echo :SQLSTATE
UPDATE cdp.source_records SET email = 'taro.yamada@example.jp' WHERE record_id = 3;
\echo :SQLSTATE
-- a different person, or the placeholder, load as before; so does a number with another kind
INSERT INTO cdp.source_records (source_id, source_record_key, email, phone)
VALUES (1, 'C-10', 'taro.tanaka@example.jp', '090-9999-0000'), (1, 'C-11', 'test@example.com', NULL);
INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (3, 'loyalty_id', '+819012345678');
SELECT source_record_key FROM cdp.source_records WHERE record_id > 4 ORDER BY 1;
-- flag instead of refuse: the row loads, with a warning and an audit row
UPDATE cdp.dsr_settings SET value = 'flag' WHERE setting = 'reingestion';
INSERT INTO cdp.source_records (source_id, source_record_key, profile_id, email) VALUES (1, 'C-12', 3, 'Taro.Yamada@example.jp');
SELECT action, profile_ids, details - 'request_id' AS details FROM cdp.audit_log WHERE action = 'tombstone_match';
UPDATE cdp.dsr_settings SET value = 'ignore' WHERE setting = 'reingestion';
\echo :SQLSTATE
UPDATE cdp.dsr_settings SET value = 'refuse' WHERE setting = 'reingestion';
DELETE FROM cdp.source_records WHERE source_record_key = 'C-12';

--
-- Erasure of Jiro without keeping his events
--
SET ROLE regress_dsr_steward;
SELECT t.key AS what, t.value AS count
  FROM cdp.erase_person(4, keep_events => false) r, jsonb_each(r -> 'rows') t WHERE t.value <> '0' ORDER BY 1;
RESET ROLE;
SELECT count(*) AS jiro_events FROM cdp.events WHERE source_event_key = 'O-4' OR amount = 1000;
-- erasing again is allowed and finds nothing left
SET ROLE regress_dsr_steward;
SELECT t.key AS what, t.value AS count
  FROM cdp.erase_person(4) r, jsonb_each(r -> 'rows') t WHERE t.value <> '0' ORDER BY 1;
-- NULL in, NULL out; an unknown profile is an error
SELECT cdp.erase_person(NULL) IS NULL AS null_profile, cdp.erase_person(3, NULL) IS NULL AS null_keep_events;
SELECT cdp.erase_person(999);
\echo :SQLSTATE
RESET ROLE;
-- Hanako was not touched
SELECT profile_id, status, family_name, email FROM cdp.profiles WHERE profile_id = 3;

--
-- Restriction of processing
--
SELECT pg_temp.restricted(3) AS before;
-- an analyst sees Hanako (who granted analytics), not the erased shells
SET ROLE regress_dsr_analyst;
SET cdp.purpose = 'analytics';
SELECT array_agg(profile_id ORDER BY profile_id) AS analyst_sees FROM cdp.profiles;
RESET cdp.purpose;
RESET ROLE;
SET ROLE regress_dsr_steward;
SELECT cdp.restrict_processing(3, 'the person contests the accuracy of their data') > 0 AS restricted;
RESET ROLE;
SELECT pg_temp.restricted(3) AS after_restrict;
-- restricted: visible for no purpose
SET ROLE regress_dsr_analyst;
SET cdp.purpose = 'analytics';
SELECT array_agg(profile_id ORDER BY profile_id) AS analyst_sees FROM cdp.profiles;
RESET cdp.purpose;
RESET ROLE;
SET ROLE regress_dsr_steward;
SELECT cdp.restrict_processing(3, 'asked again') > 0 AS restricted_again;
SELECT cdp.lift_restriction(3) > 0 AS lifted;
RESET ROLE;
SELECT pg_temp.restricted(3) AS after_lift;
SET ROLE regress_dsr_analyst;
SET cdp.purpose = 'analytics';
SELECT array_agg(profile_id ORDER BY profile_id) AS analyst_sees FROM cdp.profiles;
RESET cdp.purpose;
RESET ROLE;
SET ROLE regress_dsr_steward;
SELECT cdp.lift_restriction(3) > 0 AS lifted_again;
-- bad input
SELECT cdp.restrict_processing(3, NULL);
\echo :SQLSTATE
SELECT cdp.restrict_processing(3, '   ');
\echo :SQLSTATE
SELECT cdp.restrict_processing(999, 'why');
\echo :SQLSTATE
SELECT cdp.restrict_processing(NULL, 'why') IS NULL AS null_profile, cdp.lift_restriction(NULL) IS NULL AS null_lift;
SELECT cdp.lift_restriction(1);
\echo :SQLSTATE
RESET ROLE;

-- every request is recorded: who, when, for whom, with what outcome
SELECT request_id, kind, subject_profile_id, acting_role, session_role = session_user AS session_ok,
       requested_at <= completed_at AS timed, outcome, reason
  FROM cdp.dsr_requests ORDER BY request_id;
SELECT request_id, details - 'rows' AS details FROM cdp.dsr_requests WHERE kind = 'erase' ORDER BY request_id;

--
-- Only cdp_admin and cdp_steward may ask
--
SET ROLE regress_dsr_analyst;
SELECT cdp.export_person(3);
\echo :SQLSTATE
SELECT cdp.erase_person(3);
\echo :SQLSTATE
SELECT cdp.restrict_processing(3, 'why');
\echo :SQLSTATE
SELECT cdp.lift_restriction(3);
\echo :SQLSTATE
SELECT * FROM cdp.dsr_requests;
\echo :SQLSTATE
SELECT * FROM cdp.tombstones;
\echo :SQLSTATE
UPDATE cdp.dsr_settings SET value = 'flag';
\echo :SQLSTATE
RESET ROLE;
-- internal helpers and the key are closed to everyone but the owner, stewards included
SET ROLE regress_dsr_steward;
SELECT * FROM cdp.dsr_secret;
\echo :SQLSTATE
SELECT cdp._dsr_person(3);
\echo :SQLSTATE
SELECT cdp._tombstone_hash('\x00112233445566778899aabbccddeeff', 'email', 'x');
\echo :SQLSTATE
INSERT INTO cdp.dsr_erasures_in_progress (request_id, profile_ids, record_ids) VALUES (1, '{3}', '{3}');
\echo :SQLSTATE
RESET ROLE;
-- nobody, not even a superuser, edits or deletes the consent ledger outside an erasure
UPDATE cdp.consent_events SET record_id = NULL, evidence = '{"erased_by_request": 1}' WHERE consent_event_id = 3;
\echo :SQLSTATE
DELETE FROM cdp.consent_events WHERE consent_event_id = 1;
\echo :SQLSTATE
TRUNCATE cdp.consent_events;
\echo :SQLSTATE
SELECT count(*) AS ledger_rows FROM cdp.consent_events;

DROP TABLE export1, erase1;
DROP EXTENSION cdp;
DROP ROLE regress_dsr_steward, regress_dsr_analyst;
