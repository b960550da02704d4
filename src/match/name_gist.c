/*-------------------------------------------------------------------------
 *
 * name_gist.c
 *	  GiST operator class cdp.name_gist_ops on text: the name filter
 *	  "name %~ query" and the nearest-first order "ORDER BY name <~> query".
 *
 * A leaf key holds the sorted 32-bit hashes of a name's grams and the true
 * number of its grams; an inner key holds a signature (bit hash % SIGLENBIT
 * of every gram below it, or "all true") and the least gram count below
 * it.  From a key the scan computes an upper bound of the Dice similarity
 * 2c / (|Q| + |D|) of any name below it: c is at most the number c' of the
 * query's grams whose hash (or bit) the key has, and |D| is at least the
 * stored count and at least c, so similarity <= 2c' / (|Q| + max(c', n)).
 * Hash collisions only raise c', so the bound holds; every row is
 * rechecked with the exact similarity, which makes index and sequential
 * scans return the same rows in the same order.
 *
 * Picksplit is Guttman's quadratic split on signatures, as in pg_trgm.
 *
 * src/match/name_gist.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/gist.h"
#include "access/stratnum.h"
#include "fmgr.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"

#include "match/name_index.h"

#define NAME_SIMILAR_STRATEGY	1
#define NAME_DISTANCE_STRATEGY	2

#define SIGLEN		256			/* bytes */
#define SIGLENBIT	(SIGLEN * 8)
#define SIGWORDS	(SIGLEN / 8)

#define KEY_ARRAY	0
#define KEY_SIGN	1
#define KEY_ALLTRUE	2

typedef struct NameGistKey
{
	int32		vl_len_;
	uint8		flag;
	uint8		unused;
	uint16		count;			/* gram count; least below, for inner keys */
	uint64		data[FLEXIBLE_ARRAY_MEMBER];	/* hashes or signature */
} NameGistKey;

#define KEY_HDRSZ			offsetof(NameGistKey, data)
#define KEY_HASHES(k)		((uint32 *) (k)->data)
#define KEY_NHASHES(k)		((VARSIZE(k) - KEY_HDRSZ) / sizeof(uint32))
#define KEY_SIGN_WORDS(k)	((k)->data)

#define DatumGetNameGistKey(d)	((NameGistKey *) PG_DETOAST_DATUM(d))

static inline void
sign_set(uint64 *sign, uint32 hash)
{
	uint32		bit = hash % SIGLENBIT;

	sign[bit / 64] |= UINT64CONST(1) << (bit % 64);
}

static inline bool
sign_has(const uint64 *sign, uint32 hash)
{
	uint32		bit = hash % SIGLENBIT;

	return (sign[bit / 64] >> (bit % 64)) & 1;
}

static NameGistKey *
make_sign_key(int count)
{
	NameGistKey *key = palloc0(KEY_HDRSZ + SIGLEN);

	SET_VARSIZE(key, KEY_HDRSZ + SIGLEN);
	key->flag = KEY_SIGN;
	key->count = count;
	return key;
}

/* OR a key into a signature; false when the key is "all true" */
static bool
add_to_sign(uint64 *sign, const NameGistKey *key)
{
	int			i;

	if (key->flag == KEY_ALLTRUE)
		return false;
	if (key->flag == KEY_SIGN)
	{
		for (i = 0; i < SIGWORDS; i++)
			sign[i] |= key->data[i];
	}
	else
	{
		int			n = KEY_NHASHES(key);

		for (i = 0; i < n; i++)
			sign_set(sign, KEY_HASHES(key)[i]);
	}
	return true;
}

static int
sign_popcount(const uint64 *sign)
{
	int			i,
				n = 0;

	for (i = 0; i < SIGWORDS; i++)
		n += pg_popcount64(sign[i]);
	return n;
}

static int
compare_hashes(const void *x, const void *y)
{
	uint32		a = *(const uint32 *) x;
	uint32		b = *(const uint32 *) y;

	return (a > b) - (a < b);
}

/* the leaf key of a name */
static NameGistKey *
make_leaf_key(text *name)
{
	CdpCodePoints f;
	uint64	   *keys;
	uint32	   *hashes;
	int			ngrams,
				nhashes,
				i;
	NameGistKey *key;

	cdp_name_fold(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &f);
	keys = palloc(sizeof(uint64) * cdp_name_gram_capacity(f.len));
	ngrams = cdp_name_grams(f.chars, f.len, keys);
	cdp_codepoints_free(&f);
	hashes = palloc(sizeof(uint32) * Max(ngrams, 1));
	for (i = 0; i < ngrams; i++)
		hashes[i] = cdp_gram_hash(keys[i]);
	qsort(hashes, ngrams, sizeof(uint32), compare_hashes);
	for (i = 1, nhashes = (ngrams > 0 ? 1 : 0); i < ngrams; i++)
	{
		if (hashes[i] != hashes[nhashes - 1])
			hashes[nhashes++] = hashes[i];
	}

	if (nhashes * sizeof(uint32) <= SIGLEN)
	{
		int			size = KEY_HDRSZ + nhashes * sizeof(uint32);

		key = palloc0(size);
		SET_VARSIZE(key, size);
		key->flag = KEY_ARRAY;
		key->count = Min(ngrams, PG_UINT16_MAX);
		memcpy(KEY_HASHES(key), hashes, nhashes * sizeof(uint32));
	}
	else
	{
		/* a very long name: a signature is smaller and still a bound */
		key = make_sign_key(Min(ngrams, PG_UINT16_MAX));
		for (i = 0; i < nhashes; i++)
			sign_set(key->data, hashes[i]);
	}
	pfree(keys);
	pfree(hashes);
	return key;
}

/*
 * Upper bound of the similarity between the query and any name below key.
 */
static double
similarity_bound(const NameGistKey *key, const CdpNameGrams *q)
{
	int			found = 0;
	int			i;
	int			least;

	if (q->ngrams == 0)
		return 0.0;
	if (key->flag == KEY_ALLTRUE)
		found = q->ngrams;
	else if (key->flag == KEY_SIGN)
	{
		for (i = 0; i < q->ngrams; i++)
			found += sign_has(key->data, q->hashes[i]) ? 1 : 0;
	}
	else
	{
		const uint32 *h = KEY_HASHES(key);
		int			n = KEY_NHASHES(key);

		for (i = 0; i < q->ngrams; i++)
		{
			int			lo = 0,
						hi = n - 1;

			while (lo <= hi)
			{
				int			mid = (lo + hi) / 2;

				if (h[mid] == q->hashes[i])
				{
					found++;
					break;
				}
				if (h[mid] < q->hashes[i])
					lo = mid + 1;
				else
					hi = mid - 1;
			}
		}
	}
	least = Max(found, (int) key->count);
	if (least == 0)
		return 0.0;
	return 2.0 * found / (q->ngrams + least);
}

PG_FUNCTION_INFO_V1(cdp_name_gist_key_in);

Datum
cdp_name_gist_key_in(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot accept a value of type cdp.name_gist_key")));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(cdp_name_gist_key_out);

Datum
cdp_name_gist_key_out(PG_FUNCTION_ARGS)
{
	NameGistKey *key = DatumGetNameGistKey(PG_GETARG_DATUM(0));

	if (key->flag == KEY_ARRAY)
		PG_RETURN_CSTRING(psprintf("%d grams", (int) key->count));
	if (key->flag == KEY_SIGN)
		PG_RETURN_CSTRING(psprintf("signature of %d bits, at least %d grams",
								   sign_popcount(key->data), (int) key->count));
	PG_RETURN_CSTRING(psprintf("all true, at least %d grams", (int) key->count));
}

PG_FUNCTION_INFO_V1(cdp_name_gist_compress);

Datum
cdp_name_gist_compress(PG_FUNCTION_ARGS)
{
	GISTENTRY  *entry = (GISTENTRY *) PG_GETARG_POINTER(0);
	GISTENTRY  *retval = entry;

	if (entry->leafkey)
	{
		NameGistKey *key = make_leaf_key(DatumGetTextPP(entry->key));

		retval = palloc(sizeof(GISTENTRY));
		gistentryinit(*retval, PointerGetDatum(key), entry->rel, entry->page,
					  entry->offset, false);
	}
	PG_RETURN_POINTER(retval);
}

PG_FUNCTION_INFO_V1(cdp_name_gist_decompress);

Datum
cdp_name_gist_decompress(PG_FUNCTION_ARGS)
{
	GISTENTRY  *entry = (GISTENTRY *) PG_GETARG_POINTER(0);
	NameGistKey *key = DatumGetNameGistKey(entry->key);

	if (key != (NameGistKey *) DatumGetPointer(entry->key))
	{
		GISTENTRY  *retval = palloc(sizeof(GISTENTRY));

		gistentryinit(*retval, PointerGetDatum(key), entry->rel, entry->page,
					  entry->offset, false);
		PG_RETURN_POINTER(retval);
	}
	PG_RETURN_POINTER(entry);
}

/*
 * The upper bound of the similarity of the names under an entry to the
 * query, for the support functions below; every match is rechecked.
 */
static double
entry_bound(FunctionCallInfo fcinfo, StrategyNumber expected)
{
	GISTENTRY  *entry = (GISTENTRY *) PG_GETARG_POINTER(0);
	text	   *query = PG_GETARG_TEXT_PP(1);
	StrategyNumber strategy = (StrategyNumber) PG_GETARG_UINT16(2);
	bool	   *recheck = (bool *) PG_GETARG_POINTER(4);

	if (strategy != expected)
		elog(ERROR, "unrecognized strategy number: %d", strategy);
	*recheck = true;
	return similarity_bound(DatumGetNameGistKey(entry->key),
							cdp_name_grams_cached(fcinfo->flinfo, query));
}

PG_FUNCTION_INFO_V1(cdp_name_gist_consistent);

Datum
cdp_name_gist_consistent(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(entry_bound(fcinfo, NAME_SIMILAR_STRATEGY) >=
				   cdp_similarity_threshold);
}

PG_FUNCTION_INFO_V1(cdp_name_gist_distance);

Datum
cdp_name_gist_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(1.0 - entry_bound(fcinfo, NAME_DISTANCE_STRATEGY));
}

PG_FUNCTION_INFO_V1(cdp_name_gist_union);

Datum
cdp_name_gist_union(PG_FUNCTION_ARGS)
{
	GistEntryVector *entryvec = (GistEntryVector *) PG_GETARG_POINTER(0);
	int		   *size = (int *) PG_GETARG_POINTER(1);
	NameGistKey *result = make_sign_key(PG_UINT16_MAX);
	bool		alltrue = false;
	int			i;

	for (i = 0; i < entryvec->n; i++)
	{
		NameGistKey *key = DatumGetNameGistKey(entryvec->vector[i].key);

		result->count = Min(result->count, key->count);
		if (!add_to_sign(result->data, key))
			alltrue = true;
	}
	if (alltrue || sign_popcount(result->data) == SIGLENBIT)
	{
		result->flag = KEY_ALLTRUE;
		SET_VARSIZE(result, KEY_HDRSZ);
	}
	*size = VARSIZE(result);
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(cdp_name_gist_same);

Datum
cdp_name_gist_same(PG_FUNCTION_ARGS)
{
	NameGistKey *a = DatumGetNameGistKey(PG_GETARG_DATUM(0));
	NameGistKey *b = DatumGetNameGistKey(PG_GETARG_DATUM(1));
	bool	   *result = (bool *) PG_GETARG_POINTER(2);

	*result = VARSIZE(a) == VARSIZE(b) && a->flag == b->flag &&
		a->count == b->count &&
		memcmp(a->data, b->data, VARSIZE(a) - KEY_HDRSZ) == 0;
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(cdp_name_gist_penalty);

/*
 * The penalty of adding a key to a subtree: the bits it would add to the
 * subtree's signature.
 */
Datum
cdp_name_gist_penalty(PG_FUNCTION_ARGS)
{
	GISTENTRY  *origentry = (GISTENTRY *) PG_GETARG_POINTER(0);
	GISTENTRY  *newentry = (GISTENTRY *) PG_GETARG_POINTER(1);
	float	   *penalty = (float *) PG_GETARG_POINTER(2);
	NameGistKey *orig = DatumGetNameGistKey(origentry->key);
	NameGistKey *add = DatumGetNameGistKey(newentry->key);
	uint64		osign[SIGWORDS];
	uint64		nsign[SIGWORDS];
	int			i,
				added = 0;

	*penalty = 0.0;
	if (orig->flag == KEY_ALLTRUE)
		PG_RETURN_POINTER(penalty);
	memset(osign, 0, sizeof(osign));
	memset(nsign, 0, sizeof(nsign));
	add_to_sign(osign, orig);
	if (!add_to_sign(nsign, add))
		memset(nsign, 0xFF, sizeof(nsign));
	for (i = 0; i < SIGWORDS; i++)
		added += pg_popcount64(nsign[i] & ~osign[i]);
	*penalty = (float) added;
	PG_RETURN_POINTER(penalty);
}

/* a key's signature for picksplit */
typedef struct SplitItem
{
	uint64		sign[SIGWORDS];
	uint16		count;
	int			index;
	int			cost;			/* |d(seed1) - d(seed2)| */
} SplitItem;

static int
hamming(const uint64 *a, const uint64 *b)
{
	int			i,
				n = 0;

	for (i = 0; i < SIGWORDS; i++)
		n += pg_popcount64(a[i] ^ b[i]);
	return n;
}

static int
added_bits(const uint64 *to, const uint64 *from)
{
	int			i,
				n = 0;

	for (i = 0; i < SIGWORDS; i++)
		n += pg_popcount64(from[i] & ~to[i]);
	return n;
}

static int
compare_cost(const void *x, const void *y)
{
	int			a = (*(SplitItem *const *) x)->cost;
	int			b = (*(SplitItem *const *) y)->cost;

	return (b > a) - (b < a);	/* descending */
}

static NameGistKey *
key_from_sign(const uint64 *sign, uint16 count)
{
	NameGistKey *key = make_sign_key(count);

	memcpy(key->data, sign, SIGLEN);
	if (sign_popcount(sign) == SIGLENBIT)
	{
		key->flag = KEY_ALLTRUE;
		SET_VARSIZE(key, KEY_HDRSZ);
	}
	return key;
}

PG_FUNCTION_INFO_V1(cdp_name_gist_picksplit);

Datum
cdp_name_gist_picksplit(PG_FUNCTION_ARGS)
{
	GistEntryVector *entryvec = (GistEntryVector *) PG_GETARG_POINTER(0);
	GIST_SPLITVEC *v = (GIST_SPLITVEC *) PG_GETARG_POINTER(1);
	OffsetNumber maxoff = entryvec->n - 1;
	int			n = maxoff;		/* entries FirstOffsetNumber..maxoff */
	SplitItem  *items = palloc(sizeof(SplitItem) * n);
	SplitItem **order = palloc(sizeof(SplitItem *) * n);
	uint64		left[SIGWORDS];
	uint64		right[SIGWORDS];
	uint16		lcount = PG_UINT16_MAX;
	uint16		rcount = PG_UINT16_MAX;
	int			seed1 = 0,
				seed2 = 1,
				worst = -1;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		NameGistKey *key = DatumGetNameGistKey(entryvec->vector[i + FirstOffsetNumber].key);

		memset(items[i].sign, 0, SIGLEN);
		if (!add_to_sign(items[i].sign, key))
			memset(items[i].sign, 0xFF, SIGLEN);
		items[i].count = key->count;
		items[i].index = i + FirstOffsetNumber;
	}

	/* seeds: the two keys farthest apart */
	for (i = 0; i < n; i++)
	{
		for (j = i + 1; j < n; j++)
		{
			int			d = hamming(items[i].sign, items[j].sign);

			if (d > worst)
			{
				worst = d;
				seed1 = i;
				seed2 = j;
			}
		}
	}

	v->spl_left = palloc(sizeof(OffsetNumber) * (n + 1));
	v->spl_right = palloc(sizeof(OffsetNumber) * (n + 1));
	v->spl_nleft = 0;
	v->spl_nright = 0;
	memcpy(left, items[seed1].sign, SIGLEN);
	memcpy(right, items[seed2].sign, SIGLEN);

	/* the others, the most decided first */
	for (i = 0; i < n; i++)
	{
		items[i].cost = Abs(hamming(items[i].sign, left) - hamming(items[i].sign, right));
		order[i] = &items[i];
	}
	qsort(order, n, sizeof(SplitItem *), compare_cost);

	for (i = 0; i < n; i++)
	{
		SplitItem  *it = order[i];
		bool		to_left;
		int			k;

		if (it == &items[seed1])
			to_left = true;
		else if (it == &items[seed2])
			to_left = false;
		else
		{
			int			dl = added_bits(left, it->sign);
			int			dr = added_bits(right, it->sign);

			if (dl != dr)
				to_left = dl < dr;
			else
				to_left = v->spl_nleft <= v->spl_nright;
			/* keep both sides at least a tenth of the entries */
			if (to_left && v->spl_nleft > 9 * n / 10)
				to_left = false;
			else if (!to_left && v->spl_nright > 9 * n / 10)
				to_left = true;
		}
		if (to_left)
		{
			for (k = 0; k < SIGWORDS; k++)
				left[k] |= it->sign[k];
			lcount = Min(lcount, it->count);
			v->spl_left[v->spl_nleft++] = it->index;
		}
		else
		{
			for (k = 0; k < SIGWORDS; k++)
				right[k] |= it->sign[k];
			rcount = Min(rcount, it->count);
			v->spl_right[v->spl_nright++] = it->index;
		}
	}

	v->spl_ldatum = PointerGetDatum(key_from_sign(left, lcount));
	v->spl_rdatum = PointerGetDatum(key_from_sign(right, rcount));
	pfree(items);
	pfree(order);
	PG_RETURN_POINTER(v);
}
