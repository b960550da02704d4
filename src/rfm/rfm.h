/*-------------------------------------------------------------------------
 *
 * rfm.h
 *	  Declarations shared by the RFM, segment and lifetime-value code:
 *	  exact sums of money amounts, the compact RFM score, the quantile cuts
 *	  that scoring compares with, the segment map, and the special functions
 *	  and optimiser behind the BG/NBD and Gamma-Gamma models.
 *
 * src/rfm/rfm.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_RFM_H
#define CDP_RFM_H

#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/*
 * Return an aggregate's state, or SQL NULL while there is none (a NULL
 * pointer must never pass for a state).
 */
#define CDP_RETURN_STATE(state) \
	do { \
		if ((state) == NULL) \
			PG_RETURN_NULL(); \
		PG_RETURN_POINTER(state); \
	} while (0)

/* ------------------------------------------------------------------------
 * amount.c: exact sums of money amounts
 *
 * Amounts with at most four decimal places (numeric(18, 4) and anything
 * coarser) are summed as 64-bit integers of 1/10000 units, read straight
 * from numeric's stored form; anything else (more decimals, values past
 * 2^63 units) falls back to numeric addition.  The result is always exact.
 * ---------------------------------------------------------------------- */

#define CDP_AMOUNT_DECIMALS 4

typedef enum CdpAmountStatus
{
	CDP_AMOUNT_OK,				/* *units holds the value in 1/10000 */
	CDP_AMOUNT_INEXACT,			/* finite, but needs numeric arithmetic */
	CDP_AMOUNT_NEGATIVE,		/* below zero */
	CDP_AMOUNT_NOT_FINITE		/* NaN or infinity */
} CdpAmountStatus;

typedef struct CdpAmountSum
{
	int64		units;			/* sum of the exact part, in 1/10000 */
	int32		dscale;			/* largest display scale seen there */
	Numeric		slow;			/* sum of the rest, or NULL */
} CdpAmountSum;

extern CdpAmountStatus cdp_amount_decode(Datum amount, int64 *units, int *dscale);
extern void cdp_amount_check(CdpAmountStatus status, Datum amount, const char *caller);
extern void cdp_amount_sum_init(CdpAmountSum *sum);
extern void cdp_amount_sum_add(CdpAmountSum *sum, Datum amount, const char *caller,
							   MemoryContext context);
extern void cdp_amount_sum_add_units(CdpAmountSum *sum, int64 units, int dscale,
									 MemoryContext context);
extern void cdp_amount_sum_combine(CdpAmountSum *sum, const CdpAmountSum *other,
								   MemoryContext context);
extern Numeric cdp_amount_sum_result(const CdpAmountSum *sum);
extern bool cdp_amount_sum_is_zero(const CdpAmountSum *sum);
extern Numeric cdp_units_to_numeric(int64 units, int dscale);
extern void cdp_amount_sum_send(StringInfo buf, const CdpAmountSum *sum);
extern void cdp_amount_sum_receive(StringInfo buf, CdpAmountSum *sum, MemoryContext context);
extern double cdp_amount_sum_difference(const CdpAmountSum *minuend,
										const CdpAmountSum *subtrahend);

/* ------------------------------------------------------------------------
 * rfm_aggregate.c: one customer's purchases, as cdp.rfm_agg sees them
 * ---------------------------------------------------------------------- */

typedef struct RfmWindow
{
	TimestampTz as_of;
	bool		has_window;
	Interval	window;
	TimestampTz window_start;	/* as_of - window */
} RfmWindow;

typedef struct RfmCustomer
{
	TimestampTz first_at;		/* DT_NOEND before the first purchase */
	TimestampTz last_at;		/* DT_NOBEGIN before the first purchase */
	int64		frequency;		/* purchases in the window */
	CdpAmountSum monetary;		/* their spend */
} RfmCustomer;

extern void rfm_window_init(RfmWindow *window, TimestampTz as_of, Interval *length,
							const char *caller);
extern void rfm_customer_init(RfmCustomer *customer);
extern void rfm_customer_add(RfmCustomer *customer, const RfmWindow *window,
							 TimestampTz occurred_at, Datum amount, bool amount_isnull,
							 const char *caller, MemoryContext context);
extern int32 rfm_recency_days(const RfmWindow *window, const RfmCustomer *customer);

/* ------------------------------------------------------------------------
 * rfm_score.c: the compact RFM value, a 4-byte pass-by-value type
 * ---------------------------------------------------------------------- */

#define RFM_MAX_SCORE 99

typedef int32 RfmScore;

#define RFM_SCORE_MAKE(r, f, m) ((RfmScore) (((r) << 16) | ((f) << 8) | (m)))
#define RFM_SCORE_R(s) (((s) >> 16) & 0xFF)
#define RFM_SCORE_F(s) (((s) >> 8) & 0xFF)
#define RFM_SCORE_M(s) ((s) & 0xFF)

#define DatumGetRfmScore(d) DatumGetInt32(d)
#define RfmScoreGetDatum(s) Int32GetDatum(s)

/* ------------------------------------------------------------------------
 * rfm_quantiles.c / rfm_score.c: cuts between score levels
 *
 * Level k (2..scores) of a dimension is reached when the value passes
 * bound[k - 2]: for frequency and monetary value when it is above it
 * (or equal, for inclusive bounds), for recency when it is below it (or
 * equal).  Quantile cuts are exclusive, user thresholds inclusive.
 * ---------------------------------------------------------------------- */

typedef struct RfmCuts
{
	int			scores;			/* N: levels 1..N */
	bool		inclusive;
	bool		monetary_exact; /* monetary bounds are in 1/10000 units */
	int32		recency[RFM_MAX_SCORE];
	int64		frequency[RFM_MAX_SCORE];
	int64		monetary_units[RFM_MAX_SCORE];
	Numeric		monetary[RFM_MAX_SCORE];	/* when not monetary_exact */
} RfmCuts;

extern int	rfm_score_recency(const RfmCuts *cuts, int32 recency_days);
extern int	rfm_score_frequency(const RfmCuts *cuts, int64 frequency);
extern int	rfm_score_monetary(const RfmCuts *cuts, Datum monetary);
extern int	rfm_score_monetary_units(const RfmCuts *cuts, int64 units);
extern void rfm_cuts_from_datum(Datum cuts, RfmCuts *result);
extern Datum rfm_cuts_to_datum(const RfmCuts *cuts, int64 population, TupleDesc tupdesc);
extern int	rfm_ntile_start(int64 population, int scores, int level);
extern void rfm_cuts_compute(int scores, int64 n, const int32 *recency, const int64 *frequency,
							 const int64 *monetary_units, Numeric *monetary_numeric,
							 RfmCuts *cuts);
extern void rfm_check_scores(int scores, const char *caller);

/* ------------------------------------------------------------------------
 * rfm_segment.c: the segment map, read from cdp.rfm_segments
 * ---------------------------------------------------------------------- */

typedef struct RfmSegmentRule
{
	char	   *segment;
	text	   *segment_text;
	uint8		r_min,
				r_max,
				f_min,
				f_max,
				m_min,
				m_max;
} RfmSegmentRule;

typedef struct RfmSegmentMap
{
	int			nrules;
	RfmSegmentRule *rules;
} RfmSegmentMap;

extern RfmSegmentMap *rfm_segment_map_load(MemoryContext context);
extern const RfmSegmentRule *rfm_segment_lookup(const RfmSegmentMap *map, RfmScore score);

/* ------------------------------------------------------------------------
 * hyp2f1.c: special functions
 * ---------------------------------------------------------------------- */

extern double cdp_hyp2f1(double a, double b, double c, double z);

/* ------------------------------------------------------------------------
 * optimize.c: deterministic minimisation without derivatives
 * ---------------------------------------------------------------------- */

typedef double (*CdpObjective) (const double *x, void *arg);

typedef struct CdpOptimResult
{
	double		value;			/* objective at the minimum found */
	int			evaluations;
	int			restarts;
	bool		converged;
	bool		stalled;		/* stopped: no improvement over a window */
} CdpOptimResult;

extern CdpOptimResult cdp_minimize(CdpObjective f, void *arg, int n, double *x,
								   double step, double tolerance, int max_evaluations);


/* ------------------------------------------------------------------------
 * bgnbd.c, gamma_gamma.c, customer_lifetime_value.c: the models
 * ---------------------------------------------------------------------- */

typedef struct CdpModelCache
{
	Size		size;
	char	   *raw;			/* the composite's bytes after its length word */
	double		params[4];
	uint32		generation;		/* counts the models parsed here */
	void	   *derived;		/* what a model's code derived from params */
} CdpModelCache;

/* a BG/NBD model ready for predictions (bgnbd_predict.c) */
typedef struct CdpBgnbd CdpBgnbd;

extern const double *cdp_model_params(FunctionCallInfo fcinfo, CdpModelCache **cache,
									   Datum model, int nparams, const char *what);
extern void cdp_check_customer(const char *caller, double frequency, double recency, double t);
extern CdpBgnbd *cdp_bgnbd_get(FunctionCallInfo fcinfo, CdpModelCache **cache, Datum model);
extern double cdp_bgnbd_purchases_if_alive(CdpBgnbd *model, double periods, double frequency,
										   double t);
extern double cdp_bgnbd_inverse_alive(CdpBgnbd *model, double frequency, double recency,
									  double t);
extern double cdp_bgnbd_check_expected(CdpBgnbd *model, double result, double periods,
									   double frequency, double recency, double t);
extern double cdp_bgnbd_expected(CdpBgnbd *model, double periods, double frequency,
								 double recency, double t);
extern double cdp_gamma_gamma_spend(const double *model, double frequency, double monetary_value);

#endif							/* CDP_RFM_H */
