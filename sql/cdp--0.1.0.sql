/*
 * cdp--0.1.0.sql
 *	  The profile schema of cdp, version 0.1.0: where customer data from
 *	  every source lands, how records become profiles, the events that RFM
 *	  scores and the consent ledger that row access honours.
 *
 * Conventions of every cdp script:
 *	- the extension sits in pg_catalog (like pg_cron), its objects in schema
 *	  cdp, which the script creates;
 *	- every name is schema-qualified; the objects live in schema cdp;
 *	- surrogate keys are bigint identities, natural keys get UNIQUE;
 *	- tables that hold user data are registered with
 *	  pg_extension_config_dump so that pg_dump keeps their rows; tables
 *	  seeded here mark their seed rows "builtin" and dump only the rest;
 *	- a customised copy of a seed row overwrites the seed on restore (see
 *	  cdp._replace_builtin_row).
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cdp" to load this file. \quit

/*
 * The schema is created here, not named in cdp.control, so that it belongs
 * to the extension: CREATE EXTENSION refuses to reuse a schema somebody else
 * created (and may have planted objects in), and DROP EXTENSION removes it.
 */
CREATE SCHEMA cdp;
GRANT USAGE ON SCHEMA cdp TO PUBLIC;
COMMENT ON SCHEMA cdp IS 'cdp: customer data platform (profiles, identity resolution, RFM, consent)';

/* ------------------------------------------------------------------------
 * The library
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.library_version() RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_library_version'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.library_version() IS 'version of the loaded cdp shared library';

CREATE FUNCTION cdp.icu_version() RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_icu_version'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.icu_version() IS 'version of the ICU library that cdp normalises text with';

/* ------------------------------------------------------------------------
 * Trigger functions shared by the tables below
 * ---------------------------------------------------------------------- */

-- keep updated_at current on every UPDATE
CREATE FUNCTION cdp._touch_updated_at() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.updated_at := pg_catalog.now();
	RETURN NEW;
END
$$;

/*
 * A seed row changed by the user is no longer "builtin", so pg_dump keeps it.
 */
CREATE FUNCTION cdp._mark_customised() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.builtin AND OLD.builtin
		AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) 'builtin')
			OPERATOR(pg_catalog.<>) (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) 'builtin')
	THEN
		NEW.builtin := false;
	END IF;
	RETURN NEW;
END
$$;

/*
 * Inserting a row whose key equals a seed row's overwrites the seed row with
 * the new values (and skips the insert).  This is what makes pg_restore work:
 * CREATE EXTENSION seeds the table, then the dumped, customised copy of that
 * row arrives.  Updating in place, not deleting, keeps rows that reference
 * the seed.  TG_ARGV names the key columns; names are quoted with %I.
 */
CREATE FUNCTION cdp._replace_builtin_row() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	columns		text;
	new_values	text;
	key_matches text;
	replaced	bigint;
BEGIN
	SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum),
		   string_agg(format('($1).%I', a.attname), ', ' ORDER BY a.attnum)
	  INTO columns, new_values
	  FROM pg_catalog.pg_attribute a
	 WHERE a.attrelid OPERATOR(pg_catalog.=) TG_RELID
	   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
	   AND a.attidentity OPERATOR(pg_catalog.=) '' AND a.attgenerated OPERATOR(pg_catalog.=) '';
	SELECT string_agg(format('%I OPERATOR(pg_catalog.=) ($1).%I', k, k), ' AND ')
	  INTO key_matches
	  FROM unnest(TG_ARGV) AS k;
	EXECUTE format('UPDATE %I.%I SET (%s) = ROW(%s) WHERE %s AND builtin',
				   TG_TABLE_SCHEMA, TG_TABLE_NAME, columns, new_values, key_matches)
	USING NEW;
	GET DIAGNOSTICS replaced = ROW_COUNT;
	IF replaced OPERATOR(pg_catalog.>) 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;

/* ------------------------------------------------------------------------
 * Sources: the systems customer data comes from
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.sources (
	source_id		integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_key		text NOT NULL UNIQUE
		CONSTRAINT sources_source_key_format CHECK (source_key ~ '^[a-z][a-z0-9_]{0,62}$'),
	display_name	text NOT NULL
		CONSTRAINT sources_display_name_not_blank CHECK (btrim(display_name) <> ''),
	kind			text NOT NULL DEFAULT 'other'
		CONSTRAINT sources_kind_known CHECK (kind IN ('crm', 'ecommerce', 'pos', 'app', 'web',
													  'call_centre', 'email', 'loyalty', 'import', 'other')),
	trust_rank		smallint NOT NULL DEFAULT 50
		CONSTRAINT sources_trust_rank_range CHECK (trust_rank BETWEEN 0 AND 100),
	description		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cdp.sources IS 'systems that send customer data (CRM, e-commerce, POS, app, call centre, ...)';
COMMENT ON COLUMN cdp.sources.source_key IS 'stable short name used by loaders, e.g. ''crm''';
COMMENT ON COLUMN cdp.sources.trust_rank IS '0-100: how far golden-record survivorship trusts this source; higher wins';

CREATE TRIGGER sources_touch BEFORE UPDATE ON cdp.sources
	FOR EACH ROW EXECUTE FUNCTION cdp._touch_updated_at();

/* ------------------------------------------------------------------------
 * Profiles: one row per real person, with a stable id
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.profiles (
	profile_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	status			text NOT NULL DEFAULT 'active'
		CONSTRAINT profiles_status_known CHECK (status IN ('active', 'merged', 'erased')),
	-- a profile merged into an older one keeps its id and points at the survivor
	merged_into		bigint
		CONSTRAINT profiles_merged_into_not_self CHECK (merged_into <> profile_id),
	-- golden record: the attributes survivorship chose from the member records
	family_name		text,
	given_name		text,
	family_name_kana text,
	given_name_kana text,
	name_romaji		text,
	email			text,
	phone			text,
	birth_date		date,
	postal_code		text,
	country_code	text
		CONSTRAINT profiles_country_code_format CHECK (country_code ~ '^[A-Z]{2}$'),
	region			text,
	locality		text,
	address_line1	text,
	address_line2	text,
	attributes		jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT profiles_attributes_object CHECK (jsonb_typeof(attributes) = 'object'),
	record_count	integer NOT NULL DEFAULT 0
		CONSTRAINT profiles_record_count_nonnegative CHECK (record_count >= 0),
	golden_updated_at timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT profiles_merged_has_target CHECK ((status = 'merged') = (merged_into IS NOT NULL))
);
COMMENT ON TABLE cdp.profiles IS 'unified customer profiles (one per real person) and their golden record';
COMMENT ON COLUMN cdp.profiles.merged_into IS 'for a merged profile: the surviving profile (ids are never reused)';

CREATE INDEX profiles_merged_into_idx ON cdp.profiles (merged_into) WHERE merged_into IS NOT NULL;

CREATE TRIGGER profiles_touch BEFORE UPDATE ON cdp.profiles
	FOR EACH ROW EXECUTE FUNCTION cdp._touch_updated_at();

/* ------------------------------------------------------------------------
 * Source records: one row per customer record received from a source
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.source_records (
	record_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id		integer NOT NULL REFERENCES cdp.sources (source_id),
	source_record_key text NOT NULL
		CONSTRAINT source_records_key_length CHECK (length(source_record_key) BETWEEN 1 AND 256),
	-- the profile this record belongs to; NULL until resolved
	profile_id		bigint REFERENCES cdp.profiles (profile_id),
	full_name		text,
	family_name		text,
	given_name		text,
	family_name_kana text,
	given_name_kana text,
	name_romaji		text,
	email			text,
	phone			text,
	birth_date		date
		CONSTRAINT source_records_birth_date_plausible CHECK (birth_date >= DATE '1850-01-01'),
	postal_code		text,
	country_code	text
		CONSTRAINT source_records_country_code_format CHECK (country_code ~ '^[A-Z]{2}$'),
	region			text,
	locality		text,
	address_line1	text,
	address_line2	text,
	attributes		jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT source_records_attributes_object CHECK (jsonb_typeof(attributes) = 'object'),
	source_updated_at timestamptz,
	received_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	linked_at		timestamptz,
	CONSTRAINT source_records_source_key_unique UNIQUE (source_id, source_record_key)
);
COMMENT ON TABLE cdp.source_records IS 'customer records as received from each source, one row per source record';
COMMENT ON COLUMN cdp.source_records.source_record_key IS 'the record''s id in its source system';
COMMENT ON COLUMN cdp.source_records.profile_id IS 'profile the record is linked to (NULL until resolved)';
COMMENT ON COLUMN cdp.source_records.name_romaji IS 'name in Latin letters as the source gave it (any order)';
COMMENT ON COLUMN cdp.source_records.region IS 'prefecture, state or province';
COMMENT ON COLUMN cdp.source_records.locality IS 'city, ward, town or suburb';

CREATE INDEX source_records_profile_idx ON cdp.source_records (profile_id);

CREATE TRIGGER source_records_touch BEFORE UPDATE ON cdp.source_records
	FOR EACH ROW EXECUTE FUNCTION cdp._touch_updated_at();

/* ------------------------------------------------------------------------
 * Identifiers: normalised identifying values of each record
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.identifier_kinds (
	kind			text PRIMARY KEY
		CONSTRAINT identifier_kinds_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
	description		text,
	-- lower links first and wins conflicts
	priority		smallint NOT NULL DEFAULT 100
		CONSTRAINT identifier_kinds_priority_range CHECK (priority BETWEEN 0 AND 1000),
	-- two different values of this kind never end up in one profile
	one_per_person	boolean NOT NULL DEFAULT false,
	-- at most this many distinct values per profile (NULL: no limit)
	max_per_profile integer
		CONSTRAINT identifier_kinds_max_per_profile_positive CHECK (max_per_profile > 0),
	-- a value shared by more records than this is junk and links nothing (NULL: no cap)
	max_records_per_value integer
		CONSTRAINT identifier_kinds_max_records_positive CHECK (max_records_per_value > 0),
	-- whether equal values link records deterministically
	links			boolean NOT NULL DEFAULT true,
	builtin			boolean NOT NULL DEFAULT false,
	CONSTRAINT identifier_kinds_one_per_person_limit
		CHECK (NOT one_per_person OR max_per_profile IS NULL OR max_per_profile = 1)
);
COMMENT ON TABLE cdp.identifier_kinds IS 'kinds of identifier (email, phone, loyalty id, ...) and their linking rules';

INSERT INTO cdp.identifier_kinds
	(kind, description, priority, one_per_person, max_per_profile, max_records_per_value, links, builtin)
VALUES
	('crm_id', 'customer id in the CRM', 10, true, 1, NULL, true, true),
	('loyalty_id', 'loyalty or membership card number', 20, true, 1, NULL, true, true),
	('email', 'e-mail address', 30, false, 5, 20, true, true),
	('phone', 'telephone number (E.164)', 40, false, 5, 10, true, true),
	('device_id', 'mobile device or advertising id', 50, false, 20, 10, true, true),
	('cookie_id', 'first-party web cookie id', 60, false, NULL, 5, true, true);

CREATE TRIGGER identifier_kinds_customised BEFORE UPDATE ON cdp.identifier_kinds
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER identifier_kinds_replace_builtin BEFORE INSERT ON cdp.identifier_kinds
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('kind');

CREATE TABLE cdp.identifiers (
	record_id		bigint NOT NULL REFERENCES cdp.source_records (record_id) ON DELETE CASCADE,
	-- copy of the record's profile, kept in step by resolution
	profile_id		bigint REFERENCES cdp.profiles (profile_id),
	kind			text NOT NULL REFERENCES cdp.identifier_kinds (kind) ON UPDATE CASCADE,
	value			text NOT NULL
		CONSTRAINT identifiers_value_not_blank CHECK (btrim(value) <> ''),
	raw_value		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT identifiers_pkey PRIMARY KEY (record_id, kind, value)
);
COMMENT ON TABLE cdp.identifiers IS 'normalised identifying values (kind + value) of each source record';
COMMENT ON COLUMN cdp.identifiers.value IS 'normalised value; equal values of a linking kind link records';
COMMENT ON COLUMN cdp.identifiers.raw_value IS 'the value as the source sent it';

/*
 * A record's value is its own key (no surrogate id: a batch writes a
 * million rows, and each index costs every one of them).  Values are only
 * ever looked up by equality (who else holds this e-mail address?), which a
 * hash index answers without comparing strings; the kind is checked on the
 * row.
 */
CREATE INDEX identifiers_value_idx ON cdp.identifiers USING hash (value);
CREATE INDEX identifiers_profile_idx ON cdp.identifiers (profile_id);

CREATE TABLE cdp.blocked_identifiers (
	kind			text NOT NULL REFERENCES cdp.identifier_kinds (kind) ON UPDATE CASCADE ON DELETE CASCADE,
	value			text NOT NULL,
	reason			text,
	builtin			boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (kind, value)
);
COMMENT ON TABLE cdp.blocked_identifiers IS 'normalised identifier values that never link records (placeholders, test data)';

INSERT INTO cdp.blocked_identifiers (kind, value, reason, builtin)
VALUES
	('email', 'test@example.com', 'documentation placeholder', true),
	('email', 'noreply@example.com', 'documentation placeholder', true),
	('email', 'none@none.com', 'placeholder typed when no address is known', true),
	('email', 'no@email.com', 'placeholder typed when no address is known', true),
	('phone', '+810000000000', 'placeholder typed when no number is known', true),
	('phone', '+819000000000', 'placeholder typed when no number is known', true),
	('phone', '+811234567890', 'placeholder typed when no number is known', true);

CREATE TRIGGER blocked_identifiers_customised BEFORE UPDATE ON cdp.blocked_identifiers
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER blocked_identifiers_replace_builtin BEFORE INSERT ON cdp.blocked_identifiers
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('kind', 'value');

/* ------------------------------------------------------------------------
 * Match rules and the merge log
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.match_rules (
	rule_id			integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	rule_name		text NOT NULL UNIQUE
		CONSTRAINT match_rules_name_format CHECK (rule_name ~ '^[a-z][a-z0-9_]{0,62}$'),
	rule_type		text NOT NULL
		CONSTRAINT match_rules_type_known CHECK (rule_type IN ('deterministic', 'probabilistic', 'blocking')),
	-- lower runs first
	priority		smallint NOT NULL DEFAULT 100,
	enabled			boolean NOT NULL DEFAULT true,
	definition		jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT match_rules_definition_object CHECK (jsonb_typeof(definition) = 'object'),
	-- minimum match weight (probabilistic rules)
	threshold		double precision,
	description		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cdp.match_rules IS 'rules that link source records: deterministic, probabilistic and blocking';

CREATE TRIGGER match_rules_touch BEFORE UPDATE ON cdp.match_rules
	FOR EACH ROW EXECUTE FUNCTION cdp._touch_updated_at();

CREATE TABLE cdp.merge_log (
	merge_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	action			text NOT NULL
		CONSTRAINT merge_log_action_known CHECK (action IN ('link', 'merge', 'unmerge', 'split', 'erase')),
	-- the profile that received (or, for unmerge/split, gave up) records
	profile_id		bigint NOT NULL,
	-- the other profile: the absorbed one for merge, the new one for unmerge/split
	other_profile_id bigint,
	record_ids		bigint[] NOT NULL DEFAULT '{}',
	rule_id			integer REFERENCES cdp.match_rules (rule_id) ON DELETE SET NULL,
	match_weight	double precision,
	details			jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT merge_log_details_object CHECK (jsonb_typeof(details) = 'object'),
	-- the unmerge that undid this entry, if any
	reverted_by		bigint,
	performed_at	timestamptz NOT NULL DEFAULT now(),
	performed_by	name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cdp.merge_log IS 'every change of record-to-profile membership: which records, which rule, what weight, when, who';

CREATE INDEX merge_log_profile_idx ON cdp.merge_log (profile_id, performed_at);
CREATE INDEX merge_log_other_profile_idx ON cdp.merge_log (other_profile_id) WHERE other_profile_id IS NOT NULL;

/* ------------------------------------------------------------------------
 * Events: orders, refunds, visits and whatever else sources report
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.events (
	event_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id		integer NOT NULL REFERENCES cdp.sources (source_id),
	-- the event's id in its source, for idempotent loading (optional)
	source_event_key text
		CONSTRAINT events_source_event_key_length CHECK (length(source_event_key) BETWEEN 1 AND 256),
	record_id		bigint REFERENCES cdp.source_records (record_id) ON DELETE SET NULL,
	-- copy of the record's profile, kept in step by resolution
	profile_id		bigint REFERENCES cdp.profiles (profile_id),
	event_type		text NOT NULL
		CONSTRAINT events_event_type_format CHECK (event_type ~ '^[a-z][a-z0-9_]{0,62}$'),
	occurred_at		timestamptz NOT NULL,
	-- money is never negative: a refund is an event of type 'refund'
	amount			numeric(18, 4)
		CONSTRAINT events_amount_nonnegative CHECK (amount >= 0),
	currency		text
		CONSTRAINT events_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
	quantity		integer
		CONSTRAINT events_quantity_nonnegative CHECK (quantity >= 0),
	properties		jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT events_properties_object CHECK (jsonb_typeof(properties) = 'object'),
	received_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT events_amount_has_currency CHECK (amount IS NULL OR currency IS NOT NULL),
	CONSTRAINT events_source_event_key_unique UNIQUE (source_id, source_event_key)
);
COMMENT ON TABLE cdp.events IS 'customer events and transactions (orders, refunds, visits, ...)';
COMMENT ON COLUMN cdp.events.amount IS 'monetary value, never negative; refunds are events of type ''refund''';
COMMENT ON COLUMN cdp.events.currency IS 'ISO 4217 code, required when amount is given';

CREATE INDEX events_profile_time_idx ON cdp.events (profile_id, occurred_at);
CREATE INDEX events_record_idx ON cdp.events (record_id);

/* ------------------------------------------------------------------------
 * Purposes and the consent ledger
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.purposes (
	purpose			text PRIMARY KEY
		CONSTRAINT purposes_purpose_format CHECK (purpose ~ '^[a-z][a-z0-9_]{0,62}$'),
	name_en			text NOT NULL,
	name_ja			text,
	description_en	text,
	description_ja	text,
	builtin			boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cdp.purposes IS 'purposes personal data may be processed for; consent is given per purpose';

INSERT INTO cdp.purposes (purpose, name_en, name_ja, description_en, description_ja, builtin)
VALUES
	('email_marketing', 'E-mail marketing', 'メールマーケティング',
	 'sending newsletters and offers by e-mail', 'メールによるニュースレター・キャンペーンの配信', true),
	('analytics', 'Analytics', '分析',
	 'measuring and analysing customer behaviour', '顧客行動の計測と分析', true),
	('personalisation', 'Personalisation', 'パーソナライズ',
	 'tailoring content and recommendations to the person', 'コンテンツやおすすめの個人最適化', true),
	('third_party_sharing', 'Third-party sharing', '第三者提供',
	 'sharing personal data with partners', 'パートナー企業への個人データの提供', true);

CREATE TRIGGER purposes_customised BEFORE UPDATE ON cdp.purposes
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER purposes_replace_builtin BEFORE INSERT ON cdp.purposes
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('purpose');

CREATE TABLE cdp.consent_events (
	consent_event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- the consent was given on this record, or directly for a profile
	record_id		bigint REFERENCES cdp.source_records (record_id),
	profile_id		bigint REFERENCES cdp.profiles (profile_id),
	purpose			text NOT NULL REFERENCES cdp.purposes (purpose) ON UPDATE CASCADE,
	decision		text NOT NULL
		CONSTRAINT consent_events_decision_known CHECK (decision IN ('granted', 'withdrawn')),
	legal_basis		text NOT NULL DEFAULT 'consent'
		CONSTRAINT consent_events_legal_basis_known
		CHECK (legal_basis IN ('consent', 'contract', 'legal_obligation', 'vital_interests',
							   'public_task', 'legitimate_interests')),
	source_id		integer REFERENCES cdp.sources (source_id),
	collected_at	timestamptz NOT NULL,
	expires_at		timestamptz,
	evidence		jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT consent_events_evidence_object CHECK (jsonb_typeof(evidence) = 'object'),
	recorded_at		timestamptz NOT NULL DEFAULT now(),
	recorded_by		name NOT NULL DEFAULT current_user,
	CONSTRAINT consent_events_has_subject CHECK (record_id IS NOT NULL OR profile_id IS NOT NULL),
	CONSTRAINT consent_events_expiry_after_collection CHECK (expires_at > collected_at),
	CONSTRAINT consent_events_only_grants_expire CHECK (decision = 'granted' OR expires_at IS NULL)
);
COMMENT ON TABLE cdp.consent_events IS 'append-only consent ledger: every grant and withdrawal, per person and purpose';
COMMENT ON COLUMN cdp.consent_events.collected_at IS 'when the person made the decision';
COMMENT ON COLUMN cdp.consent_events.recorded_at IS 'when cdp stored it';

CREATE INDEX consent_events_record_idx ON cdp.consent_events (record_id, purpose, collected_at);
CREATE INDEX consent_events_profile_idx ON cdp.consent_events (profile_id, purpose, collected_at);

/*
 * The ledger is append-only: decisions are never edited or removed, a new
 * event supersedes an old one.
 */
CREATE FUNCTION cdp._consent_ledger_append_only() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'the consent ledger is append-only'
		USING ERRCODE = 'insufficient_privilege',
			  DETAIL = pg_catalog.format('%s on cdp.consent_events is not allowed.', TG_OP),
			  HINT = 'Record a new consent event that supersedes the old one.';
END
$$;

CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON cdp.consent_events
	FOR EACH ROW EXECUTE FUNCTION cdp._consent_ledger_append_only();
CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON cdp.consent_events
	FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_ledger_append_only();

/* ------------------------------------------------------------------------
 * pg_dump: the rows users put in cdp's tables are dumped with the database
 * ---------------------------------------------------------------------- */

SELECT pg_catalog.pg_extension_config_dump('cdp.sources', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.sources_source_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.profiles', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.profiles_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.source_records', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.source_records_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.identifier_kinds', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.identifiers', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.blocked_identifiers', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.match_rules', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.match_rules_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.merge_log', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.merge_log_merge_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.events', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.purposes', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_events', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_events_consent_event_id_seq', '');
