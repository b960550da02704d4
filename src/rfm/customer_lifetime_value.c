/*-------------------------------------------------------------------------
 *
 * customer_lifetime_value.c
 *	  cdp.customer_lifetime_value(bgnbd, gamma_gamma, frequency, recency,
 *	  t, monetary_value, periods, discount_rate, step): expected spend of
 *	  a customer over the next "periods", discounted.
 *
 * The BG/NBD model gives the expected purchases, the Gamma-Gamma model
 * the expected spend per purchase.  Without discounting the value is
 * their product over the whole horizon.  With a discount rate d per step,
 * the horizon is cut into steps of "step" periods (the last one may be
 * shorter) and the purchases expected in step k are discounted by
 * (1 + d)^k, as in the lifetimes package's customer_lifetime_value.
 *
 * src/rfm/customer_lifetime_value.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "rfm/rfm.h"

#define CLV_MAX_STEPS 100000

typedef struct ClvCache
{
	CdpModelCache *bgnbd;
	CdpModelCache *gamma_gamma;
} ClvCache;

PG_FUNCTION_INFO_V1(cdp_customer_lifetime_value);

Datum
cdp_customer_lifetime_value(PG_FUNCTION_ARGS)
{
	ClvCache   *cache = (ClvCache *) fcinfo->flinfo->fn_extra;
	CdpBgnbd   *bgnbd;
	const double *gamma_gamma;
	double		x = PG_GETARG_INT32(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	double		monetary_value = PG_GETARG_FLOAT8(5);
	double		periods = PG_GETARG_FLOAT8(6);
	double		rate = PG_GETARG_FLOAT8(7);
	double		step = PG_GETARG_FLOAT8(8);
	double		spend;
	double		inverse_alive;
	double		value = 0.0;
	double		previous = 0.0;
	double		steps;
	long		k;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ClvCache));
	bgnbd = cdp_bgnbd_get(fcinfo, &cache->bgnbd, PG_GETARG_DATUM(0));
	gamma_gamma = cdp_model_params(fcinfo, &cache->gamma_gamma, PG_GETARG_DATUM(1), 3,
								   "Gamma-Gamma");

	cdp_check_customer("cdp.customer_lifetime_value", x, tx, T);
	if (!(monetary_value >= 0) || !isfinite(monetary_value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.customer_lifetime_value: monetary_value must be finite and not negative"),
				 errdetail("It is %g.", monetary_value)));
	if (!(periods >= 0) || !isfinite(periods) || !(rate >= 0) || !isfinite(rate) ||
		!(step > 0) || !isfinite(step))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.customer_lifetime_value: periods and discount_rate must be finite and not negative, step finite and above 0"),
				 errdetail("periods is %g, discount_rate %g, step %g.", periods, rate, step)));
	steps = ceil(periods / step);
	if (rate > 0 && steps > CLV_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cdp.customer_lifetime_value: the horizon has more than %d steps", CLV_MAX_STEPS),
				 errhint("Use a longer step.")));

	spend = cdp_gamma_gamma_spend(gamma_gamma, x, monetary_value);
	if (rate == 0)
		PG_RETURN_FLOAT8(spend * cdp_bgnbd_expected(bgnbd, periods, x, tx, T));

	/* the probability of being alive is the same at every step */
	inverse_alive = cdp_bgnbd_inverse_alive(bgnbd, x, tx, T);
	for (k = 1; k <= (long) steps; k++)
	{
		double		upto = Min(k * step, periods);
		double		expected;

		expected = upto == 0 ? 0.0 :
			cdp_bgnbd_check_expected(bgnbd,
									 cdp_bgnbd_purchases_if_alive(bgnbd, upto, x, T) / inverse_alive,
									 upto, x, tx, T);
		value += (expected - previous) / pow(1.0 + rate, (double) k);
		previous = expected;
		if ((k & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_FLOAT8(spend * value);
}
