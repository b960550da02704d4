/*-------------------------------------------------------------------------
 *
 * hyp2f1.c
 *	  cdp.hyp2f1(a, b, c, z): the Gauss hypergeometric function 2F1, which
 *	  the BG/NBD model needs for expected purchases; exposed in SQL so that
 *	  it can be tested on its own.
 *
 * Method, for real arguments and z <= 1:
 *	- z < 0 is mapped into (0, 1) by Pfaff's transformation
 *	  2F1(a, b; c; z) = (1 - z)^-a 2F1(a, c - b; c; z / (z - 1));
 *	- on [0, 0.9] the power series is summed, either as it is or after
 *	  Euler's transformation 2F1(a, b; c; z) =
 *	  (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z), whichever has terms
 *	  that fall faster (their size goes as k^(a + b - c - 1) z^k);
 *	- on (0.9, 1) the connection formula in 1 - z (Abramowitz & Stegun
 *	  15.3.6) is used when c - a - b is not near an integer, where its
 *	  gamma functions have poles; near an integer the series is summed
 *	  (it converges, only more slowly);
 *	- z = 1 is Gauss's theorem, defined when c - a - b > 0.
 * A non-positive integer a or b makes the series a polynomial.  c a
 * non-positive integer (a pole), z > 1 and a series that does not
 * converge in CDP_HYP2F1_MAX_TERMS terms are errors.
 *
 * src/rfm/hyp2f1.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "rfm/rfm.h"

#define CDP_HYP2F1_MAX_TERMS 2000000
#define CDP_HYP2F1_EPSILON 1e-16

static bool
is_nonpositive_integer(double x)
{
	return x <= 0 && x == floor(x);
}

/* The sign of the gamma function at x (not a pole). */
static double
gamma_sign(double x)
{
	if (x > 0)
		return 1.0;
	/* between the poles -k and -k + 1 the sign is (-1)^k */
	return ((long) ceil(-x)) % 2 == 1 ? -1.0 : 1.0;
}

/*
 * The power series, for |z| < 1 or a terminating series.  Stops when a
 * term no longer changes the sum and the terms are falling.
 */
static double
series(double a, double b, double c, double z)
{
	double		sum = 1.0;
	double		term = 1.0;
	double		compensation = 0.0;
	int			quiet = 0;
	long		k;

	for (k = 0; k < CDP_HYP2F1_MAX_TERMS; k++)
	{
		double		ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		double		y;
		double		t;

		if ((k & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		term *= ratio;
		if (term == 0.0)
			return sum + compensation;	/* a terminating series */
		/* Kahan summation: long series of alternating terms lose less */
		y = term - compensation;
		t = sum + y;
		compensation = (t - sum) - y;
		sum = t;
		if (fabs(term) <= CDP_HYP2F1_EPSILON * fabs(sum) && fabs(ratio) < 1.0)
		{
			if (++quiet >= 3)
				return sum;
		}
		else
			quiet = 0;
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) did not converge", a, b, c, z)));
	return 0.0;					/* keep the compiler quiet */
}

/* The series on [0, 1), directly or after Euler's transformation. */
static double
series_best(double a, double b, double c, double z)
{
	/* terms of the series go as k^(a + b - c - 1) z^k, after Euler as k^(c - a - b - 1) z^k */
	if (c - a - b < a + b - c && !is_nonpositive_integer(a) && !is_nonpositive_integer(b))
		return pow(1.0 - z, c - a - b) * series(c - a, c - b, c, z);
	return series(a, b, c, z);
}

/*
 * Gamma(c) Gamma(d) / (Gamma(e) Gamma(f)) through logarithms, with signs;
 * 0 when e or f is a pole.
 */
static double
gamma_ratio(double c, double d, double e, double f)
{
	if (is_nonpositive_integer(e) || is_nonpositive_integer(f))
		return 0.0;
	return gamma_sign(c) * gamma_sign(d) * gamma_sign(e) * gamma_sign(f) *
		exp(lgamma(c) + lgamma(d) - lgamma(e) - lgamma(f));
}

double
cdp_hyp2f1(double a, double b, double c, double z)
{
	double		s = c - a - b;

	if (isnan(a) || isnan(b) || isnan(c) || isnan(z) ||
		isinf(a) || isinf(b) || isinf(c) || isinf(z))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyp2f1: arguments must be finite")));
	if (is_nonpositive_integer(c) &&
		!(is_nonpositive_integer(a) && a > c) && !(is_nonpositive_integer(b) && b > c))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyp2f1: c must not be zero or a negative integer"),
				 errdetail("c is %g.", c)));
	if (z > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hyp2f1: z must not be above 1"),
				 errdetail("z is %g; the series diverges there and the function is multi-valued.", z)));
	if (z == 0.0 || a == 0.0 || b == 0.0)
		return 1.0;
	if (is_nonpositive_integer(a) || is_nonpositive_integer(b))
		return series(a, b, c, z);
	if (z == 1.0)
	{
		if (s <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("hyp2f1: at z = 1 the function needs c - a - b above 0"),
					 errdetail("c - a - b is %g.", s)));
		return gamma_ratio(c, s, c - a, c - b);
	}
	if (z < 0.0)
	{
		double		w = z / (z - 1.0);

		/* either of Pfaff's two forms; take the one with the smaller power */
		if (fabs(a) <= fabs(b))
			return pow(1.0 - z, -a) * cdp_hyp2f1(a, c - b, c, w);
		return pow(1.0 - z, -b) * cdp_hyp2f1(c - a, b, c, w);
	}
	if (z <= 0.9 || fabs(s - rint(s)) < 1e-5)
		return series_best(a, b, c, z);

	/* 0.9 < z < 1, c - a - b not near an integer: the connection formula */
	return gamma_ratio(c, s, c - a, c - b) * series(a, b, 1.0 - s, 1.0 - z) +
		pow(1.0 - z, s) * gamma_ratio(c, -s, a, b) * series(c - a, c - b, 1.0 + s, 1.0 - z);
}

PG_FUNCTION_INFO_V1(cdp_hyp2f1_sql);

/*
 * cdp.hyp2f1(a, b, c, z)
 */
Datum
cdp_hyp2f1_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(cdp_hyp2f1(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1),
								PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3)));
}
