/*-------------------------------------------------------------------------
 *
 * audit_role.c
 *	  The role an audit row names: who called cdp, not who owns the code.
 *
 * cdp's data-subject functions are SECURITY DEFINER, so inside them
 * current_user is the extension's owner, and session_user is only the
 * login role.  The role that asked (the login role, or the role chosen
 * with SET ROLE) is the "outer" user id, which a SECURITY DEFINER call
 * does not change; SQL has no function that returns it.
 *
 * src/consent/audit_role.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(cdp_audit_acting_role);

/*
 * cdp._audit_acting_role() returns the name of the role the session acts
 * as outside any SECURITY DEFINER function.
 */
Datum
cdp_audit_acting_role(PG_FUNCTION_ARGS)
{
	char	   *role = GetUserNameFromId(GetOuterUserId(), false);

	PG_RETURN_DATUM(DirectFunctionCall1(namein, CStringGetDatum(role)));
}
