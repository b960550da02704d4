--
-- identity_incremental: cdp.resolve_record, called per record (directly or
-- from the trigger helper) inside the inserting transaction, gives the same
-- profiles as a batch run over the same data
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

INSERT INTO cdp.sources (source_key, display_name, kind, trust_rank)
VALUES ('crm', 'CRM', 'crm', 90), ('shop', 'Online shop', 'ecommerce', 60), ('pos', 'Shops', 'pos', 30);
UPDATE cdp.identifier_kinds SET max_records_per_value = 3 WHERE kind = 'phone';

-- generated records: people with e-mail, phone, CRM and loyalty ids, some
-- shared phones (households), some phones over the cap, junk e-mails,
-- records that bridge two earlier ones (merges) and conflicting CRM ids
CREATE TABLE input AS
SELECT g AS n,
       1 + g % 3 AS source_id,
       'R' || g AS source_record_key,
       CASE WHEN g % 7 = 0 THEN 'test@example.com'
            WHEN g % 5 <> 1 THEN 'p' || (g / 3) || '@example.org' END AS email,
       CASE WHEN g % 4 = 0 THEN '090-0000-' || lpad((g / 8 % 40)::text, 4, '0')
            WHEN g % 11 = 0 THEN 'not a number' END AS phone,
       jsonb_strip_nulls(jsonb_build_object(
           'crm_id', CASE WHEN g % 3 = 1 THEN 'C' || (g / 6) END,
           'loyalty_id', CASE WHEN g % 9 = 2 THEN 'L' || (g / 4) END,
           'email', CASE WHEN g % 13 = 0 THEN 'p' || (g / 3 + 1) || '@example.org' END)) AS attributes
  FROM generate_series(1, 300) g;

-- one transaction per record, the record resolved in it
CREATE PROCEDURE load_incrementally() LANGUAGE plpgsql AS $$
DECLARE
	r record;
	rid bigint;
BEGIN
	FOR r IN SELECT * FROM input ORDER BY n LOOP
		INSERT INTO cdp.source_records (source_id, source_record_key, email, phone, attributes)
		VALUES (r.source_id, r.source_record_key, r.email, r.phone, r.attributes)
		RETURNING record_id INTO rid;
		PERFORM cdp.resolve_record(rid);
		COMMIT;
	END LOOP;
END
$$;
CALL load_incrementally();

SELECT count(*) AS records, count(DISTINCT profile_id) AS profiles, count(*) FILTER (WHERE profile_id IS NULL) AS unresolved
  FROM cdp.source_records;
SELECT status, count(*) FROM cdp.profiles GROUP BY status ORDER BY status;
SELECT action, count(*) FROM cdp.merge_log GROUP BY action ORDER BY action;

-- a batch run after incremental resolution changes nothing
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();

-- the trigger helper resolves application inserts in the same transaction
CREATE TRIGGER resolve_new_records AFTER INSERT OR UPDATE OF email, phone, attributes ON cdp.source_records
	FOR EACH ROW EXECUTE FUNCTION cdp.resolve_record_trigger();
BEGIN;
INSERT INTO cdp.source_records (source_id, source_record_key, email, attributes)
VALUES (2, 'T1', 'p10@example.org', '{}'), (2, 'T2', 'new-person@example.org', '{"loyalty_id": "L-new"}'),
       (3, 'T3', NULL, '{"loyalty_id": "L-new"}');
SELECT source_record_key, profile_id IS NOT NULL AS resolved,
       profile_id = (SELECT profile_id FROM cdp.source_records WHERE email = 'p10@example.org' AND source_record_key <> 'T1' LIMIT 1) AS with_p10
  FROM cdp.source_records WHERE source_record_key LIKE 'T_' ORDER BY 1;
SELECT count(DISTINCT profile_id) AS t2_t3_profiles FROM cdp.source_records WHERE source_record_key IN ('T2', 'T3');
ROLLBACK;
-- an application update of an identifier re-resolves the record
UPDATE cdp.source_records SET email = 'p20@example.org' WHERE source_record_key = 'R30';
SELECT count(DISTINCT profile_id) AS profiles FROM cdp.source_records
 WHERE email = 'p20@example.org' OR attributes ->> 'email' = 'p20@example.org';
DROP TRIGGER resolve_new_records ON cdp.source_records;

-- the partition incremental resolution built
CREATE TABLE incremental AS
SELECT record_id, min(record_id) OVER (PARTITION BY profile_id) AS first_record
  FROM cdp.source_records;

-- a batch run over the same data from scratch
TRUNCATE cdp.merge_log;
UPDATE cdp.source_records SET profile_id = NULL, linked_at = NULL;
UPDATE cdp.identifiers SET profile_id = NULL;
DELETE FROM cdp.profiles;
SELECT records, profiles_created, profiles_merged FROM cdp.resolve();
CREATE TABLE batch AS
SELECT record_id, min(record_id) OVER (PARTITION BY profile_id) AS first_record
  FROM cdp.source_records;

-- the same partition: every record with the same companions
SELECT count(*) AS records, count(*) FILTER (WHERE i.first_record <> b.first_record) AS different
  FROM incremental i JOIN batch b USING (record_id);

DROP TABLE input, incremental, batch;

-- consent follows incremental resolution: a decision recorded on a record
-- before it was resolved counts for its profile once it is, and moves with
-- a merge to the surviving profile (incremental resolution skips the consent
-- refresh only when no consent data concerns the records or profiles)
SET timezone = 'UTC';
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'CY', 'consent-y@example.org');
SELECT cdp.resolve_record(record_id) IS NOT NULL AS resolved FROM cdp.source_records WHERE source_record_key = 'CY';
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'CX', 'consent-x@example.org');
SELECT cdp.record_consent('email_marketing', 'granted', record_id => record_id, collected_at => '2025-01-01') IS NOT NULL AS recorded
  FROM cdp.source_records WHERE source_record_key = 'CX';
SELECT count(*) AS states_before FROM cdp.consent_current c
  JOIN cdp.source_records r ON r.profile_id = c.profile_id WHERE r.source_record_key IN ('CX', 'CY');
SELECT cdp.resolve_record(record_id) IS NOT NULL AS resolved FROM cdp.source_records WHERE source_record_key = 'CX';
SELECT r.source_record_key, c.purpose, c.granted FROM cdp.consent_current c
  JOIN cdp.source_records r ON r.profile_id = c.profile_id WHERE r.source_record_key IN ('CX', 'CY') ORDER BY 1;
-- a record with both e-mails merges the two; the older profile (CY's) survives
INSERT INTO cdp.source_records (source_id, source_record_key, email, attributes)
VALUES (1, 'CZ', 'consent-y@example.org', '{"email": "consent-x@example.org"}');
SELECT cdp.resolve_record(record_id) IS NOT NULL AS resolved FROM cdp.source_records WHERE source_record_key = 'CZ';
SELECT count(DISTINCT r.profile_id) AS profiles FROM cdp.source_records r WHERE r.source_record_key IN ('CX', 'CY', 'CZ');
SELECT c.purpose, c.granted, c.profile_id = (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'CY') AS on_survivor
  FROM cdp.consent_current c
 WHERE c.profile_id IN (SELECT profile_id FROM cdp.source_records WHERE source_record_key IN ('CX', 'CY', 'CZ'))
    OR c.profile_id IN (SELECT p.profile_id FROM cdp.profiles p WHERE p.status = 'merged');
-- a decision given on a profile directly stays with it when a new record joins
SELECT cdp.record_consent('analytics', 'withdrawn', profile_id => profile_id, collected_at => '2025-02-01') IS NOT NULL AS recorded
  FROM cdp.source_records WHERE source_record_key = 'CY';
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (2, 'CW', 'consent-x@example.org');
SELECT cdp.resolve_record(record_id) IS NOT NULL AS resolved FROM cdp.source_records WHERE source_record_key = 'CW';
SELECT c.purpose, c.granted FROM cdp.consent_current c
 WHERE c.profile_id = (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'CW') ORDER BY 1;

-- the golden record (cdp._golden_values, read by cdp._refresh_golden) is the
-- one this set-based reference statement picks: per attribute the non-NULL
-- values ordered by the rule's first three criteria (higher first, a NULL
-- key last), the larger record id breaking ties; e-mail and phone normalised
CREATE FUNCTION golden_key(criteria text[], n int, trust float8, recency float8, completeness float8)
RETURNS float8 LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE criteria[n] WHEN 'trust' THEN trust WHEN 'recency' THEN recency
                              WHEN 'completeness' THEN completeness END $$;
CREATE VIEW golden_reference AS
WITH x AS (
    SELECT r.record_id, r.profile_id, s.trust_rank::float8 AS trust,
           date_part('epoch', COALESCE(r.source_updated_at, r.received_at)) AS recency,
           num_nonnulls(r.family_name, r.given_name, r.family_name_kana, r.given_name_kana, r.name_romaji,
                        r.email, r.phone, r.birth_date, r.postal_code, r.country_code, r.region,
                        r.locality, r.address_line1, r.address_line2)::float8 AS completeness,
           v.attribute, v.value
      FROM cdp.source_records r
      JOIN cdp.sources s USING (source_id)
     CROSS JOIN LATERAL (VALUES ('family_name', r.family_name), ('given_name', r.given_name),
               ('family_name_kana', r.family_name_kana), ('given_name_kana', r.given_name_kana),
               ('name_romaji', r.name_romaji),
               ('email', (cdp._normalize_identifier('email', r.email)).value),
               ('phone', (cdp._normalize_identifier('phone', r.phone)).value),
               ('birth_date', r.birth_date::text), ('postal_code', r.postal_code),
               ('country_code', r.country_code), ('region', r.region), ('locality', r.locality),
               ('address_line1', r.address_line1), ('address_line2', r.address_line2)) v(attribute, value)
     WHERE r.profile_id IS NOT NULL
), survivor AS (
    SELECT DISTINCT ON (x.profile_id, x.attribute) x.profile_id, x.attribute, x.value
      FROM x LEFT JOIN cdp.survivorship_rules sr ON sr.attribute = x.attribute
     WHERE x.value IS NOT NULL
     ORDER BY x.profile_id, x.attribute,
              golden_key(sr.criteria, 1, x.trust, x.recency, x.completeness) DESC NULLS LAST,
              golden_key(sr.criteria, 2, x.trust, x.recency, x.completeness) DESC NULLS LAST,
              golden_key(sr.criteria, 3, x.trust, x.recency, x.completeness) DESC NULLS LAST,
              x.record_id DESC
)
SELECT m.profile_id, m.record_count,
       max(s.value) FILTER (WHERE s.attribute = 'family_name') AS family_name,
       max(s.value) FILTER (WHERE s.attribute = 'given_name') AS given_name,
       max(s.value) FILTER (WHERE s.attribute = 'family_name_kana') AS family_name_kana,
       max(s.value) FILTER (WHERE s.attribute = 'given_name_kana') AS given_name_kana,
       max(s.value) FILTER (WHERE s.attribute = 'name_romaji') AS name_romaji,
       max(s.value) FILTER (WHERE s.attribute = 'email') AS email,
       max(s.value) FILTER (WHERE s.attribute = 'phone') AS phone,
       max(s.value) FILTER (WHERE s.attribute = 'birth_date')::date AS birth_date,
       max(s.value) FILTER (WHERE s.attribute = 'postal_code') AS postal_code,
       max(s.value) FILTER (WHERE s.attribute = 'country_code') AS country_code,
       max(s.value) FILTER (WHERE s.attribute = 'region') AS region,
       max(s.value) FILTER (WHERE s.attribute = 'locality') AS locality,
       max(s.value) FILTER (WHERE s.attribute = 'address_line1') AS address_line1,
       max(s.value) FILTER (WHERE s.attribute = 'address_line2') AS address_line2
  FROM (SELECT profile_id, count(*) AS record_count FROM cdp.source_records
         WHERE profile_id IS NOT NULL GROUP BY profile_id) m
  LEFT JOIN survivor s USING (profile_id)
 GROUP BY m.profile_id, m.record_count;
-- how many of the profiles in ids differ from the reference
CREATE FUNCTION golden_differences(ids bigint[]) RETURNS TABLE (profiles bigint, different bigint)
LANGUAGE sql AS $$
SELECT count(*), count(*) FILTER (WHERE g IS DISTINCT FROM r)
  FROM (SELECT * FROM golden_reference WHERE profile_id = ANY (ids)) r
  FULL JOIN cdp._golden_values(ids) g USING (profile_id)
$$;
CREATE TABLE golden_input AS
SELECT g, 1 + g % 4 AS src, g % 20 AS person,
       (ARRAY['山田', '田中', 'Smith', NULL])[1 + g * 7 % 4] AS family_name,
       (ARRAY['太郎', NULL, 'John'])[1 + g * 5 % 3] AS given_name,
       (ARRAY['a@example.org', 'B@Example.org', NULL, 'not an address'])[1 + g * 3 % 4] AS email,
       (ARRAY['090-1234-5678', NULL, '03-1111-2222'])[1 + g % 3] AS phone,
       CASE WHEN g % 3 = 0 THEN date '1980-01-01' + g % 4 END AS birth_date,
       (ARRAY['Tokyo', 'Osaka', NULL])[1 + g * 11 % 3] AS region,
       (ARRAY['X', NULL, 'Y'])[1 + g * 13 % 3] AS locality,
       (ARRAY['Apt 1', 'Apt 2', NULL])[1 + g * 17 % 3] AS address_line2,
       CASE WHEN g % 2 = 0 THEN timestamptz '2024-01-01 UTC' + (g % 3) * interval '1 day' END AS source_updated_at
  FROM generate_series(1, 80) g;
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name, email, phone, birth_date,
                                region, locality, address_line2, source_updated_at, received_at)
SELECT src % 3 + 1, 'G' || g, family_name, given_name, email, phone, birth_date, region, locality, address_line2,
       source_updated_at, timestamptz '2024-01-01 UTC'
  FROM golden_input;
INSERT INTO cdp.profiles (record_count) SELECT 0 FROM generate_series(1, 20);
UPDATE cdp.source_records r
   SET profile_id = (SELECT max(profile_id) FROM cdp.profiles) - i.person
  FROM golden_input i WHERE r.source_record_key = 'G' || i.g;
-- custom criteria, a rule with another lower bound (its third criterion is
-- no key), a missing rule (no key at all: the newest record wins)
UPDATE cdp.survivorship_rules SET criteria = '{completeness,trust}' WHERE attribute = 'family_name';
UPDATE cdp.survivorship_rules SET criteria = '{recency}' WHERE attribute = 'locality';
UPDATE cdp.survivorship_rules SET criteria = '[0:2]={trust,recency,completeness}' WHERE attribute = 'region';
DELETE FROM cdp.survivorship_rules WHERE attribute = 'address_line2';
CREATE TABLE golden_ids AS
SELECT array_agg(DISTINCT profile_id ORDER BY profile_id) AS ids FROM cdp.source_records WHERE source_record_key LIKE 'G%';
SELECT * FROM golden_differences((SELECT ids FROM golden_ids));
-- ids given twice and ids of no profile: one row per profile that has records
SELECT * FROM golden_differences((SELECT ids || ids || ARRAY[-1, 0]::bigint[] FROM golden_ids));
SELECT count(*) AS empty FROM cdp._golden_values('{}');
SELECT count(*) AS null_ids FROM cdp._golden_values(NULL);
SELECT count(*) AS null_id FROM cdp._golden_values(ARRAY[NULL]::bigint[]);
-- cdp._refresh_golden writes these values, then the overrides, which win
-- (a NULL override too)
INSERT INTO cdp.profile_overrides (profile_id, attribute, value)
SELECT ids[1], 'family_name', '上書き' FROM golden_ids
UNION ALL SELECT ids[1], 'birth_date', '2001-02-03' FROM golden_ids
UNION ALL SELECT ids[2], 'email', NULL FROM golden_ids;
UPDATE cdp.profiles p SET family_name = 'x', given_name = NULL, email = NULL, region = NULL, locality = 'x',
       address_line2 = 'x', record_count = 0
  FROM golden_ids WHERE p.profile_id = ANY (ids);
SELECT cdp._refresh_golden(ids) FROM golden_ids;
SELECT count(*) AS profiles, sum(p.record_count) AS records,
       count(*) FILTER (WHERE p.family_name IS NOT NULL AND p.region IS NOT NULL AND p.email IS NOT NULL) AS with_values,
       count(*) FILTER (WHERE (p.record_count, p.family_name, p.given_name, p.family_name_kana, p.given_name_kana,
                               p.name_romaji, p.email, p.phone, p.birth_date, p.postal_code, p.country_code,
                               p.region, p.locality, p.address_line1, p.address_line2)
                              IS DISTINCT FROM
                              (r.record_count,
                               CASE WHEN p.profile_id = ids[1] THEN '上書き' ELSE r.family_name END,
                               r.given_name, r.family_name_kana, r.given_name_kana, r.name_romaji,
                               CASE WHEN p.profile_id = ids[2] THEN NULL ELSE r.email END,
                               r.phone,
                               CASE WHEN p.profile_id = ids[1] THEN date '2001-02-03' ELSE r.birth_date END,
                               r.postal_code, r.country_code, r.region, r.locality, r.address_line1,
                               r.address_line2)) AS different
  FROM golden_ids, cdp.profiles p JOIN golden_reference r USING (profile_id)
 WHERE p.profile_id = ANY (ids);
SELECT p.profile_id = ids[1] AS first, p.family_name, p.birth_date, p.email
  FROM golden_ids, cdp.profiles p WHERE p.profile_id IN (ids[1], ids[2]) ORDER BY 1 DESC;
-- a second refresh rewrites only the profiles whose overrides differ from
-- their sources
CREATE TABLE golden_versions AS
SELECT p.profile_id, p.xmin::text AS version FROM golden_ids, cdp.profiles p WHERE p.profile_id = ANY (ids);
SELECT cdp._refresh_golden(ids) FROM golden_ids;
SELECT count(*) AS rewritten FROM golden_versions v JOIN cdp.profiles p USING (profile_id)
 WHERE p.xmin::text <> v.version;
-- member rows come ten thousand a fetch: profiles of 12,000 and 9,000
-- records span the fetch boundaries (survivors found in one fetch and
-- beaten or kept in the next), between profiles of a few records
INSERT INTO cdp.profiles (record_count) SELECT 0 FROM generate_series(1, 5);
CREATE TABLE golden_big AS
SELECT array_agg(profile_id ORDER BY profile_id) AS ids
  FROM (SELECT profile_id FROM cdp.profiles ORDER BY profile_id DESC LIMIT 5) p;
INSERT INTO cdp.source_records (source_id, profile_id, source_record_key, family_name, given_name, email, phone,
                                birth_date, region, locality, source_updated_at, received_at)
SELECT CASE WHEN g IN (900, 17000) THEN 1 ELSE 3 END,
       ids[CASE WHEN g <= 3 THEN 1 WHEN g <= 12003 THEN 2 WHEN g <= 12005 THEN 3 WHEN g <= 21005 THEN 4 ELSE 5 END],
       'B' || g,
       CASE WHEN g IN (900, 17000) THEN 'crm-' || g ELSE 'pos-' || g % 97 END,
       CASE WHEN g IN (50, 11000, 12500, 20500) THEN 'given-' || g END,
       CASE WHEN g % 10 = 0 THEN 'b' || g % 70 || '@example.org' END,
       CASE WHEN g IN (10001, 20001) THEN '090-1234-' || g / 10 END,
       CASE WHEN g % 1000 = 7 THEN date '1990-01-01' + g / 1000 END,
       CASE WHEN g % 3 = 0 THEN 'region-' || g % 5 END,
       CASE WHEN g % 7 = 0 THEN 'locality-' || g % 11 END,
       timestamptz '2024-01-01 UTC' + (g % 13) * interval '1 hour',
       timestamptz '2024-01-01 UTC'
  FROM golden_big, generate_series(1, 21015) g;
SELECT * FROM golden_differences((SELECT ids FROM golden_big));
SELECT g.profile_id - ids[1] AS n, g.record_count, g.family_name, g.given_name, g.phone, g.birth_date
  FROM golden_big, cdp._golden_values(ids) g ORDER BY 1;
DROP TABLE golden_input, golden_ids, golden_versions, golden_big;
DROP VIEW golden_reference;
DROP FUNCTION golden_differences(bigint[]);
DROP FUNCTION golden_key(text[], int, float8, float8, float8);
DROP PROCEDURE load_incrementally();
DROP EXTENSION cdp;
