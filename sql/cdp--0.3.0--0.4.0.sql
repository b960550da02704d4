/*
 * cdp--0.3.0--0.4.0.sql
 *	  Upgrade from 0.3.0 to 0.4.0: RFM scoring, segments and customer lifetime value.
 *
 * RFM works on any customer key: cdp.rfm_agg aggregates a customer's
 * purchases, cdp.rfm_quantiles finds the cuts between score levels of a
 * population, cdp.rfm_score scores a customer against them and
 * cdp.rfm_segment names the segment.  Functions, views and snapshots over
 * cdp.events by profile_id are built from those.  Lifetime value fits the
 * BG/NBD and Gamma-Gamma models by maximum likelihood (cdp.bgnbd_fit,
 * cdp.gamma_gamma_fit) and predicts per customer.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION cdp UPDATE TO '0.4.0'" to load this file. \quit

/* ------------------------------------------------------------------------
 * RFM metrics of one customer: cdp.rfm_agg
 * ---------------------------------------------------------------------- */

CREATE TYPE cdp.rfm_metrics AS (
	recency_days	integer,
	frequency		bigint,
	monetary		numeric,
	first_at		timestamptz,
	last_at			timestamptz
);
COMMENT ON TYPE cdp.rfm_metrics IS 'RFM metrics of one customer: whole days since the last purchase, purchases and spend in the window, first and last purchase';

CREATE FUNCTION cdp._rfm_agg_transfn(internal, timestamptz, numeric, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_agg_transfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- with a window: as_of minus an interval depends on the time zone
CREATE FUNCTION cdp._rfm_agg_transfn(internal, timestamptz, numeric, timestamptz, interval)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_agg_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_agg_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_agg_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_agg_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_rfm_agg_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_agg_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_agg_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_agg_finalfn(internal)
	RETURNS cdp.rfm_metrics
	AS 'MODULE_PATHNAME', 'cdp_rfm_agg_finalfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE cdp.rfm_agg(occurred_at timestamptz, amount numeric, as_of timestamptz) (
	SFUNC = cdp._rfm_agg_transfn,
	STYPE = internal,
	SSPACE = 72,
	FINALFUNC = cdp._rfm_agg_finalfn,
	COMBINEFUNC = cdp._rfm_agg_combine,
	SERIALFUNC = cdp._rfm_agg_serial,
	DESERIALFUNC = cdp._rfm_agg_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.rfm_agg(timestamptz, numeric, timestamptz) IS 'RFM metrics of a customer''s purchases as of a time: GROUP BY any customer key';

CREATE AGGREGATE cdp.rfm_agg(occurred_at timestamptz, amount numeric, as_of timestamptz, window_length interval) (
	SFUNC = cdp._rfm_agg_transfn,
	STYPE = internal,
	SSPACE = 72,
	FINALFUNC = cdp._rfm_agg_finalfn,
	COMBINEFUNC = cdp._rfm_agg_combine,
	SERIALFUNC = cdp._rfm_agg_serial,
	DESERIALFUNC = cdp._rfm_agg_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.rfm_agg(timestamptz, numeric, timestamptz, interval) IS 'RFM metrics as of a time, frequency and monetary counted over [as_of - window_length, as_of] (NULL: all history)';

/* ------------------------------------------------------------------------
 * The compact RFM value: cdp.rfm_score, written 'R-F-M'
 * ---------------------------------------------------------------------- */

CREATE TYPE cdp.rfm_score;

CREATE FUNCTION cdp.rfm_score_in(cstring) RETURNS cdp.rfm_score
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.rfm_score_out(cdp.rfm_score) RETURNS cstring
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.rfm_score_recv(internal) RETURNS cdp.rfm_score
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp.rfm_score_send(cdp.rfm_score) RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE cdp.rfm_score (
	INPUT = cdp.rfm_score_in,
	OUTPUT = cdp.rfm_score_out,
	RECEIVE = cdp.rfm_score_recv,
	SEND = cdp.rfm_score_send,
	INTERNALLENGTH = 4,
	PASSEDBYVALUE,
	ALIGNMENT = int4,
	STORAGE = plain
);
COMMENT ON TYPE cdp.rfm_score IS 'RFM score levels written R-F-M (e.g. 5-4-3), each 1 to 99, ordered by R, then F, then M';

CREATE FUNCTION cdp.rfm_score(recency integer, frequency integer, monetary integer) RETURNS cdp.rfm_score
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_make'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.rfm_score(integer, integer, integer) IS 'the RFM score with these R, F and M levels (1 to 99)';
CREATE FUNCTION cdp.recency_score(cdp.rfm_score) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_recency'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION cdp.recency_score(cdp.rfm_score) IS 'R level of an RFM score';
CREATE FUNCTION cdp.frequency_score(cdp.rfm_score) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_frequency'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION cdp.frequency_score(cdp.rfm_score) IS 'F level of an RFM score';
CREATE FUNCTION cdp.monetary_score(cdp.rfm_score) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_monetary'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION cdp.monetary_score(cdp.rfm_score) IS 'M level of an RFM score';

CREATE FUNCTION cdp.rfm_score_eq(cdp.rfm_score, cdp.rfm_score) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_eq'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_ne(cdp.rfm_score, cdp.rfm_score) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_ne'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_lt(cdp.rfm_score, cdp.rfm_score) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_lt'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_le(cdp.rfm_score, cdp.rfm_score) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_le'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_gt(cdp.rfm_score, cdp.rfm_score) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_gt'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_ge(cdp.rfm_score, cdp.rfm_score) RETURNS boolean
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_ge'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_cmp(cdp.rfm_score, cdp.rfm_score) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_cmp'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_hash(cdp.rfm_score) RETURNS integer
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_hash'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION cdp.rfm_score_hash_extended(cdp.rfm_score, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_hash_extended'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

/*
 * The comparison operators live in pg_catalog, which is always on the
 * search path, so that "rfm = '5-5-5'" works whatever the reader's
 * search_path (BI tools rarely add cdp to it).  They take only
 * cdp.rfm_score, so they cannot capture a comparison of other types.
 */
CREATE OPERATOR pg_catalog.= (
	LEFTARG = cdp.rfm_score, RIGHTARG = cdp.rfm_score, FUNCTION = cdp.rfm_score_eq,
	COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
	RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR pg_catalog.<> (
	LEFTARG = cdp.rfm_score, RIGHTARG = cdp.rfm_score, FUNCTION = cdp.rfm_score_ne,
	COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
	RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR pg_catalog.< (
	LEFTARG = cdp.rfm_score, RIGHTARG = cdp.rfm_score, FUNCTION = cdp.rfm_score_lt,
	COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
	RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
CREATE OPERATOR pg_catalog.<= (
	LEFTARG = cdp.rfm_score, RIGHTARG = cdp.rfm_score, FUNCTION = cdp.rfm_score_le,
	COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
	RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
CREATE OPERATOR pg_catalog.> (
	LEFTARG = cdp.rfm_score, RIGHTARG = cdp.rfm_score, FUNCTION = cdp.rfm_score_gt,
	COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
	RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);
CREATE OPERATOR pg_catalog.>= (
	LEFTARG = cdp.rfm_score, RIGHTARG = cdp.rfm_score, FUNCTION = cdp.rfm_score_ge,
	COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
	RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);

CREATE OPERATOR CLASS cdp.rfm_score_ops
	DEFAULT FOR TYPE cdp.rfm_score USING btree AS
		OPERATOR 1 pg_catalog.<,
		OPERATOR 2 pg_catalog.<=,
		OPERATOR 3 pg_catalog.=,
		OPERATOR 4 pg_catalog.>=,
		OPERATOR 5 pg_catalog.>,
		FUNCTION 1 cdp.rfm_score_cmp(cdp.rfm_score, cdp.rfm_score);
CREATE OPERATOR CLASS cdp.rfm_score_hash_ops
	DEFAULT FOR TYPE cdp.rfm_score USING hash AS
		OPERATOR 1 pg_catalog.=,
		FUNCTION 1 cdp.rfm_score_hash(cdp.rfm_score),
		FUNCTION 2 cdp.rfm_score_hash_extended(cdp.rfm_score, bigint);

/* ------------------------------------------------------------------------
 * Scoring: quantile cuts of a population, user thresholds, cdp.rfm_score
 * ---------------------------------------------------------------------- */

CREATE TYPE cdp.rfm_cuts AS (
	scores			integer,
	population		bigint,
	inclusive		boolean,
	recency_days	integer[],
	frequency		bigint[],
	monetary		numeric[]
);
COMMENT ON TYPE cdp.rfm_cuts IS 'bounds between score levels 2..scores: level k needs recency_days below recency_days[k-1] and frequency, monetary above frequency[k-1], monetary[k-1] (or equal, when inclusive)';

CREATE FUNCTION cdp._rfm_quantiles_transfn(internal, cdp.rfm_metrics)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_quantiles_transfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_quantiles_transfn(internal, cdp.rfm_metrics, integer)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_quantiles_transfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_quantiles_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_quantiles_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_quantiles_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_rfm_quantiles_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_quantiles_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_rfm_quantiles_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._rfm_quantiles_finalfn(internal)
	RETURNS cdp.rfm_cuts
	AS 'MODULE_PATHNAME', 'cdp_rfm_quantiles_finalfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE cdp.rfm_quantiles(metrics cdp.rfm_metrics) (
	SFUNC = cdp._rfm_quantiles_transfn,
	STYPE = internal,
	FINALFUNC = cdp._rfm_quantiles_finalfn,
	COMBINEFUNC = cdp._rfm_quantiles_combine,
	SERIALFUNC = cdp._rfm_quantiles_serial,
	DESERIALFUNC = cdp._rfm_quantiles_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.rfm_quantiles(cdp.rfm_metrics) IS 'quintile cuts (5 levels) of a population of RFM metrics; equal values get equal levels';

CREATE AGGREGATE cdp.rfm_quantiles(metrics cdp.rfm_metrics, scores integer) (
	SFUNC = cdp._rfm_quantiles_transfn,
	STYPE = internal,
	FINALFUNC = cdp._rfm_quantiles_finalfn,
	COMBINEFUNC = cdp._rfm_quantiles_combine,
	SERIALFUNC = cdp._rfm_quantiles_serial,
	DESERIALFUNC = cdp._rfm_quantiles_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.rfm_quantiles(cdp.rfm_metrics, integer) IS 'quantile cuts (2 to 99 levels) of a population of RFM metrics; equal values get equal levels';

CREATE FUNCTION cdp.rfm_score(metrics cdp.rfm_metrics, cuts cdp.rfm_cuts) RETURNS cdp.rfm_score
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_metrics'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.rfm_score(cdp.rfm_metrics, cdp.rfm_cuts) IS 'RFM score of a customer''s metrics against the cuts of cdp.rfm_quantiles or cdp.rfm_threshold_cuts';

CREATE FUNCTION cdp.rfm_score(recency_days integer, frequency bigint, monetary numeric, cuts cdp.rfm_cuts)
	RETURNS cdp.rfm_score
	AS 'MODULE_PATHNAME', 'cdp_rfm_score_values'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.rfm_score(integer, bigint, numeric, cdp.rfm_cuts) IS 'RFM score of recency, frequency and monetary values against cuts';

CREATE TABLE cdp.rfm_thresholds (
	scheme			text NOT NULL
		CONSTRAINT rfm_thresholds_scheme_format CHECK (scheme ~ '^[a-z][a-z0-9_]{0,62}$'),
	score			smallint NOT NULL
		CONSTRAINT rfm_thresholds_score_range CHECK (score BETWEEN 2 AND 99),
	recency_days	integer NOT NULL
		CONSTRAINT rfm_thresholds_recency_nonnegative CHECK (recency_days >= 0),
	frequency		bigint NOT NULL
		CONSTRAINT rfm_thresholds_frequency_nonnegative CHECK (frequency >= 0),
	monetary		numeric NOT NULL
		CONSTRAINT rfm_thresholds_monetary_finite CHECK (monetary >= 0 AND monetary < 'Infinity'),
	description		text,
	PRIMARY KEY (scheme, score)
);
COMMENT ON TABLE cdp.rfm_thresholds IS 'user score thresholds: level "score" needs recency_days at most, frequency and monetary at least the row''s values';

CREATE FUNCTION cdp.rfm_threshold_cuts(scheme text) RETURNS cdp.rfm_cuts
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	levels		integer;
	top			integer;
	bad			record;
BEGIN
	SELECT count(*), max(t.score) INTO levels, top
	  FROM cdp.rfm_thresholds t WHERE t.scheme = rfm_threshold_cuts.scheme;
	IF levels = 0 THEN
		RAISE EXCEPTION 'unknown RFM threshold scheme "%"', scheme
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Add its rows to cdp.rfm_thresholds.';
	END IF;
	IF levels <> top - 1 THEN
		RAISE EXCEPTION 'RFM threshold scheme "%" lacks levels', scheme
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Its highest level is %s, so it needs a row for every level from 2 to %s; it has %s rows.',
								  top, top, levels);
	END IF;
	SELECT t.score INTO bad
	  FROM (SELECT t.score,
				   t.recency_days > lag(t.recency_days) OVER w AS r_up,
				   t.frequency < lag(t.frequency) OVER w AS f_down,
				   t.monetary < lag(t.monetary) OVER w AS m_down
			  FROM cdp.rfm_thresholds t WHERE t.scheme = rfm_threshold_cuts.scheme
			WINDOW w AS (ORDER BY t.score)) t
	 WHERE t.r_up OR t.f_down OR t.m_down
	 ORDER BY t.score LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'RFM threshold scheme "%" is not monotonic at level %', scheme, bad.score
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A higher level needs fewer days since the last purchase and at least as many purchases and as much spend.';
	END IF;
	RETURN (SELECT ROW(top, NULL::bigint, true,
					   array_agg(t.recency_days ORDER BY t.score),
					   array_agg(t.frequency ORDER BY t.score),
					   array_agg(t.monetary ORDER BY t.score))::cdp.rfm_cuts
			  FROM cdp.rfm_thresholds t WHERE t.scheme = rfm_threshold_cuts.scheme);
END
$$;
COMMENT ON FUNCTION cdp.rfm_threshold_cuts(text) IS 'the cuts of a threshold scheme of cdp.rfm_thresholds, for cdp.rfm_score';

/* ------------------------------------------------------------------------
 * Segments: the editable segment map
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.rfm_segments (
	segment			text PRIMARY KEY
		CONSTRAINT rfm_segments_segment_format CHECK (segment ~ '^[a-z][a-z0-9_]{0,62}$'),
	name_en			text NOT NULL
		CONSTRAINT rfm_segments_name_en_not_blank CHECK (btrim(name_en) <> ''),
	name_ja			text,
	description_en	text,
	description_ja	text,
	-- rules are tried from the lowest priority up; the first that matches wins
	priority		integer NOT NULL,
	recency_min		smallint NOT NULL DEFAULT 1,
	recency_max		smallint NOT NULL DEFAULT 99,
	frequency_min	smallint NOT NULL DEFAULT 1,
	frequency_max	smallint NOT NULL DEFAULT 99,
	monetary_min	smallint NOT NULL DEFAULT 1,
	monetary_max	smallint NOT NULL DEFAULT 99,
	enabled			boolean NOT NULL DEFAULT true,
	builtin			boolean NOT NULL DEFAULT false,
	CONSTRAINT rfm_segments_recency_range CHECK (recency_min BETWEEN 1 AND 99 AND recency_max BETWEEN recency_min AND 99),
	CONSTRAINT rfm_segments_frequency_range CHECK (frequency_min BETWEEN 1 AND 99 AND frequency_max BETWEEN frequency_min AND 99),
	CONSTRAINT rfm_segments_monetary_range CHECK (monetary_min BETWEEN 1 AND 99 AND monetary_max BETWEEN monetary_min AND 99)
);
COMMENT ON TABLE cdp.rfm_segments IS 'RFM segment map: ranges of R, F and M levels per segment, tried by priority; names in English and Japanese';

-- the common R x F grid on five levels, with "Lost" split from "Hibernating"
INSERT INTO cdp.rfm_segments (segment, name_en, name_ja, description_en, description_ja, priority,
							  recency_min, recency_max, frequency_min, frequency_max, builtin)
VALUES
	('champions', 'Champions', '優良顧客',
	 'bought recently, buy often', '最近購入し、購入頻度も高い', 10, 5, 5, 4, 5, true),
	('loyal', 'Loyal', 'ロイヤル顧客',
	 'buy often, fairly recently', '購入頻度が高く、比較的最近も購入している', 20, 3, 4, 4, 5, true),
	('potential_loyalist', 'Potential Loyalist', 'ロイヤル顧客候補',
	 'recent customers with a few purchases', '最近の顧客で、数回購入している', 30, 4, 5, 2, 3, true),
	('new', 'New', '新規顧客',
	 'first purchase very recently', 'ごく最近初めて購入した', 40, 5, 5, 1, 1, true),
	('promising', 'Promising', '有望顧客',
	 'one recent purchase', '最近一度購入した', 50, 4, 4, 1, 1, true),
	('need_attention', 'Need Attention', '要注意顧客',
	 'middling recency and frequency', '最終購入日・購入頻度ともに平均的', 60, 3, 3, 3, 3, true),
	('about_to_sleep', 'About to Sleep', '休眠予備軍',
	 'few purchases, not recently', '購入回数が少なく、しばらく購入がない', 70, 3, 3, 1, 2, true),
	('at_risk', 'At Risk', '離反リスク顧客',
	 'bought often, but long ago', '以前はよく購入していたが、長く購入がない', 80, 1, 2, 3, 4, true),
	('cant_lose', 'Can''t Lose Them', '失ってはならない顧客',
	 'bought most often, but long ago', '最も頻繁に購入していたが、長く購入がない', 90, 1, 2, 5, 5, true),
	('hibernating', 'Hibernating', '休眠顧客',
	 'few purchases, long ago', '購入回数が少なく、長く購入がない', 100, 2, 2, 1, 2, true),
	('lost', 'Lost', '離反顧客',
	 'few purchases, longest ago', '購入回数が少なく、最も長く購入がない', 110, 1, 1, 1, 2, true);

CREATE TRIGGER rfm_segments_customised BEFORE UPDATE ON cdp.rfm_segments
	FOR EACH ROW EXECUTE FUNCTION cdp._mark_customised();
CREATE TRIGGER rfm_segments_replace_builtin BEFORE INSERT ON cdp.rfm_segments
	FOR EACH ROW EXECUTE FUNCTION cdp._replace_builtin_row('segment');

CREATE FUNCTION cdp.rfm_segment(score cdp.rfm_score) RETURNS text
	AS 'MODULE_PATHNAME', 'cdp_rfm_segment'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.rfm_segment(cdp.rfm_score) IS 'segment of an RFM score by cdp.rfm_segments (first enabled rule by priority), NULL when none matches';

/* ------------------------------------------------------------------------
 * RFM of the profiles in cdp.events
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.rfm_profile_scores(
	as_of timestamptz DEFAULT pg_catalog.now(),
	scores integer DEFAULT 5,
	window_length interval DEFAULT NULL,
	purchase_type text DEFAULT 'order',
	scheme text DEFAULT NULL)
	RETURNS TABLE (profile_id bigint, recency_days integer, frequency bigint, monetary numeric,
				   first_at timestamptz, last_at timestamptz, rfm cdp.rfm_score, segment text)
	AS 'MODULE_PATHNAME', 'cdp_rfm_profile_scores'
	LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100000;
COMMENT ON FUNCTION cdp.rfm_profile_scores(timestamptz, integer, interval, text, text) IS 'RFM metrics, score (quantiles, or the threshold scheme when given) and segment of every profile with purchases in cdp.events up to as_of';

/* ------------------------------------------------------------------------
 * Snapshots per as-of date, for trend charts
 * ---------------------------------------------------------------------- */

CREATE TABLE cdp.rfm_snapshots (
	as_of			date NOT NULL,
	profile_id		bigint NOT NULL,
	recency_days	integer NOT NULL,
	frequency		bigint NOT NULL,
	monetary		numeric NOT NULL,
	first_at		timestamptz NOT NULL,
	last_at			timestamptz NOT NULL,
	rfm				cdp.rfm_score NOT NULL,
	segment			text,
	PRIMARY KEY (as_of, profile_id)
);
COMMENT ON TABLE cdp.rfm_snapshots IS 'stored RFM scores and segments per as-of date and profile (personal data), written by cdp.rfm_refresh';
CREATE INDEX rfm_snapshots_profile_idx ON cdp.rfm_snapshots (profile_id);

CREATE TABLE cdp.rfm_snapshot_runs (
	as_of			date PRIMARY KEY,
	scores			integer,
	scheme			text,
	window_length	interval,
	purchase_type	text NOT NULL,
	profiles		bigint NOT NULL,
	refreshed_at	timestamptz NOT NULL DEFAULT now(),
	refreshed_by	name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cdp.rfm_snapshot_runs IS 'how each stored RFM snapshot was computed, and when';

CREATE FUNCTION cdp.rfm_refresh(
	as_of date DEFAULT current_date,
	scores integer DEFAULT 5,
	window_length interval DEFAULT NULL,
	purchase_type text DEFAULT 'order',
	scheme text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stored		bigint;
BEGIN
	IF as_of IS NULL OR NOT pg_catalog.isfinite(as_of) THEN
		RAISE EXCEPTION 'cdp.rfm_refresh: as_of must be a finite date'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	DELETE FROM cdp.rfm_snapshots s WHERE s.as_of = rfm_refresh.as_of;
	DELETE FROM cdp.rfm_snapshot_runs r WHERE r.as_of = rfm_refresh.as_of;
	-- as of the last microsecond of the day: recency counts calendar days
	INSERT INTO cdp.rfm_snapshots (as_of, profile_id, recency_days, frequency, monetary,
								   first_at, last_at, rfm, segment)
	SELECT rfm_refresh.as_of, p.profile_id, p.recency_days, p.frequency, p.monetary,
		   p.first_at, p.last_at, p.rfm, p.segment
	  FROM cdp.rfm_profile_scores((rfm_refresh.as_of + 1)::timestamptz - interval '1 microsecond',
								  rfm_refresh.scores, rfm_refresh.window_length,
								  rfm_refresh.purchase_type, rfm_refresh.scheme) p;
	GET DIAGNOSTICS stored = ROW_COUNT;
	INSERT INTO cdp.rfm_snapshot_runs (as_of, scores, scheme, window_length, purchase_type, profiles)
	VALUES (rfm_refresh.as_of, CASE WHEN rfm_refresh.scheme IS NULL THEN rfm_refresh.scores END,
			rfm_refresh.scheme, rfm_refresh.window_length, rfm_refresh.purchase_type, stored);
	RETURN stored;
END
$$;
COMMENT ON FUNCTION cdp.rfm_refresh(date, integer, interval, text, text) IS 'compute RFM scores and segments as of the end of a date and store them in cdp.rfm_snapshots, replacing that date''s snapshot; returns the number of profiles stored';

/* ------------------------------------------------------------------------
 * Views for BI tools (security_invoker: the reader's row access applies)
 * ---------------------------------------------------------------------- */

CREATE VIEW cdp.rfm_profiles WITH (security_invoker = true) AS
SELECT p.profile_id, p.recency_days, p.frequency, p.monetary, p.first_at, p.last_at,
	   p.rfm, cdp.recency_score(p.rfm) AS r, cdp.frequency_score(p.rfm) AS f,
	   cdp.monetary_score(p.rfm) AS m, p.segment, g.name_en AS segment_name_en,
	   g.name_ja AS segment_name_ja
  FROM cdp.rfm_profile_scores() p
  LEFT JOIN cdp.rfm_segments g ON g.segment = p.segment;
COMMENT ON VIEW cdp.rfm_profiles IS 'RFM metrics, quintile scores and segment of every profile with orders, as of now';

CREATE VIEW cdp.rfm_segment_summary WITH (security_invoker = true) AS
SELECT coalesce(g.segment, p.segment) AS segment, g.name_en, g.name_ja, g.priority,
	   coalesce(p.profiles, 0) AS profiles, coalesce(p.revenue, 0) AS revenue,
	   round(coalesce(p.profiles, 0) / nullif(sum(p.profiles) OVER (), 0), 4) AS profile_share,
	   round(coalesce(p.revenue, 0) / nullif(sum(p.revenue) OVER (), 0), 4) AS revenue_share
  FROM (SELECT s.segment, count(*) AS profiles, sum(s.monetary) AS revenue
		  FROM cdp.rfm_profile_scores() s GROUP BY s.segment) p
  FULL JOIN (SELECT * FROM cdp.rfm_segments WHERE enabled) g ON g.segment = p.segment;
COMMENT ON VIEW cdp.rfm_segment_summary IS 'profiles, revenue and their shares per RFM segment, as of now (segment NULL: profiles no rule matched)';

CREATE VIEW cdp.rfm_snapshot_summary WITH (security_invoker = true) AS
SELECT s.as_of, s.segment, g.name_en, g.name_ja, count(*) AS profiles, sum(s.monetary) AS revenue,
	   round(count(*) / sum(count(*)) OVER (PARTITION BY s.as_of), 4) AS profile_share,
	   round(sum(s.monetary) / nullif(sum(sum(s.monetary)) OVER (PARTITION BY s.as_of), 0), 4) AS revenue_share
  FROM cdp.rfm_snapshots s
  LEFT JOIN cdp.rfm_segments g ON g.segment = s.segment
 GROUP BY s.as_of, s.segment, g.name_en, g.name_ja;
COMMENT ON VIEW cdp.rfm_snapshot_summary IS 'profiles, revenue and shares per segment and stored as-of date, for trend charts';

/* ------------------------------------------------------------------------
 * Lifetime value: the purchase summary, BG/NBD, Gamma-Gamma
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.hyp2f1(a double precision, b double precision, c double precision, z double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'cdp_hyp2f1_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.hyp2f1(double precision, double precision, double precision, double precision) IS 'Gauss hypergeometric function 2F1(a, b; c; z) for real arguments, z <= 1';

CREATE TYPE cdp.clv_summary AS (
	frequency		integer,
	recency			double precision,
	t				double precision,
	monetary_value	double precision
);
COMMENT ON TYPE cdp.clv_summary IS 'a customer''s history for lifetime-value models: repeat purchase days, periods from first to last purchase (recency) and to as_of (t), mean spend of the repeat days';

CREATE FUNCTION cdp._clv_summary_transfn(internal, timestamptz, numeric, date, interval)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_clv_summary_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION cdp._clv_summary_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_clv_summary_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._clv_summary_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_clv_summary_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._clv_summary_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_clv_summary_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._clv_summary_finalfn(internal)
	RETURNS cdp.clv_summary
	AS 'MODULE_PATHNAME', 'cdp_clv_summary_finalfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE cdp.clv_summary_agg(occurred_at timestamptz, amount numeric, as_of date, period interval) (
	SFUNC = cdp._clv_summary_transfn,
	STYPE = internal,
	FINALFUNC = cdp._clv_summary_finalfn,
	COMBINEFUNC = cdp._clv_summary_combine,
	SERIALFUNC = cdp._clv_summary_serial,
	DESERIALFUNC = cdp._clv_summary_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.clv_summary_agg(timestamptz, numeric, date, interval) IS 'a customer''s purchases summarised for cdp.bgnbd_fit and cdp.gamma_gamma_fit, by calendar day, in periods of the given length';

CREATE TYPE cdp.bgnbd_model AS (
	r				double precision,
	alpha			double precision,
	a				double precision,
	b				double precision,
	log_likelihood	double precision,
	customers		bigint,
	evaluations		integer,
	converged		boolean
);
COMMENT ON TYPE cdp.bgnbd_model IS 'a fitted BG/NBD model: purchase rates Gamma(r, alpha), dropout probabilities Beta(a, b)';

CREATE FUNCTION cdp._bgnbd_fit_transfn(internal, integer, double precision, double precision)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_fit_transfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._bgnbd_fit_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_fit_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._bgnbd_fit_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_fit_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._bgnbd_fit_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_fit_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._bgnbd_fit_finalfn(internal)
	RETURNS cdp.bgnbd_model
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_fit_finalfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE cdp.bgnbd_fit(frequency integer, recency double precision, t double precision) (
	SFUNC = cdp._bgnbd_fit_transfn,
	STYPE = internal,
	FINALFUNC = cdp._bgnbd_fit_finalfn,
	COMBINEFUNC = cdp._bgnbd_fit_combine,
	SERIALFUNC = cdp._bgnbd_fit_serial,
	DESERIALFUNC = cdp._bgnbd_fit_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.bgnbd_fit(integer, double precision, double precision) IS 'maximum-likelihood fit of the BG/NBD model to customers'' (frequency, recency, t)';

CREATE FUNCTION cdp.bgnbd_expected_purchases(model cdp.bgnbd_model, periods double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_expected_purchases_new'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.bgnbd_expected_purchases(cdp.bgnbd_model, double precision) IS 'expected repeat purchases of a new customer in their first "periods"';

CREATE FUNCTION cdp.bgnbd_expected_purchases(model cdp.bgnbd_model, periods double precision,
											 frequency integer, recency double precision, t double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_expected_purchases'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.bgnbd_expected_purchases(cdp.bgnbd_model, double precision, integer, double precision, double precision) IS 'expected purchases in the next "periods" of a customer with this frequency, recency and t';

CREATE FUNCTION cdp.bgnbd_probability_alive(model cdp.bgnbd_model, frequency integer,
											recency double precision, t double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'cdp_bgnbd_probability_alive'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.bgnbd_probability_alive(cdp.bgnbd_model, integer, double precision, double precision) IS 'probability that a customer with this frequency, recency and t is still active';

CREATE TYPE cdp.gamma_gamma_model AS (
	p				double precision,
	q				double precision,
	v				double precision,
	log_likelihood	double precision,
	customers		bigint,
	evaluations		integer,
	converged		boolean
);
COMMENT ON TYPE cdp.gamma_gamma_model IS 'a fitted Gamma-Gamma spend model: transactions Gamma(p, nu), nu Gamma(q, v) across customers';

CREATE FUNCTION cdp._gamma_gamma_fit_transfn(internal, integer, double precision)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_gamma_gamma_fit_transfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._gamma_gamma_fit_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_gamma_gamma_fit_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION cdp._gamma_gamma_fit_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'cdp_gamma_gamma_fit_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._gamma_gamma_fit_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'cdp_gamma_gamma_fit_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION cdp._gamma_gamma_fit_finalfn(internal)
	RETURNS cdp.gamma_gamma_model
	AS 'MODULE_PATHNAME', 'cdp_gamma_gamma_fit_finalfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE cdp.gamma_gamma_fit(frequency integer, monetary_value double precision) (
	SFUNC = cdp._gamma_gamma_fit_transfn,
	STYPE = internal,
	FINALFUNC = cdp._gamma_gamma_fit_finalfn,
	COMBINEFUNC = cdp._gamma_gamma_fit_combine,
	SERIALFUNC = cdp._gamma_gamma_fit_serial,
	DESERIALFUNC = cdp._gamma_gamma_fit_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE cdp.gamma_gamma_fit(integer, double precision) IS 'maximum-likelihood fit of the Gamma-Gamma spend model to customers'' (frequency, monetary_value); customers with frequency 0 are left out';

CREATE FUNCTION cdp.gamma_gamma_expected_spend(model cdp.gamma_gamma_model, frequency integer,
											   monetary_value double precision)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'cdp_gamma_gamma_expected_spend'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.gamma_gamma_expected_spend(cdp.gamma_gamma_model, integer, double precision) IS 'expected spend per transaction of a customer with this frequency and mean spend';

CREATE FUNCTION cdp.customer_lifetime_value(bgnbd cdp.bgnbd_model, gamma_gamma cdp.gamma_gamma_model,
											frequency integer, recency double precision, t double precision,
											monetary_value double precision, periods double precision,
											discount_rate double precision DEFAULT 0,
											step double precision DEFAULT 1)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'cdp_customer_lifetime_value'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.customer_lifetime_value(cdp.bgnbd_model, cdp.gamma_gamma_model, integer, double precision, double precision, double precision, double precision, double precision, double precision) IS 'expected spend in the next "periods", purchases in step k discounted by (1 + discount_rate)^k';

/* ------------------------------------------------------------------------
 * Lifetime value of the profiles in cdp.events
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cdp.clv_profile_summary(
	as_of date DEFAULT current_date,
	period interval DEFAULT '7 days',
	purchase_type text DEFAULT 'order')
	RETURNS TABLE (profile_id bigint, frequency integer, recency double precision,
				   t double precision, monetary_value double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT s.profile_id, (s.summary).frequency, (s.summary).recency, (s.summary).t, (s.summary).monetary_value
  FROM (SELECT e.profile_id, cdp.clv_summary_agg(e.occurred_at, e.amount, as_of, period) AS summary
		  FROM cdp.events e
		 WHERE e.profile_id IS NOT NULL
		   AND e.event_type OPERATOR(pg_catalog.=) purchase_type
		   AND e.occurred_at OPERATOR(pg_catalog.<) (as_of OPERATOR(pg_catalog.+) 1)::timestamptz
		 GROUP BY e.profile_id) s
$$;
COMMENT ON FUNCTION cdp.clv_profile_summary(date, interval, text) IS 'every profile''s purchase history up to the end of as_of, summarised for the lifetime-value models';

CREATE FUNCTION cdp.clv_profile_predictions(
	as_of date DEFAULT current_date,
	periods double precision DEFAULT 52,
	discount_rate double precision DEFAULT 0,
	step double precision DEFAULT 1,
	period interval DEFAULT '7 days',
	purchase_type text DEFAULT 'order')
	RETURNS TABLE (profile_id bigint, frequency integer, recency double precision,
				   t double precision, monetary_value double precision,
				   probability_alive double precision, expected_purchases double precision,
				   expected_spend double precision, clv double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
AS $$
WITH s AS MATERIALIZED (SELECT * FROM cdp.clv_profile_summary(as_of, period, purchase_type)),
	 m AS (SELECT cdp.bgnbd_fit(s.frequency, s.recency, s.t) AS bgnbd,
				  cdp.gamma_gamma_fit(s.frequency, s.monetary_value) AS gamma_gamma
			 FROM s)
SELECT s.profile_id, s.frequency, s.recency, s.t, s.monetary_value,
	   cdp.bgnbd_probability_alive(m.bgnbd, s.frequency, s.recency, s.t),
	   cdp.bgnbd_expected_purchases(m.bgnbd, periods, s.frequency, s.recency, s.t),
	   cdp.gamma_gamma_expected_spend(m.gamma_gamma, s.frequency, s.monetary_value),
	   cdp.customer_lifetime_value(m.bgnbd, m.gamma_gamma, s.frequency, s.recency, s.t,
								   s.monetary_value, periods, discount_rate, step)
  FROM s CROSS JOIN m
$$;
COMMENT ON FUNCTION cdp.clv_profile_predictions(date, double precision, double precision, double precision, interval, text) IS 'fit BG/NBD and Gamma-Gamma to every profile''s history up to as_of and predict each one''s purchases, spend and lifetime value over the next "periods"';

CREATE VIEW cdp.clv_profiles WITH (security_invoker = true) AS
SELECT * FROM cdp.clv_profile_predictions();
COMMENT ON VIEW cdp.clv_profiles IS 'probability alive, expected purchases and spend and lifetime value over the next 52 weeks of every profile, from models fitted to the history up to today';

/* ------------------------------------------------------------------------
 * pg_dump: user rows of the new tables
 * ---------------------------------------------------------------------- */

SELECT pg_catalog.pg_extension_config_dump('cdp.rfm_thresholds', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.rfm_segments', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('cdp.rfm_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('cdp.rfm_snapshot_runs', '');
