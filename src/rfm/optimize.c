/*-------------------------------------------------------------------------
 *
 * optimize.c
 *	  Minimisation without derivatives for the maximum-likelihood fits of
 *	  the lifetime-value models: Nelder-Mead with restarts.
 *
 * Deterministic: the same data and start give the same answer, on every
 * platform with IEEE doubles.  The simplex starts at x and x + step * e_i;
 * it stops when the values at its vertices agree to a relative tolerance
 * and the vertices to an absolute one.  Nelder-Mead can stall on a ridge,
 * so it then restarts with a fresh simplex around the best point, until a
 * restart no longer improves the value.  Non-finite values of the
 * objective (outside the model's domain, overflow) count as +infinity and
 * are never accepted.
 *
 * A run also stops, unconverged, when its best value has not improved by
 * the tolerance in NM_STALL_WINDOW evaluations per dimension.  That is
 * what happens when the function is flat along a direction to infinity
 * (a likelihood whose supremum lies at the boundary of the parameter
 * space): the simplex then wanders along the flat direction, its vertices
 * never agree to the tolerance, and without this test it would use up
 * the whole budget.  A run that is merely converging slowly improves the
 * value by far more than the tolerance within such a window.
 *
 * src/rfm/optimize.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "rfm/rfm.h"

#define NM_MAX_DIM 8
#define NM_MAX_RESTARTS 20
#define NM_STALL_WINDOW 250		/* evaluations per dimension */

typedef struct Simplex
{
	int			n;
	double		x[NM_MAX_DIM + 1][NM_MAX_DIM];
	double		f[NM_MAX_DIM + 1];
} Simplex;

static double
evaluate(CdpObjective f, void *arg, const double *x, int *evaluations)
{
	double		value = f(x, arg);

	(*evaluations)++;
	return isfinite(value) ? value : HUGE_VAL;
}

/* Sort the vertices by value (insertion sort: n is small), ties by index. */
static void
order(Simplex *s)
{
	int			i,
				j;

	for (i = 1; i <= s->n; i++)
	{
		double		fx = s->f[i];
		double		x[NM_MAX_DIM];

		memcpy(x, s->x[i], sizeof(double) * s->n);
		for (j = i - 1; j >= 0 && s->f[j] > fx; j--)
		{
			s->f[j + 1] = s->f[j];
			memcpy(s->x[j + 1], s->x[j], sizeof(double) * s->n);
		}
		s->f[j + 1] = fx;
		memcpy(s->x[j + 1], x, sizeof(double) * s->n);
	}
}

/* The point centroid + t * (worst - centroid). */
static void
along(const Simplex *s, const double *centroid, double t, double *out)
{
	int			i;

	for (i = 0; i < s->n; i++)
		out[i] = centroid[i] + t * (s->x[s->n][i] - centroid[i]);
}

/*
 * One Nelder-Mead run from x.  Returns true when it met the tolerance.
 */
static bool
nelder_mead(CdpObjective f, void *arg, int n, double *x, double *fx, double step,
			double tolerance, int max_evaluations, int *evaluations, bool *stalled)
{
	Simplex		s;
	double		mark = HUGE_VAL;	/* best value at the last real improvement */
	int			mark_evaluations = *evaluations;
	int			i,
				j;

	s.n = n;
	memcpy(s.x[0], x, sizeof(double) * n);
	s.f[0] = evaluate(f, arg, s.x[0], evaluations);
	for (i = 1; i <= n; i++)
	{
		memcpy(s.x[i], x, sizeof(double) * n);
		s.x[i][i - 1] += step;
		s.f[i] = evaluate(f, arg, s.x[i], evaluations);
	}

	while (*evaluations < max_evaluations)
	{
		double		centroid[NM_MAX_DIM];
		double		reflected[NM_MAX_DIM];
		double		candidate[NM_MAX_DIM];
		double		fr;
		double		fc;
		double		spread_f = 0.0;
		double		spread_x = 0.0;

		CHECK_FOR_INTERRUPTS();
		order(&s);
		for (i = 1; i <= n; i++)
		{
			spread_f = Max(spread_f, fabs(s.f[i] - s.f[0]));
			for (j = 0; j < n; j++)
				spread_x = Max(spread_x, fabs(s.x[i][j] - s.x[0][j]));
		}
		if (spread_f <= tolerance * (fabs(s.f[0]) + tolerance) && spread_x <= sqrt(tolerance))
		{
			memcpy(x, s.x[0], sizeof(double) * n);
			*fx = s.f[0];
			return true;
		}
		if (s.f[0] < mark - tolerance * (fabs(mark) + tolerance) || mark == HUGE_VAL)
		{
			mark = s.f[0];
			mark_evaluations = *evaluations;
		}
		else if (*evaluations - mark_evaluations > NM_STALL_WINDOW * n)
		{
			*stalled = true;
			break;
		}

		for (j = 0; j < n; j++)
		{
			centroid[j] = 0.0;
			for (i = 0; i < n; i++)
				centroid[j] += s.x[i][j];
			centroid[j] /= n;
		}
		along(&s, centroid, -1.0, reflected);
		fr = evaluate(f, arg, reflected, evaluations);
		if (fr < s.f[0])
		{
			/* better than the best: try going twice as far */
			along(&s, centroid, -2.0, candidate);
			fc = evaluate(f, arg, candidate, evaluations);
			if (fc < fr)
			{
				memcpy(s.x[n], candidate, sizeof(double) * n);
				s.f[n] = fc;
			}
			else
			{
				memcpy(s.x[n], reflected, sizeof(double) * n);
				s.f[n] = fr;
			}
			continue;
		}
		if (fr < s.f[n - 1])
		{
			memcpy(s.x[n], reflected, sizeof(double) * n);
			s.f[n] = fr;
			continue;
		}
		/* contract: outside when the reflection beat the worst, else inside */
		along(&s, centroid, fr < s.f[n] ? -0.5 : 0.5, candidate);
		fc = evaluate(f, arg, candidate, evaluations);
		if (fc < Min(fr, s.f[n]))
		{
			memcpy(s.x[n], candidate, sizeof(double) * n);
			s.f[n] = fc;
			continue;
		}
		/* shrink towards the best vertex */
		for (i = 1; i <= n; i++)
		{
			for (j = 0; j < n; j++)
				s.x[i][j] = s.x[0][j] + 0.5 * (s.x[i][j] - s.x[0][j]);
			s.f[i] = evaluate(f, arg, s.x[i], evaluations);
		}
	}
	order(&s);
	memcpy(x, s.x[0], sizeof(double) * n);
	*fx = s.f[0];
	return false;
}

/*
 * Minimise f over R^n from x (overwritten with the minimum found).
 */
CdpOptimResult
cdp_minimize(CdpObjective f, void *arg, int n, double *x, double step, double tolerance,
			 int max_evaluations)
{
	CdpOptimResult result;
	double		best;
	bool		converged;

	Assert(n >= 1 && n <= NM_MAX_DIM);
	memset(&result, 0, sizeof(result));
	converged = nelder_mead(f, arg, n, x, &best, step, tolerance, max_evaluations,
							&result.evaluations, &result.stalled);
	while (converged && result.restarts < NM_MAX_RESTARTS)
	{
		double		again;
		double		y[NM_MAX_DIM];

		memcpy(y, x, sizeof(double) * n);
		result.restarts++;
		converged = nelder_mead(f, arg, n, y, &again, step / 10, tolerance, max_evaluations,
								&result.evaluations, &result.stalled);
		if (again < best)
		{
			bool		improved = best - again > tolerance * (fabs(best) + tolerance);

			memcpy(x, y, sizeof(double) * n);
			best = again;
			if (improved)
				continue;
		}
		break;
	}
	result.value = best;
	result.converged = converged && isfinite(best);
	return result;
}
