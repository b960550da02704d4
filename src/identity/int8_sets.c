/*-------------------------------------------------------------------------
 *
 * int8_sets.c
 *	  Sorted int8 arrays and pairs, as the steps that write a clustering
 *	  (component_profiles.c, merge_log.c) group records and profiles by id:
 *	  comparators for qsort, binary search, and int8[] results.
 *
 * src/identity/int8_sets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "identity/identity.h"

/* qsort order of int64 values */
int
identity_cmp_int64(const void *x, const void *y)
{
	int64		a = *(const int64 *) x;
	int64		b = *(const int64 *) y;

	return (a > b) - (a < b);
}

/* qsort order of pairs: a, then b */
int
identity_cmp_pair(const void *x, const void *y)
{
	const IdentityPair *p = x;
	const IdentityPair *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return (p->b > q->b) - (p->b < q->b);
}

/* sort values[n] and drop repeats; returns how many distinct remain */
int64
identity_sort_distinct(int64 *values, int64 n)
{
	int64		m = 0;

	qsort(values, n, sizeof(int64), identity_cmp_int64);
	for (int64 i = 0; i < n; i++)
		if (m == 0 || values[i] != values[m - 1])
			values[m++] = values[i];
	return m;
}

/* the index of key in sorted[n], or -1 */
int64
identity_find_int64(const int64 *sorted, int64 n, int64 key)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (sorted[mid] == key)
			return mid;
		if (sorted[mid] < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* the index of a pair whose a is key in pairs[n] (sorted by a), or -1 */
int64
identity_find_pair(const IdentityPair *pairs, int64 n, int64 key)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (pairs[mid].a == key)
			return mid;
		if (pairs[mid].a < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* an int8[] of values[n]; with zero_is_null, 0 elements are NULL */
ArrayType *
identity_int8_array(const int64 *values, int64 n, bool zero_is_null)
{
	Datum	   *d;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};

	if (n == 0)
		return construct_empty_array(INT8OID);
	d = palloc_array(Datum, n);
	nulls = palloc_array(bool, n);
	for (int64 i = 0; i < n; i++)
	{
		d[i] = Int64GetDatum(values[i]);
		nulls[i] = zero_is_null && values[i] == 0;
	}
	dims[0] = (int) n;
	return construct_md_array(d, nulls, 1, dims, lbs, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}
