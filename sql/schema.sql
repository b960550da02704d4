--
-- schema: the profile schema keeps its data consistent; bad input is
-- refused with a clear error and its SQLSTATE, and changes nothing
--
CREATE EXTENSION cdp;
-- errors show their message and SQLSTATE; DETAIL would print volatile timestamps
\set VERBOSITY terse

INSERT INTO cdp.sources (source_key, display_name, kind, trust_rank)
VALUES ('crm', 'Salesforce CRM', 'crm', 90),
       ('shop', 'Online shop', 'ecommerce', 60);

-- a source key is unique
INSERT INTO cdp.sources (source_key, display_name) VALUES ('crm', 'Another CRM');
\echo :SQLSTATE
-- and has a fixed format (it is used by loaders and in rules)
INSERT INTO cdp.sources (source_key, display_name) VALUES ('Bad Key', 'x');
\echo :SQLSTATE
INSERT INTO cdp.sources (source_key, display_name, trust_rank) VALUES ('pos', 'Tills', 101);
\echo :SQLSTATE
INSERT INTO cdp.sources (source_key, display_name, kind) VALUES ('pos', 'Tills', 'fax');
\echo :SQLSTATE
INSERT INTO cdp.sources (source_key, display_name) VALUES ('pos', '   ');
\echo :SQLSTATE
-- ids are generated, never supplied
INSERT INTO cdp.sources (source_id, source_key, display_name) VALUES (99, 'pos', 'Tills');
\echo :SQLSTATE
SELECT source_key, kind, trust_rank FROM cdp.sources ORDER BY source_id;

-- records: one per source and source key
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name,
                                family_name_kana, given_name_kana, email, phone, birth_date)
SELECT source_id, 'C-001', '髙橋', '一郎', 'タカハシ', 'イチロウ', 'ichiro@example.jp', '090-1234-5678', '1980-04-01'
  FROM cdp.sources WHERE source_key = 'crm';
INSERT INTO cdp.source_records (source_id, source_record_key, family_name)
SELECT source_id, 'C-001', '高橋' FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
-- the same key from another source is another record
INSERT INTO cdp.source_records (source_id, source_record_key, family_name)
SELECT source_id, 'C-001', '高橋' FROM cdp.sources WHERE source_key = 'shop';
-- an unknown source is refused
INSERT INTO cdp.source_records (source_id, source_record_key) VALUES (12345, 'X-1');
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key) VALUES (NULL, 'X-1');
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key)
SELECT source_id, '' FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key, birth_date)
SELECT source_id, 'C-002', '1066-10-14' FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key, country_code)
SELECT source_id, 'C-002', 'jp' FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
INSERT INTO cdp.source_records (source_id, source_record_key, attributes)
SELECT source_id, 'C-002', '[1, 2]' FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
-- a record cannot point at a profile that does not exist
UPDATE cdp.source_records SET profile_id = 424242 WHERE source_record_key = 'C-001';
\echo :SQLSTATE
-- a source with records cannot be deleted
DELETE FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
SELECT s.source_key, r.source_record_key, r.family_name
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id) ORDER BY r.record_id;

-- updated_at follows updates
UPDATE cdp.source_records SET updated_at = '2000-01-01' WHERE source_record_key = 'C-001';
SELECT bool_and(updated_at > '2000-01-02') AS touched FROM cdp.source_records WHERE source_record_key = 'C-001';
-- to the transaction's timestamp
BEGIN;
UPDATE cdp.source_records SET family_name = family_name WHERE source_record_key = 'C-001';
SELECT bool_and(updated_at = now()) AS transaction_time FROM cdp.source_records WHERE source_record_key = 'C-001';
COMMIT;
-- the trigger needs a timestamptz column updated_at (42703) and to run
-- BEFORE UPDATE for each row (39P01); nothing changes
CREATE TEMP TABLE touch_misuse (x int);
INSERT INTO touch_misuse VALUES (1);
CREATE TRIGGER touch_misuse BEFORE UPDATE ON touch_misuse FOR EACH ROW EXECUTE FUNCTION cdp._touch_updated_at();
UPDATE touch_misuse SET x = 2;
\echo :SQLSTATE
DROP TRIGGER touch_misuse ON touch_misuse;
CREATE TRIGGER touch_misuse AFTER UPDATE ON touch_misuse FOR EACH ROW EXECUTE FUNCTION cdp._touch_updated_at();
UPDATE touch_misuse SET x = 3;
\echo :SQLSTATE
SELECT x FROM touch_misuse;
DROP TABLE touch_misuse;

-- identifiers: kinds are declared, values are never blank, duplicates are one row
INSERT INTO cdp.identifiers (record_id, kind, value, raw_value)
SELECT record_id, 'email', 'ichiro@example.jp', email FROM cdp.source_records WHERE family_name = '髙橋';
INSERT INTO cdp.identifiers (record_id, kind, value)
SELECT record_id, 'email', 'ichiro@example.jp' FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
INSERT INTO cdp.identifiers (record_id, kind, value)
SELECT record_id, 'fax', '0312345678' FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
INSERT INTO cdp.identifiers (record_id, kind, value)
SELECT record_id, 'phone', ' ' FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
INSERT INTO cdp.identifiers (record_id, kind, value) VALUES (987654, 'email', 'a@b.jp');
\echo :SQLSTATE
-- a one-per-person kind cannot allow more than one value per profile
INSERT INTO cdp.identifier_kinds (kind, one_per_person, max_per_profile) VALUES ('passport', true, 2);
\echo :SQLSTATE
INSERT INTO cdp.identifier_kinds (kind, max_records_per_value) VALUES ('member_no', 0);
\echo :SQLSTATE
SELECT kind, value FROM cdp.identifiers ORDER BY record_id, kind, value;

-- profiles: a merged profile points at its survivor, and only a merged one
INSERT INTO cdp.profiles (family_name) VALUES ('高橋');
INSERT INTO cdp.profiles (status) VALUES ('merged');
\echo :SQLSTATE
INSERT INTO cdp.profiles (status) VALUES ('deleted');
\echo :SQLSTATE
SELECT count(*) AS profiles FROM cdp.profiles;

-- events: money is never negative, comes with a currency, and the source exists
INSERT INTO cdp.events (source_id, source_event_key, record_id, event_type, occurred_at, amount, currency)
SELECT source_id, 'O-1', record_id, 'order', '2026-01-05 10:00+09', 5400, 'JPY'
  FROM cdp.source_records WHERE source_record_key = 'C-001' AND family_name = '髙橋';
INSERT INTO cdp.events (source_id, event_type, occurred_at, amount, currency)
SELECT source_id, 'order', now(), -100, 'JPY' FROM cdp.sources WHERE source_key = 'shop';
\echo :SQLSTATE
INSERT INTO cdp.events (source_id, event_type, occurred_at, amount)
SELECT source_id, 'order', now(), 100 FROM cdp.sources WHERE source_key = 'shop';
\echo :SQLSTATE
INSERT INTO cdp.events (source_id, event_type, occurred_at, amount, currency)
SELECT source_id, 'order', now(), 100, 'yen' FROM cdp.sources WHERE source_key = 'shop';
\echo :SQLSTATE
INSERT INTO cdp.events (source_id, event_type, occurred_at) VALUES (777, 'visit', now());
\echo :SQLSTATE
INSERT INTO cdp.events (source_id, event_type, occurred_at)
SELECT source_id, 'Page View', now() FROM cdp.sources WHERE source_key = 'shop';
\echo :SQLSTATE
INSERT INTO cdp.events (source_id, event_type, occurred_at)
SELECT source_id, 'visit', NULL FROM cdp.sources WHERE source_key = 'shop';
\echo :SQLSTATE
-- the same source event twice is refused (idempotent loading uses ON CONFLICT)
INSERT INTO cdp.events (source_id, source_event_key, event_type, occurred_at)
SELECT source_id, 'O-1', 'order', now() FROM cdp.sources WHERE source_key = 'crm';
\echo :SQLSTATE
INSERT INTO cdp.events (source_id, source_event_key, event_type, occurred_at)
SELECT source_id, 'O-1', 'order', now() FROM cdp.sources WHERE source_key = 'crm'
ON CONFLICT (source_id, source_event_key) DO NOTHING;
SELECT event_type, amount, currency FROM cdp.events ORDER BY event_id;

-- consent: the purpose must exist, the decision is granted or withdrawn
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at, expires_at)
SELECT record_id, 'email_marketing', 'granted', '2026-01-05 10:00+09', '2027-01-05 10:00+09'
  FROM cdp.source_records WHERE source_record_key = 'C-001' AND family_name = '髙橋';
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at)
SELECT record_id, 'telepathy', 'granted', now() FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at)
SELECT record_id, 'analytics', 'maybe', now() FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at, legal_basis)
SELECT record_id, 'analytics', 'granted', now(), 'because' FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
-- a consent belongs to somebody, and expires after it was given
INSERT INTO cdp.consent_events (purpose, decision, collected_at) VALUES ('analytics', 'granted', now());
\echo :SQLSTATE
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at, expires_at)
SELECT record_id, 'analytics', 'granted', '2026-02-01', '2026-01-01' FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
INSERT INTO cdp.consent_events (record_id, purpose, decision, collected_at, expires_at)
SELECT record_id, 'analytics', 'withdrawn', '2026-02-01', '2026-03-01' FROM cdp.source_records WHERE family_name = '髙橋';
\echo :SQLSTATE
-- the ledger is append-only
UPDATE cdp.consent_events SET decision = 'withdrawn';
\echo :SQLSTATE
DELETE FROM cdp.consent_events;
\echo :SQLSTATE
TRUNCATE cdp.consent_events;
\echo :SQLSTATE
SELECT purpose, decision, legal_basis FROM cdp.consent_events ORDER BY consent_event_id;

-- seed rows: a changed seed row is the user's and is no longer builtin;
-- inserting a row with a seed's key replaces the seed
UPDATE cdp.identifier_kinds SET max_per_profile = 3 WHERE kind = 'email';
UPDATE cdp.identifier_kinds SET priority = priority WHERE kind = 'phone';
SELECT kind, max_per_profile, builtin FROM cdp.identifier_kinds WHERE kind IN ('email', 'phone') ORDER BY kind;
INSERT INTO cdp.purposes (purpose, name_en) VALUES ('analytics', 'Product analytics');
SELECT purpose, name_en, builtin FROM cdp.purposes ORDER BY purpose;
-- ... but a user's own row is never replaced silently
INSERT INTO cdp.purposes (purpose, name_en) VALUES ('analytics', 'Again');
\echo :SQLSTATE
INSERT INTO cdp.purposes (purpose, name_en) VALUES ('Analytics!', 'Bad');
\echo :SQLSTATE

DROP EXTENSION cdp;
