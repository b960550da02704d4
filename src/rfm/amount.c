/*-------------------------------------------------------------------------
 *
 * amount.c
 *	  Exact sums of money amounts for the RFM and lifetime-value aggregates.
 *
 * Summing numeric values with numeric arithmetic allocates on every row.
 * Money amounts nearly always have at most four decimal places (cdp.events
 * stores numeric(18, 4)), so they are read straight from numeric's stored
 * form, which is fixed for pg_upgrade's sake, into 64-bit integers of
 * 1/10000 units and summed as integers.  Values with more decimal places or
 * too large for that go through numeric addition instead; results are
 * exact either way and keep the display scale of the inputs, as sum() does.
 *
 * src/rfm/amount.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "rfm/rfm.h"

/* numeric's stored form (see src/backend/utils/adt/numeric.c) */
#define NUM_SIGN_MASK 0xC000
#define NUM_NEG 0x4000
#define NUM_SHORT 0x8000
#define NUM_SPECIAL 0xC000
#define NUM_SHORT_SIGN_MASK 0x2000
#define NUM_SHORT_DSCALE_MASK 0x1F80
#define NUM_SHORT_DSCALE_SHIFT 7
#define NUM_SHORT_WEIGHT_SIGN_MASK 0x0040
#define NUM_SHORT_WEIGHT_MASK 0x003F
#define NUM_DSCALE_MASK 0x3FFF
#define NUM_NBASE 10000

static const int64 powers_of_ten[] = {1, 10, 100, 1000, 10000};

/*
 * Read a numeric amount as 1/10000 units.  Returns CDP_AMOUNT_OK with
 * *units and *dscale set when the value is exact in that form.
 */
CdpAmountStatus
cdp_amount_decode(Datum amount, int64 *units, int *dscale)
{
	struct varlena *value = (struct varlena *) DatumGetPointer(amount);
	const char *data;
	int			size;
	uint16		header;
	bool		negative;
	int			weight;
	int			ndigits;
	const char *digits;
	int64		acc = 0;
	int			top;
	int			exponent;
	int			i;

	if (VARATT_IS_EXTENDED(value) && !VARATT_IS_SHORT(value))
		value = pg_detoast_datum(value);
	data = VARDATA_ANY(value);
	size = VARSIZE_ANY_EXHDR(value);
	memcpy(&header, data, sizeof(uint16));

	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		return CDP_AMOUNT_NOT_FINITE;
	if (header & NUM_SHORT)
	{
		negative = (header & NUM_SHORT_SIGN_MASK) != 0;
		*dscale = (header & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		weight = (header & NUM_SHORT_WEIGHT_MASK);
		if (header & NUM_SHORT_WEIGHT_SIGN_MASK)
			weight |= ~NUM_SHORT_WEIGHT_MASK;
		digits = data + sizeof(uint16);
		ndigits = (size - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		int16		long_weight;

		negative = (header & NUM_SIGN_MASK) == NUM_NEG;
		*dscale = header & NUM_DSCALE_MASK;
		memcpy(&long_weight, data + sizeof(uint16), sizeof(int16));
		weight = long_weight;
		digits = data + 2 * sizeof(uint16);
		ndigits = (size - 2 * sizeof(uint16)) / sizeof(int16);
	}

	if (ndigits == 0)
	{
		*units = 0;
		return *dscale > CDP_AMOUNT_DECIMALS ? CDP_AMOUNT_INEXACT : CDP_AMOUNT_OK;
	}
	if (negative)
		return CDP_AMOUNT_NEGATIVE;
	if (*dscale > CDP_AMOUNT_DECIMALS)
		return CDP_AMOUNT_INEXACT;
	/*
	 * Digit i stands for digit * NBASE^(weight - i); in 1/10000 units, which
	 * is one more power of NBASE, for digit * NBASE^(top - i).
	 */
	top = weight + 1;
	if (top >= 5)
		return CDP_AMOUNT_INEXACT;	/* 10^16 and up: leave it to numeric */
	for (exponent = top; exponent >= 0; exponent--)
	{
		int16		digit = 0;

		i = top - exponent;
		if (i < ndigits)
			memcpy(&digit, digits + i * sizeof(int16), sizeof(int16));
		if (pg_mul_s64_overflow(acc, NUM_NBASE, &acc) ||
			pg_add_s64_overflow(acc, digit, &acc))
			return CDP_AMOUNT_INEXACT;
	}
	/* digits below 1/10000 (none when dscale <= 4, but be exact) */
	for (i = Max(top + 1, 0); i < ndigits; i++)
	{
		int16		digit;

		memcpy(&digit, digits + i * sizeof(int16), sizeof(int16));
		if (digit != 0)
			return CDP_AMOUNT_INEXACT;
	}
	*units = acc;
	return CDP_AMOUNT_OK;
}

/*
 * Raise the error that a bad amount deserves.
 */
void
cdp_amount_check(CdpAmountStatus status, Datum amount, const char *caller)
{
	if (status == CDP_AMOUNT_NEGATIVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: amount must not be negative", caller),
				 errdetail("The amount is %s.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, amount))),
				 errhint("Record a refund as an event of type 'refund' with a positive amount.")));
	if (status == CDP_AMOUNT_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: amount must be a finite number", caller),
				 errdetail("The amount is %s.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, amount)))));
}

void
cdp_amount_sum_init(CdpAmountSum *sum)
{
	sum->units = 0;
	sum->dscale = 0;
	sum->slow = NULL;
}

/* Add a numeric to the slow part, keeping it in the given context. */
static void
add_slow(CdpAmountSum *sum, Numeric value, MemoryContext context)
{
	MemoryContext old = MemoryContextSwitchTo(context);
	Numeric		previous = sum->slow;

	if (previous == NULL)
		sum->slow = DatumGetNumericCopy(NumericGetDatum(value));
	else
	{
		sum->slow = numeric_add_opt_error(previous, value, NULL);
		pfree(previous);
	}
	MemoryContextSwitchTo(old);
}

Numeric
cdp_units_to_numeric(int64 units, int dscale)
{
	Assert(dscale >= 0 && dscale <= CDP_AMOUNT_DECIMALS);
	return int64_div_fast_to_numeric(units / powers_of_ten[CDP_AMOUNT_DECIMALS - dscale],
									 dscale);
}

void
cdp_amount_sum_add_units(CdpAmountSum *sum, int64 units, int dscale, MemoryContext context)
{
	if (pg_add_s64_overflow(sum->units, units, &sum->units))
	{
		/* move the exact part to the slow part and start again */
		add_slow(sum, cdp_units_to_numeric(sum->units - units, sum->dscale), context);
		sum->units = units;
	}
	if (dscale > sum->dscale)
		sum->dscale = dscale;
}

/*
 * Add one amount (a numeric Datum, not NULL).  Negative and non-finite
 * amounts raise an error naming the caller.
 */
void
cdp_amount_sum_add(CdpAmountSum *sum, Datum amount, const char *caller, MemoryContext context)
{
	int64		units;
	int			dscale;
	CdpAmountStatus status = cdp_amount_decode(amount, &units, &dscale);

	if (likely(status == CDP_AMOUNT_OK))
	{
		cdp_amount_sum_add_units(sum, units, dscale, context);
		return;
	}
	cdp_amount_check(status, amount, caller);
	add_slow(sum, DatumGetNumeric(amount), context);
}

void
cdp_amount_sum_combine(CdpAmountSum *sum, const CdpAmountSum *other, MemoryContext context)
{
	cdp_amount_sum_add_units(sum, other->units, other->dscale, context);
	if (other->slow != NULL)
		add_slow(sum, other->slow, context);
}

bool
cdp_amount_sum_is_zero(const CdpAmountSum *sum)
{
	return sum->units == 0 && sum->slow == NULL;
}

/*
 * The sum as a numeric, in the current memory context.
 */
Numeric
cdp_amount_sum_result(const CdpAmountSum *sum)
{
	Numeric		result = cdp_units_to_numeric(sum->units, sum->dscale);

	if (sum->slow != NULL)
		result = numeric_add_opt_error(result, sum->slow, NULL);
	return result;
}

/*
 * The sum in a serialised aggregate state: units, display scale, then the
 * slow part as a length-prefixed numeric (length 0 for none).
 */
void
cdp_amount_sum_send(StringInfo buf, const CdpAmountSum *sum)
{
	pq_sendint64(buf, sum->units);
	pq_sendint32(buf, sum->dscale);
	if (sum->slow == NULL)
		pq_sendint32(buf, 0);
	else
	{
		pq_sendint32(buf, VARSIZE(sum->slow));
		pq_sendbytes(buf, (const char *) sum->slow, VARSIZE(sum->slow));
	}
}

void
cdp_amount_sum_receive(StringInfo buf, CdpAmountSum *sum, MemoryContext context)
{
	int32		size;

	sum->units = pq_getmsgint64(buf);
	sum->dscale = pq_getmsgint(buf, 4);
	size = pq_getmsgint(buf, 4);
	sum->slow = NULL;
	if (size > 0)
	{
		sum->slow = MemoryContextAlloc(context, size);
		memcpy(sum->slow, pq_getmsgbytes(buf, size), size);
	}
}

/*
 * The difference of two sums (minuend - subtrahend) as a double, exact in
 * units where both are.
 */
double
cdp_amount_sum_difference(const CdpAmountSum *minuend, const CdpAmountSum *subtrahend)
{
	Numeric		difference;

	if (minuend->slow == NULL && subtrahend->slow == NULL)
		return (double) (minuend->units - subtrahend->units) / 10000.0;
	difference = numeric_sub_opt_error(cdp_amount_sum_result(minuend),
									   cdp_amount_sum_result(subtrahend), NULL);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(difference)));
}
