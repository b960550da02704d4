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

CREATE FUNCTION cdp._consent_visible_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_consent_visible_support'
	LANGUAGE C STRICT;
COMMENT ON FUNCTION cdp._consent_visible_support(internal) IS
	'internal: planner support (selectivity) of cdp._consent_visible';

CREATE FUNCTION cdp._consent_visible(profile_id pg_catalog.int8) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_consent_visible'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
	SUPPORT cdp._consent_visible_support;
COMMENT ON FUNCTION cdp._consent_visible(pg_catalog.int8) IS
	'internal (row-level security): whether the profile''s consent covers cdp.purpose and the current role may act for it';

/*
 * The change log that keeps every session's consent cache current without
 * rereading cdp.consent_current: each statement that changes the consent
 * state or the processing restrictions appends the profile ids it touched
 * (NULL: too many to list, reread everything), tagged with its transaction
 * id.  A session whose cache was built from a snapshot with xmin X patches
 * it with the rows of transactions from X on (consent_cache.c).  Old rows
 * are pruned in batches; cdp.consent_changes_pruned remembers the newest
 * transaction pruned, and a cache older than that is rebuilt in full.  Not
 * dumped: after a restore every cache starts empty.
 */
CREATE TABLE cdp.consent_changes (
	change_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	xid				pg_catalog.xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
	profile_id		bigint
);
CREATE INDEX consent_changes_xid ON cdp.consent_changes (xid);
COMMENT ON TABLE cdp.consent_changes IS
	'internal: profiles whose consent state changed, per transaction (NULL profile: all), for the sessions'' consent caches';

CREATE TABLE cdp.consent_changes_pruned (
	horizon			pg_catalog.xid8 NOT NULL
);
INSERT INTO cdp.consent_changes_pruned VALUES ('0');
CREATE UNIQUE INDEX consent_changes_pruned_one_row ON cdp.consent_changes_pruned ((true));
COMMENT ON TABLE cdp.consent_changes_pruned IS
	'internal: the newest transaction whose rows of cdp.consent_changes were pruned';

CREATE FUNCTION cdp._consent_invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'cdp_consent_invalidate'
	LANGUAGE C;
COMMENT ON FUNCTION cdp._consent_invalidate() IS
	'internal: tells every session that cached consent is stale (rebuilt in full after a change of role purposes)';

CREATE FUNCTION cdp._consent_log_changes() RETURNS trigger
	AS 'MODULE_PATHNAME', 'cdp_consent_log_changes'
	LANGUAGE C;
COMMENT ON FUNCTION cdp._consent_log_changes() IS
	'internal: logs the profiles whose consent state a statement changed, and tells every session';

-- the same four statement triggers on both tables, named after table and event
DO $$
DECLARE
	t	text;
BEGIN
	FOREACH t IN ARRAY ARRAY['consent_current', 'processing_restrictions'] LOOP
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON cdp.%I REFERENCING NEW TABLE AS changed_rows'
								  ' FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_log_changes()', t || '_inserted', t);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON cdp.%I'
								  ' REFERENCING OLD TABLE AS changed_rows NEW TABLE AS new_rows'
								  ' FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_log_changes()', t || '_updated', t);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON cdp.%I REFERENCING OLD TABLE AS changed_rows'
								  ' FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_log_changes()', t || '_deleted', t);
		EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON cdp.%I'
								  ' FOR EACH STATEMENT EXECUTE FUNCTION cdp._consent_log_changes()', t || '_truncated', t);
	END LOOP;
END
$$;
CREATE TRIGGER role_purposes_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cdp.role_purposes
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
		-- waits for the refreshes of single profiles under way, and keeps new ones out
		LOCK TABLE cdp.consent_current IN EXCLUSIVE MODE;
		DELETE FROM cdp.consent_current;
		roots := ARRAY(SELECT p.profile_id FROM cdp.profiles p
						WHERE p.status = 'active' AND p.merged_into IS NULL);
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
		/*
		 * One refresh of a profile at a time: two transactions recording
		 * consent for the same person would otherwise each derive the state
		 * without the other's event and collide on the primary key.  The
		 * locks are taken in key order (no deadlock between refreshes) and
		 * held to the end of the transaction; the statements below take
		 * fresh snapshots (READ COMMITTED), so they see what the previous
		 * holder committed.  Past 1000 people the lock table would fill up:
		 * a bulk refresh locks the derived table instead (readers go on).
		 */
		IF cardinality(profile_ids) + cardinality(roots) <= 1000 THEN
			PERFORM pg_advisory_xact_lock(1667527536, l.k)
			   FROM (SELECT DISTINCT hashint8(x.id) AS k FROM unnest(profile_ids || roots) x(id)
					  WHERE x.id IS NOT NULL ORDER BY 1) l;
		ELSE
			-- a bulk load (COPY, pg_restore): one table lock, not a lock per person
			LOCK TABLE cdp.consent_current IN EXCLUSIVE MODE;
		END IF;
		DELETE FROM cdp.consent_current c
		 WHERE c.profile_id IN (SELECT unnest(profile_ids) UNION SELECT unnest(roots));
	END IF;

	INSERT INTO cdp.consent_current (profile_id, purpose, granted, collected_at, expires_at,
									 legal_basis, source_id, consent_event_id)
	WITH RECURSIVE members (root, member, depth) AS (
		SELECT p.profile_id, p.profile_id, 0
		  FROM cdp.profiles p
		 -- a condition the planner can drive an index probe with (an "OR roots
		 -- IS NULL" here made every single-profile refresh scan all profiles)
		 WHERE p.profile_id IN (SELECT unnest(roots))
		   AND p.status = 'active' AND p.merged_into IS NULL
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
	 ORDER BY d.root, d.purpose, d.collected_at DESC, d.consent_event_id DESC
	-- a row committed meanwhile by a transaction this one cannot see (a
	-- REPEATABLE READ writer) makes this a serialization failure, to retry
	ON CONFLICT (profile_id, purpose) DO UPDATE
	   SET granted = EXCLUDED.granted, collected_at = EXCLUDED.collected_at,
		   expires_at = EXCLUDED.expires_at, legal_basis = EXCLUDED.legal_basis,
		   source_id = EXCLUDED.source_id, consent_event_id = EXCLUDED.consent_event_id;
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

-- a database upgraded from 0.4.0 may hold a ledger already
SELECT cdp._consent_refresh(NULL);

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
	source		integer;
	new_event	pg_catalog.int8;
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
	new_event := currval(pg_get_serial_sequence('cdp.consent_events', 'consent_event_id'));
	-- one audit row per decision (the record's profile is looked up by cdp._audit)
	PERFORM cdp._audit('consent_change', ARRAY[record_consent.profile_id],
					   jsonb_build_object('consent_event_id', new_event, 'consent_purpose', record_consent.purpose,
										  'decision', record_consent.decision),
					   CASE WHEN record_consent.record_id IS NOT NULL THEN ARRAY[record_consent.record_id] END);
	RETURN new_event;
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
			   ('cdp.processing_restrictions'), ('cdp.consent_changes')) v(t);

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
-- (the change log restarts empty; its ids go on)
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_changes', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_changes_change_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.consent_changes_pruned', 'WHERE false');


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

/* ========================================================================
 * Data-subject requests and the audit trail
 *
 * A person may ask for a copy of everything cdp holds about them
 * (cdp.export_person), to be erased (cdp.erase_person) or to have the
 * processing of their data restricted (cdp.restrict_processing,
 * cdp.lift_restriction).  Every request is a row of cdp.dsr_requests and
 * every call leaves a row in cdp.audit_log, which non-admin roles cannot
 * alter.  The functions find the tables that hold personal data from the
 * catalog (the extension's member tables with a column that names a
 * profile or a record), so tables that later versions add are exported
 * and erased without changing them.  They are SECURITY DEFINER (they must
 * see every row, whatever the caller's purpose) and only cdp_admin and
 * cdp_steward may call them.
 * ======================================================================== */

-- the roles of cdp, NOLOGIN: grant them to login roles (also made by the consent section)
DO $$
DECLARE
	role_name	text;
BEGIN
	FOREACH role_name IN ARRAY ARRAY['cdp_admin', 'cdp_steward', 'cdp_analyst', 'cdp_marketer', 'cdp_loader']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', role_name);
		END IF;
	END LOOP;
END
$$;

/* ------------------------------------------------------------------------
 * The audit trail: cdp.audit_log, cdp._audit, cdp.audit_report
 * ---------------------------------------------------------------------- */

-- the role that called cdp (SET ROLE included), not the owner of SECURITY DEFINER code
CREATE FUNCTION cdp._audit_acting_role() RETURNS name
	AS 'MODULE_PATHNAME', 'cdp_audit_acting_role'
	LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
REVOKE EXECUTE ON FUNCTION cdp._audit_acting_role() FROM PUBLIC;
COMMENT ON FUNCTION cdp._audit_acting_role() IS
	'internal: the role the session acts as outside SECURITY DEFINER functions';

CREATE TABLE cdp.audit_log (
	audit_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	logged_at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	-- the login role, and the role it acted as (after SET ROLE)
	session_role	name NOT NULL DEFAULT session_user,
	acting_role		name NOT NULL,
	-- the purpose the session declared (cdp.purpose), NULL if none
	purpose			text,
	action			text NOT NULL
		CONSTRAINT audit_log_action_format CHECK (action ~ '^[a-z][a-z0-9_]{0,62}$'),
	profile_ids		bigint[] NOT NULL DEFAULT '{}',
	details			jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT audit_log_details_object CHECK (jsonb_typeof(details) = 'object')
);
COMMENT ON TABLE cdp.audit_log IS 'who read or changed whose personal data through cdp''s functions, when and for which purpose (append-only)';
COMMENT ON COLUMN cdp.audit_log.acting_role IS 'the role the session acted as (SET ROLE), not the owner of the SECURITY DEFINER code';
COMMENT ON COLUMN cdp.audit_log.details IS 'what was done: ids and counts, never personal values';

CREATE INDEX audit_log_logged_at_idx ON cdp.audit_log (logged_at);
CREATE INDEX audit_log_profile_ids_idx ON cdp.audit_log USING gin (profile_ids);

/*
 * Audit rows are never changed; only members of cdp_admin (and superusers)
 * may delete them, to apply a retention period.  Privileges already keep
 * other roles out; the trigger also holds against a role that was granted
 * UPDATE or DELETE by mistake.
 */
CREATE FUNCTION cdp._audit_log_append_only() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP OPERATOR(pg_catalog.<>) 'UPDATE'
		AND pg_catalog.pg_has_role(current_user, 'cdp_admin', 'USAGE')
	THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'the audit log is append-only'
		USING ERRCODE = 'insufficient_privilege',
			  DETAIL = pg_catalog.format('%s on cdp.audit_log is not allowed for role %s.', TG_OP, current_user),
			  HINT = 'Audit rows are never changed; members of cdp_admin may delete old rows.';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON cdp.audit_log
	FOR EACH ROW EXECUTE FUNCTION cdp._audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON cdp.audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION cdp._audit_log_append_only();

/*
 * cdp._audit writes one audit row.  cdp's functions that read or change
 * personal data call it once per call (a batch writes one summary row, not
 * a row per person); details hold ids and counts, never personal values.
 * record_ids names source records the call touched: the row then also
 * names their current profiles (a loader that cannot read the records may
 * pass them) and details get "record_ids" as given.  A call costs a few
 * tens of microseconds (cdp.resolve_record makes one per record): one
 * INSERT, and a look-up only when record ids are given.  (Triggers on the
 * ledger and the merge log would audit every tool's changes, but they
 * would also fire while pg_restore loads those tables, adding false rows
 * whose ids collide with the restored ones.)
 */
CREATE FUNCTION cdp._audit(action text, profile_ids bigint[], details jsonb DEFAULT '{}',
						   record_ids bigint[] DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	new_id		bigint;
	profiles	bigint[] := _audit.profile_ids;
	what		jsonb := coalesce(_audit.details, '{}');
BEGIN
	IF _audit.action IS NULL OR _audit.action !~ '^[a-z][a-z0-9_]{0,62}$' THEN
		RAISE EXCEPTION 'invalid audit action: %', coalesce(quote_literal(_audit.action), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'An action is a lower-case word such as "erase" (letters, digits, underscores).';
	END IF;
	IF jsonb_typeof(what) <> 'object' THEN
		RAISE EXCEPTION 'audit details must be a JSON object, not %', jsonb_typeof(what)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF cardinality(_audit.record_ids) = 1 THEN
		-- (the usual case; a plan that does not depend on the array, so it is cached)
		profiles := profiles || ARRAY(SELECT r.profile_id FROM cdp.source_records r
									   WHERE r.record_id = _audit.record_ids[1]);
		what := what || jsonb_build_object('record_ids', to_jsonb(_audit.record_ids));
	ELSIF cardinality(_audit.record_ids) > 1 THEN
		profiles := profiles || ARRAY(SELECT r.profile_id FROM cdp.source_records r
									   WHERE r.record_id = ANY (_audit.record_ids));
		what := what || jsonb_build_object('record_ids', to_jsonb(_audit.record_ids));
	END IF;
	-- sorted, without duplicates or NULLs (a query only where there is something to sort)
	IF cardinality(profiles) > 1 THEN
		profiles := ARRAY(SELECT DISTINCT p FROM unnest(profiles) p WHERE p IS NOT NULL ORDER BY p);
	ELSIF profiles IS NULL OR profiles[1] IS NULL THEN
		profiles := '{}';
	END IF;
	INSERT INTO cdp.audit_log (acting_role, purpose, action, profile_ids, details)
	VALUES (cdp._audit_acting_role(), nullif(current_setting('cdp.purpose', true), ''), _audit.action,
			profiles, what)
	RETURNING audit_id INTO new_id;
	RETURN new_id;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._audit(text, bigint[], jsonb, bigint[]) FROM PUBLIC;
-- the roles that change personal data, for functions that run with the caller's rights
-- (a row names the role that wrote it, so a role can only add rows about itself)
GRANT EXECUTE ON FUNCTION cdp._audit(text, bigint[], jsonb, bigint[]) TO cdp_admin, cdp_steward, cdp_loader;
COMMENT ON FUNCTION cdp._audit(text, bigint[], jsonb, bigint[]) IS
	'internal: append a row to cdp.audit_log (called by cdp''s functions that read or change personal data)';

/*
 * cdp.audit_report lists the audit rows logged in [from_time, to_time)
 * (NULL: unbounded), optionally only those about one profile, oldest
 * first, with a sentence that says what happened.
 */
CREATE FUNCTION cdp.audit_report(from_time timestamptz, to_time timestamptz, profile_id bigint DEFAULT NULL)
	RETURNS TABLE (audit_id bigint, logged_at timestamptz, session_role name, acting_role name,
				   purpose text, action text, profile_ids bigint[], summary text, details jsonb)
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF from_time > to_time THEN
		RAISE EXCEPTION 'the report period ends before it starts'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('from_time %s is after to_time %s.', from_time, to_time);
	END IF;
	RETURN QUERY
	SELECT a.audit_id, a.logged_at, a.session_role, a.acting_role, a.purpose, a.action, a.profile_ids,
		   pg_catalog.format('%s %s%s', a.acting_role,
							 CASE a.action
								 WHEN 'export' THEN 'exported the data of'
								 WHEN 'erase' THEN 'erased'
								 WHEN 'restrict' THEN 'restricted the processing of'
								 WHEN 'unrestrict' THEN 'lifted the restriction of'
								 WHEN 'tombstone_match' THEN 'loaded an identifier of an erased person into'
								 WHEN 'consent_change' THEN 'recorded a consent decision of'
								 WHEN 'resolve' THEN 'ran batch identity resolution over'
								 WHEN 'resolve_record' THEN 'resolved a record into'
								 WHEN 'extract_identifiers' THEN 'extracted the identifiers of a record of'
								 WHEN 'split' THEN 'split records between'
								 WHEN 'unmerge' THEN 'undid a merge between'
								 WHEN 'refresh_golden' THEN 'recomputed the golden record of'
								 ELSE replace(a.action, '_', ' ') || ' on'
							 END,
							 -- a batch names no profiles: its details count them
							 CASE WHEN cardinality(a.profile_ids) = 1 THEN ' profile ' || a.profile_ids[1]
								  WHEN cardinality(a.profile_ids) > 1
								  THEN ' profiles ' || array_to_string(a.profile_ids, ', ')
								  WHEN a.details ? 'records' THEN ' ' || (a.details ->> 'records') || ' records'
								  WHEN a.details ? 'profiles' THEN ' ' || (a.details ->> 'profiles') || ' profiles'
								  ELSE ' no profile'
							 END
							 || CASE WHEN a.action = 'resolve'
									 THEN pg_catalog.format(' (profiles created %s, merged %s; records moved %s)',
															a.details ->> 'profiles_created',
															a.details ->> 'profiles_merged',
															a.details ->> 'records_changed')
									 ELSE '' END
							 || coalesce(' for ' || a.purpose, '')
							 || coalesce(' (request ' || (a.details ->> 'request_id') || ')', '')),
		   a.details
	  FROM cdp.audit_log a
	 WHERE (audit_report.from_time IS NULL OR a.logged_at >= audit_report.from_time)
	   AND (audit_report.to_time IS NULL OR a.logged_at < audit_report.to_time)
	   AND (audit_report.profile_id IS NULL OR audit_report.profile_id = ANY (a.profile_ids))
	 ORDER BY a.logged_at, a.audit_id;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.audit_report(timestamptz, timestamptz, bigint) FROM PUBLIC;
COMMENT ON FUNCTION cdp.audit_report(timestamptz, timestamptz, bigint) IS
	'audit rows logged in [from_time, to_time) (NULL: unbounded), optionally about one profile, with a readable summary';

/* ------------------------------------------------------------------------
 * Requests, settings, the tombstone secret and tombstones
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.dsr_requests (
	request_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind			text NOT NULL
		CONSTRAINT dsr_requests_kind_known CHECK (kind IN ('export', 'erase', 'restrict', 'unrestrict')),
	-- the subject as the request named it (a merged profile stands for its survivor); not
	-- named profile_id: this is cdp's record of the request, not personal data under consent
	subject_profile_id bigint NOT NULL,
	requested_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	session_role	name NOT NULL DEFAULT session_user,
	acting_role		name NOT NULL,
	purpose			text,
	outcome			text NOT NULL DEFAULT 'in_progress'
		CONSTRAINT dsr_requests_outcome_known CHECK (outcome IN ('in_progress', 'completed', 'no_change')),
	completed_at	timestamptz,
	reason			text,
	details			jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT dsr_requests_details_object CHECK (jsonb_typeof(details) = 'object')
);
COMMENT ON TABLE cdp.dsr_requests IS 'data-subject requests: export, erase, restrict, unrestrict; who asked for whom, when, with what outcome';
COMMENT ON COLUMN cdp.dsr_requests.details IS 'what the request did: profile and record ids, rows per table; never personal values';

CREATE INDEX dsr_requests_subject_idx ON cdp.dsr_requests (subject_profile_id, request_id);

CREATE TABLE cdp.dsr_settings (
	setting			text PRIMARY KEY
		CONSTRAINT dsr_settings_setting_known CHECK (setting IN ('reingestion')),
	value			text NOT NULL,
	description		text,
	builtin			boolean NOT NULL DEFAULT false,
	CONSTRAINT dsr_settings_reingestion_value CHECK (setting <> 'reingestion' OR value IN ('refuse', 'flag'))
);
COMMENT ON TABLE cdp.dsr_settings IS 'settings of data-subject requests (a table, not a GUC, so that no session can change them for itself)';

INSERT INTO cdp.dsr_settings (setting, value, description, builtin)
VALUES ('reingestion', 'refuse',
		'an identifier of an erased person arrives again: refuse (error 42501) or flag (load it, warn, audit row)', true);

CREATE TRIGGER dsr_settings_customised BEFORE UPDATE ON cdp.dsr_settings
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER dsr_settings_replace_builtin BEFORE INSERT ON cdp.dsr_settings
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('setting');

/*
 * The key of the tombstone hash.  Only the extension's owner reads it (no
 * grants at all); it is made on the first erasure, not at install, so
 * that a restored dump brings its own key and the restored tombstones
 * still match.  Dumps of the database hold it: protect them.
 */
CREATE TABLE cdp.dsr_secret (
	singleton		boolean PRIMARY KEY DEFAULT true
		CONSTRAINT dsr_secret_one_row CHECK (singleton),
	secret			bytea NOT NULL
		CONSTRAINT dsr_secret_length CHECK (length(secret) >= 32),
	created_at		timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON cdp.dsr_secret FROM PUBLIC;
COMMENT ON TABLE cdp.dsr_secret IS 'key of the tombstone hash (owner only; made on the first erasure)';

CREATE FUNCTION cdp._dsr_secret(create_missing boolean) RETURNS bytea
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key			bytea;
BEGIN
	SELECT s.secret INTO key FROM cdp.dsr_secret s;
	IF key IS NULL AND create_missing THEN
		-- gen_random_uuid() draws from pg_strong_random: 2 x 122 random bits
		INSERT INTO cdp.dsr_secret (secret)
		VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))
		ON CONFLICT (singleton) DO NOTHING;
		SELECT s.secret INTO key FROM cdp.dsr_secret s;
	END IF;
	RETURN key;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._dsr_secret(boolean) FROM PUBLIC;

-- HMAC-SHA256(secret, kind || '\0' || value)
CREATE FUNCTION cdp._tombstone_hash(secret bytea, kind text, value text) RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_tombstone_hash'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE EXECUTE ON FUNCTION cdp._tombstone_hash(bytea, text, text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._tombstone_hash(bytea, text, text) IS
	'internal: HMAC-SHA256 of an identifier''s kind and normalised value under the tombstone key';

/*
 * The form of an identifier that a tombstone hashes: e-mail addresses and
 * phone numbers as cdp.normalize_email and cdp.normalize_phone write them,
 * so every spelling that normalises equal matches; other kinds trimmed; a
 * value a normaliser refuses, trimmed and lower-cased.
 */
CREATE FUNCTION cdp._tombstone_key(kind text, value text) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_tombstone_key_sql'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE EXECUTE ON FUNCTION cdp._tombstone_key(text, text) FROM PUBLIC;

CREATE TABLE cdp.tombstones (
	kind			text NOT NULL,
	value_hash		bytea NOT NULL
		CONSTRAINT tombstones_value_hash_length CHECK (length(value_hash) = 32),
	erased_at		timestamptz NOT NULL DEFAULT now(),
	request_id		bigint NOT NULL REFERENCES cdp.dsr_requests (request_id),
	-- the kind is part of the hashed message: the hash alone identifies a tombstone
	PRIMARY KEY (value_hash)
);
COMMENT ON TABLE cdp.tombstones IS 'one-way marks of erased persons'' identifiers (keyed SHA-256), which stop their re-ingestion';
COMMENT ON COLUMN cdp.tombstones.value_hash IS 'HMAC-SHA256 of the kind and normalised value under the key in cdp.dsr_secret';

CREATE INDEX tombstones_request_idx ON cdp.tombstones (request_id);

/*
 * The consent ledger is append-only, and erasure keeps it so: the erased
 * person's decisions stay (purpose, decision, legal basis, times) as proof
 * of what was allowed, but no longer name a record or carry evidence; they
 * point at the erased profile, which keeps only its id.  That one update
 * is let through only inside cdp.erase_person's own transaction: it writes
 * a row of cdp.dsr_erasures_in_progress (which no other role can write)
 * and deletes it before it returns, so no other transaction ever sees it.
 * Deletes stay refused for everyone.
 */
CREATE TABLE cdp.dsr_erasures_in_progress (
	transaction_id	xid8 PRIMARY KEY DEFAULT pg_current_xact_id(),
	request_id		bigint NOT NULL,
	profile_ids		bigint[] NOT NULL,
	record_ids		bigint[] NOT NULL
);
GRANT SELECT ON cdp.dsr_erasures_in_progress TO PUBLIC;
COMMENT ON TABLE cdp.dsr_erasures_in_progress IS
	'internal: the erasure running in a transaction (empty outside cdp.erase_person)';

CREATE OR REPLACE FUNCTION cdp._consent_ledger_append_only() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
		AND NEW.record_id IS NULL
		AND NEW.evidence OPERATOR(pg_catalog.?) 'erased_by_request'
		AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) ARRAY['record_id', 'profile_id', 'evidence'])
			OPERATOR(pg_catalog.=) (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) ARRAY['record_id', 'profile_id', 'evidence'])
		AND EXISTS (SELECT 1 FROM cdp.dsr_erasures_in_progress e
					 WHERE e.transaction_id OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id()
					   AND NEW.profile_id OPERATOR(pg_catalog.=) ANY (e.profile_ids)
					   AND (OLD.profile_id OPERATOR(pg_catalog.=) ANY (e.profile_ids)
							OR OLD.record_id OPERATOR(pg_catalog.=) ANY (e.record_ids)))
	THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'the consent ledger is append-only'
		USING ERRCODE = 'insufficient_privilege',
			  DETAIL = pg_catalog.format('%s on cdp.consent_events is not allowed.', TG_OP),
			  HINT = 'Record a new consent event that supersedes the old one.';
END
$$;

/* ------------------------------------------------------------------------
 * Who a request is about, and where their data is
 * ---------------------------------------------------------------------- */

/*
 * The person behind a profile id: the surviving profile (a merged profile
 * stands for the one it was merged into), every profile merged into it,
 * directly or not, and the source records of all of them.  An unknown id
 * is an error.
 */
CREATE FUNCTION cdp._dsr_person(profile_id bigint,
								OUT survivor_id bigint, OUT profile_ids bigint[], OUT record_ids bigint[])
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	WITH RECURSIVE up AS (
		SELECT p.profile_id, p.merged_into, 1 AS depth
		  FROM cdp.profiles p WHERE p.profile_id = _dsr_person.profile_id
		UNION ALL
		SELECT p.profile_id, p.merged_into, up.depth + 1
		  FROM up JOIN cdp.profiles p ON p.profile_id = up.merged_into
		 WHERE up.depth < 1000
	)
	SELECT up.profile_id INTO survivor_id FROM up WHERE up.merged_into IS NULL;
	IF survivor_id IS NULL THEN
		IF NOT EXISTS (SELECT 1 FROM cdp.profiles p WHERE p.profile_id = _dsr_person.profile_id) THEN
			RAISE EXCEPTION 'profile % does not exist', _dsr_person.profile_id
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		RAISE EXCEPTION 'profile % has no surviving profile', _dsr_person.profile_id
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Its chain of merged_into does not end.';
	END IF;
	WITH RECURSIVE down AS (
		SELECT survivor_id AS profile_id, 1 AS depth
		UNION ALL
		SELECT p.profile_id, down.depth + 1
		  FROM down JOIN cdp.profiles p ON p.merged_into = down.profile_id
		 WHERE down.depth < 1000
	)
	SELECT array_agg(DISTINCT down.profile_id ORDER BY down.profile_id) INTO profile_ids FROM down;
	SELECT coalesce(array_agg(r.record_id ORDER BY r.record_id), '{}') INTO record_ids
	  FROM cdp.source_records r WHERE r.profile_id = ANY (profile_ids);
END
$$;
REVOKE EXECUTE ON FUNCTION cdp._dsr_person(bigint) FROM PUBLIC;

/*
 * The tables that hold personal data: every table of the extension with a
 * bigint column that names a profile or a source record, by name
 * (profile_id, record_id, or ending in _profile_id, _record_id) or by a
 * foreign key to cdp.profiles or cdp.source_records, or a bigint[] column
 * named profile_ids or record_ids (or ending so).  Tables of later
 * versions are found the same way.  A table whose rows each belong to one
 * record (a NOT NULL foreign key to cdp.source_records, such as
 * cdp.identifiers) reports no profile columns: its profile column is a copy
 * of the record's, kept in step by resolution, so the person's rows are
 * those of their records (found through the record column's index; the
 * copy need not be indexed).  Not cdp.consent_changes: it holds
 * nothing but ids, and the entries an erasure writes there are how other
 * sessions learn to stop showing the person.
 */
CREATE FUNCTION cdp._dsr_personal_tables(OUT table_oid regclass, OUT table_name text,
										 OUT profile_columns name[], OUT record_columns name[],
										 OUT profile_array_columns name[], OUT record_array_columns name[])
	RETURNS SETOF record
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH members AS (
		SELECT c.oid, n.nspname, c.relname
		  FROM pg_depend d
		  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cdp'
		  JOIN pg_class c ON c.oid = d.objid
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_class'::regclass
		   AND d.deptype = 'e' AND c.relkind IN ('r', 'p')
		   AND c.oid <> 'cdp.consent_changes'::regclass
	), record_owned AS (
		SELECT DISTINCT k.conrelid AS oid
		  FROM pg_constraint k
		  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
		 WHERE k.contype = 'f' AND k.confrelid = 'cdp.source_records'::regclass
		   AND cardinality(k.conkey) = 1 AND a.attnotnull
	), cols AS (
		SELECT m.oid, a.attname,
			   m.oid NOT IN (SELECT o.oid FROM record_owned o)
			   AND a.atttypid = 'bigint'::regtype
			   AND (a.attname = 'profile_id' OR a.attname LIKE '%\_profile\_id'
					OR EXISTS (SELECT 1 FROM pg_constraint k
								WHERE k.contype = 'f' AND k.conrelid = m.oid AND k.conkey = ARRAY[a.attnum]
								  AND k.confrelid = 'cdp.profiles'::regclass)) AS is_profile,
			   a.atttypid = 'bigint'::regtype
			   AND (a.attname = 'record_id' OR a.attname LIKE '%\_record\_id'
					OR EXISTS (SELECT 1 FROM pg_constraint k
								WHERE k.contype = 'f' AND k.conrelid = m.oid AND k.conkey = ARRAY[a.attnum]
								  AND k.confrelid = 'cdp.source_records'::regclass)) AS is_record,
			   a.atttypid = 'bigint[]'::regtype
			   AND (a.attname = 'profile_ids' OR a.attname LIKE '%\_profile\_ids') AS is_profile_array,
			   a.atttypid = 'bigint[]'::regtype
			   AND (a.attname = 'record_ids' OR a.attname LIKE '%\_record\_ids') AS is_record_array
		  FROM members m JOIN pg_attribute a ON a.attrelid = m.oid
		 WHERE a.attnum > 0 AND NOT a.attisdropped
	)
	SELECT m.oid::regclass,
		   CASE WHEN m.nspname = 'cdp' THEN m.relname::text ELSE m.nspname || '.' || m.relname END,
		   coalesce(array_agg(c.attname ORDER BY c.attname) FILTER (WHERE c.is_profile), '{}'),
		   coalesce(array_agg(c.attname ORDER BY c.attname) FILTER (WHERE c.is_record), '{}'),
		   coalesce(array_agg(c.attname ORDER BY c.attname) FILTER (WHERE c.is_profile_array), '{}'),
		   coalesce(array_agg(c.attname ORDER BY c.attname) FILTER (WHERE c.is_record_array), '{}')
	  FROM members m JOIN cols c ON c.oid = m.oid
	 GROUP BY m.oid, m.nspname, m.relname
	HAVING bool_or(c.is_profile OR c.is_record OR c.is_profile_array OR c.is_record_array)
	 ORDER BY 2
$$;
REVOKE EXECUTE ON FUNCTION cdp._dsr_personal_tables() FROM PUBLIC;

/*
 * The WHERE clause that picks a person's rows of one table: $1 holds the
 * profile ids, $2 the record ids.  Column names are quoted with %I.
 */
CREATE FUNCTION cdp._dsr_row_filter(profile_columns name[], record_columns name[],
									profile_array_columns name[], record_array_columns name[])
	RETURNS text
	LANGUAGE sql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(string_agg(f, ' OR '), 'false')
	  FROM (SELECT format('%I = ANY ($1)', c) FROM unnest(profile_columns) c
			UNION ALL
			SELECT format('%I = ANY ($2)', c) FROM unnest(record_columns) c
			UNION ALL
			SELECT format('%I && $1', c) FROM unnest(profile_array_columns) c
			UNION ALL
			SELECT format('%I && $2', c) FROM unnest(record_array_columns) c) AS parts(f)
$$;
REVOKE EXECUTE ON FUNCTION cdp._dsr_row_filter(name[], name[], name[], name[]) FROM PUBLIC;

-- the primary key columns of a table, quoted, for a stable row order ("ctid" without one)
CREATE FUNCTION cdp._dsr_order_by(table_oid regclass) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT string_agg(format('%I', a.attname), ', ' ORDER BY k.ord)
					   FROM pg_index i
					   CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
					   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
					  WHERE i.indrelid = table_oid AND i.indisprimary), 'ctid')
$$;
REVOKE EXECUTE ON FUNCTION cdp._dsr_order_by(regclass) FROM PUBLIC;

/* ------------------------------------------------------------------------
 * Access and portability: cdp.export_person
 * ---------------------------------------------------------------------- */

/*
 * Everything cdp holds about one person as one JSON document: for every
 * table with personal data (see cdp._dsr_personal_tables) the person's
 * rows in primary-key order, under the table's name.  The audit log is
 * left out: it is cdp's record of its own processing, and
 * cdp.audit_report shows it.
 */
CREATE FUNCTION cdp.export_person(profile_id bigint) RETURNS jsonb
	LANGUAGE plpgsql STRICT
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	person		record;
	tab			record;
	table_rows	jsonb;
	data		jsonb := '{}';
	row_counts	jsonb := '{}';
	new_request bigint;
BEGIN
	person := cdp._dsr_person(export_person.profile_id);
	FOR tab IN
		SELECT * FROM cdp._dsr_personal_tables() t
		 WHERE t.table_oid <> ALL (ARRAY['cdp.audit_log'::regclass, 'cdp.dsr_erasures_in_progress'::regclass])
	LOOP
		EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY %s), ''[]'') FROM %s t WHERE %s',
					   cdp._dsr_order_by(tab.table_oid), tab.table_oid,
					   cdp._dsr_row_filter(tab.profile_columns, tab.record_columns,
										   tab.profile_array_columns, tab.record_array_columns))
			INTO table_rows
			USING person.profile_ids, person.record_ids;
		data := data || jsonb_build_object(tab.table_name, table_rows);
		row_counts := row_counts || jsonb_build_object(tab.table_name, jsonb_array_length(table_rows));
	END LOOP;

	INSERT INTO cdp.dsr_requests (kind, subject_profile_id, acting_role, purpose, outcome, completed_at, details)
	VALUES ('export', export_person.profile_id, cdp._audit_acting_role(),
			nullif(current_setting('cdp.purpose', true), ''), 'completed', clock_timestamp(),
			jsonb_build_object('survivor_id', person.survivor_id, 'profile_ids', person.profile_ids,
							   'record_ids', person.record_ids, 'rows', row_counts))
	RETURNING request_id INTO new_request;
	PERFORM cdp._audit('export', person.profile_ids,
					   jsonb_build_object('request_id', new_request, 'rows', row_counts));

	RETURN jsonb_build_object(
		'subject', jsonb_build_object('profile_id', person.survivor_id,
									  'requested_profile_id', export_person.profile_id,
									  'profile_ids', person.profile_ids,
									  'record_ids', person.record_ids),
		'request_id', new_request,
		'exported_at', now(),
		'data', data);
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.export_person(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.export_person(bigint) TO cdp_admin, cdp_steward;
COMMENT ON FUNCTION cdp.export_person(bigint) IS
	'data-subject access: everything cdp holds about the person of a profile, as JSON (recorded in cdp.dsr_requests)';

/* ------------------------------------------------------------------------
 * Erasure: cdp.erase_person
 * ---------------------------------------------------------------------- */

/*
 * Erase a person, in one transaction:
 *	- tombstones: a keyed hash of each of their identifiers (identifier
 *	  rows, and the e-mail and phone columns of records and profiles),
 *	  normalised, except blocked placeholder values;
 *	- events: de-identified when keep_events (no profile, record, source
 *	  key or properties; type, time and amounts stay for totals), else
 *	  deleted;
 *	- consent ledger: de-identified, not deleted (see
 *	  cdp._consent_ledger_append_only);
 *	- merge log: the entries stay, their details are replaced;
 *	- every other table with personal data: the person's rows deleted
 *	  (retried in dependency order when foreign keys need it);
 *	- source records deleted; profiles kept as shells with status
 *	  'erased', every other column NULL or its default;
 *	- processing restricted (when cdp.processing_restrictions exists), so
 *	  that the shells are visible for no purpose;
 *	- the request in cdp.dsr_requests, an audit row, and
 *	  cdp._profiles_changed for the profiles.
 * cdp.dsr_requests, cdp.audit_log and cdp.tombstones keep their rows: they
 * hold ids and hashes, not personal values, and prove the erasure.
 */
CREATE FUNCTION cdp.erase_person(profile_id bigint, keep_events boolean DEFAULT true) RETURNS jsonb
	LANGUAGE plpgsql STRICT
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	person		record;
	new_request bigint;
	key			bytea;
	n			bigint;
	row_counts	jsonb := '{}';
	tab			record;
	pending_oids regclass[] := '{}';
	pending_names text[] := '{}';
	pending_filters text[] := '{}';
	failed_oids regclass[];
	failed_names text[];
	failed_filters text[];
	last_error	text;
	i			integer;
	clear_list	text;
	summary		jsonb;
	restrictions regclass := to_regclass('cdp.processing_restrictions');
BEGIN
	/*
	 * An identifier loaded while the erasure runs would miss its tombstones
	 * (not yet committed).  Erasures take this lock exclusively, the
	 * tombstone trigger shares it: a load waits for a running erasure, then
	 * (at READ COMMITTED) sees its tombstones; an erasure waits for the
	 * loading transactions in flight.  Taken first, before any row lock.
	 */
	PERFORM pg_advisory_xact_lock('cdp.tombstones'::regclass::oid::bigint);
	person := cdp._dsr_person(erase_person.profile_id);
	-- lock the person's profiles and records, then look again: membership may have changed meanwhile
	PERFORM 1 FROM cdp.profiles p WHERE p.profile_id = ANY (person.profile_ids) ORDER BY p.profile_id FOR UPDATE;
	person := cdp._dsr_person(erase_person.profile_id);
	PERFORM 1 FROM cdp.source_records r WHERE r.record_id = ANY (person.record_ids) ORDER BY r.record_id FOR UPDATE;

	INSERT INTO cdp.dsr_requests (kind, subject_profile_id, acting_role, purpose, details)
	VALUES ('erase', erase_person.profile_id, cdp._audit_acting_role(),
			nullif(current_setting('cdp.purpose', true), ''),
			jsonb_build_object('keep_events', keep_events))
	RETURNING request_id INTO new_request;
	INSERT INTO cdp.dsr_erasures_in_progress (request_id, profile_ids, record_ids)
	VALUES (new_request, person.profile_ids, person.record_ids);

	-- tombstones of every identifier, before the values go
	key := cdp._dsr_secret(true);
	WITH values_seen (kind, value) AS (
		SELECT i.kind, i.value FROM cdp.identifiers i
		 WHERE i.record_id = ANY (person.record_ids)
		UNION
		SELECT v.kind, v.value
		  FROM cdp.source_records r,
			   LATERAL (VALUES ('email', r.email), ('phone', r.phone)) AS v(kind, value)
		 WHERE r.record_id = ANY (person.record_ids) AND v.value IS NOT NULL
		UNION
		SELECT v.kind, v.value
		  FROM cdp.profiles p,
			   LATERAL (VALUES ('email', p.email), ('phone', p.phone)) AS v(kind, value)
		 WHERE p.profile_id = ANY (person.profile_ids) AND v.value IS NOT NULL
	), keys AS (
		SELECT DISTINCT s.kind, cdp._tombstone_key(s.kind, s.value) AS value FROM values_seen s
	)
	INSERT INTO cdp.tombstones (kind, value_hash, request_id)
	SELECT k.kind, cdp._tombstone_hash(key, k.kind, k.value), new_request
	  FROM keys k
	 WHERE k.value IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM cdp.blocked_identifiers b WHERE b.kind = k.kind AND b.value = k.value)
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	row_counts := row_counts || jsonb_build_object('tombstones', n);

	-- events
	IF keep_events THEN
		UPDATE cdp.events e
		   SET profile_id = NULL, record_id = NULL, source_event_key = NULL, properties = '{}'
		 WHERE e.profile_id = ANY (person.profile_ids) OR e.record_id = ANY (person.record_ids);
	ELSE
		DELETE FROM cdp.events e
		 WHERE e.profile_id = ANY (person.profile_ids) OR e.record_id = ANY (person.record_ids);
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	row_counts := row_counts || jsonb_build_object(CASE WHEN keep_events THEN 'events_deidentified'
														ELSE 'events_deleted' END, n);

	-- the consent ledger: de-identified through the erasure's own exception
	UPDATE cdp.consent_events c
	   SET record_id = NULL, profile_id = person.survivor_id,
		   evidence = jsonb_build_object('erased_by_request', new_request)
	 WHERE c.profile_id = ANY (person.profile_ids) OR c.record_id = ANY (person.record_ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	row_counts := row_counts || jsonb_build_object('consent_events_deidentified', n);

	-- the merge log: who was merged with whom stays, the explanation goes
	UPDATE cdp.merge_log m
	   SET details = jsonb_build_object('erased_by_request', new_request)
	 WHERE m.profile_id = ANY (person.profile_ids) OR m.other_profile_id = ANY (person.profile_ids)
		OR m.record_ids && person.record_ids;
	GET DIAGNOSTICS n = ROW_COUNT;
	row_counts := row_counts || jsonb_build_object('merge_log_deidentified', n);

	-- every other table with personal data: delete the person's rows, retrying
	-- a table whose rows others still reference until a pass makes no progress
	FOR tab IN
		SELECT * FROM cdp._dsr_personal_tables() t
		 WHERE t.table_oid <> ALL (ARRAY['cdp.profiles'::regclass, 'cdp.source_records'::regclass,
										 'cdp.events'::regclass, 'cdp.consent_events'::regclass,
										 'cdp.merge_log'::regclass, 'cdp.dsr_requests'::regclass,
										 'cdp.audit_log'::regclass, 'cdp.dsr_erasures_in_progress'::regclass])
		   AND t.table_oid IS DISTINCT FROM restrictions
	LOOP
		pending_oids := pending_oids || tab.table_oid;
		pending_names := pending_names || tab.table_name;
		pending_filters := pending_filters
			|| cdp._dsr_row_filter(tab.profile_columns, tab.record_columns,
								   tab.profile_array_columns, tab.record_array_columns);
	END LOOP;
	WHILE cardinality(pending_oids) > 0 LOOP
		failed_oids := '{}';
		failed_names := '{}';
		failed_filters := '{}';
		FOR i IN 1 .. cardinality(pending_oids) LOOP
			BEGIN
				EXECUTE format('DELETE FROM %s WHERE %s', pending_oids[i], pending_filters[i])
					USING person.profile_ids, person.record_ids;
				GET DIAGNOSTICS n = ROW_COUNT;
				row_counts := row_counts || jsonb_build_object(pending_names[i] || '_deleted', n);
			EXCEPTION WHEN foreign_key_violation THEN
				failed_oids := failed_oids || pending_oids[i];
				failed_names := failed_names || pending_names[i];
				failed_filters := failed_filters || pending_filters[i];
				last_error := SQLERRM;
			END;
		END LOOP;
		IF cardinality(failed_oids) = cardinality(pending_oids) THEN
			RAISE EXCEPTION 'cannot erase profile %: rows of % are still referenced',
				erase_person.profile_id, array_to_string(failed_names, ', ')
				USING ERRCODE = 'foreign_key_violation', DETAIL = last_error;
		END IF;
		pending_oids := failed_oids;
		pending_names := failed_names;
		pending_filters := failed_filters;
	END LOOP;

	DELETE FROM cdp.source_records r WHERE r.record_id = ANY (person.record_ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	row_counts := row_counts || jsonb_build_object('source_records_deleted', n);

	-- profiles become shells: id, status and times stay, every other column is cleared
	SELECT string_agg(format('%I = %s', a.attname, CASE WHEN a.attnotnull THEN 'DEFAULT' ELSE 'NULL' END),
					  ', ' ORDER BY a.attnum)
	  INTO clear_list
	  FROM pg_attribute a
	 WHERE a.attrelid = 'cdp.profiles'::regclass AND a.attnum > 0 AND NOT a.attisdropped
	   AND a.attidentity = '' AND a.attgenerated = ''
	   AND a.attname <> ALL (ARRAY['profile_id', 'status', 'merged_into', 'record_count',
								   'created_at', 'updated_at']::name[]);
	EXECUTE format('UPDATE cdp.profiles SET status = %L, merged_into = NULL, record_count = 0%s '
				   'WHERE profile_id = ANY ($1)', 'erased', coalesce(', ' || clear_list, ''))
		USING person.profile_ids;
	GET DIAGNOSTICS n = ROW_COUNT;
	row_counts := row_counts || jsonb_build_object('profiles_erased', n);

	-- an erased profile is visible for no purpose
	IF restrictions IS NOT NULL THEN
		INSERT INTO cdp.processing_restrictions (profile_id, restricted_at, reason)
		SELECT p, now(), 'erased (request ' || new_request || ')' FROM unnest(person.profile_ids) AS p
		ON CONFLICT (profile_id) DO UPDATE SET restricted_at = EXCLUDED.restricted_at, reason = EXCLUDED.reason;
	END IF;

	DELETE FROM cdp.dsr_erasures_in_progress e WHERE e.transaction_id = pg_current_xact_id();
	summary := jsonb_build_object('survivor_id', person.survivor_id, 'profile_ids', person.profile_ids,
								  'record_ids', person.record_ids, 'keep_events', keep_events,
								  'rows', row_counts);
	UPDATE cdp.dsr_requests d
	   SET outcome = 'completed', completed_at = clock_timestamp(), details = summary
	 WHERE d.request_id = new_request;
	PERFORM cdp._audit('erase', person.profile_ids, jsonb_build_object('request_id', new_request) || summary);
	PERFORM cdp._profiles_changed(person.profile_ids);
	RETURN jsonb_build_object('request_id', new_request) || summary;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.erase_person(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.erase_person(bigint, boolean) TO cdp_admin, cdp_steward;
COMMENT ON FUNCTION cdp.erase_person(bigint, boolean) IS
	'data-subject erasure: remove a person''s data everywhere, keep events only de-identified (keep_events), tombstone their identifiers';

/*
 * Re-ingestion of an erased person: a new or changed identifier, or a
 * record's e-mail or phone, whose normalised value matches a tombstone is
 * refused (42501), or with the setting reingestion = 'flag' loaded with a
 * warning and an audit row.  In C (src/consent/dsr_reingest.c), for the
 * loader's sake: it reads the tombstones and their key, which loaders may
 * not read, without a SECURITY DEFINER call; with no tombstone at all it
 * costs one look at the size of cdp.tombstones.  Arguments: none for
 * cdp.identifiers (columns kind and value), else the columns to check, each
 * named after its identifier kind.
 */
CREATE FUNCTION cdp._tombstone_check() RETURNS trigger
	AS 'MODULE_PATHNAME', 'cdp_tombstone_check'
	LANGUAGE C;
REVOKE EXECUTE ON FUNCTION cdp._tombstone_check() FROM PUBLIC;

/*
 * Whether no tombstone can match what this transaction loads (no
 * cdp.tombstones table, or one without pages), holding the trigger's lock
 * until the transaction ends.  A batch asks it before it writes with the
 * row triggers off (identity resolution's extraction).
 */
CREATE FUNCTION cdp._tombstones_absent() RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_tombstones_absent'
	LANGUAGE C VOLATILE;
REVOKE EXECUTE ON FUNCTION cdp._tombstones_absent() FROM PUBLIC;

CREATE TRIGGER identifiers_tombstone_check BEFORE INSERT OR UPDATE OF kind, value ON cdp.identifiers
	FOR EACH ROW EXECUTE FUNCTION cdp._tombstone_check();
CREATE TRIGGER source_records_tombstone_check BEFORE INSERT OR UPDATE OF email, phone ON cdp.source_records
	FOR EACH ROW EXECUTE FUNCTION cdp._tombstone_check('email', 'phone');

/* ------------------------------------------------------------------------
 * Restriction of processing
 * ---------------------------------------------------------------------- */

/*
 * cdp.restrict_processing restricts the person of a profile (the survivor
 * and every profile merged into it): their rows are visible for no purpose
 * while cdp.processing_restrictions holds them.  Returns the request id;
 * NULL profile, NULL result.
 */
CREATE FUNCTION cdp.restrict_processing(profile_id bigint, reason text) RETURNS bigint
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	person		record;
	restrictions regclass := to_regclass('cdp.processing_restrictions');
	was_restricted boolean;
	new_request bigint;
BEGIN
	IF restrict_processing.profile_id IS NULL THEN
		RETURN NULL;
	END IF;
	IF reason IS NULL OR btrim(reason) = '' THEN
		RAISE EXCEPTION 'a restriction of processing needs a reason'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Say why, e.g. ''the person contests the accuracy of their data''.';
	END IF;
	person := cdp._dsr_person(restrict_processing.profile_id);
	IF restrictions IS NOT NULL THEN
		SELECT EXISTS (SELECT 1 FROM cdp.processing_restrictions r
						WHERE r.profile_id = ANY (person.profile_ids)) INTO was_restricted;
		INSERT INTO cdp.processing_restrictions (profile_id, restricted_at, reason)
		SELECT p, now(), restrict_processing.reason FROM unnest(person.profile_ids) AS p
		ON CONFLICT (profile_id) DO UPDATE SET reason = EXCLUDED.reason;
	ELSE
		was_restricted := cdp._dsr_restricted(person.survivor_id);
	END IF;
	INSERT INTO cdp.dsr_requests (kind, subject_profile_id, acting_role, purpose, outcome, completed_at, reason, details)
	VALUES ('restrict', restrict_processing.profile_id, cdp._audit_acting_role(),
			nullif(current_setting('cdp.purpose', true), ''),
			CASE WHEN was_restricted THEN 'no_change' ELSE 'completed' END, clock_timestamp(),
			restrict_processing.reason,
			jsonb_build_object('survivor_id', person.survivor_id, 'profile_ids', person.profile_ids))
	RETURNING request_id INTO new_request;
	PERFORM cdp._audit('restrict', person.profile_ids, jsonb_build_object('request_id', new_request));
	PERFORM cdp._profiles_changed(person.profile_ids);
	RETURN new_request;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.restrict_processing(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.restrict_processing(bigint, text) TO cdp_admin, cdp_steward;
COMMENT ON FUNCTION cdp.restrict_processing(bigint, text) IS
	'data-subject restriction: the person''s rows are visible for no purpose until cdp.lift_restriction (recorded in cdp.dsr_requests)';

-- whether the last completed restrict or unrestrict request of a profile restricted it
CREATE FUNCTION cdp._dsr_restricted(profile_id bigint) RETURNS boolean
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT d.kind = 'restrict'
					   FROM cdp.dsr_requests d
					  WHERE d.kind IN ('restrict', 'unrestrict') AND d.outcome = 'completed'
						AND (d.details -> 'profile_ids') @> to_jsonb(_dsr_restricted.profile_id)
					  ORDER BY d.request_id DESC
					  LIMIT 1), false)
$$;
REVOKE EXECUTE ON FUNCTION cdp._dsr_restricted(bigint) FROM PUBLIC;

/*
 * cdp.lift_restriction ends the restriction of the person of a profile.
 * An erased profile stays restricted (22023).  Returns the request id
 * (outcome 'no_change' when nothing was restricted).
 */
CREATE FUNCTION cdp.lift_restriction(profile_id bigint) RETURNS bigint
	LANGUAGE plpgsql STRICT
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	person		record;
	restrictions regclass := to_regclass('cdp.processing_restrictions');
	was_restricted boolean;
	lifted		bigint;
	new_request bigint;
BEGIN
	person := cdp._dsr_person(lift_restriction.profile_id);
	IF EXISTS (SELECT 1 FROM cdp.profiles p WHERE p.profile_id = person.survivor_id AND p.status = 'erased') THEN
		RAISE EXCEPTION 'profile % is erased; its restriction cannot be lifted', lift_restriction.profile_id
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF restrictions IS NOT NULL THEN
		DELETE FROM cdp.processing_restrictions r WHERE r.profile_id = ANY (person.profile_ids);
		GET DIAGNOSTICS lifted = ROW_COUNT;
		was_restricted := lifted > 0;
	ELSE
		was_restricted := cdp._dsr_restricted(person.survivor_id);
	END IF;
	INSERT INTO cdp.dsr_requests (kind, subject_profile_id, acting_role, purpose, outcome, completed_at, details)
	VALUES ('unrestrict', lift_restriction.profile_id, cdp._audit_acting_role(),
			nullif(current_setting('cdp.purpose', true), ''),
			CASE WHEN was_restricted THEN 'completed' ELSE 'no_change' END, clock_timestamp(),
			jsonb_build_object('survivor_id', person.survivor_id, 'profile_ids', person.profile_ids))
	RETURNING request_id INTO new_request;
	PERFORM cdp._audit('unrestrict', person.profile_ids, jsonb_build_object('request_id', new_request));
	PERFORM cdp._profiles_changed(person.profile_ids);
	RETURN new_request;
END
$$;
REVOKE EXECUTE ON FUNCTION cdp.lift_restriction(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.lift_restriction(bigint) TO cdp_admin, cdp_steward;
COMMENT ON FUNCTION cdp.lift_restriction(bigint) IS
	'data-subject restriction lifted: the person''s rows follow their consent again (recorded in cdp.dsr_requests)';

GRANT EXECUTE ON FUNCTION cdp.audit_report(timestamptz, timestamptz, bigint) TO cdp_admin, cdp_steward;

/* ------------------------------------------------------------------------
 * Privileges and pg_dump
 * ---------------------------------------------------------------------- */

GRANT SELECT ON cdp.audit_log, cdp.dsr_requests, cdp.tombstones, cdp.dsr_settings TO cdp_admin, cdp_steward;
GRANT DELETE ON cdp.audit_log TO cdp_admin;
GRANT UPDATE (value) ON cdp.dsr_settings TO cdp_admin;

SELECT pg_catalog.pg_extension_config_dump('cdp.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.audit_log_audit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.dsr_requests', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.dsr_requests_request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.dsr_settings', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.dsr_secret', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.tombstones', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.dsr_erasures_in_progress', '');

/* ------------------------------------------------------------------------
 * Parallel restore (pg_restore -j).  pg_dump writes the data of
 * extension tables in foreign-key order, which a serial restore follows,
 * but the archive records no dependency between two tables' data, so
 * parallel workers load them in any order and the extension's foreign
 * keys (created by CREATE EXTENSION, not after the data) reject a child
 * loaded before its parent.  The supported way is to restore with
 * session_replication_role = replica (README, "Backup and restore"):
 * foreign-key checks and ordinary triggers are then off, so the triggers
 * that must still fire, those that let a customised seed row replace its
 * builtin one, fire ALWAYS.  (Later scripts do the same for theirs.)
 * ---------------------------------------------------------------------- */

ALTER TABLE cdp.identifier_kinds ENABLE ALWAYS TRIGGER identifier_kinds_replace_builtin;
ALTER TABLE cdp.blocked_identifiers ENABLE ALWAYS TRIGGER blocked_identifiers_replace_builtin;
ALTER TABLE cdp.purposes ENABLE ALWAYS TRIGGER purposes_replace_builtin;
ALTER TABLE cdp.rfm_segments ENABLE ALWAYS TRIGGER rfm_segments_replace_builtin;
ALTER TABLE cdp.role_purposes ENABLE ALWAYS TRIGGER role_purposes_replace_builtin;
ALTER TABLE cdp.dsr_settings ENABLE ALWAYS TRIGGER dsr_settings_replace_builtin;
