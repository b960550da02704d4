-- test/demo.sql: the main job of cdp on sample data (run by test/demo).
-- Sources send overlapping customer records; cdp loads them, resolves them
-- into profiles, scores RFM and answers queries under consent.
\set ON_ERROR_STOP 1
\pset footer off
\set QUIET 1
SET client_min_messages = warning;

\echo
\echo '== 1. Install cdp'
CREATE EXTENSION cdp;
SELECT extversion AS cdp_version, cdp.icu_version() AS icu FROM pg_extension WHERE extname = 'cdp';

\echo
\echo '== 2. Load the sources and their customer records (test/data/demo/)'
CREATE TEMP TABLE demo_sources (source_key text, display_name text, kind text, trust_rank smallint);
\copy demo_sources FROM 'test/data/demo/sources.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO cdp.sources (source_key, display_name, kind, trust_rank)
SELECT source_key, display_name, kind, trust_rank FROM demo_sources;

CREATE TEMP TABLE demo_records (
	line bigint GENERATED ALWAYS AS IDENTITY,	-- record ids follow the files' order
	source_key text, source_record_key text, family_name text, given_name text,
	family_name_kana text, given_name_kana text, name_romaji text, email text, phone text,
	birth_date date, postal_code text, region text, locality text, address_line1 text, country_code text);
\copy demo_records (source_key, source_record_key, family_name, given_name, family_name_kana, given_name_kana, name_romaji, email, phone, birth_date, postal_code, region, locality, address_line1, country_code) FROM 'test/data/demo/records.csv' WITH (FORMAT csv, HEADER true)
\copy demo_records (source_key, source_record_key, family_name, given_name, family_name_kana, given_name_kana, name_romaji, email, phone, birth_date, postal_code, region, locality, address_line1, country_code) FROM 'test/data/demo/records_generated.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO cdp.source_records
	(source_id, source_record_key, family_name, given_name, family_name_kana, given_name_kana,
	 name_romaji, email, phone, birth_date, postal_code, region, locality, address_line1, country_code,
	 attributes)
SELECT s.source_id, r.source_record_key, r.family_name, r.given_name, r.family_name_kana,
	   r.given_name_kana, r.name_romaji, r.email, r.phone, r.birth_date, r.postal_code, r.region,
	   r.locality, r.address_line1, r.country_code,
	   -- the CRM's own customer id is an identifier too: one per person
	   CASE WHEN r.source_key = 'crm' THEN jsonb_build_object('crm_id', r.source_record_key) ELSE '{}' END
  FROM demo_records r JOIN cdp.sources s USING (source_key)
 ORDER BY r.line;

SELECT s.source_key AS source, count(*) AS records
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id)
 GROUP BY s.source_key ORDER BY 2 DESC, 1;

\echo
\echo '   The same people arrive from several sources, written differently:'
SELECT s.source_key AS source, r.source_record_key AS key,
	   concat_ws(' ', r.family_name, r.given_name) AS name,
	   concat_ws(' ', r.family_name_kana, r.given_name_kana) AS kana,
	   r.name_romaji AS romaji, r.email, r.phone
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id)
 WHERE r.source_record_key IN ('C-0001', 'S-1001', 'P-5001', 'A-9001')
 ORDER BY r.record_id;

\echo
\echo '   What matching sees: one name, one reading, one e-mail, one phone (cdp.normalize_*, cdp.kana_key, cdp.romaji_key)'
SELECT r.source_record_key AS key,
	   cdp.normalize_name(concat(r.family_name, r.given_name)) AS name,
	   cdp.kana_key(concat(r.family_name_kana, r.given_name_kana)) AS reading,
	   cdp.romaji_key(coalesce(nullif(concat(r.family_name_kana, r.given_name_kana), ''), r.name_romaji)) AS romaji_key,
	   cdp.normalize_email(r.email) AS email,
	   cdp.normalize_phone(r.phone) AS phone
  FROM cdp.source_records r
 WHERE r.source_record_key IN ('C-0001', 'S-1001', 'P-5001', 'A-9001')
 ORDER BY r.record_id;

\echo
\echo '   Similarity on code points, and indexed candidate search: 髙橋 finds 高橋, たかはし finds ﾀｶﾊｼ'
SELECT cdp.levenshtein('渡邊美咲', '渡辺美咲') AS levenshtein,
	   round(cdp.jaro_winkler('Anna Smith', 'Anne Smith')::numeric, 3) AS jaro_winkler,
	   round(cdp.token_set_similarity('Watanabe Misaki', 'MISAKI WATANABE')::numeric, 3) AS token_set;
CREATE INDEX demo_family_name_idx ON cdp.source_records USING gist (family_name cdp.name_gist_ops);
CREATE INDEX demo_family_kana_idx ON cdp.source_records USING gist (family_name_kana cdp.name_gist_ops);
SET search_path = public, cdp;
SELECT 'family_name ~ 髙橋' AS search, family_name AS found,
	   round(cdp.name_similarity(family_name, '髙橋')::numeric, 2) AS similarity
  FROM cdp.source_records WHERE family_name %~ '髙橋'
UNION ALL
SELECT 'family_name_kana ~ たかはし', family_name_kana,
	   round(cdp.name_similarity(family_name_kana, 'たかはし')::numeric, 2)
  FROM cdp.source_records WHERE family_name_kana %~ 'たかはし'
ORDER BY 1, 2;
RESET search_path;
DROP INDEX cdp.demo_family_name_idx, cdp.demo_family_kana_idx;

\echo
\echo '== 3. Load orders: every source reports purchases (deterministic sample)'
INSERT INTO cdp.events (source_id, source_event_key, record_id, event_type, occurred_at, amount, currency)
SELECT r.source_id, r.source_record_key || '-O' || n, r.record_id, 'order',
	   TIMESTAMPTZ '2026-10-31 12:00+09'
		 - make_interval(days => (hashtext(r.source_record_key || n) & 511)),
	   1000 + (hashtext(r.source_record_key || 'amount' || n) & 32767),
	   CASE WHEN r.country_code = 'GB' THEN 'GBP' ELSE 'JPY' END
  FROM cdp.source_records r,
	   generate_series(1, 1 + (hashtext(r.source_record_key) & 7)) AS n;
SELECT count(*) AS orders, count(DISTINCT record_id) AS buying_records,
	   min(occurred_at)::date AS first_order, max(occurred_at)::date AS last_order
  FROM cdp.events;

\echo
\echo '== 4. Record consent decisions in the append-only ledger'
CREATE TEMP TABLE demo_consents (source_key text, source_record_key text, purpose text, decision text,
								 legal_basis text, collected_at timestamptz, expires_at timestamptz);
\copy demo_consents FROM 'test/data/demo/consents.csv' WITH (FORMAT csv, HEADER true)
\copy demo_consents FROM 'test/data/demo/consents_generated.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO cdp.consent_events (record_id, purpose, decision, legal_basis, source_id, collected_at, expires_at)
SELECT r.record_id, c.purpose, c.decision, c.legal_basis, r.source_id, c.collected_at, c.expires_at
  FROM demo_consents c
  JOIN cdp.sources s USING (source_key)
  JOIN cdp.source_records r ON r.source_id = s.source_id AND r.source_record_key = c.source_record_key;
SELECT purpose, decision, count(*) AS events
  FROM cdp.consent_events GROUP BY 1, 2 ORDER BY 1, 2;

\echo
\echo '   The ledger is append-only: a correction is a new event, never an edit.'
\set ON_ERROR_STOP 0
UPDATE cdp.consent_events SET decision = 'granted' WHERE decision = 'withdrawn';
\set ON_ERROR_STOP 1

\echo
\echo '== 5. Resolve identities: shared identifiers link deterministically, a trained'
\echo '      Fellegi-Sunter rule links records that share none (cdp.resolve)'
\echo '   The rule is cdp.default_probabilistic_rule() as cdp.train_probabilistic_rule trained it'
\echo '   on 7,510 generated Japanese records (test/data/demo/people_model.json): a few hundred'
\echo '   records are too few to estimate it from, so it was trained once and is loaded as data.'
\set people_model `cat test/data/demo/people_model.json`
INSERT INTO cdp.match_rules (rule_name, rule_type, threshold, definition)
VALUES ('people', 'probabilistic', 2, :'people_model'::jsonb);
SELECT c ->> 'name' AS comparison, jsonb_array_length(c -> 'levels') AS levels
  FROM cdp.match_rules, jsonb_array_elements(definition -> 'comparisons') AS c
 WHERE rule_name = 'people';
SELECT records, profiles_created, profiles_merged FROM cdp.resolve(NULL);
SELECT count(*) AS records,
	   count(DISTINCT profile_id) AS profiles,
	   round(count(*)::numeric / count(DISTINCT profile_id), 2) AS records_per_profile
  FROM cdp.source_records;

\echo
\echo '   Ichiro Takahashi arrived four times (kanji, hiragana, half-width kana, romaji): one profile'
SELECT r.profile_id, s.source_key AS source, r.source_record_key AS key,
	   coalesce(concat_ws(' ', r.family_name, r.given_name), '') AS name,
	   concat_ws(' ', r.family_name_kana, r.given_name_kana) AS kana, r.name_romaji AS romaji
  FROM cdp.source_records r JOIN cdp.sources s USING (source_id)
 WHERE r.profile_id = (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'C-0001')
 ORDER BY r.record_id;

\echo
\echo '   Its golden record: each attribute from the most trusted, most recent, most complete record'
SELECT p.profile_id, p.family_name, p.given_name, p.family_name_kana, p.given_name_kana,
	   p.email, p.phone, p.birth_date, p.record_count
  FROM cdp.profiles p
 WHERE p.profile_id = (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'C-0001');

\echo
\echo '   Misaki Watanabe signed up at the shop again with a new e-mail address and no phone:'
\echo '   no identifier is shared, the probabilistic rule links her (cdp.explain_link says why)'
SELECT comparison, level_name, value_a, value_b, round(weight::numeric, 2) AS weight,
	   round(total_weight::numeric, 2) AS total, threshold, passes
  FROM cdp.explain_link((SELECT record_id FROM cdp.source_records WHERE source_record_key = 'C-0002'),
						(SELECT record_id FROM cdp.source_records WHERE source_record_key = 'S-1010'), 'people');
SELECT r.source_record_key AS key, concat_ws(' ', r.family_name, r.given_name) AS name, r.email, r.profile_id
  FROM cdp.source_records r
 WHERE r.source_record_key IN ('C-0002', 'S-1002', 'A-9002', 'S-1010')
 ORDER BY r.record_id;

\echo
\echo '   What must not merge did not: Taro and Hanako Tanaka share a landline (a household),'
\echo '   and two Ichiro Suzukis share nothing but a name and a placeholder e-mail'
SELECT r.source_record_key AS key, concat_ws(' ', r.family_name, r.given_name) AS name,
	   r.phone, r.email, r.profile_id
  FROM cdp.source_records r
 WHERE r.source_record_key IN ('C-0007', 'C-0008', 'P-5009', 'S-1009')
 ORDER BY r.source_record_key;

\echo
\echo '   Every membership change is in the merge log'
SELECT action, count(*) AS entries, sum(cardinality(record_ids)) AS records
  FROM cdp.merge_log GROUP BY action ORDER BY action;

\echo
\echo '== 6. Score RFM per profile: orders of all sources count for the person (cdp.rfm_refresh)'
SELECT cdp.rfm_refresh('2026-10-31') AS profiles_scored;
SELECT segment, profiles, revenue, round(profile_share, 3) AS profile_share,
	   round(revenue_share, 3) AS revenue_share
  FROM cdp.rfm_snapshot_summary
 WHERE as_of = '2026-10-31' AND profiles > 0
 ORDER BY revenue DESC;
SELECT s.profile_id, s.rfm, s.segment, s.frequency, s.monetary
  FROM cdp.rfm_snapshots s
 WHERE s.as_of = '2026-10-31'
   AND s.profile_id = (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'C-0001');

\echo
\echo '== 7. Query under consent: each role sees only the people who consented to its purpose'
SELECT count(*) AS all_profiles FROM cdp.profiles WHERE status = 'active';
SET ROLE cdp_analyst;
SET cdp.purpose = 'analytics';
\echo '   an analyst, for analytics:'
SELECT count(*) AS visible_profiles FROM cdp.profiles;
SELECT segment, profiles, revenue FROM cdp.rfm_snapshot_summary
 WHERE as_of = '2026-10-31' AND profiles > 0 ORDER BY revenue DESC;
\echo '   the analyst may not act for e-mail marketing (42501):'
\set ON_ERROR_STOP 0
SET cdp.purpose = 'email_marketing';
\set ON_ERROR_STOP 1
RESET cdp.purpose;
\echo '   no purpose, no personal rows:'
SELECT count(*) AS visible_profiles FROM cdp.profiles;
RESET ROLE;
SET ROLE cdp_marketer;
SET cdp.purpose = 'email_marketing';
\echo '   a marketer, for e-mail marketing: Ichiro Takahashi granted it at the CRM in 2025 and'
\echo '   withdrew it at the shop in 2026; his records are one profile now, the withdrawal stands'
SELECT count(*) AS visible_profiles,
	   count(*) FILTER (WHERE email = 'ichiro.takahashi@example.jp') AS ichiro
  FROM cdp.profiles;
RESET cdp.purpose;
RESET ROLE;
SELECT purpose, state, allowed
  FROM cdp.consent_state
 WHERE profile_id = (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'C-0001')
 ORDER BY purpose;

\echo
\echo '== 8. Data-subject requests: export a person, erase another, refuse their re-ingestion'
SELECT key AS exported, jsonb_typeof(value) AS holds,
	   CASE jsonb_typeof(value) WHEN 'array' THEN jsonb_array_length(value) END AS rows
  FROM jsonb_each(cdp.export_person(
		   (SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'C-0006')) -> 'data')
 ORDER BY key;
SELECT key AS erased, value AS count
  FROM jsonb_each(cdp.erase_person((SELECT profile_id FROM cdp.source_records WHERE source_record_key = 'C-0006'))
				  -> 'rows')
 WHERE value::int > 0
 ORDER BY key;
SELECT count(*) AS records_left FROM cdp.source_records WHERE email = 'anna.smith@example.com';
\echo '   the same address, written differently, comes back from a source: refused'
\set ON_ERROR_STOP 0
INSERT INTO cdp.source_records (source_id, source_record_key, email)
SELECT source_id, 'S-9999', 'Anna.Smith@Example.com' FROM cdp.sources WHERE source_key = 'shop';
\set ON_ERROR_STOP 1
SELECT request_id, kind, outcome, acting_role FROM cdp.dsr_requests ORDER BY request_id;
SELECT action, count(*) AS audit_rows FROM cdp.audit_log GROUP BY action ORDER BY action;
