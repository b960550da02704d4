/*
 * cdp--0.5.0--0.6.0.sql
 *	  Upgrade from 0.5.0 to 0.6.0: identity resolution.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.6.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * Identity resolution: tables
 * ---------------------------------------------------------------------- */

-- identifiers that extraction wrote (replaced when the record changes);
-- rows a loader inserts itself keep false and are never touched
ALTER TABLE cdp.identifiers ADD COLUMN extracted boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN cdp.identifiers.extracted IS 'written by cdp.extract_identifiers (replaced when the record changes)';

/*
 * Resolution rewrites the profile id of the identifier rows of every record
 * that changes profile (a merge, or a batch over records a loader gave
 * identifiers of their own).  With no index on identifiers.profile_id that
 * write is a heap-only (HOT) update wherever the row's page has room for
 * the new version: no new entries in the other indexes, several times
 * cheaper.  Pages are therefore filled only half by inserts.  A profile's
 * identifiers are those of its records (source_records_profile_idx, then
 * the primary key (record_id, kind, value)); resolution keeps
 * identifiers.profile_id equal to their record's.
 */
DROP INDEX cdp.identifiers_profile_idx;
ALTER TABLE cdp.identifiers SET (fillfactor = 50);

/*
 * A linking value held by records that evidently belong to different people
 * (two holders whose given names are both known and differ) is shared, like
 * a value over its kind's frequency cap: it links nothing deterministically.
 * On for the seeded phone and e-mail kinds (a family's landline or mailbox);
 * the one_per_person kinds never need it.  The seed rows keep builtin, so
 * the customised-row trigger is off while they are set.
 */
ALTER TABLE cdp.identifier_kinds ADD COLUMN shared_by_household_check boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN cdp.identifier_kinds.shared_by_household_check IS
	'a value held by records with different given names (kana readings, else normalised names) links nothing';
ALTER TABLE cdp.identifier_kinds DISABLE TRIGGER identifier_kinds_customised;
UPDATE cdp.identifier_kinds SET shared_by_household_check = true WHERE kind IN ('phone', 'email');
ALTER TABLE cdp.identifier_kinds ENABLE TRIGGER identifier_kinds_customised;

CREATE TABLE cdp.identifier_rejects (
	record_id		bigint NOT NULL REFERENCES cdp.source_records (record_id) ON DELETE CASCADE,
	kind			text NOT NULL REFERENCES cdp.identifier_kinds (kind) ON UPDATE CASCADE ON DELETE CASCADE,
	raw_value		text NOT NULL,
	reason			text NOT NULL,
	rejected_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (record_id, kind, raw_value)
);
COMMENT ON TABLE cdp.identifier_rejects IS 'raw identifier values extraction skipped because they cannot be normalised, and why';

CREATE TABLE cdp.link_exclusions (
	record_a		bigint NOT NULL REFERENCES cdp.source_records (record_id) ON DELETE CASCADE,
	record_b		bigint NOT NULL REFERENCES cdp.source_records (record_id) ON DELETE CASCADE,
	-- the unmerge or split that asked for it
	merge_id		bigint,
	created_at		timestamptz NOT NULL DEFAULT now(),
	created_by		name NOT NULL DEFAULT current_user,
	PRIMARY KEY (record_a, record_b),
	CONSTRAINT link_exclusions_ordered CHECK (record_a < record_b)
);
COMMENT ON TABLE cdp.link_exclusions IS 'pairs of records that resolution must never put in one profile (manual unmerge and split)';
CREATE INDEX link_exclusions_record_b_idx ON cdp.link_exclusions (record_b);

CREATE TABLE cdp.survivorship_rules (
	attribute		text PRIMARY KEY
		CONSTRAINT survivorship_rules_attribute_known
		CHECK (attribute IN ('family_name', 'given_name', 'family_name_kana', 'given_name_kana',
							 'name_romaji', 'email', 'phone', 'birth_date', 'postal_code',
							 'country_code', 'region', 'locality', 'address_line1', 'address_line2')),
	-- criteria in order; the first that differs between two values decides
	criteria		text[] NOT NULL DEFAULT '{trust,recency,completeness}'
		CONSTRAINT survivorship_rules_criteria_known
		CHECK (criteria <@ '{trust,recency,completeness}'::text[] AND cardinality(criteria) >= 1),
	builtin			boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE cdp.survivorship_rules IS 'golden record: how each profile attribute is chosen among the member records';

INSERT INTO cdp.survivorship_rules (attribute, builtin)
SELECT a, true
  FROM pg_catalog.unnest(ARRAY['family_name', 'given_name', 'family_name_kana', 'given_name_kana',
							   'name_romaji', 'email', 'phone', 'birth_date', 'postal_code',
							   'country_code', 'region', 'locality', 'address_line1', 'address_line2']) a;
-- contact details: the newest wins over the most trusted
UPDATE cdp.survivorship_rules SET criteria = '{recency,trust,completeness}', builtin = true
 WHERE attribute OPERATOR(pg_catalog.=) ANY (ARRAY['email', 'phone']);

CREATE TRIGGER survivorship_rules_customised BEFORE UPDATE ON cdp.survivorship_rules
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER survivorship_rules_replace_builtin BEFORE INSERT ON cdp.survivorship_rules
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('attribute');
-- also in a restore with session_replication_role = replica (pg_restore -j)
ALTER TABLE cdp.survivorship_rules ENABLE ALWAYS TRIGGER survivorship_rules_replace_builtin;

CREATE TABLE cdp.profile_overrides (
	profile_id		bigint NOT NULL REFERENCES cdp.profiles (profile_id) ON DELETE CASCADE,
	attribute		text NOT NULL REFERENCES cdp.survivorship_rules (attribute),
	value			text,
	set_at			timestamptz NOT NULL DEFAULT now(),
	set_by			name NOT NULL DEFAULT current_user,
	PRIMARY KEY (profile_id, attribute)
);
COMMENT ON TABLE cdp.profile_overrides IS 'golden-record values a user set by hand; they win over every source';
-- personal data: consent's row-level security applies
SELECT cdp._protect_personal_table('cdp.profile_overrides');

/*
 * Rejected raw values are personal data of records not yet (or never)
 * resolved, with no profile to ask consent of: like unresolved records,
 * they are for cdp_admin and cdp_steward only, whatever the purpose.
 */
ALTER TABLE cdp.identifier_rejects ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdp.identifier_rejects FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_all ON cdp.identifier_rejects TO cdp_admin USING (true) WITH CHECK (true);
CREATE POLICY steward_read ON cdp.identifier_rejects FOR SELECT TO cdp_steward USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON cdp.identifier_rejects TO cdp_admin;
GRANT SELECT ON cdp.identifier_rejects TO cdp_steward;

SELECT pg_catalog.pg_extension_config_dump('cdp.identifier_rejects', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.link_exclusions', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.survivorship_rules', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.profile_overrides', '');

/* ------------------------------------------------------------------------
 * Identity resolution: identifier extraction
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._normalize_identifier(kind pg_catalog.text, raw pg_catalog.text,
										  OUT value pg_catalog.text, OUT reason pg_catalog.text)
	AS 'MODULE_PATHNAME', 'cdp_normalize_identifier'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp._normalize_identifier(pg_catalog.text, pg_catalog.text) IS
	'internal: the stored value of a raw identifier, or why it cannot be one';

/*
 * Extract the identifiers of the given records (NULL: every record that is
 * new or changed since it was last resolved): the e-mail and phone columns
 * and every key of attributes named like an identifier kind (a string, a
 * number or an array of them).  Earlier extracted rows of those records are
 * replaced; rows a loader inserted itself stay.  Values that cannot be
 * normalised go to cdp.identifier_rejects instead of failing.
 */
/*
 * The raw identifier values of one record, by kind: its e-mail and phone
 * columns and every key of attributes named like an identifier kind (a
 * string, a number or an array of them).  Plain SQL without settings, so
 * that the planner inlines it into extraction's statements.
 */
CREATE FUNCTION cdp._identifier_candidates(email pg_catalog.text, phone pg_catalog.text,
										   attributes pg_catalog.jsonb)
	RETURNS TABLE (kind pg_catalog.text, raw pg_catalog.text)
	LANGUAGE sql STABLE
AS $$
	SELECT 'email'::pg_catalog.text, email
	 WHERE email IS NOT NULL
	   AND EXISTS (SELECT 1 FROM cdp.identifier_kinds k WHERE k.kind OPERATOR(pg_catalog.=) 'email')
	UNION ALL
	SELECT 'phone'::pg_catalog.text, phone
	 WHERE phone IS NOT NULL
	   AND EXISTS (SELECT 1 FROM cdp.identifier_kinds k WHERE k.kind OPERATOR(pg_catalog.=) 'phone')
	UNION ALL
	SELECT k.kind, v.raw
	  FROM pg_catalog.jsonb_each(attributes) e(key, value)
	  JOIN cdp.identifier_kinds k ON k.kind OPERATOR(pg_catalog.=) e.key
	 CROSS JOIN LATERAL (
			SELECT e.value OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[]
			 WHERE pg_catalog.jsonb_typeof(e.value) OPERATOR(pg_catalog.=) ANY (ARRAY['string', 'number'])
			UNION ALL
			SELECT x OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[]
			  FROM pg_catalog.jsonb_array_elements(
					CASE WHEN pg_catalog.jsonb_typeof(e.value) OPERATOR(pg_catalog.=) 'array'
						 THEN e.value ELSE '[]'::pg_catalog.jsonb END) x
			 WHERE pg_catalog.jsonb_typeof(x) OPERATOR(pg_catalog.=) ANY (ARRAY['string', 'number'])
		 ) v(raw)
	 WHERE attributes OPERATOR(pg_catalog.?|)
		   (SELECT pg_catalog.array_agg(k.kind) FROM cdp.identifier_kinds k)
$$;
REVOKE EXECUTE ON FUNCTION cdp._identifier_candidates(pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) FROM PUBLIC;

/*
 * Extract the identifiers of the given records (NULL: every record that is
 * new or changed since it was last resolved).  Earlier extracted rows of
 * those records are replaced; rows a loader inserted itself stay.  Values
 * that cannot be normalised go to cdp.identifier_rejects instead of
 * failing.
 *
 * With stage, a batch (more than 1,000 records, no tombstones) writes the
 * rows to the temporary table cdp_staged_identifiers instead, which
 * clustering reads beside cdp.identifiers and cdp._store_staged_identifiers
 * moves into cdp.identifiers once each record's profile is known: each row
 * is then written once, with its profile id, instead of being written
 * without one and updated.
 */
CREATE FUNCTION cdp._extract_identifiers(record_ids pg_catalog.int8[], stage pg_catalog.bool DEFAULT false)
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids		int8[] := record_ids;
	stored	int8;
	replication_role text;
	batch	boolean := false;
BEGIN
	/*
	 * Clustering and cdp._store_staged_identifiers take whatever that table
	 * holds: one the caller's session made before would bring in identifiers
	 * nobody extracted (and past the re-ingestion guard), so a stage run
	 * drops it first, whether it stages or not.
	 */
	IF stage AND pg_catalog.to_regclass('pg_temp.cdp_staged_identifiers') IS NOT NULL THEN
		DROP TABLE pg_temp.cdp_staged_identifiers;
	END IF;
	IF ids IS NULL THEN
		SELECT pg_catalog.array_agg(r.record_id) INTO ids
		  FROM cdp.source_records r
		 WHERE r.linked_at IS NULL OR r.updated_at OPERATOR(pg_catalog.>) r.linked_at;
		IF ids IS NULL THEN
			RETURN 0;
		END IF;
	END IF;
	DELETE FROM cdp.identifiers i WHERE i.record_id OPERATOR(pg_catalog.=) ANY (ids) AND i.extracted;
	DELETE FROM cdp.identifier_rejects j WHERE j.record_id OPERATOR(pg_catalog.=) ANY (ids);
	/*
	 * A batch inserts hundreds of thousands of rows, and the per-row
	 * foreign-key checks (record, kind) would cost half of it: it locks what
	 * they would lock, the kinds here and each record once in the statement
	 * below, and writes with the row triggers off, as a replication apply
	 * does (local to the transaction).  The only other row trigger, the
	 * re-ingestion guard, has nothing to refuse when there are no
	 * tombstones, and cdp._tombstones_absent() keeps it so until commit;
	 * with tombstones the batch takes the triggered path.
	 */
	IF pg_catalog.cardinality(ids) OPERATOR(pg_catalog.>) 1000 AND cdp._tombstones_absent() THEN
		batch := true;
		PERFORM FROM cdp.identifier_kinds k FOR KEY SHARE;
		replication_role := pg_catalog.current_setting('session_replication_role');
		PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
	END IF;
	IF batch AND stage THEN
		CREATE TEMPORARY TABLE cdp_staged_identifiers (record_id int8, kind text, value text, raw_value text)
			ON COMMIT DROP;
		WITH recs AS MATERIALIZED (
			-- (only records that carry something to extract; locked as the
			-- foreign key of their identifiers would lock them)
			SELECT r.record_id, r.email, r.phone, r.attributes
			  FROM cdp.source_records r WHERE r.record_id OPERATOR(pg_catalog.=) ANY (ids)
			   AND (r.email IS NOT NULL OR r.phone IS NOT NULL OR r.attributes OPERATOR(pg_catalog.<>) '{}'::jsonb)
			   FOR KEY SHARE OF r
		), normalised AS (
			-- (one call a row, its composite result taken apart after: a
			-- function in FROM would fill a tuple store per call)
			SELECT c.record_id, c.kind, c.raw, (c.n).value, (c.n).reason
			  FROM (SELECT recs.record_id, c.kind, c.raw, cdp._normalize_identifier(c.kind, c.raw) AS n
					  FROM recs CROSS JOIN LATERAL cdp._identifier_candidates(recs.email, recs.phone, recs.attributes) c
					OFFSET 0) c
		), rejected AS (
			INSERT INTO cdp.identifier_rejects (record_id, kind, raw_value, reason)
			SELECT DISTINCT ON (record_id, kind, raw) record_id, kind, raw, reason
			  FROM normalised WHERE value IS NULL
			ON CONFLICT DO NOTHING
		)
		INSERT INTO pg_temp.cdp_staged_identifiers (record_id, kind, value, raw_value)
		SELECT DISTINCT ON (record_id, kind, value) record_id, kind, value, raw
		  FROM normalised WHERE value IS NOT NULL;
		GET DIAGNOSTICS stored = ROW_COUNT;
	ELSE
		WITH recs AS MATERIALIZED (
			SELECT r.record_id, r.email, r.phone, r.attributes
			  FROM cdp.source_records r WHERE r.record_id OPERATOR(pg_catalog.=) ANY (ids)
			   AND (r.email IS NOT NULL OR r.phone IS NOT NULL OR r.attributes OPERATOR(pg_catalog.<>) '{}'::jsonb)
			   FOR KEY SHARE OF r
		), normalised AS (
			SELECT c.record_id, c.kind, c.raw, (c.n).value, (c.n).reason
			  FROM (SELECT recs.record_id, c.kind, c.raw, cdp._normalize_identifier(c.kind, c.raw) AS n
					  FROM recs CROSS JOIN LATERAL cdp._identifier_candidates(recs.email, recs.phone, recs.attributes) c
					OFFSET 0) c
		), rejected AS (
			INSERT INTO cdp.identifier_rejects (record_id, kind, raw_value, reason)
			SELECT DISTINCT ON (record_id, kind, raw) record_id, kind, raw, reason
			  FROM normalised WHERE value IS NULL
			ON CONFLICT DO NOTHING
		), inserted AS (
			INSERT INTO cdp.identifiers (record_id, kind, value, raw_value, extracted)
			SELECT DISTINCT ON (record_id, kind, value) record_id, kind, value, raw, true
			  FROM normalised WHERE value IS NOT NULL
			ON CONFLICT (record_id, kind, value) DO NOTHING
			RETURNING 1
		)
		SELECT pg_catalog.count(*) INTO stored FROM inserted;
	END IF;
	IF replication_role IS NOT NULL THEN
		PERFORM pg_catalog.set_config('session_replication_role', replication_role, true);
	END IF;
	RETURN stored;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._extract_identifiers(pg_catalog.int8[], pg_catalog.bool) FROM PUBLIC;

/*
 * Move the identifiers a batch staged (cdp._extract_identifiers with stage)
 * into cdp.identifiers, each with its record's profile id, and drop the
 * staging table.  Runs where the extraction's locks and settings still
 * hold: in the same transaction, after the records got their profiles.
 * Returns how many were stored (NULL when nothing was staged).
 */
CREATE FUNCTION cdp._store_staged_identifiers() RETURNS pg_catalog.int8
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stored		int8;
	replication_role text;
	exclusive	boolean;
BEGIN
	IF pg_catalog.to_regclass('pg_temp.cdp_staged_identifiers') IS NULL THEN
		RETURN NULL;
	END IF;
	-- (as extraction wrote them: records and kinds are locked, profiles exist)
	replication_role := pg_catalog.current_setting('session_replication_role');
	PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
	/*
	 * A staged value can only collide with a row a loader inserted itself
	 * for the same record.  When no one else is writing identifiers the
	 * batch keeps them out until commit and leaves out the rows that exist
	 * (one anti-join instead of a conflict check of every row, a tenth of
	 * the insert); otherwise, not to wait (or deadlock) at the end of a
	 * batch, each row is checked as it is inserted.
	 */
	BEGIN
		LOCK TABLE cdp.identifiers IN SHARE ROW EXCLUSIVE MODE NOWAIT;
		exclusive := true;
	EXCEPTION WHEN lock_not_available THEN
		exclusive := false;
	END;
	IF exclusive THEN
		INSERT INTO cdp.identifiers (record_id, kind, value, raw_value, extracted, profile_id)
		SELECT s.record_id, s.kind, s.value, s.raw_value, true, r.profile_id
		  FROM pg_temp.cdp_staged_identifiers s
		  JOIN cdp.source_records r ON r.record_id OPERATOR(pg_catalog.=) s.record_id
		 WHERE NOT EXISTS (SELECT 1 FROM cdp.identifiers i
							WHERE i.record_id OPERATOR(pg_catalog.=) s.record_id
							  AND i.kind OPERATOR(pg_catalog.=) s.kind AND i.value OPERATOR(pg_catalog.=) s.value);
	ELSE
		INSERT INTO cdp.identifiers (record_id, kind, value, raw_value, extracted, profile_id)
		SELECT s.record_id, s.kind, s.value, s.raw_value, true, r.profile_id
		  FROM pg_temp.cdp_staged_identifiers s
		  JOIN cdp.source_records r ON r.record_id OPERATOR(pg_catalog.=) s.record_id
		ON CONFLICT (record_id, kind, value) DO NOTHING;
	END IF;
	GET DIAGNOSTICS stored = ROW_COUNT;
	PERFORM pg_catalog.set_config('session_replication_role', replication_role, true);
	DROP TABLE pg_temp.cdp_staged_identifiers;
	RETURN stored;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._store_staged_identifiers() FROM PUBLIC;

CREATE FUNCTION cdp.extract_identifiers(record_id pg_catalog.int8) RETURNS pg_catalog.int8
	LANGUAGE plpgsql STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stored		int8;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM cdp.source_records r WHERE r.record_id OPERATOR(pg_catalog.=) $1) THEN
		RAISE EXCEPTION 'source record % does not exist', $1 USING ERRCODE = 'invalid_parameter_value';
	END IF;
	stored := cdp._extract_identifiers(ARRAY[$1]);
	PERFORM cdp._audit('extract_identifiers', '{}', pg_catalog.jsonb_build_object('identifiers', stored), ARRAY[$1]);
	RETURN stored;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.extract_identifiers(pg_catalog.int8) FROM PUBLIC;
COMMENT ON FUNCTION cdp.extract_identifiers(pg_catalog.int8) IS
	'(re)extract the identifiers of one source record; returns how many were stored';

/* ------------------------------------------------------------------------
 * Identity resolution: clustering and stable profile ids
 * ---------------------------------------------------------------------- */

/*
 * The words of a romaji name as the household check compares them: the
 * cdp.romaji_key of each word (split at white space, the ideographic space
 * included, and commas), empty keys left out, in byte order.  The same C
 * code splits names in a full run of cdp._cluster.
 */
CREATE FUNCTION cdp._romaji_words(name pg_catalog.text) RETURNS pg_catalog.text[]
	AS 'MODULE_PATHNAME', 'cdp_romaji_words'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp._romaji_words(pg_catalog.text) IS
	'internal (household check): the sorted romaji keys of the words of a romaji name';

CREATE FUNCTION cdp._cluster(record_ids pg_catalog.int8[], progress_every pg_catalog.int8 DEFAULT 0)
	RETURNS TABLE (record_id pg_catalog.int8, component pg_catalog.int8, via_kind pg_catalog.text,
				   via_rule pg_catalog.int4, via_weight pg_catalog.float8, via_record pg_catalog.int8)
	AS 'MODULE_PATHNAME', 'cdp_cluster'
	LANGUAGE C STABLE;
REVOKE EXECUTE ON FUNCTION cdp._cluster(pg_catalog.int8[], pg_catalog.int8) FROM PUBLIC;
COMMENT ON FUNCTION cdp._cluster(pg_catalog.int8[], pg_catalog.int8) IS
	'internal: records grouped into components by a constrained union-find over their links';

/*
 * Turn components into profiles, keeping ids stable.  ids/components come
 * from cdp._cluster over a set of records that holds whole profiles.  Each
 * old profile goes to the component holding most of its records; of the
 * old profiles a component receives, the oldest (smallest id) survives and
 * the others become 'merged' into it; a component without one gets a new
 * id.  Writes source_records, identifiers, events, profiles and merge_log,
 * then recomputes the golden record of the changed profiles.
 */
CREATE FUNCTION cdp._merge_log_entries(components pg_catalog.int8[], via_kinds pg_catalog.text[],
									  via_rules pg_catalog.int4[], via_weights pg_catalog.float8[],
									  ch_ids pg_catalog.int8[], ch_old pg_catalog.int8[], ch_new pg_catalog.int8[],
									  comp_ids pg_catalog.int8[], comp_pids pg_catalog.int8[],
									  comp_new pg_catalog.bool[], absorbed pg_catalog.int8[],
									  absorbed_into pg_catalog.int8[])
	RETURNS TABLE (action pg_catalog.text, profile_id pg_catalog.int8, other_profile_id pg_catalog.int8,
				   record_ids pg_catalog.int8[], rule_id pg_catalog.int4, match_weight pg_catalog.float8,
				   details pg_catalog.jsonb)
	AS 'MODULE_PATHNAME', 'cdp_merge_log_entries'
	LANGUAGE C STABLE;
REVOKE EXECUTE ON FUNCTION cdp._merge_log_entries(pg_catalog.int8[], pg_catalog.text[], pg_catalog.int4[],
												  pg_catalog.float8[], pg_catalog.int8[], pg_catalog.int8[],
												  pg_catalog.int8[], pg_catalog.int8[], pg_catalog.int8[],
												  pg_catalog.bool[], pg_catalog.int8[], pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._merge_log_entries(pg_catalog.int8[], pg_catalog.text[], pg_catalog.int4[],
										   pg_catalog.float8[], pg_catalog.int8[], pg_catalog.int8[],
										   pg_catalog.int8[], pg_catalog.int8[], pg_catalog.int8[],
										   pg_catalog.bool[], pg_catalog.int8[], pg_catalog.int8[]) IS
	'internal: the merge-log rows of a resolution, from cdp._cluster''s rows and cdp._component_profiles'' results';

CREATE FUNCTION cdp._component_profiles(ids pg_catalog.int8[], components pg_catalog.int8[],
										OUT comp_ids pg_catalog.int8[], OUT comp_pids pg_catalog.int8[],
										OUT comp_new pg_catalog.bool[], OUT comp_sizes pg_catalog.int8[],
										OUT ch_ids pg_catalog.int8[], OUT ch_old pg_catalog.int8[],
										OUT ch_new pg_catalog.int8[], OUT absorbed pg_catalog.int8[],
										OUT absorbed_into pg_catalog.int8[], OUT kept_changed pg_catalog.int8[])
	AS 'MODULE_PATHNAME', 'cdp_component_profiles'
	LANGUAGE C VOLATILE STRICT;
REVOKE EXECUTE ON FUNCTION cdp._component_profiles(pg_catalog.int8[], pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._component_profiles(pg_catalog.int8[], pg_catalog.int8[]) IS
	'internal: the profile of each component of cdp._cluster''s rows (new ids drawn from the profiles'' sequence), the records that change profile and the profiles absorbed';

CREATE FUNCTION cdp._apply_components(ids pg_catalog.int8[], components pg_catalog.int8[],
									  via_kinds pg_catalog.text[], via_rules pg_catalog.int4[],
									  via_weights pg_catalog.float8[],
									  OUT profiles_created pg_catalog.int8, OUT profiles_merged pg_catalog.int8,
									  OUT records_changed pg_catalog.int8)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	comp_ids	int8[];
	comp_pids	int8[];
	comp_new	boolean[];
	comp_sizes	int8[];
	ch_ids		int8[];
	ch_old		int8[];
	ch_new		int8[];
	absorbed	int8[];
	absorbed_into int8[];
	touched		int8[];
	kept_changed int8[];
	new_pids	int8[];
	replication_role text;
	plan_mode	text;
	consent_data boolean := true;
BEGIN
	-- the profile of each component, the records that change profile and
	-- the old profiles absorbed (rules: src/identity/component_profiles.c)
	SELECT * INTO comp_ids, comp_pids, comp_new, comp_sizes, ch_ids, ch_old, ch_new, absorbed, absorbed_into,
				  kept_changed
	  FROM cdp._component_profiles(ids, components);

	-- (a batch inserts its new profiles with their golden records, below)
	IF true OPERATOR(pg_catalog.=) ANY (comp_new) AND pg_catalog.cardinality(ids) OPERATOR(pg_catalog.<=) 1000 THEN
		INSERT INTO cdp.profiles (profile_id, record_count)
		OVERRIDING SYSTEM VALUE
		SELECT u.pid, u.n
		  FROM ROWS FROM (pg_catalog.unnest(comp_pids), pg_catalog.unnest(comp_new), pg_catalog.unnest(comp_sizes)) u(pid, is_new, n)
		 WHERE u.is_new;
	END IF;
	profiles_created := COALESCE((SELECT pg_catalog.count(*) FROM pg_catalog.unnest(comp_new) x WHERE x), 0);
	records_changed := COALESCE(pg_catalog.cardinality(ch_ids), 0);
	profiles_merged := COALESCE(pg_catalog.cardinality(absorbed), 0);

	/*
	 * A batch writes the profile ids of many rows.  Every id it writes is a
	 * profile that exists (inserted above or kept), so it skips the per-row
	 * foreign-key checks and triggers for these updates, as a replication
	 * apply does (session_replication_role, local to the transaction): that
	 * halves the batch.  Triggers of cdp's tables on these columns are only
	 * the updated_at touch, which resolution does not want anyway.
	 */
	IF pg_catalog.cardinality(ids) OPERATOR(pg_catalog.>) 1000 THEN
		replication_role := pg_catalog.current_setting('session_replication_role');
		PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
	END IF;
	UPDATE cdp.source_records r
	   SET profile_id = c.new, linked_at = pg_catalog.now()
	  FROM ROWS FROM (pg_catalog.unnest(ch_ids), pg_catalog.unnest(ch_new)) c(id, new)
	 WHERE r.record_id OPERATOR(pg_catalog.=) c.id;
	-- records whose data changed since they were last resolved (their
	-- profile's golden record is recomputed even when membership is not)
	WITH refreshed AS (
		UPDATE cdp.source_records r
		   SET linked_at = pg_catalog.now()
		 WHERE r.record_id OPERATOR(pg_catalog.=) ANY (ids)
		   AND (r.linked_at IS NULL OR r.updated_at OPERATOR(pg_catalog.>) r.linked_at)
		RETURNING r.profile_id
	)
	SELECT pg_catalog.array_agg(DISTINCT refreshed.profile_id) INTO touched FROM refreshed;
	-- identifiers and events follow their records; a few records (incremental
	-- resolution, planned generically) are looked up one by one
	IF pg_catalog.cardinality(ids) OPERATOR(pg_catalog.>) 1000 THEN
		UPDATE cdp.identifiers i
		   SET profile_id = r.profile_id
		  FROM cdp.source_records r
		 WHERE i.record_id OPERATOR(pg_catalog.=) ANY (ids) AND r.record_id OPERATOR(pg_catalog.=) i.record_id
		   AND i.profile_id IS DISTINCT FROM r.profile_id;
	ELSE
		UPDATE cdp.identifiers i
		   SET profile_id = (SELECT r.profile_id FROM cdp.source_records r
							  WHERE r.record_id OPERATOR(pg_catalog.=) i.record_id)
		 WHERE i.record_id OPERATOR(pg_catalog.=) ANY (ids)
		   AND i.profile_id IS DISTINCT FROM (SELECT r.profile_id FROM cdp.source_records r
											   WHERE r.record_id OPERATOR(pg_catalog.=) i.record_id);
	END IF;
	UPDATE cdp.events e
	   SET profile_id = (SELECT r.profile_id FROM cdp.source_records r
						  WHERE r.record_id OPERATOR(pg_catalog.=) e.record_id)
	 WHERE e.record_id OPERATOR(pg_catalog.=) ANY (ch_ids);
	IF replication_role IS NOT NULL THEN
		PERFORM pg_catalog.set_config('session_replication_role', replication_role, true);
	END IF;

	/*
	 * A batch's new profiles are inserted now that their records point at
	 * them, with their golden records (no update of each afterwards; a new
	 * id has no overrides).  The foreign keys of the rows written above were
	 * not checked: they hold from here on.
	 */
	IF true OPERATOR(pg_catalog.=) ANY (comp_new) AND pg_catalog.cardinality(ids) OPERATOR(pg_catalog.>) 1000 THEN
		new_pids := ARRAY(SELECT u.pid
							FROM ROWS FROM (pg_catalog.unnest(comp_pids), pg_catalog.unnest(comp_new)) u(pid, is_new)
						   WHERE u.is_new);
		INSERT INTO cdp.profiles (profile_id, record_count, family_name, given_name, family_name_kana,
								  given_name_kana, name_romaji, email, phone, birth_date, postal_code,
								  country_code, region, locality, address_line1, address_line2,
								  golden_updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT g.profile_id, g.record_count, g.family_name, g.given_name, g.family_name_kana,
			   g.given_name_kana, g.name_romaji, g.email, g.phone, g.birth_date, g.postal_code,
			   g.country_code, g.region, g.locality, g.address_line1, g.address_line2,
			   -- (as the update of a golden record sets it: when a value changed)
			   CASE WHEN (g.family_name, g.given_name, g.family_name_kana, g.given_name_kana, g.name_romaji,
						  g.email, g.phone, g.birth_date, g.postal_code, g.country_code, g.region,
						  g.locality, g.address_line1, g.address_line2) IS NULL
					THEN NULL ELSE pg_catalog.now() END
		  FROM cdp._golden_values(new_pids) g;
	END IF;

	IF absorbed IS NOT NULL THEN
		UPDATE cdp.profiles p
		   SET status = 'merged', merged_into = a.new, record_count = 0
		  FROM ROWS FROM (pg_catalog.unnest(absorbed), pg_catalog.unnest(absorbed_into)) a(old, new)
		 WHERE p.profile_id OPERATOR(pg_catalog.=) a.old;
	END IF;

	-- merge log: one 'link' per profile that gained records (a new profile
	-- only when it joined several), one 'merge' per absorbed profile; the
	-- evidence is the links of the component's records (src/identity/merge_log.c)
	IF ch_ids IS NOT NULL THEN
		INSERT INTO cdp.merge_log (action, profile_id, other_profile_id, record_ids, rule_id, match_weight, details,
								   performed_by)
		SELECT e.action, e.profile_id, e.other_profile_id, e.record_ids, e.rule_id, e.match_weight, e.details,
			   pg_catalog."session_user"()
		  FROM cdp._merge_log_entries(components, via_kinds, via_rules, via_weights, ch_ids, ch_old, ch_new,
									  comp_ids, comp_pids, comp_new, absorbed, absorbed_into) e;
	END IF;

	-- record counts and golden records of every profile that changed
	SELECT pg_catalog.array_agg(DISTINCT x) INTO touched
	  FROM (SELECT pg_catalog.unnest(kept_changed) UNION ALL SELECT pg_catalog.unnest(touched)
			-- new profiles (a batch inserted its own with their golden records)
			UNION ALL SELECT u.pid
						FROM ROWS FROM (pg_catalog.unnest(comp_pids), pg_catalog.unnest(comp_new)) u(pid, is_new)
					   WHERE u.is_new AND new_pids IS NULL) t(x)
	 WHERE x IS NOT NULL;
	IF touched IS NOT NULL THEN
		-- (record counts are set with the golden record)
		PERFORM cdp._refresh_golden(touched);
	END IF;
	-- derived per-profile state (consent) follows membership changes; the
	-- hook's queries are planned as their authors expect, not with the
	-- generic plans incremental resolution forces on its own.  A few
	-- records (incremental resolution) skip the hook when no consent data
	-- refers to them or to the profiles involved: consent state derives only
	-- from the ledger, so it is empty before and after (the hook costs
	-- more than the rest of a one-record resolution).
	/*
	 * A batch with no consent data at all skips it too: it first takes the
	 * lock the hook's bulk refresh takes, which waits for consent being
	 * recorded and keeps new refreshes out until commit (they then derive
	 * the state of the profiles as this batch left them).
	 */
	IF ch_ids IS NOT NULL AND pg_catalog.cardinality(ids) OPERATOR(pg_catalog.>) 1000 THEN
		LOCK TABLE cdp.consent_current IN EXCLUSIVE MODE;
		consent_data := EXISTS (SELECT 1 FROM cdp.consent_events) OR EXISTS (SELECT 1 FROM cdp.consent_current);
	END IF;
	IF ch_ids IS NOT NULL AND consent_data
	   AND (pg_catalog.cardinality(ids) OPERATOR(pg_catalog.>) 1000
			OR EXISTS (SELECT 1 FROM cdp.consent_events e
						WHERE e.record_id OPERATOR(pg_catalog.=) ANY (ch_ids))
			OR EXISTS (SELECT 1 FROM cdp.consent_current c
						WHERE c.profile_id OPERATOR(pg_catalog.=) ANY (touched))
			OR EXISTS (SELECT 1 FROM cdp.consent_events e
						WHERE e.profile_id OPERATOR(pg_catalog.=) ANY (touched))) THEN
		plan_mode := pg_catalog.current_setting('plan_cache_mode');
		PERFORM pg_catalog.set_config('plan_cache_mode', 'auto', true);
		PERFORM cdp._profiles_changed(
			ARRAY(SELECT DISTINCT x
					FROM (SELECT pg_catalog.unnest(ch_new) UNION ALL SELECT pg_catalog.unnest(ch_old)) t(x)
				   WHERE x IS NOT NULL));
		PERFORM pg_catalog.set_config('plan_cache_mode', plan_mode, true);
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._apply_components(pg_catalog.int8[], pg_catalog.int8[], pg_catalog.text[],
												 pg_catalog.int4[], pg_catalog.float8[]) FROM PUBLIC;

/* ------------------------------------------------------------------------
 * Identity resolution: the golden record
 * ---------------------------------------------------------------------- */

/*
 * The golden record of a profile: for each attribute, the member records'
 * non-NULL values ordered by the attribute's criteria in
 * cdp.survivorship_rules (trust: the source's trust_rank; recency:
 * source_updated_at, else received_at; completeness: how many attributes
 * the record has), the newest record breaking ties; then the values of
 * cdp.profile_overrides, which win over every source.  E-mail and phone
 * are taken normalised.  cdp._golden_values makes the choice in C for any
 * number of profiles (one or two in incremental resolution, every changed
 * profile in a batch), streaming the member records in profile order.
 */
CREATE FUNCTION cdp._golden_values(profile_ids pg_catalog.int8[])
	RETURNS TABLE (profile_id pg_catalog.int8, record_count pg_catalog.int8,
				   family_name pg_catalog.text, given_name pg_catalog.text,
				   family_name_kana pg_catalog.text, given_name_kana pg_catalog.text,
				   name_romaji pg_catalog.text, email pg_catalog.text, phone pg_catalog.text,
				   birth_date pg_catalog.date, postal_code pg_catalog.text, country_code pg_catalog.text,
				   region pg_catalog.text, locality pg_catalog.text, address_line1 pg_catalog.text,
				   address_line2 pg_catalog.text)
	AS 'MODULE_PATHNAME', 'cdp_golden_values'
	LANGUAGE C STABLE STRICT ROWS 2;
REVOKE EXECUTE ON FUNCTION cdp._golden_values(pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._golden_values(pg_catalog.int8[]) IS
	'internal: the golden-record values of the given profiles (read by cdp._refresh_golden)';

/*
 * Recompute the golden records of the given profiles from
 * cdp._golden_values (rows whose golden record did not change are not
 * rewritten), then apply their overrides.
 */
/*
 * The updated_at trigger of every table, in C: a batch rewrites hundreds of
 * thousands of golden records, and the PL/pgSQL version (with its own
 * search_path) cost several microseconds a row.  Same behaviour:
 * updated_at becomes the transaction's timestamp, now().
 */
CREATE OR REPLACE FUNCTION cdp._touch_updated_at() RETURNS trigger
	AS 'MODULE_PATHNAME', 'cdp_touch_updated_at'
	LANGUAGE C;

CREATE FUNCTION cdp._refresh_golden(profile_ids pg_catalog.int8[]) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rule	record;
BEGIN
	UPDATE cdp.profiles p
	   SET family_name = g.family_name,
		   given_name = g.given_name,
		   family_name_kana = g.family_name_kana,
		   given_name_kana = g.given_name_kana,
		   name_romaji = g.name_romaji,
		   email = g.email,
		   phone = g.phone,
		   birth_date = g.birth_date,
		   postal_code = g.postal_code,
		   country_code = g.country_code,
		   region = g.region,
		   locality = g.locality,
		   address_line1 = g.address_line1,
		   address_line2 = g.address_line2,
		   record_count = g.record_count,
		   golden_updated_at = pg_catalog.now()
	  FROM cdp._golden_values(profile_ids) g
	 WHERE p.profile_id OPERATOR(pg_catalog.=) g.profile_id
	   AND (p.family_name, p.given_name, p.family_name_kana, p.given_name_kana, p.name_romaji,
			p.email, p.phone, p.birth_date, p.postal_code, p.country_code, p.region, p.locality,
			p.address_line1, p.address_line2, p.record_count)
		   IS DISTINCT FROM
		   (g.family_name, g.given_name, g.family_name_kana, g.given_name_kana, g.name_romaji,
			g.email, g.phone, g.birth_date, g.postal_code, g.country_code, g.region, g.locality,
			g.address_line1, g.address_line2, g.record_count);

	FOR rule IN
		SELECT DISTINCT o.attribute,
			   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
		  FROM cdp.profile_overrides o
		  JOIN pg_catalog.pg_attribute a
			ON a.attrelid OPERATOR(pg_catalog.=) 'cdp.profiles'::pg_catalog.regclass
		   AND a.attname OPERATOR(pg_catalog.=) o.attribute::name
		 WHERE o.profile_id OPERATOR(pg_catalog.=) ANY (profile_ids)
	LOOP
		EXECUTE pg_catalog.format($q$
			UPDATE cdp.profiles p SET %1$I = o.value::%2$s
			  FROM cdp.profile_overrides o
			 WHERE o.profile_id OPERATOR(pg_catalog.=) p.profile_id
			   AND o.attribute OPERATOR(pg_catalog.=) %3$L
			   AND p.profile_id OPERATOR(pg_catalog.=) ANY ($1)$q$, rule.attribute, rule.type, rule.attribute)
		USING profile_ids;
	END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._refresh_golden(pg_catalog.int8[]) FROM PUBLIC;

CREATE FUNCTION cdp.refresh_golden_records(profile_ids pg_catalog.int8[] DEFAULT NULL) RETURNS pg_catalog.int8
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids		int8[] := profile_ids;
BEGIN
	IF ids IS NULL THEN
		SELECT pg_catalog.array_agg(p.profile_id) INTO ids
		  FROM cdp.profiles p WHERE p.status OPERATOR(pg_catalog.=) 'active';
	END IF;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	PERFORM cdp._refresh_golden(ids);
	-- one audit row: the profiles, or only their number for more than 100
	PERFORM cdp._audit('refresh_golden',
					   CASE WHEN pg_catalog.cardinality(ids) OPERATOR(pg_catalog.<=) 100 THEN ids ELSE '{}' END,
					   pg_catalog.jsonb_build_object('profiles', pg_catalog.cardinality(ids)));
	RETURN pg_catalog.cardinality(ids);
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.refresh_golden_records(pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp.refresh_golden_records(pg_catalog.int8[]) IS
	'recompute the golden record of the given profiles (NULL: every active profile), e.g. after changing survivorship rules or overrides';

/* ------------------------------------------------------------------------
 * Identity resolution: batch and incremental
 *
 * Locks: a batch holds the advisory lock "cdp.resolve" exclusively, an
 * incremental resolution holds it shared, so the two never interleave.
 * Incremental resolutions serialise on advisory locks of the record's
 * identifier values (kind:value) and on the rows of the profiles they
 * rewrite, taken in id order; under READ COMMITTED each statement after a
 * wait sees what the other transaction committed.  Before all of these,
 * both take the tombstone lock (keyed by the OID of cdp.tombstones) shared:
 * cdp.erase_person holds it exclusively and then locks the person's rows,
 * and the re-ingestion guard takes it when resolution extracts
 * identifiers, so taking it after a record's row would let an erasure that
 * waits for that row deadlock with the resolution.  An erasure therefore
 * waits for the resolutions and batches in flight, and they for it; a
 * batch also knows that no tombstone appears while it runs.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.resolve(progress_every pg_catalog.int8 DEFAULT 100000,
							OUT records pg_catalog.int8, OUT identifiers_extracted pg_catalog.int8,
							OUT profiles_created pg_catalog.int8, OUT profiles_merged pg_catalog.int8,
							OUT records_changed pg_catalog.int8, OUT elapsed interval)
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	-- (its statements are large joins and writes that compilation does not
	-- speed up: at 200,000 records JIT cost half a second of one statement)
	SET jit = off
AS $$
DECLARE
	started		timestamptz := pg_catalog.clock_timestamp();
	ids			int8[];
	comps		int8[];
	kinds		text[];
	rules		int4[];
	weights		float8[];
	applied		record;
BEGIN
	IF progress_every OPERATOR(pg_catalog.<) 0 THEN
		RAISE EXCEPTION 'progress_every must not be negative: %', progress_every
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM pg_catalog.pg_advisory_xact_lock_shared('cdp.tombstones'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8);
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('cdp.resolve'), 0);
	-- (a batch stages its new identifiers until their records have profiles)
	identifiers_extracted := cdp._extract_identifiers(NULL, true);
	-- (cdp._cluster returns the records in id order)
	SELECT pg_catalog.array_agg(c.record_id), pg_catalog.array_agg(c.component),
		   pg_catalog.array_agg(c.via_kind), pg_catalog.array_agg(c.via_rule), pg_catalog.array_agg(c.via_weight)
	  INTO ids, comps, kinds, rules, weights
	  FROM cdp._cluster(NULL, COALESCE(progress_every, 0)) c;
	records := COALESCE(pg_catalog.cardinality(ids), 0);
	IF records OPERATOR(pg_catalog.>) 0 THEN
		applied := cdp._apply_components(ids, comps, kinds, rules, weights);
		profiles_created := applied.profiles_created;
		profiles_merged := applied.profiles_merged;
		records_changed := applied.records_changed;
	ELSE
		profiles_created := 0;
		profiles_merged := 0;
		records_changed := 0;
	END IF;
	identifiers_extracted := COALESCE(cdp._store_staged_identifiers(), identifiers_extracted);
	elapsed := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started;
	-- one audit row for the batch, counts only (cdp.merge_log says what happened to whom)
	PERFORM cdp._audit('resolve', '{}', pg_catalog.jsonb_build_object(
		'records', records, 'identifiers_extracted', identifiers_extracted,
		'profiles_created', profiles_created, 'profiles_merged', profiles_merged,
		'records_changed', records_changed));
	IF COALESCE(progress_every, 0) OPERATOR(pg_catalog.>) 0 AND records OPERATOR(pg_catalog.>=) progress_every THEN
		RAISE NOTICE 'resolve: done: % records, % profiles created, % merged, % records changed profile',
			records, profiles_created, profiles_merged, records_changed;
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.resolve(pg_catalog.int8) FROM PUBLIC;
COMMENT ON FUNCTION cdp.resolve(pg_catalog.int8) IS
	'resolve every source record into profiles (batch); NOTICE every progress_every records';

CREATE FUNCTION cdp.resolve_record(record_id pg_catalog.int8) RETURNS pg_catalog.int8
	LANGUAGE plpgsql STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	-- one record's statements are planned once per session, not per call
	SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	rid			int8 := $1;
	candidates	int8[];
	pids		int8[];
	locked		int8[] := '{}';
	members		int8[];
	ids			int8[];
	comps		int8[];
	kinds		text[];
	rules		int4[];
	weights		float8[];
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock_shared('cdp.tombstones'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8);
	PERFORM pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtext('cdp.resolve'), 0);
	PERFORM 1 FROM cdp.source_records r WHERE r.record_id OPERATOR(pg_catalog.=) rid FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'source record % does not exist', rid USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM cdp._extract_identifiers(ARRAY[rid]);
	PERFORM pg_catalog.pg_advisory_xact_lock(v.h)
	   FROM (SELECT DISTINCT pg_catalog.hashtextextended(i.kind OPERATOR(pg_catalog.||) ':'
													   OPERATOR(pg_catalog.||) i.value, 0) AS h
			   FROM cdp.identifiers i
			  WHERE i.record_id OPERATOR(pg_catalog.=) rid
			  ORDER BY 1) v;
	LOOP
		-- records sharing a linking value (not blocked, not long junk) or a probabilistic link
		WITH vals AS (
			SELECT i.kind, i.value
			  FROM cdp.identifiers i
			  JOIN cdp.identifier_kinds k ON k.kind OPERATOR(pg_catalog.=) i.kind
			 WHERE i.record_id OPERATOR(pg_catalog.=) rid
			   AND (k.links OR k.one_per_person OR k.max_per_profile IS NOT NULL)
			   AND NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers b
								WHERE b.kind OPERATOR(pg_catalog.=) i.kind AND b.value OPERATOR(pg_catalog.=) i.value)
			   AND (k.max_records_per_value IS NULL
					OR (SELECT pg_catalog.count(*)
						  FROM (SELECT 1 FROM cdp.identifiers c
								 WHERE c.kind OPERATOR(pg_catalog.=) i.kind AND c.value OPERATOR(pg_catalog.=) i.value
								 LIMIT (k.max_records_per_value OPERATOR(pg_catalog.+) 2)) z)
					   OPERATOR(pg_catalog.<=) (k.max_records_per_value OPERATOR(pg_catalog.+) 1))
		)
		SELECT pg_catalog.array_agg(DISTINCT t.x) INTO candidates
		  FROM (SELECT j.record_id
				  FROM vals JOIN cdp.identifiers j
					ON j.kind OPERATOR(pg_catalog.=) vals.kind AND j.value OPERATOR(pg_catalog.=) vals.value
				UNION ALL
				SELECT CASE WHEN e.record_a OPERATOR(pg_catalog.=) rid THEN e.record_b ELSE e.record_a END
				  FROM cdp._probabilistic_edges(ARRAY[rid]) e
				UNION ALL
				SELECT rid) t(x)
		 WHERE t.x IS NOT NULL;
		SELECT pg_catalog.array_agg(DISTINCT r.profile_id) INTO pids
		  FROM cdp.source_records r
		  JOIN pg_catalog.unnest(candidates) c(id) ON c.id OPERATOR(pg_catalog.=) r.record_id
		 WHERE r.profile_id IS NOT NULL;
		pids := COALESCE(pids, '{}');
		EXIT WHEN pids OPERATOR(pg_catalog.<@) locked;
		PERFORM 1 FROM cdp.profiles p
		  WHERE p.profile_id OPERATOR(pg_catalog.=) ANY (pids)
		  ORDER BY p.profile_id FOR UPDATE;
		locked := locked OPERATOR(pg_catalog.||) pids;
	END LOOP;

	SELECT pg_catalog.array_agg(DISTINCT t.x) INTO members
	  FROM (SELECT r.record_id FROM cdp.source_records r
			 WHERE r.profile_id OPERATOR(pg_catalog.=) ANY (pids)
			UNION ALL
			SELECT pg_catalog.unnest(candidates)) t(x);
	-- (cdp._cluster returns the records in id order)
	SELECT pg_catalog.array_agg(c.record_id), pg_catalog.array_agg(c.component),
		   pg_catalog.array_agg(c.via_kind), pg_catalog.array_agg(c.via_rule), pg_catalog.array_agg(c.via_weight)
	  INTO ids, comps, kinds, rules, weights
	  FROM cdp._cluster(members, 0) c;
	PERFORM cdp._apply_components(ids, comps, kinds, rules, weights);
	-- one audit row: the record, the profiles it was weighed against and its profile now
	PERFORM cdp._audit('resolve_record', pids, '{}', ARRAY[rid]);
	RETURN (SELECT r.profile_id FROM cdp.source_records r WHERE r.record_id OPERATOR(pg_catalog.=) rid);
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.resolve_record(pg_catalog.int8) FROM PUBLIC;
COMMENT ON FUNCTION cdp.resolve_record(pg_catalog.int8) IS
	'resolve one new or changed source record inside the caller''s transaction; returns its profile';

/*
 * Trigger helper: resolve each inserted (or re-sent) record in the same
 * transaction.  AFTER INSERT, and AFTER UPDATE OF the identifying columns
 * only, so that resolution's own updates do not fire it again.
 */
CREATE FUNCTION cdp.resolve_record_trigger() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM cdp.resolve_record(NEW.record_id);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION cdp.resolve_record_trigger() IS
	'AFTER INSERT (OR UPDATE OF email, phone, attributes) trigger on cdp.source_records that calls cdp.resolve_record';

/* ------------------------------------------------------------------------
 * Identity resolution: unmerge and split
 * ---------------------------------------------------------------------- */

/*
 * Move records of one profile to another (a revived or a new profile),
 * remember every pair across the cut in cdp.link_exclusions so that
 * resolution never joins them again, log it and refresh both profiles.
 * Returns the merge_log id of the entry.
 */
CREATE FUNCTION cdp._detach(from_profile pg_catalog.int8, to_profile pg_catalog.int8,
							moved pg_catalog.int8[], action pg_catalog.text, details pg_catalog.jsonb)
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	log_id		int8;
BEGIN
	INSERT INTO cdp.merge_log (action, profile_id, other_profile_id, record_ids, details, performed_by)
	VALUES (action, from_profile, to_profile,
			(SELECT pg_catalog.array_agg(DISTINCT m) FROM pg_catalog.unnest(moved) m), details,
			pg_catalog."session_user"())
	RETURNING merge_id INTO log_id;
	UPDATE cdp.source_records r SET profile_id = to_profile, linked_at = pg_catalog.now()
	 WHERE r.record_id OPERATOR(pg_catalog.=) ANY (moved);
	UPDATE cdp.identifiers i SET profile_id = to_profile
	 WHERE i.record_id OPERATOR(pg_catalog.=) ANY (moved);
	UPDATE cdp.events e SET profile_id = to_profile
	 WHERE e.record_id OPERATOR(pg_catalog.=) ANY (moved);
	INSERT INTO cdp.link_exclusions (record_a, record_b, merge_id, created_by)
	SELECT LEAST(m.id, r.record_id), GREATEST(m.id, r.record_id), log_id, pg_catalog."session_user"()
	  FROM pg_catalog.unnest(moved) m(id)
	 CROSS JOIN cdp.source_records r
	 WHERE r.profile_id OPERATOR(pg_catalog.=) from_profile
	ON CONFLICT DO NOTHING;
	PERFORM cdp._refresh_golden(ARRAY[from_profile, to_profile]);
	PERFORM cdp._profiles_changed(ARRAY[from_profile, to_profile]);
	RETURN log_id;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._detach(pg_catalog.int8, pg_catalog.int8, pg_catalog.int8[], pg_catalog.text,
									   pg_catalog.jsonb) FROM PUBLIC;

CREATE FUNCTION cdp.split(profile_id pg_catalog.int8, record_ids pg_catalog.int8[]) RETURNS pg_catalog.int8
	LANGUAGE plpgsql STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	pid			int8 := $1;
	moved		int8[];
	remaining	int8;
	new_pid		int8;
	log_id		int8;
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtext('cdp.resolve'), 0);
	PERFORM 1 FROM cdp.profiles p
	  WHERE p.profile_id OPERATOR(pg_catalog.=) pid AND p.status OPERATOR(pg_catalog.=) 'active'
	  FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'profile % does not exist or is not active', pid USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT pg_catalog.array_agg(DISTINCT m) INTO moved FROM pg_catalog.unnest($2) m WHERE m IS NOT NULL;
	IF moved IS NULL THEN
		RAISE EXCEPTION 'no records to split off' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF EXISTS (SELECT 1 FROM pg_catalog.unnest(moved) m(id)
				WHERE NOT EXISTS (SELECT 1 FROM cdp.source_records r
								   WHERE r.record_id OPERATOR(pg_catalog.=) m.id
									 AND r.profile_id OPERATOR(pg_catalog.=) pid)) THEN
		RAISE EXCEPTION 'not every record belongs to profile %', pid USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT pg_catalog.count(*) INTO remaining FROM cdp.source_records r
	 WHERE r.profile_id OPERATOR(pg_catalog.=) pid AND r.record_id OPERATOR(pg_catalog.<>) ALL (moved);
	IF remaining OPERATOR(pg_catalog.=) 0 THEN
		RAISE EXCEPTION 'splitting off every record of profile % would leave it empty', pid
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO cdp.profiles (record_count) VALUES (0) RETURNING profiles.profile_id INTO new_pid;
	log_id := cdp._detach(pid, new_pid, moved, 'split', '{}'::jsonb);
	PERFORM cdp._audit('split', ARRAY[pid, new_pid], pg_catalog.jsonb_build_object('merge_id', log_id), moved);
	RETURN new_pid;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.split(pg_catalog.int8, pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp.split(pg_catalog.int8, pg_catalog.int8[]) IS
	'move records of a profile to a new profile that resolution keeps apart; returns the new profile id';

CREATE FUNCTION cdp.unmerge(merge_id pg_catalog.int8) RETURNS pg_catalog.int8
	LANGUAGE plpgsql STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	entry		cdp.merge_log;
	current_pid int8;
	n_profiles	int8;
	moved		int8[];
	target		int8;
	log_id		int8;
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtext('cdp.resolve'), 0);
	SELECT * INTO entry FROM cdp.merge_log l WHERE l.merge_id OPERATOR(pg_catalog.=) $1 FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'merge log entry % does not exist', $1 USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF entry.action OPERATOR(pg_catalog.<>) ALL (ARRAY['merge', 'link']) THEN
		RAISE EXCEPTION 'merge log entry % is a %, only a merge or a link can be undone', $1, entry.action
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF entry.reverted_by IS NOT NULL THEN
		RAISE EXCEPTION 'merge log entry % was already undone by entry %', $1, entry.reverted_by
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the records it joined, wherever they are now; they must share one active profile
	SELECT pg_catalog.array_agg(r.record_id ORDER BY r.record_id), pg_catalog.min(r.profile_id),
		   pg_catalog.count(DISTINCT r.profile_id)
	  INTO moved, current_pid, n_profiles
	  FROM cdp.source_records r
	 WHERE r.record_id OPERATOR(pg_catalog.=) ANY (entry.record_ids);
	IF moved IS NULL OR n_profiles OPERATOR(pg_catalog.<>) 1 THEN
		RAISE EXCEPTION 'the records of merge log entry % no longer share one profile', $1
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM 1 FROM cdp.profiles p
	  WHERE p.profile_id OPERATOR(pg_catalog.=) ANY (ARRAY[current_pid, entry.other_profile_id])
	  ORDER BY p.profile_id FOR UPDATE;
	IF NOT EXISTS (SELECT 1 FROM cdp.source_records r
					WHERE r.profile_id OPERATOR(pg_catalog.=) current_pid
					  AND r.record_id OPERATOR(pg_catalog.<>) ALL (moved)) THEN
		RAISE EXCEPTION 'the records of merge log entry % are all that profile % holds', $1, current_pid
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF entry.action OPERATOR(pg_catalog.=) 'merge' THEN
		-- the absorbed profile comes back under its own id
		target := entry.other_profile_id;
		UPDATE cdp.profiles p SET status = 'active', merged_into = NULL
		 WHERE p.profile_id OPERATOR(pg_catalog.=) target;
	ELSE
		INSERT INTO cdp.profiles (record_count) VALUES (0) RETURNING profile_id INTO target;
	END IF;
	log_id := cdp._detach(current_pid, target, moved, 'unmerge',
						  pg_catalog.jsonb_build_object('reverts', $1));
	UPDATE cdp.merge_log l SET reverted_by = log_id WHERE l.merge_id OPERATOR(pg_catalog.=) $1;
	PERFORM cdp._audit('unmerge', ARRAY[current_pid, target],
					   pg_catalog.jsonb_build_object('merge_id', log_id, 'reverts', $1), moved);
	RETURN target;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.unmerge(pg_catalog.int8) FROM PUBLIC;
COMMENT ON FUNCTION cdp.unmerge(pg_catalog.int8) IS
	'undo a merge (the absorbed profile comes back) or a link (the records get a new profile); returns that profile';

/* ------------------------------------------------------------------------
 * Probabilistic (Fellegi-Sunter) links that clustering consumes: the pairs
 * of records whose match weight passes an enabled probabilistic rule's
 * threshold.  record_ids restricts the result to pairs that involve one of
 * those records (incremental resolution); NULL means all records.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._probabilistic_edges(record_ids pg_catalog.int8[],
										 OUT record_a pg_catalog.int8, OUT record_b pg_catalog.int8,
										 OUT rule_id pg_catalog.int4, OUT match_weight pg_catalog.float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'cdp_probabilistic_edges'
	LANGUAGE C STABLE
	SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION cdp._probabilistic_edges(pg_catalog.int8[]) FROM PUBLIC;

/* ------------------------------------------------------------------------
 * Probabilistic linking: the model, its training and explanations
 * (src/identity/fs_*.c; the README's "Probabilistic linking" documents the
 * definition format)
 * ---------------------------------------------------------------------- */

-- a probabilistic rule by name (NULL: the first enabled one by priority)
CREATE FUNCTION cdp._fs_rule(rule_name pg_catalog.text)
	RETURNS cdp.match_rules
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found_rule	cdp.match_rules;
BEGIN
	IF rule_name IS NULL THEN
		SELECT * INTO found_rule FROM cdp.match_rules m
		 WHERE m.rule_type = 'probabilistic' AND m.enabled
		 ORDER BY m.priority, m.rule_id LIMIT 1;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'there is no enabled probabilistic rule'
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Insert one into cdp.match_rules, e.g. with cdp.default_probabilistic_rule() as its definition.';
		END IF;
		RETURN found_rule;
	END IF;
	SELECT * INTO found_rule FROM cdp.match_rules m WHERE m.rule_name = _fs_rule.rule_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'probabilistic rule "%" does not exist', rule_name
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF found_rule.rule_type <> 'probabilistic' THEN
		RAISE EXCEPTION 'rule "%" is a % rule, not a probabilistic one', rule_name, found_rule.rule_type
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN found_rule;
END
$$;

CREATE FUNCTION cdp._fs_train(rule_name pg_catalog.text, definition pg_catalog.jsonb,
							  sample_size pg_catalog.int4, seed pg_catalog.int8,
							  max_iterations pg_catalog.int4)
	RETURNS pg_catalog.jsonb
	AS 'MODULE_PATHNAME', 'cdp_fs_train'
	LANGUAGE C VOLATILE STRICT;

-- arguments: rule name, definition, threshold, record_a, record_b
CREATE FUNCTION cdp._fs_explain(pg_catalog.text, pg_catalog.jsonb, pg_catalog.float8,
								pg_catalog.int8, pg_catalog.int8,
								OUT comparison pg_catalog.text, OUT level pg_catalog.int4,
								OUT level_name pg_catalog.text,
								OUT value_a pg_catalog.text, OUT value_b pg_catalog.text,
								OUT m pg_catalog.float8, OUT u pg_catalog.float8,
								OUT weight pg_catalog.float8, OUT total_weight pg_catalog.float8,
								OUT threshold pg_catalog.float8, OUT passes pg_catalog.bool,
								OUT blocked_by pg_catalog.text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'cdp_fs_explain'
	LANGUAGE C STABLE;

/*
 * Estimate m and u of every level (u from sample_size random pairs drawn
 * with seed, m by EM on the blocked pairs), the prior and, where asked, the
 * frequencies of common values, and store them in the rule's definition.
 */
CREATE FUNCTION cdp.train_probabilistic_rule(rule_name pg_catalog.text,
											 sample_size pg_catalog.int4 DEFAULT 100000,
											 seed pg_catalog.int8 DEFAULT 42,
											 max_iterations pg_catalog.int4 DEFAULT 100)
	RETURNS pg_catalog.jsonb
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rule		cdp.match_rules;
	estimates	jsonb;
	comparison	jsonb;
	levels		jsonb;
	comparisons jsonb := '[]';
	trained		jsonb;
BEGIN
	rule := cdp._fs_rule(rule_name);
	PERFORM FROM cdp.match_rules m WHERE m.rule_id = rule.rule_id FOR UPDATE;
	estimates := cdp._fs_train(rule.rule_name, rule.definition, sample_size, seed, max_iterations);
	FOR i IN 0 .. jsonb_array_length(rule.definition -> 'comparisons') - 1 LOOP
		comparison := rule.definition -> 'comparisons' -> i;
		levels := '[]';
		FOR j IN 0 .. jsonb_array_length(estimates -> 'levels' -> i) - 1 LOOP
			levels := levels || jsonb_build_array(coalesce(comparison -> 'levels' -> j, '{"type": "else"}')
												  || (estimates -> 'levels' -> i -> j));
		END LOOP;
		comparison := jsonb_set(comparison, '{levels}', levels) - 'tf';
		IF jsonb_typeof(estimates -> 'tf' -> i) = 'object' THEN
			comparison := comparison || jsonb_build_object('tf', estimates -> 'tf' -> i);
		END IF;
		comparisons := comparisons || jsonb_build_array(comparison);
	END LOOP;
	trained := rule.definition || jsonb_build_object('comparisons', comparisons,
														'prior', estimates -> 'prior',
														'training', estimates -> 'training');
	UPDATE cdp.match_rules m SET definition = trained WHERE m.rule_id = rule.rule_id;
	RETURN trained;
END
$$;
COMMENT ON FUNCTION cdp.train_probabilistic_rule(pg_catalog.text, pg_catalog.int4, pg_catalog.int8, pg_catalog.int4)
	IS 'estimate a probabilistic rule''s m and u probabilities, prior and term frequencies from the records (unsupervised) and store them in its definition';

CREATE FUNCTION cdp.explain_link(record_a pg_catalog.int8, record_b pg_catalog.int8,
								 rule_name pg_catalog.text,
								 OUT comparison pg_catalog.text, OUT level pg_catalog.int4,
								 OUT level_name pg_catalog.text,
								 OUT value_a pg_catalog.text, OUT value_b pg_catalog.text,
								 OUT m pg_catalog.float8, OUT u pg_catalog.float8,
								 OUT weight pg_catalog.float8, OUT total_weight pg_catalog.float8,
								 OUT threshold pg_catalog.float8, OUT passes pg_catalog.bool,
								 OUT blocked_by pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.*
	  FROM cdp._fs_rule(rule_name) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
$$;
COMMENT ON FUNCTION cdp.explain_link(pg_catalog.int8, pg_catalog.int8, pg_catalog.text)
	IS 'why a probabilistic rule links two source records or not: each comparison''s level, m, u and weight, the total and the threshold';

CREATE FUNCTION cdp.explain_link(record_a pg_catalog.int8, record_b pg_catalog.int8,
								 OUT comparison pg_catalog.text, OUT level pg_catalog.int4,
								 OUT level_name pg_catalog.text,
								 OUT value_a pg_catalog.text, OUT value_b pg_catalog.text,
								 OUT m pg_catalog.float8, OUT u pg_catalog.float8,
								 OUT weight pg_catalog.float8, OUT total_weight pg_catalog.float8,
								 OUT threshold pg_catalog.float8, OUT passes pg_catalog.bool,
								 OUT blocked_by pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.*
	  FROM cdp._fs_rule(NULL) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
$$;
COMMENT ON FUNCTION cdp.explain_link(pg_catalog.int8, pg_catalog.int8)
	IS 'explain_link under the first enabled probabilistic rule';

CREATE FUNCTION cdp.match_weight(record_a pg_catalog.int8, record_b pg_catalog.int8,
								 rule_name pg_catalog.text)
	RETURNS pg_catalog.float8
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.total_weight
	  FROM cdp._fs_rule(rule_name) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
	 LIMIT 1
$$;
COMMENT ON FUNCTION cdp.match_weight(pg_catalog.int8, pg_catalog.int8, pg_catalog.text)
	IS 'match weight (log2 odds that they are one person) of two source records under a probabilistic rule';

CREATE FUNCTION cdp.match_weight(record_a pg_catalog.int8, record_b pg_catalog.int8)
	RETURNS pg_catalog.float8
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.total_weight
	  FROM cdp._fs_rule(NULL) r,
		   LATERAL cdp._fs_explain(r.rule_name, r.definition, r.threshold, record_a, record_b) e
	 LIMIT 1
$$;
COMMENT ON FUNCTION cdp.match_weight(pg_catalog.int8, pg_catalog.int8)
	IS 'match_weight under the first enabled probabilistic rule';

/*
 * A starting model for Japanese and Latin customer records.  Names compare
 * as written (kanji variants, width and case folded), by kana reading and,
 * for records that have neither, by romaji in any word order; contact
 * details form one comparison whose first agreeing level counts (e-mail,
 * phone, address, postal code), so that a household sharing a phone and an
 * address does not add that evidence up several times.  Untrained: insert
 * it as a rule's definition, then run cdp.train_probabilistic_rule.
 */
CREATE FUNCTION cdp.default_probabilistic_rule()
	RETURNS pg_catalog.jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT '{
  "comparisons": [
    {"name": "family_name", "field": "family_name", "tf_adjust": true,
     "levels": [{"type": "normalized"},
                {"type": "kana_key", "field": "family_name_kana"},
                {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8, "field": "family_name_kana"},
                {"type": "else"}]},
    {"name": "given_name", "field": "given_name", "tf_adjust": true,
     "levels": [{"type": "normalized"},
                {"type": "kana_key", "field": "given_name_kana"},
                {"type": "jaro_winkler", "min": 0.92},
                {"type": "jaro_winkler", "min": 0.8, "field": "given_name_kana"},
                {"type": "else"}]},
    {"name": "name_romaji", "unless": ["family_name", "given_name"],
     "field": {"coalesce": ["name_romaji", ["family_name_kana", "given_name_kana"]]},
     "normalizer": "romaji",
     "levels": [{"type": "normalized"},
                {"type": "else"}]},
    {"name": "birth_date", "field": "birth_date",
     "levels": [{"type": "exact"},
                {"type": "date_near"},
                {"type": "else"}]},
    {"name": "contact",
     "levels": [{"type": "normalized", "field": "email", "normalizer": "name"},
                {"type": "normalized", "field": "phone", "normalizer": "phone"},
                {"type": "normalized", "field": ["region", "locality", "address_line1", "address_line2"],
                 "normalizer": "address"},
                {"type": "normalized", "field": "postal_code", "normalizer": "digits"},
                {"type": "else"}]}
  ],
  "blocking": [["birth_date"],
               ["normalize_phone(phone)"],
               ["normalize_name(email)"],
               ["normalize_name(family_name)", "normalize_name(given_name)"],
               ["kana_key(family_name_kana)", "kana_key(given_name_kana)"],
               ["digits(postal_code)", "normalize_name(family_name)"],
               ["normalize_address(address_line1)"]],
  "training_blocking": [["birth_date"],
                        ["normalize_name(family_name)", "normalize_name(given_name)"],
                        ["kana_key(family_name_kana)", "kana_key(given_name_kana)"]],
  "max_block_size": 2000
}'::pg_catalog.jsonb
$$;
COMMENT ON FUNCTION cdp.default_probabilistic_rule()
	IS 'an untrained probabilistic model for Japanese and Latin records, to insert as a rule''s definition and train';

/*
 * Blocking keys in SQL: the candidate query of incremental resolution
 * compares cdp.blocking_key(function, column), computed by the same C code
 * as batch blocking; cdp.blocking_indexes(rule) gives the CREATE INDEX
 * statements that make it an index scan.
 */
CREATE FUNCTION cdp.blocking_key(function pg_catalog.text, value pg_catalog.text)
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME', 'cdp_blocking_key'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.blocking_key(pg_catalog.text, pg_catalog.text)
	IS 'a probabilistic rule''s blocking key: function is normalize_name, normalize_address, normalize_phone, digits, kana_key, romaji_key or romaji_words';

CREATE FUNCTION cdp._fs_blocking_indexes(pg_catalog.text, pg_catalog.jsonb)
	RETURNS SETOF pg_catalog.text
	AS 'MODULE_PATHNAME', 'cdp_fs_blocking_indexes'
	LANGUAGE C STABLE STRICT;

CREATE FUNCTION cdp.blocking_indexes(rule_name pg_catalog.text)
	RETURNS SETOF pg_catalog.text
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s FROM cdp._fs_rule(rule_name) r, LATERAL cdp._fs_blocking_indexes(r.rule_name, r.definition) s
$$;
COMMENT ON FUNCTION cdp.blocking_indexes(pg_catalog.text)
	IS 'CREATE INDEX statements on cdp.source_records that serve a probabilistic rule''s blocking in incremental resolution';
