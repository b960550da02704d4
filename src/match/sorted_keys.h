/*-------------------------------------------------------------------------
 *
 * sorted_keys.h
 *	  Sets of 64-bit gram keys as sorted arrays without duplicates: the
 *	  representation of n-gram sets in ngram.c and of name grams in
 *	  name_ngrams.c.
 *
 * Short arrays (names) are sorted by insertion, which beats qsort's call
 * overhead below a few dozen keys; the result is the same either way.
 *
 * src/match/sorted_keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_MATCH_SORTED_KEYS_H
#define CDP_MATCH_SORTED_KEYS_H

#include "postgres.h"

#define CDP_KEYS_INSERTION_MAX 48

static inline int
cdp_keys_compare(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x;
	uint64		b = *(const uint64 *) y;

	return (a > b) - (a < b);
}

/* sort k[0..n-1] and drop duplicates in place; returns the new count */
static inline int
cdp_keys_sort_unique(uint64 *k, int n)
{
	int			i,
				out;

	if (n <= CDP_KEYS_INSERTION_MAX)
	{
		for (i = 1; i < n; i++)
		{
			uint64		v = k[i];
			int			j = i - 1;

			while (j >= 0 && k[j] > v)
			{
				k[j + 1] = k[j];
				j--;
			}
			k[j + 1] = v;
		}
	}
	else
		qsort(k, n, sizeof(uint64), cdp_keys_compare);
	for (i = 1, out = (n > 0 ? 1 : 0); i < n; i++)
	{
		if (k[i] != k[out - 1])
			k[out++] = k[i];
	}
	return out;
}

/* the number of keys two sorted sets share */
static inline int
cdp_keys_common(const uint64 *a, int na, const uint64 *b, int nb)
{
	int			i = 0,
				j = 0,
				common = 0;

	while (i < na && j < nb)
	{
		if (a[i] == b[j])
		{
			common++;
			i++;
			j++;
		}
		else if (a[i] < b[j])
			i++;
		else
			j++;
	}
	return common;
}

#endif							/* CDP_MATCH_SORTED_KEYS_H */
