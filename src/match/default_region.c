/*-------------------------------------------------------------------------
 *
 * default_region.c
 *	  The setting cdp.default_region: the country whose rules apply to phone
 *	  numbers and postal codes written without a country (default JP).
 *
 * The setting is a user setting (PGC_USERSET): any role may choose its
 * region for its session.  The check hook accepts the ISO 3166-1 alpha-2
 * codes whose rules cdp knows, in any case, and stores them upper case.
 * Functions and type input that read it are STABLE, not IMMUTABLE (see the
 * README for what that means for indexes and constants).
 *
 * src/match/default_region.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "cdp.h"
#include "match/normalize.h"

static char *default_region = NULL;

/* the regions whose phone and postal rules cdp knows */
static const char *const supported_regions[] = {"JP", "US", "CA", "GB"};

bool
cdp_region_supported(const char *region)
{
	int			i;

	if (region == NULL || strlen(region) != 2)
		return false;
	for (i = 0; i < lengthof(supported_regions); i++)
		if (pg_strcasecmp(region, supported_regions[i]) == 0)
			return true;
	return false;
}

static bool
check_default_region(char **newval, void **extra, GucSource source)
{
	char	   *p;

	if (!cdp_region_supported(*newval))
	{
		GUC_check_errdetail("Supported regions are JP, US, CA and GB (ISO 3166-1 alpha-2 codes).");
		if (*newval && pg_strcasecmp(*newval, "UK") == 0)
			GUC_check_errhint("The ISO 3166-1 code of the United Kingdom is GB.");
		return false;
	}
	/* the value is a malloc'd copy that the hook may change in place */
	for (p = *newval; *p; p++)
		*p = pg_toupper((unsigned char) *p);
	return true;
}

const char *
cdp_default_region(void)
{
	return default_region ? default_region : "JP";
}

void
cdp_default_region_init(void)
{
	DefineCustomStringVariable("cdp.default_region",
							   "Country whose rules apply to phone numbers and postal codes written without a country.",
							   "An ISO 3166-1 alpha-2 code: JP, US, CA or GB.",
							   &default_region,
							   "JP",
							   PGC_USERSET,
							   0,
							   check_default_region,
							   NULL,
							   NULL);
}
