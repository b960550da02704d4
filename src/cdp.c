/*-------------------------------------------------------------------------
 *
 * cdp.c
 *	  Module entry point of the cdp extension: the module magic, _PG_init
 *	  (custom settings of every capability are defined here) and the
 *	  functions that describe the loaded library.
 *
 * src/cdp.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include <unicode/uversion.h>

#include "cdp.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Define the custom settings of every capability, then reserve the "cdp."
 * prefix so that nobody can create a look-alike placeholder setting.
 */
void
_PG_init(void)
{
	cdp_default_region_init();
	cdp_match_similarity_init();
	cdp_purpose_init();
	cdp_consent_cache_init();
	cdp_explain_counts_init();
	MarkGUCPrefixReserved("cdp");
}

PG_FUNCTION_INFO_V1(cdp_library_version);

/*
 * cdp.library_version() returns the version of the loaded shared library,
 * which may differ from the installed SQL version between an upgrade of the
 * package and ALTER EXTENSION cdp UPDATE.
 */
Datum
cdp_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(CDP_LIBRARY_VERSION));
}

PG_FUNCTION_INFO_V1(cdp_icu_version);

/*
 * cdp.icu_version() returns the version of the ICU library cdp runs with;
 * normalisation and transliteration results can change between ICU releases.
 */
Datum
cdp_icu_version(PG_FUNCTION_ARGS)
{
	UVersionInfo version;
	char		buffer[U_MAX_VERSION_STRING_LENGTH];

	u_getVersion(version);
	u_versionToString(version, buffer);
	PG_RETURN_TEXT_P(cstring_to_text(buffer));
}
