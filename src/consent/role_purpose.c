/*-------------------------------------------------------------------------
 *
 * role_purpose.c
 *	  Which role may act for which purpose: the look-up in cdp.purposes and
 *	  cdp.role_purposes that both the check hook of cdp.purpose and the
 *	  use-time check of the consent cache make, and the helpers they share
 *	  for reading cdp's tables from C.
 *
 * A role may act for a purpose when cdp.role_purposes has an enabled row
 * for the purpose whose role the role is a member of (pg_has_role ...
 * 'MEMBER', so membership counts whether or not it inherits privileges).
 * cdp's tables are read as the bootstrap superuser, in a security-
 * restricted operation, with every name and operator schema-qualified:
 * the caller's search_path, privileges and row-level security do not
 * change the answer.  They are read with a fresh snapshot (the latest
 * committed state), not the transaction snapshot, so that a check never
 * fixes the snapshot of a transaction that has not started a query yet.
 *
 * src/consent/role_purpose.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "consent/consent.h"

/*
 * Push a snapshot of the latest committed state (plus this transaction's
 * own earlier commands) as the active snapshot.  The catalog snapshot is
 * taken anew after invalidation messages have been read, so it sees every
 * commit whose invalidation this backend has processed; it does not become
 * the transaction snapshot.  The caller pops it.
 */
void
cdp_push_fresh_snapshot(void)
{
	InvalidateCatalogSnapshot();
	PushActiveSnapshot(GetCatalogSnapshot(InvalidOid));
}

/*
 * Become the bootstrap superuser for reading cdp's tables: row-level
 * security does not apply to it, and the security-restricted flag forbids
 * anything but reading.
 */
void
cdp_switch_to_superuser(Oid *saved_userid, int *saved_sec_context)
{
	GetUserIdAndSecContext(saved_userid, saved_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   *saved_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

void
cdp_restore_user(Oid saved_userid, int saved_sec_context)
{
	SetUserIdAndSecContext(saved_userid, saved_sec_context);
}

/*
 * Whether purpose exists and roleid may act for it.  Needs a transaction.
 */
CdpPurposeStatus
cdp_purpose_status(const char *purpose, Oid roleid)
{
	Oid			nsp;
	Oid			saved_userid;
	int			saved_sec_context;
	Oid			argtypes[2] = {TEXTOID, OIDOID};
	Datum		values[2];
	bool		isnull;
	bool		known;
	bool		granted;
	int			ret;

	nsp = get_namespace_oid("cdp", true);
	if (!OidIsValid(nsp) ||
		!OidIsValid(get_relname_relid("role_purposes", nsp)) ||
		!OidIsValid(get_relname_relid("purposes", nsp)))
		return CDP_PURPOSE_NO_EXTENSION;

	values[0] = CStringGetTextDatum(purpose);
	values[1] = ObjectIdGetDatum(roleid);

	cdp_switch_to_superuser(&saved_userid, &saved_sec_context);
	cdp_push_fresh_snapshot();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(
								"SELECT EXISTS (SELECT FROM cdp.purposes p"
								"                WHERE p.purpose OPERATOR(pg_catalog.=) $1),"
								"       EXISTS (SELECT FROM cdp.role_purposes rp"
								"                 JOIN pg_catalog.pg_authid a"
								"                   ON a.rolname OPERATOR(pg_catalog.=) rp.role_name"
								"                WHERE rp.purpose OPERATOR(pg_catalog.=) $1 AND rp.enabled"
								"                  AND pg_catalog.pg_has_role($2, a.oid, 'MEMBER'))",
								2, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "cdp: look-up of purpose \"%s\" failed", purpose);
	known = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	granted = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();
	PopActiveSnapshot();
	cdp_restore_user(saved_userid, saved_sec_context);

	if (!known)
		return CDP_PURPOSE_UNKNOWN;
	return granted ? CDP_PURPOSE_GRANTED : CDP_PURPOSE_NOT_GRANTED;
}
