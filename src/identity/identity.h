/*-------------------------------------------------------------------------
 *
 * identity.h
 *	  Declarations shared by the identity-resolution files: the union-find
 *	  forest that clustering builds profiles with.
 *
 * src/identity/identity.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_IDENTITY_H
#define CDP_IDENTITY_H

#include "lib/stringinfo.h"
#include "utils/array.h"

/*
 * A disjoint-set forest over the dense indexes 0..n-1, with path compression
 * and union by size.  The arrays are allocated in the caller's memory
 * context (clustering uses a context of its own).
 */
typedef struct UnionFind
{
	int32		n;
	int32	   *parent;
	int32	   *size;
} UnionFind;

extern void union_find_init(UnionFind *uf, int32 n);
extern int32 union_find_find(UnionFind *uf, int32 x);

/* join two distinct roots; returns the root of the joined set */
extern int32 union_find_link(UnionFind *uf, int32 root_a, int32 root_b);

/*
 * Identifier values interned to dense ids: one entry per distinct (kind,
 * value), found through an open-addressing hash table, with the bytes kept
 * in one arena.  Clustering counts records per value and orders values by
 * (kind, hash, bytes) without a SQL sort.
 */
typedef struct ValueTable
{
	int32		nvalues;
	int64		values_cap;
	uint64	   *hash;
	int16	   *kind;
	int64	   *offset;			/* into arena */
	int32	   *length;
	int64	   *count;			/* records holding the value */

	char	   *arena;
	int64		arena_len;
	int64		arena_cap;

	int32	   *slots;			/* value id or -1; size is a power of 2 */
	int64		nslots;
} ValueTable;

extern void value_table_init(ValueTable *vt);
extern void value_table_reserve(ValueTable *vt, int64 n);
extern int32 value_table_intern(ValueTable *vt, int16 kind, const char *data, int len);
extern uint64 value_table_hash(int16 kind, const char *data, int len);
extern void value_table_prefetch(const ValueTable *vt, uint64 h);
extern int32 value_table_intern_hashed(ValueTable *vt, uint64 h, int16 kind, const char *data,
									   int len);
extern int32 value_table_lookup(const ValueTable *vt, int16 kind, const char *data, int len);
extern int32 value_table_lookup_hashed(const ValueTable *vt, uint64 h, int16 kind,
									   const char *data, int len);

/* qsort order of value ids: kind (as ranked), hash, length, bytes */
extern int	value_table_compare(const ValueTable *vt, int32 a, int32 b);

/*
 * The given names of records as the household check compares them
 * (household.c): per entry the keys of the kana reading, of the kanji
 * name and of the romaji name's words (offsets into one arena, -1: none).
 */
typedef struct HouseholdName
{
	int64		kana;			/* cdp.kana_key(given_name_kana) */
	int64		kana_romaji;	/* cdp.romaji_key(given_name_kana) */
	int64		name;			/* cdp.normalize_name(given_name) */
	int64		words;			/* cdp._romaji_words(name_romaji), NUL-separated */
	int32		kana_len;
	int32		kana_romaji_len;
	int32		name_len;
	int32		words_len;
	int32		nwords;
	bool		romaji_null;	/* name_romaji IS NULL */
} HouseholdName;

typedef struct HouseholdNames
{
	HouseholdName *entries;
	int32		n;
	int64		cap;
	char	   *arena;
	int64		arena_len;
	int64		arena_cap;
	StringInfoData scratch;		/* one key at a time (data NULL: not yet) */
} HouseholdNames;

extern int	household_romaji_words(const char *str, int len, StringInfo out);
extern int32 household_names_add(HouseholdNames *hn, text *given_name_kana, text *given_name,
								 text *name_romaji);
extern bool household_names_differ(const HouseholdNames *hn, int32 a, int32 b);

/* sorted int8 arrays and pairs (int8_sets.c) */
typedef struct IdentityPair
{
	int64		a;
	int64		b;
} IdentityPair;

extern int	identity_cmp_int64(const void *x, const void *y);
extern int	identity_cmp_pair(const void *x, const void *y);
extern int64 identity_sort_distinct(int64 *values, int64 n);
extern int64 identity_find_int64(const int64 *sorted, int64 n, int64 key);
extern int64 identity_find_pair(const IdentityPair *pairs, int64 n, int64 key);
extern ArrayType *identity_int8_array(const int64 *values, int64 n, bool zero_is_null);

/* grow an array of elements of elem_size bytes to hold at least need */
extern void *identity_grow_array(void *array, Size elem_size, int64 *capacity, int64 need);

#endif							/* CDP_IDENTITY_H */
