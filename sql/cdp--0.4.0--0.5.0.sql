/*
 * cdp--0.4.0--0.5.0.sql
 *	  Upgrade from 0.4.0 to 0.5.0: consent-aware row access, data-subject requests and the audit trail.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.5.0'" to load this file. \quit

/* ========================================================================
 * CONSENT: roles, purposes per role, the derived consent state and the
 * row-level security that honours it
 * ====================================================================== */

/* ------------------------------------------------------------------------
 * Roles.  Roles are cluster-wide: they are created here only when missing,
 * are shared by every database that installs cdp, and survive DROP
 * EXTENSION.  None can log in; grant them to login roles.
 *	cdp_admin	 everything, every row (policies let it in unconditionally)
 *	cdp_steward	 manages records, profiles and merges; sees unresolved records
 *	cdp_analyst	 reads, for the purposes it holds (analytics)
 *	cdp_marketer reads profiles and events for marketing purposes
 *	cdp_loader	 inserts source data and consent events, reads no personal rows
 * ---------------------------------------------------------------------- */

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['cdp_admin', 'cdp_steward', 'cdp_analyst', 'cdp_marketer', 'cdp_loader'] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

/* ------------------------------------------------------------------------
 * Which role may act for which purpose.  A role acts for a purpose when it
 * is a member (pg_has_role ... 'MEMBER') of a role with an enabled row.
 * Default rows are "builtin"; to take one away set enabled = false
 * (deleting it is refused: a restore would bring it back).
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.role_purposes (
	role_name		name NOT NULL,
	purpose			text NOT NULL REFERENCES cdp.purposes (purpose) ON UPDATE CASCADE ON DELETE CASCADE,
	enabled			boolean NOT NULL DEFAULT true,
	builtin			boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (role_name, purpose)
);
COMMENT ON TABLE cdp.role_purposes IS 'purposes each role (and every member of it) may set in cdp.purpose';

INSERT INTO cdp.role_purposes (role_name, purpose, builtin)
SELECT r.role_name, p.purpose, true
  FROM (VALUES ('cdp_admin'), ('cdp_steward')) r(role_name)
 CROSS JOIN cdp.purposes p
 WHERE p.builtin
UNION ALL
SELECT r.role_name, r.purpose, true
  FROM (VALUES ('cdp_analyst', 'analytics'), ('cdp_marketer', 'email_marketing'),
			   ('cdp_marketer', 'personalisation')) r(role_name, purpose);

CREATE FUNCTION cdp._role_purposes_keep_builtin() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF OLD.builtin THEN
		RAISE EXCEPTION 'default purpose % of role % cannot be deleted', OLD.purpose, OLD.role_name
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Set enabled = false instead; a deleted default would come back on restore.';
	END IF;
	RETURN OLD;
END
$$;

CREATE TRIGGER role_purposes_customised BEFORE UPDATE ON cdp.role_purposes
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER role_purposes_replace_builtin BEFORE INSERT ON cdp.role_purposes
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('role_name', 'purpose');
CREATE TRIGGER role_purposes_keep_builtin BEFORE DELETE ON cdp.role_purposes
	FOR EACH ROW EXECUTE FUNCTION cdp._role_purposes_keep_builtin();

/* ------------------------------------------------------------------------
 * Processing restrictions (GDPR art. 18): a restricted profile is visible
 * for no purpose.  Data-subject requests add and remove rows.
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.processing_restrictions (
	profile_id		bigint PRIMARY KEY REFERENCES cdp.profiles (profile_id) ON DELETE CASCADE,
	restricted_at	timestamptz NOT NULL DEFAULT now(),
	reason			text
);
COMMENT ON TABLE cdp.processing_restrictions IS 'profiles whose processing is restricted: visible for no purpose';

/* ------------------------------------------------------------------------
 * The current consent state, derived from the ledger: one row per surviving
 * active profile and purpose with an explicit decision.  Maintained by a
 * trigger on cdp.consent_events and by cdp._profiles_changed; not dumped
 * (rebuilt from the ledger when the ledger is restored).
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.consent_current (
	profile_id		bigint NOT NULL REFERENCES cdp.profiles (profile_id) ON DELETE CASCADE,
	purpose			text NOT NULL,
	granted			boolean NOT NULL,
	collected_at	timestamptz NOT NULL,
	expires_at		timestamptz,
	legal_basis		text NOT NULL,
	source_id		integer,
	consent_event_id bigint NOT NULL,
	PRIMARY KEY (profile_id, purpose)
);
COMMENT ON TABLE cdp.consent_current IS 'derived: the decision in force per profile and purpose (latest explicit decision across the profile''s records and merged profiles)';

CREATE FUNCTION cdp._consent_visible(profile_id pg_catalog.int8) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_consent_visible'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION cdp._consent_visible(pg_catalog.int8) IS
	'internal (row-level security): whether the profile''s consent covers cdp.purpose and the current role may act for it';

CREATE FUNCTION cdp._consent_invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'cdp_consent_invalidate'
	LANGUAGE C;
COMMENT ON FUNCTION cdp._consent_invalidate() IS 'internal: tells every session that cached consent is stale';

CREATE TRIGGER consent_current_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cdp.consent_current
	FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_invalidate();
CREATE TRIGGER role_purposes_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cdp.role_purposes
	FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_invalidate();
CREATE TRIGGER processing_restrictions_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON cdp.processing_restrictions
	FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_invalidate();

/*
 * Recompute cdp.consent_current for the given profiles (NULL: every
 * profile).  A profile's state is kept on its survivor (following
 * merged_into): the decisions of the survivor and of every profile merged
 * into it count, those attached to a record count for the record's current
 * profile, those attached to a profile directly (without a record) for that
 * profile.  Per purpose the latest explicit decision wins (collected_at,
 * then consent_event_id): a merge never widens what a later withdrawal
 * forbids, and an older grant never lifts it.  Merged, erased and unknown
 * profiles get no rows.
 */
CREATE FUNCTION cdp._consent_refresh(profile_ids pg_catalog.int8[]) RETURNS void
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	roots	int8[];
BEGIN
	IF profile_ids IS NULL THEN
		DELETE FROM cdp.consent_current;
		roots := NULL;
	ELSE
		WITH RECURSIVE up (profile_id, merged_into, depth) AS (
			SELECT p.profile_id, p.merged_into, 0
			  FROM cdp.profiles p
			 WHERE p.profile_id IN (SELECT unnest(profile_ids))
			UNION ALL
			SELECT p.profile_id, p.merged_into, u.depth + 1
			  FROM up u JOIN cdp.profiles p ON p.profile_id = u.merged_into
			 WHERE u.depth < 100
		)
		SELECT coalesce(array_agg(DISTINCT u.profile_id), '{}')
		  INTO roots
		  FROM up u
		 WHERE u.merged_into IS NULL;
		DELETE FROM cdp.consent_current c
		 WHERE c.profile_id IN (SELECT unnest(profile_ids) UNION SELECT unnest(roots));
	END IF;

	INSERT INTO cdp.consent_current (profile_id, purpose, granted, collected_at, expires_at,
									 legal_basis, source_id, consent_event_id)
	WITH RECURSIVE members (root, member, depth) AS (
		SELECT p.profile_id, p.profile_id, 0
		  FROM cdp.profiles p
		 WHERE p.status = 'active' AND p.merged_into IS NULL
		   AND (roots IS NULL OR p.profile_id IN (SELECT unnest(roots)))
		UNION ALL
		SELECT m.root, p.profile_id, m.depth + 1
		  FROM members m JOIN cdp.profiles p ON p.merged_into = m.member
		 WHERE m.depth < 100
	),
	decisions AS (
		SELECT m.root, e.purpose, e.decision, e.collected_at, e.expires_at, e.legal_basis,
			   e.source_id, e.consent_event_id
		  FROM members m JOIN cdp.consent_events e ON e.profile_id = m.member
		 WHERE e.record_id IS NULL
		UNION ALL
		SELECT m.root, e.purpose, e.decision, e.collected_at, e.expires_at, e.legal_basis,
			   e.source_id, e.consent_event_id
		  FROM members m
		  JOIN cdp.source_records r ON r.profile_id = m.member
		  JOIN cdp.consent_events e ON e.record_id = r.record_id
	)
	SELECT DISTINCT ON (d.root, d.purpose)
		   d.root, d.purpose, d.decision = 'granted', d.collected_at, d.expires_at,
		   d.legal_basis, d.source_id, d.consent_event_id
	  FROM decisions d
	 ORDER BY d.root, d.purpose, d.collected_at DESC, d.consent_event_id DESC;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._consent_refresh(pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._consent_refresh(pg_catalog.int8[]) IS
	'internal: recompute cdp.consent_current for these profiles (NULL: all)';

CREATE FUNCTION cdp.consent_refresh(profile_ids pg_catalog.int8[] DEFAULT NULL) RETURNS void
	LANGUAGE sql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT cdp._consent_refresh(profile_ids)
$$;
REVOKE EXECUTE ON FUNCTION cdp.consent_refresh(pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp.consent_refresh(pg_catalog.int8[]) IS
	'recompute the consent state of these profiles (NULL: all) from the ledger, e.g. after a data-only restore or a direct change of source_records.profile_id';

/* the ledger's new events change the state of their profiles */
CREATE FUNCTION cdp._consent_events_added() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM cdp._consent_refresh(ARRAY(
		SELECT DISTINCT CASE WHEN e.record_id IS NULL THEN e.profile_id ELSE r.profile_id END
		  FROM new_events e
		  LEFT JOIN cdp.source_records r ON r.record_id = e.record_id
		 WHERE CASE WHEN e.record_id IS NULL THEN e.profile_id ELSE r.profile_id END IS NOT NULL));
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._consent_events_added() FROM PUBLIC;

CREATE TRIGGER consent_events_refresh AFTER INSERT ON cdp.consent_events
	REFERENCING NEW TABLE AS new_events
	FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_events_added();

/* ------------------------------------------------------------------------
 * Reading and recording consent
 * ---------------------------------------------------------------------- */

CREATE VIEW cdp.consent_state WITH (security_invoker = true) AS
SELECT c.profile_id, c.purpose,
	   CASE WHEN NOT c.granted THEN 'withdrawn'
			WHEN c.expires_at OPERATOR(pg_catalog.<=) pg_catalog.statement_timestamp() THEN 'expired'
			ELSE 'granted' END AS state,
	   c.granted AND (c.expires_at IS NULL OR c.expires_at OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp())
		 AND NOT EXISTS (SELECT FROM cdp.processing_restrictions r
						  WHERE r.profile_id OPERATOR(pg_catalog.=) c.profile_id) AS allowed,
	   EXISTS (SELECT FROM cdp.processing_restrictions r
				WHERE r.profile_id OPERATOR(pg_catalog.=) c.profile_id) AS restricted,
	   c.collected_at, c.expires_at, c.legal_basis, c.source_id, c.consent_event_id
  FROM cdp.consent_current c;
COMMENT ON VIEW cdp.consent_state IS 'consent in force per profile and purpose (granted, withdrawn or expired) and whether it allows processing now';

CREATE FUNCTION cdp.consent_allows(profile_id pg_catalog.int8, purpose text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_consent_allows'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION cdp.consent_allows(pg_catalog.int8, text) IS
	'whether the profile''s consent allows processing for the purpose now (the caller must be allowed to act for the purpose)';

CREATE FUNCTION cdp.record_consent(
	purpose text,
	decision text,
	profile_id pg_catalog.int8 DEFAULT NULL,
	record_id pg_catalog.int8 DEFAULT NULL,
	collected_at timestamptz DEFAULT pg_catalog.now(),
	expires_at timestamptz DEFAULT NULL,
	legal_basis text DEFAULT 'consent',
	source_key text DEFAULT NULL,
	evidence jsonb DEFAULT '{}')
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	source	integer;
BEGIN
	IF record_consent.purpose IS NULL OR record_consent.decision IS NULL THEN
		RAISE EXCEPTION 'cdp.record_consent: purpose and decision must not be null'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT EXISTS (SELECT FROM cdp.purposes p WHERE p.purpose = record_consent.purpose) THEN
		RAISE EXCEPTION 'cdp.record_consent: unknown purpose "%"', record_consent.purpose
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The purposes are the rows of cdp.purposes.';
	END IF;
	IF record_consent.decision NOT IN ('granted', 'withdrawn') THEN
		RAISE EXCEPTION 'cdp.record_consent: decision "%" is neither "granted" nor "withdrawn"', record_consent.decision
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF record_consent.profile_id IS NULL AND record_consent.record_id IS NULL THEN
		RAISE EXCEPTION 'cdp.record_consent: give the profile_id or the record_id the decision is about'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF record_consent.collected_at IS NULL THEN
		RAISE EXCEPTION 'cdp.record_consent: collected_at must not be null'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF record_consent.expires_at IS NOT NULL AND record_consent.decision = 'withdrawn' THEN
		RAISE EXCEPTION 'cdp.record_consent: only a grant expires'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF record_consent.expires_at <= record_consent.collected_at THEN
		RAISE EXCEPTION 'cdp.record_consent: expires_at % is not after collected_at %',
			record_consent.expires_at, record_consent.collected_at
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF record_consent.source_key IS NOT NULL THEN
		SELECT s.source_id INTO source FROM cdp.sources s WHERE s.source_key = record_consent.source_key;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'cdp.record_consent: unknown source "%"', record_consent.source_key
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;
	-- no RETURNING: a loader may insert consent events it cannot read back
	INSERT INTO cdp.consent_events (record_id, profile_id, purpose, decision, legal_basis, source_id,
									collected_at, expires_at, evidence)
	VALUES (record_consent.record_id, record_consent.profile_id, record_consent.purpose,
			record_consent.decision, record_consent.legal_basis, source, record_consent.collected_at,
			record_consent.expires_at, coalesce(record_consent.evidence, '{}'));
	RETURN currval(pg_get_serial_sequence('cdp.consent_events', 'consent_event_id'));
END
$$;
COMMENT ON FUNCTION cdp.record_consent(text, text, pg_catalog.int8, pg_catalog.int8, timestamptz, timestamptz, text, text, jsonb) IS
	'append a consent decision (granted or withdrawn) for a profile or a source record to the ledger; returns its consent_event_id';

/* ------------------------------------------------------------------------
 * Row-level security on every table with personal data.  Policies:
 *	consent_read	   everyone: rows of profiles whose consent covers
 *					   cdp.purpose, when the role may act for it
 *	admin_all		   cdp_admin: every row, every command
 *	steward_unresolved cdp_steward also reads rows without a profile
 *	steward_update/_delete/_insert: cdp_steward changes the rows it sees
 *	loader_insert	   cdp_loader inserts (and reads nothing back)
 * Superusers bypass row-level security; FORCE makes it apply to the owner.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._protect_personal_table(personal_table regclass) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_attribute a
					WHERE a.attrelid = personal_table AND a.attname = 'profile_id'
					  AND a.atttypid = 'pg_catalog.int8'::regtype AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'table % has no bigint column profile_id', personal_table
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', personal_table);
	EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', personal_table);
	EXECUTE format('CREATE POLICY consent_read ON %s FOR SELECT'
				   ' USING (cdp._consent_visible(profile_id))', personal_table);
	EXECUTE format('CREATE POLICY admin_all ON %s TO cdp_admin USING (true) WITH CHECK (true)',
				   personal_table);
	EXECUTE format('CREATE POLICY steward_unresolved ON %s FOR SELECT TO cdp_steward'
				   ' USING (profile_id IS NULL)', personal_table);
	EXECUTE format('CREATE POLICY steward_update ON %s FOR UPDATE TO cdp_steward'
				   ' USING (profile_id IS NULL OR cdp._consent_visible(profile_id)) WITH CHECK (true)',
				   personal_table);
	EXECUTE format('CREATE POLICY steward_delete ON %s FOR DELETE TO cdp_steward'
				   ' USING (profile_id IS NULL OR cdp._consent_visible(profile_id))', personal_table);
	EXECUTE format('CREATE POLICY steward_insert ON %s FOR INSERT TO cdp_steward WITH CHECK (true)',
				   personal_table);
	EXECUTE format('CREATE POLICY loader_insert ON %s FOR INSERT TO cdp_loader WITH CHECK (true)',
				   personal_table);
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._protect_personal_table(regclass) FROM PUBLIC;
COMMENT ON FUNCTION cdp._protect_personal_table(regclass) IS
	'internal: force row-level security with cdp''s consent policies on a table with a bigint profile_id';

SELECT cdp._protect_personal_table(t)
  FROM (VALUES ('cdp.profiles'::regclass), ('cdp.source_records'), ('cdp.identifiers'), ('cdp.events'),
			   ('cdp.consent_events'), ('cdp.merge_log'), ('cdp.rfm_snapshots'), ('cdp.consent_current'),
			   ('cdp.processing_restrictions')) v(t);

/* ------------------------------------------------------------------------
 * Privileges, as a DBA would hand them out.  Row-level security then
 * decides which rows.
 * ---------------------------------------------------------------------- */

-- reference data: everyone reads, the steward curates the matching set-up
GRANT SELECT ON cdp.sources, cdp.identifier_kinds, cdp.blocked_identifiers, cdp.match_rules,
	cdp.purposes, cdp.role_purposes, cdp.rfm_thresholds, cdp.rfm_segments, cdp.rfm_snapshot_runs
	TO cdp_admin, cdp_steward, cdp_analyst, cdp_marketer, cdp_loader;
GRANT INSERT, UPDATE, DELETE ON cdp.sources, cdp.identifier_kinds, cdp.blocked_identifiers, cdp.match_rules
	TO cdp_steward;
GRANT INSERT, UPDATE, DELETE ON cdp.sources, cdp.identifier_kinds, cdp.blocked_identifiers, cdp.match_rules,
	cdp.purposes, cdp.role_purposes, cdp.rfm_thresholds, cdp.rfm_segments, cdp.rfm_snapshot_runs
	TO cdp_admin;

-- personal data
GRANT SELECT, INSERT, UPDATE, DELETE ON cdp.profiles, cdp.source_records, cdp.identifiers, cdp.events,
	cdp.rfm_snapshots, cdp.processing_restrictions
	TO cdp_admin;
GRANT SELECT, INSERT ON cdp.consent_events, cdp.merge_log TO cdp_admin, cdp_steward;
GRANT SELECT ON cdp.consent_current TO cdp_admin, cdp_steward, cdp_analyst, cdp_marketer;
GRANT SELECT, INSERT, UPDATE, DELETE ON cdp.profiles, cdp.source_records, cdp.identifiers, cdp.events
	TO cdp_steward;
GRANT SELECT ON cdp.rfm_snapshots, cdp.processing_restrictions TO cdp_steward;
GRANT SELECT ON cdp.profiles, cdp.source_records, cdp.identifiers, cdp.events, cdp.consent_events,
	cdp.rfm_snapshots
	TO cdp_analyst;
GRANT SELECT ON cdp.profiles, cdp.identifiers, cdp.events, cdp.rfm_snapshots TO cdp_marketer;
GRANT INSERT ON cdp.source_records, cdp.identifiers, cdp.events, cdp.consent_events TO cdp_loader;
-- cdp.record_consent reads back the id it inserted with currval
GRANT USAGE ON SEQUENCE cdp.consent_events_consent_event_id_seq TO cdp_admin, cdp_steward, cdp_loader;

-- views for BI tools (security_invoker: the reader's rows)
GRANT SELECT ON cdp.consent_state, cdp.rfm_profiles, cdp.rfm_segment_summary, cdp.rfm_snapshot_summary
	TO cdp_admin, cdp_steward, cdp_analyst, cdp_marketer;

GRANT EXECUTE ON FUNCTION cdp.consent_refresh(pg_catalog.int8[]) TO cdp_admin, cdp_steward;

/* ------------------------------------------------------------------------
 * pg_dump keeps the users' rows; the derived state is rebuilt on restore
 * ---------------------------------------------------------------------- */

SELECT pg_catalog.pg_extension_config_dump('cdp.role_purposes', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.processing_restrictions', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_current', 'WHERE false');


/* ------------------------------------------------------------------------
 * Hook for identity resolution: called after record-to-profile membership
 * changed (merge, unmerge, split, erase) with the profiles whose member
 * records changed, so that derived per-profile state (consent) follows.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp._profiles_changed(profile_ids pg_catalog.int8[]) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT cdp._consent_refresh(profile_ids)
$$;
REVOKE EXECUTE ON FUNCTION cdp._profiles_changed(pg_catalog.int8[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._profiles_changed(pg_catalog.int8[]) IS
	'internal: refresh derived per-profile state after membership changes';
