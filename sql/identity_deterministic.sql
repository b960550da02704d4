--
-- identity_deterministic: identifier extraction, deterministic linking with
-- its rules (priority, blocked values, frequency cap, per-profile limits,
-- one-per-person), stable profile ids, the merge log, unmerge and split,
-- and the golden record
--
CREATE EXTENSION cdp;
\set VERBOSITY terse

INSERT INTO cdp.sources (source_key, display_name, kind, trust_rank)
VALUES ('crm', 'CRM', 'crm', 90), ('shop', 'Online shop', 'ecommerce', 60), ('pos', 'Shops', 'pos', 30);

-- a view of who is with whom: each profile's records by source key
CREATE TEMP VIEW members AS
SELECT r.profile_id, string_agg(r.source_record_key, ' ' ORDER BY r.source_record_key) AS records
  FROM cdp.source_records r GROUP BY r.profile_id ORDER BY r.profile_id;

-- resolving nothing
SELECT records, identifiers_extracted, profiles_created, profiles_merged, records_changed
  FROM cdp.resolve();

-- the Yamada household: Taro and Hanako share the home phone and each
-- have their own CRM id; Taro's shop account has his e-mail (another case,
-- full-width); a POS record has Hanako's CRM id in an array and a bad phone
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name, email, phone,
                                attributes, source_updated_at)
VALUES (1, 'crm-taro', 'Yamada', 'Taro', 'taro@example.jp', '03-1111-2222', '{"crm_id": "C-1"}', '2025-01-01'),
       (2, 'shop-taro', 'Yamada', 'Taro', 'ＴＡＲＯ＠example.jp', NULL, '{}', '2025-06-01'),
       (1, 'crm-hanako', 'Yamada', 'Hanako', 'hanako@example.jp', '03-1111-2222', '{"crm_id": "C-2"}', '2025-01-01'),
       (3, 'pos-hanako', 'Yamada', NULL, NULL, 'call me', '{"crm_id": ["C-2"], "loyalty_id": 77}', '2025-03-01'),
       -- placeholder e-mail (blocked) on two unrelated people
       (2, 'shop-anon1', 'Sato', 'Ken', 'test@example.com', NULL, '{}', NULL),
       (2, 'shop-anon2', 'Ito', 'Mai', 'TEST@example.com', NULL, '{}', NULL),
       -- no identifiers at all
       (3, 'pos-walkin', 'Kato', NULL, NULL, NULL, '{"note": "walk-in"}', NULL);

SELECT records, identifiers_extracted, profiles_created, profiles_merged, records_changed
  FROM cdp.resolve();
SELECT * FROM members;
-- extraction: normalised values, attributes keys named like a kind, arrays, numbers
SELECT r.source_record_key, i.kind, i.value, i.raw_value, i.extracted, i.profile_id = r.profile_id AS same_profile
  FROM cdp.identifiers i JOIN cdp.source_records r USING (record_id)
 ORDER BY r.source_record_key, i.kind, i.value;
-- the bad phone is noted, not an error
SELECT r.source_record_key, j.kind, j.raw_value, j.reason
  FROM cdp.identifier_rejects j JOIN cdp.source_records r USING (record_id);
SELECT profile_id, status, merged_into, record_count FROM cdp.profiles ORDER BY profile_id;
SELECT merge_id, action, profile_id, other_profile_id, record_ids, rule_id, match_weight, details, reverted_by,
       performed_by = current_user AS by_me
  FROM cdp.merge_log ORDER BY merge_id;

-- a second run changes nothing: ids are stable
SELECT records, identifiers_extracted, profiles_created, profiles_merged, records_changed
  FROM cdp.resolve();
SELECT * FROM members;

-- adding records never renumbers: Hanako's second shop account joins her
-- profile; a new person gets the next id
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name, email, attributes)
VALUES (2, 'shop-hanako', 'Yamada', 'Hanako', 'hanako@example.jp', '{"loyalty_id": "77"}'),
       (1, 'crm-jiro', 'Suzuki', 'Jiro', 'jiro@a.example', '{"crm_id": "C-3"}'),
       (2, 'shop-jiro', 'Suzuki', 'Jiro', 'jiro@b.example', '{}');
SELECT records, identifiers_extracted, profiles_created, profiles_merged, records_changed
  FROM cdp.resolve();
SELECT * FROM members;

-- a record that carries both of Jiro's addresses merges his two profiles:
-- the older id survives, the other is 'merged' into it
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name, email, attributes)
VALUES (3, 'pos-jiro', 'Suzuki', 'Jiro', 'jiro@a.example', '{"email": ["jiro@b.example"]}');
SELECT records, identifiers_extracted, profiles_created, profiles_merged, records_changed
  FROM cdp.resolve();
SELECT * FROM members;
SELECT profile_id, status, merged_into, record_count FROM cdp.profiles WHERE profile_id >= 6 ORDER BY profile_id;
SELECT merge_id, action, profile_id, other_profile_id, record_ids, details
  FROM cdp.merge_log WHERE merge_id > 2 ORDER BY merge_id;

-- priority: Hanako's loyalty card (priority 20) on a record with Taro's
-- e-mail (priority 30) puts the record with Hanako; the e-mail link to Taro
-- is then refused, since one profile cannot hold two CRM ids
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, email, attributes, source_updated_at)
VALUES (3, 'pos-card77', 'Yamada', 'taro@example.jp', '{"loyalty_id": 77}', '2025-02-01');
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members;

-- the frequency cap: a cookie on more records than max_records_per_value
-- links nothing; a cookie on fewer links
UPDATE cdp.identifier_kinds SET max_records_per_value = 2 WHERE kind = 'cookie_id';
INSERT INTO cdp.source_records (source_id, source_record_key, attributes)
VALUES (2, 'web-1', '{"cookie_id": "shared-kiosk"}'), (2, 'web-2', '{"cookie_id": "shared-kiosk"}'),
       (2, 'web-3', '{"cookie_id": "shared-kiosk"}'),
       (2, 'web-4', '{"cookie_id": "k-4"}'), (2, 'web-5', '{"cookie_id": " k-4 "}');
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members WHERE records LIKE 'web%';

-- max_per_profile: at most two e-mail addresses; a device chain that would
-- bring a third is cut
UPDATE cdp.identifier_kinds SET max_per_profile = 2 WHERE kind = 'email';
INSERT INTO cdp.source_records (source_id, source_record_key, email, attributes)
VALUES (2, 'app-1', 'a1@example.org', '{"device_id": "d-1"}'),
       (2, 'app-2', 'a2@example.org', '{"device_id": ["d-1", "d-2"]}'),
       (2, 'app-3', 'a3@example.org', '{"device_id": "d-2"}');
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members WHERE records LIKE 'app%';
UPDATE cdp.identifier_kinds SET max_per_profile = 5 WHERE kind = 'email';

-- blocked values never link, whatever their count: a user-blocked loyalty number
INSERT INTO cdp.blocked_identifiers (kind, value, reason) VALUES ('loyalty_id', '0000', 'card not issued');
INSERT INTO cdp.source_records (source_id, source_record_key, attributes)
VALUES (3, 'pos-b1', '{"loyalty_id": "0000"}'), (3, 'pos-b2', '{"loyalty_id": "0000"}');
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members WHERE records LIKE 'pos-b%';

-- identifiers a loader inserts itself link like extracted ones and survive
-- re-extraction
INSERT INTO cdp.identifiers (record_id, kind, value)
SELECT record_id, 'crm_id', 'C-1' FROM cdp.source_records WHERE source_record_key = 'web-1';
UPDATE cdp.source_records SET given_name = 'X' WHERE source_record_key = 'web-1';
SELECT records, identifiers_extracted, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members WHERE records LIKE '%web-1%';
SELECT kind, value, extracted FROM cdp.identifiers i JOIN cdp.source_records r USING (record_id)
 WHERE r.source_record_key = 'web-1' ORDER BY kind;

-- split: the shop account was somebody else's; it gets a new profile and
-- later runs keep it apart, though the e-mail still matches
SELECT cdp.split(1, ARRAY(SELECT record_id FROM cdp.source_records WHERE source_record_key = 'shop-taro')) AS new_profile
\gset
SELECT * FROM members WHERE records LIKE '%taro%';
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members WHERE records LIKE '%taro%';
SELECT count(*) AS exclusions FROM cdp.link_exclusions;
SELECT action, profile_id, other_profile_id = :new_profile AS to_new, record_ids FROM cdp.merge_log
 WHERE action = 'split';

-- unmerge: Jiro's merge is undone, the absorbed profile comes back under its id
SELECT merge_id AS jiro_merge FROM cdp.merge_log WHERE action = 'merge' AND details @> '{"kinds": ["email"]}'
 ORDER BY merge_id LIMIT 1
\gset
SELECT cdp.unmerge(:jiro_merge) AS revived;
SELECT * FROM members WHERE records LIKE '%jiro%';
SELECT profile_id, status, merged_into, record_count FROM cdp.profiles
 WHERE profile_id IN (SELECT profile_id FROM cdp.source_records WHERE family_name = 'Suzuki') ORDER BY 1;
SELECT merge_id = :jiro_merge AS is_merge, action, reverted_by IS NOT NULL AS reverted, details ? 'reverts' AS reverts
  FROM cdp.merge_log WHERE merge_id >= :jiro_merge AND (action IN ('merge', 'unmerge')) ORDER BY merge_id;
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve();
SELECT * FROM members WHERE records LIKE '%jiro%';

-- golden record: trust first (CRM 90 over shop 60), e-mail and phone by
-- recency, then completeness; rules are data; overrides win
SELECT profile_id, family_name, given_name, email, phone, record_count FROM cdp.profiles
 WHERE profile_id = 2;
UPDATE cdp.source_records SET given_name = 'Hanaco', source_updated_at = '2026-01-01', email = 'h2@example.jp'
 WHERE source_record_key = 'shop-hanako';
SELECT records, records_changed FROM cdp.resolve();
SELECT profile_id, family_name, given_name, email, phone FROM cdp.profiles WHERE profile_id = 2;
UPDATE cdp.survivorship_rules SET criteria = '{recency}' WHERE attribute = 'given_name';
SELECT attribute, criteria, builtin FROM cdp.survivorship_rules WHERE attribute IN ('given_name', 'email') ORDER BY 1;
SELECT cdp.refresh_golden_records(ARRAY[2::bigint]);
SELECT given_name FROM cdp.profiles WHERE profile_id = 2;
INSERT INTO cdp.profile_overrides (profile_id, attribute, value) VALUES (2, 'given_name', '花子');
SELECT cdp.refresh_golden_records();
SELECT given_name FROM cdp.profiles WHERE profile_id = 2;

-- bad input changes nothing
SELECT * FROM cdp.resolve(-1);
\echo :SQLSTATE
SELECT cdp.resolve_record(1000000);
\echo :SQLSTATE
SELECT cdp.extract_identifiers(1000000);
\echo :SQLSTATE
SELECT cdp.split(1000000, ARRAY[1::bigint]);
\echo :SQLSTATE
SELECT cdp.split(2, '{}');
\echo :SQLSTATE
SELECT cdp.split(2, ARRAY[1::bigint]);
\echo :SQLSTATE
SELECT cdp.split(2, ARRAY(SELECT record_id FROM cdp.source_records WHERE profile_id = 2));
\echo :SQLSTATE
SELECT cdp.unmerge(1000000);
\echo :SQLSTATE
SELECT cdp.unmerge(:jiro_merge);
\echo :SQLSTATE
SELECT cdp.unmerge((SELECT min(merge_id) FROM cdp.merge_log WHERE action = 'split'));
\echo :SQLSTATE
INSERT INTO cdp.survivorship_rules (attribute) VALUES ('shoe_size');
\echo :SQLSTATE
UPDATE cdp.survivorship_rules SET criteria = '{luck}' WHERE attribute = 'email';
\echo :SQLSTATE
SELECT count(*) AS profiles, sum(record_count) AS records FROM cdp.profiles WHERE status = 'active';

-- NULLs: NULL in, NULL out
SELECT cdp.resolve_record(NULL) IS NULL AS r, cdp.extract_identifiers(NULL) IS NULL AS e,
       cdp.split(NULL, ARRAY[1::bigint]) IS NULL AS s1, cdp.split(2, NULL) IS NULL AS s2,
       cdp.unmerge(NULL) IS NULL AS u;
SELECT records, profiles_created FROM cdp.resolve(NULL);

-- progress: a NOTICE every progress_every records (and identifiers, and
-- linked values) while loading and linking, and a summary
SELECT records FROM cdp.resolve(10);

-- a kind that does not link can still forbid links: two records sharing an
-- e-mail but carrying different national ids stay apart
INSERT INTO cdp.identifier_kinds (kind, priority, one_per_person, links) VALUES ('national_id', 5, true, false);
INSERT INTO cdp.source_records (source_id, source_record_key, email, attributes)
VALUES (1, 'nid-1', 'shared@example.net', '{"national_id": "N1"}'),
       (2, 'nid-2', 'shared@example.net', '{"national_id": "N2"}'),
       (3, 'nid-3', 'shared@example.net', '{}');
SELECT records, profiles_created FROM cdp.resolve(0);
SELECT * FROM members WHERE records LIKE 'nid%';

-- household check: a phone or e-mail held by records with known, different
-- given names belongs to a household and links nothing (on for phone and
-- e-mail; the seed rows stay builtin)
SELECT kind, shared_by_household_check, builtin FROM cdp.identifier_kinds ORDER BY priority, kind;
-- Ichiro and Hanako share the landline and the family mailbox: two profiles
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name,
                                family_name_kana, given_name_kana, email, phone, attributes)
VALUES (1, 'hh-ichiro', '佐々木', '一郎', 'ササキ', 'イチロウ', 'sasaki.family@example.jp', '045-111-0001', '{}'),
       (2, 'hh-hanako', '佐々木', '花子', 'ササキ', 'ハナコ', 'SASAKI.FAMILY@example.jp', '045-111-0001', '{}'),
       -- one person, kanji-only in one source and kana-only (half-width) in
       -- another: nothing to compare across scripts, the phone links them
       (1, 'hh-kenta-kanji', '田中', '健太', NULL, NULL, NULL, '045-111-0002', '{}'),
       (3, 'hh-kenta-kana', NULL, NULL, 'ﾀﾅｶ', 'ｹﾝﾀ', NULL, '045-111-0002', '{}'),
       -- one person, same kana in both, a kanji variant in one: kana decide
       (1, 'hh-megumi-1', '渡辺', '恵', 'ワタナベ', 'めぐみ', NULL, '045-111-0003', '{}'),
       (2, 'hh-megumi-2', '渡邊', '惠美', 'ワタナベ', 'メグミ', NULL, '045-111-0003', '{}'),
       -- a missing name is no difference
       (1, 'hh-goro-1', '木村', '五郎', 'キムラ', 'ゴロウ', 'goro@example.jp', NULL, '{}'),
       (3, 'hh-goro-2', '木村', NULL, NULL, NULL, 'goro@example.jp', NULL, '{}'),
       -- known limitation: a typo in the kana reading (ソ for ン) looks like
       -- another person, so the phone does not link these two; only the
       -- probabilistic rule (name similarity, birth date) can join them
       (1, 'hh-shinji-1', '小林', '真司', 'コバヤシ', 'シンジ', NULL, '045-111-0004', '{}'),
       (2, 'hh-shinji-2', '小林', '真司', 'コバヤシ', 'シソジ', NULL, '045-111-0004', '{}');
-- romaji only (web forms, name in either order): sorted romaji keys decide;
-- a kana-only record against a romaji-only one: is the reading one of the
-- romaji words
INSERT INTO cdp.source_records (source_id, source_record_key, given_name_kana, name_romaji, phone)
VALUES (2, 'hh-web-ichiro', NULL, 'Satou Ichiro', '045-111-0005'),
       (2, 'hh-web-hanako', NULL, 'SATO Hanako', '045-111-0005'),
       (2, 'hh-web-jiro-1', NULL, 'Satoh Jirou', '045-111-0006'),
       (2, 'hh-web-jiro-2', NULL, 'JIRO SATO', '045-111-0006'),
       (3, 'hh-pos-jiro', 'ｼﾞﾛｳ', NULL, '045-111-0006'),
       (3, 'hh-pos-yuki', 'ﾕｷ', NULL, '045-111-0007'),
       (2, 'hh-web-aya', NULL, 'Aya Sato', '045-111-0007');
SELECT records, profiles_created FROM cdp.resolve(0);
SELECT * FROM members WHERE records LIKE 'hh-%';
-- the words of a romaji name, as both ways of checking split them: at
-- white space (the ideographic space too) and commas, empty keys left out,
-- in byte order; NULL in, NULL out
SELECT cdp._romaji_words('Satou  Ichiro') AS spaces, cdp._romaji_words('ICHIRO,SATO') AS comma,
       cdp._romaji_words('Jirou' || U&'\3000' || 'Satoh') AS ideographic,
       cdp._romaji_words(' , ') AS separators_only, cdp._romaji_words('') AS empty,
       cdp._romaji_words(NULL) AS null_name;
-- a full run compares the holders' names in C, a run over given records
-- asks SQL: both give every record the same component
SELECT count(*) AS records, count(*) FILTER (WHERE f.component IS DISTINCT FROM s.component) AS different
  FROM cdp._cluster(NULL) f
  FULL JOIN cdp._cluster((SELECT array_agg(record_id) FROM cdp.source_records)) s USING (record_id);
-- the deciding keys of the shared values
SELECT i.kind, i.value, string_agg(r.source_record_key || '=' || coalesce(cdp.kana_key(r.given_name_kana), '-')
                                   || '/' || coalesce(cdp.normalize_name(r.given_name), '-')
                                   || '/' || coalesce(cdp.romaji_key(r.name_romaji), '-'), ' '
                                   ORDER BY r.source_record_key) AS holders
  FROM cdp.identifiers i JOIN cdp.source_records r USING (record_id)
 WHERE r.source_record_key LIKE 'hh-%' GROUP BY i.kind, i.value ORDER BY 1, 2;
-- per kind: with the check off for phone the landline joins the household
-- (customising marks the row), and on again splits it
UPDATE cdp.identifier_kinds SET shared_by_household_check = false WHERE kind = 'phone';
SELECT builtin FROM cdp.identifier_kinds WHERE kind = 'phone';
SELECT records FROM cdp.resolve(0);
SELECT * FROM members WHERE records LIKE 'hh-%';
UPDATE cdp.identifier_kinds SET shared_by_household_check = true WHERE kind = 'phone';
SELECT records FROM cdp.resolve(0);
SELECT * FROM members WHERE records LIKE 'hh-%';
-- incremental resolution decides as the batch: Kenta's brother Shota
-- arrives on the same landline, which makes it a household phone, so
-- Kenta's two records (joined by that phone alone) come apart; a batch
-- run afterwards changes nothing
INSERT INTO cdp.source_records (source_id, source_record_key, family_name, given_name,
                                family_name_kana, given_name_kana, phone)
VALUES (2, 'hh-shota', '田中', '翔太', 'タナカ', 'ショウタ', '045-111-0002');
SELECT cdp.resolve_record(record_id) IS NOT NULL AS resolved
  FROM cdp.source_records WHERE source_record_key = 'hh-shota';
SELECT * FROM members WHERE records LIKE 'hh-%';
SELECT records, profiles_created, profiles_merged, records_changed FROM cdp.resolve(0);

-- every record has a profile, every identifier follows its record
SELECT count(*) FILTER (WHERE profile_id IS NULL) AS unresolved FROM cdp.source_records;
SELECT count(*) AS mismatched FROM cdp.identifiers i JOIN cdp.source_records r USING (record_id)
 WHERE i.profile_id IS DISTINCT FROM r.profile_id;
SELECT count(*) AS bad_counts FROM cdp.profiles p
 WHERE record_count <> (SELECT count(*) FROM cdp.source_records r WHERE r.profile_id = p.profile_id);

-- a batch (over 1000 records) carries consent over a merge: Ken gave
-- consent on his second profile; a new record joins it to his first, older
-- one, which survives and now holds the grant (with no consent data at all
-- a batch skips this refresh)
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'bulk-ken-1', 'ken1@example.org');
SELECT records FROM cdp.resolve(0);
SELECT profile_id AS ken_first FROM cdp.source_records WHERE source_record_key = 'bulk-ken-1' \gset
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (2, 'bulk-ken-2', 'ken2@example.org');
SELECT records FROM cdp.resolve(0);
SELECT cdp.record_consent('email_marketing', 'granted', profile_id => profile_id, collected_at => '2025-01-01') IS NOT NULL
       AS recorded
  FROM cdp.source_records WHERE source_record_key = 'bulk-ken-2';
INSERT INTO cdp.source_records (source_id, source_record_key, email, attributes)
VALUES (3, 'bulk-ken-3', 'ken1@example.org', '{"email": "ken2@example.org"}');
INSERT INTO cdp.source_records (source_id, source_record_key, email)
SELECT 1, 'bulk-' || g, 'bulk' || g || '@example.org' FROM generate_series(1, 1100) g;
SELECT max(profile_id) AS before_bulk FROM cdp.profiles \gset
SELECT records, profiles_merged FROM cdp.resolve(0);
SELECT string_agg(r.source_record_key, ' ' ORDER BY r.source_record_key) AS records, c.purpose, c.granted,
       p.profile_id = :ken_first AS older_id
  FROM cdp.source_records r
  JOIN cdp.profiles p ON p.profile_id = r.profile_id
  LEFT JOIN cdp.consent_current c ON c.profile_id = p.profile_id
 WHERE r.source_record_key LIKE 'bulk-ken-%'
 GROUP BY c.purpose, c.granted, p.profile_id;
-- the batch inserted its new profiles with their golden records: each
-- equals a recomputation, every record points at an existing profile
SELECT count(*) AS new_profiles,
       count(*) FILTER (WHERE (p.record_count, p.family_name, p.given_name, p.email, p.phone)
                              IS DISTINCT FROM (g.record_count, g.family_name, g.given_name, g.email, g.phone))
         AS differing,
       count(*) FILTER (WHERE p.golden_updated_at IS NULL) AS without_golden_time
  FROM cdp.profiles p
  JOIN cdp._golden_values(ARRAY(SELECT profile_id FROM cdp.profiles WHERE profile_id > :before_bulk)) g
    ON g.profile_id = p.profile_id;
SELECT count(*) AS dangling FROM cdp.source_records r
 WHERE NOT EXISTS (SELECT FROM cdp.profiles p WHERE p.profile_id = r.profile_id);
-- its new identifiers were staged and stored once their records had
-- profiles: each carries its record's profile, the staging table is gone
SELECT count(*) AS bulk_identifiers,
       count(*) FILTER (WHERE i.profile_id IS DISTINCT FROM r.profile_id) AS wrong_profile
  FROM cdp.identifiers i JOIN cdp.source_records r ON r.record_id = i.record_id
 WHERE r.source_record_key LIKE 'bulk-%';
SELECT pg_catalog.to_regclass('pg_temp.cdp_staged_identifiers') IS NULL AS staging_dropped;
-- a staging table the session made itself brings nothing in: a run that
-- stages nothing drops it too
CREATE TEMP TABLE cdp_staged_identifiers (record_id int8, kind text, value text, raw_value text);
INSERT INTO cdp_staged_identifiers
SELECT record_id, 'email', 'planted@example.org', 'planted@example.org'
  FROM cdp.source_records WHERE source_record_key IN ('bulk-1', 'bulk-2');
INSERT INTO cdp.source_records (source_id, source_record_key, email) VALUES (1, 'bulk-late', 'late@example.org');
SELECT records, profiles_merged FROM cdp.resolve(0);
SELECT count(DISTINCT profile_id) AS profiles_of_bulk_1_and_2 FROM cdp.source_records
 WHERE source_record_key IN ('bulk-1', 'bulk-2');
SELECT count(*) AS planted FROM cdp.identifiers WHERE value = 'planted@example.org';
SELECT pg_catalog.to_regclass('pg_temp.cdp_staged_identifiers') IS NULL AS staging_dropped;
-- the batch's merge log names the kinds that linked the grown profile
SELECT l.action, l.details, l.rule_id, l.match_weight
  FROM cdp.merge_log l
 WHERE l.profile_id = :ken_first
 ORDER BY l.merge_id DESC LIMIT 1;

-- the merge-log rows, built in C: a link per profile that gained records
-- not of an absorbed profile (none for a new profile of one record), a
-- merge per absorbed profile listing all its moved records; evidence per
-- component: the heaviest probabilistic link (the first record's on a
-- tie), its rule, the distinct kinds in collation order
SELECT * FROM cdp._merge_log_entries(
	ARRAY[10, 10, 10, 20, 20, 30, 40]::int8[],
	ARRAY['phone', NULL, 'email', NULL, 'phone', NULL, NULL],
	ARRAY[NULL, 2, NULL, 7, NULL, NULL, 9]::int4[],
	ARRAY[NULL, 6.5, NULL, 3.25, NULL, NULL, 6.5]::float8[],
	ARRAY[2, 3, 4, 5, 6, 7]::int8[], ARRAY[150, NULL, NULL, 160, NULL, 150]::int8[],
	ARRAY[100, 100, 200, 200, 300, 400]::int8[],
	ARRAY[10, 20, 30, 40]::int8[], ARRAY[100, 200, 300, 400]::int8[], ARRAY[false, true, true, false],
	ARRAY[150]::int8[], ARRAY[100]::int8[]);
SELECT count(*) FROM cdp._merge_log_entries('{}', '{}', '{}', '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM cdp._merge_log_entries(ARRAY[1, 2]::int8[], ARRAY['email'], ARRAY[NULL, NULL]::int4[],
									 ARRAY[NULL, NULL]::float8[], ARRAY[1]::int8[], ARRAY[NULL]::int8[],
									 ARRAY[5]::int8[], ARRAY[1]::int8[], ARRAY[5]::int8[], ARRAY[true], NULL, NULL);
\echo :SQLSTATE
SELECT * FROM cdp._merge_log_entries(ARRAY[1, NULL]::int8[], ARRAY['email', NULL], ARRAY[NULL, NULL]::int4[],
									 ARRAY[NULL, NULL]::float8[], ARRAY[1]::int8[], ARRAY[NULL]::int8[],
									 ARRAY[5]::int8[], ARRAY[1]::int8[], ARRAY[5]::int8[], ARRAY[true], NULL, NULL);
\echo :SQLSTATE
SELECT * FROM cdp._merge_log_entries(ARRAY[1]::int8[], ARRAY['email'], ARRAY[NULL]::int4[],
									 ARRAY[NULL]::float8[], ARRAY[1, 2]::int8[], ARRAY[NULL]::int8[],
									 ARRAY[5, 5]::int8[], ARRAY[1]::int8[], ARRAY[5]::int8[], ARRAY[true], NULL, NULL);
\echo :SQLSTATE
SELECT * FROM cdp._merge_log_entries(ARRAY[[1]]::int8[], ARRAY[['email']], ARRAY[[NULL]]::int4[],
									 ARRAY[[NULL]]::float8[], ARRAY[1]::int8[], ARRAY[NULL]::int8[],
									 ARRAY[5]::int8[], ARRAY[1]::int8[], ARRAY[5]::int8[], ARRAY[true], NULL, NULL);
\echo :SQLSTATE
SELECT * FROM cdp._merge_log_entries(ARRAY[1]::int8[], ARRAY['email'], ARRAY[NULL]::int4[],
									 ARRAY[NULL]::float8[], ARRAY[1]::int8[], ARRAY[NULL]::int8[],
									 ARRAY[5]::int8[], ARRAY[1]::int8[], ARRAY[5, 6]::int8[], ARRAY[true], NULL, NULL);
\echo :SQLSTATE

-- the profile of each component: bad input is refused before anything is
-- drawn from the sequence
SELECT last_value AS seq_before FROM cdp.profiles_profile_id_seq \gset
SELECT * FROM cdp._component_profiles(ARRAY[1, 2]::int8[], ARRAY[1]::int8[]);
\echo :SQLSTATE
SELECT * FROM cdp._component_profiles(ARRAY[1, NULL]::int8[], ARRAY[1, 1]::int8[]);
\echo :SQLSTATE
SELECT * FROM cdp._component_profiles(ARRAY[2, 1]::int8[], ARRAY[1, 1]::int8[]);
\echo :SQLSTATE
SELECT * FROM cdp._component_profiles(ARRAY[[1, 2]]::int8[], ARRAY[[1, 1]]::int8[]);
\echo :SQLSTATE
SELECT last_value = :seq_before AS sequence_untouched FROM cdp.profiles_profile_id_seq;
-- records that do not exist are left out, as a join would
SELECT comp_ids, comp_new, ch_ids FROM cdp._component_profiles(ARRAY[-2, -1]::int8[], ARRAY[-2, -2]::int8[]);

DROP VIEW members;
DROP EXTENSION cdp;
