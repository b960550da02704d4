/*-------------------------------------------------------------------------
 *
 * value_table.c
 *	  Interning of identifier values for clustering: each distinct
 *	  (kind, value) gets a dense id through an open-addressing hash table,
 *	  so a batch reads cdp.identifiers in any order instead of asking SQL
 *	  to sort millions of text values.
 *
 * The order clustering links values in is (kind rank, 64-bit hash of the
 * bytes, length, bytes): it depends on nothing but the values, so a run
 * over a subset of records (incremental resolution) visits shared values
 * in the same order as a full run.
 *
 * src/identity/value_table.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "identity/identity.h"

void
value_table_init(ValueTable *vt)
{
	memset(vt, 0, sizeof(ValueTable));
	vt->nslots = 1024;
	vt->slots = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * vt->nslots);
	memset(vt->slots, -1, sizeof(int32) * vt->nslots);
}

static void
value_table_rehash(ValueTable *vt)
{
	int64		nslots = vt->nslots * 2;
	int32	   *slots = MemoryContextAllocHuge(GetMemoryChunkContext(vt->slots), sizeof(int32) * nslots);
	int32		v;

	memset(slots, -1, sizeof(int32) * nslots);
	for (v = 0; v < vt->nvalues; v++)
	{
		int64		i = vt->hash[v] & (nslots - 1);

		while (slots[i] >= 0)
			i = (i + 1) & (nslots - 1);
		slots[i] = v;
	}
	pfree(vt->slots);
	vt->slots = slots;
	vt->nslots = nslots;
}

/*
 * Room for about n values before the slot array grows (a hint for a run
 * that knows roughly how many rows it will read); only on an empty table.
 */
void
value_table_reserve(ValueTable *vt, int64 n)
{
	int64		nslots = vt->nslots;

	if (vt->nvalues > 0)
		return;
	while (nslots < n * 2 && nslots < ((int64) 1 << 30))
		nslots *= 2;
	if (nslots == vt->nslots)
		return;
	pfree(vt->slots);
	vt->slots = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * nslots);
	memset(vt->slots, -1, sizeof(int32) * nslots);
	vt->nslots = nslots;
}

/*
 * Find (kind, value) of hash h: its id, or -1 with *slot set to the empty
 * slot where it would go.
 */
static int32
value_table_probe(const ValueTable *vt, uint64 h, int16 kind, const char *data, int len,
				  int64 *slot)
{
	int64		i = h & (vt->nslots - 1);
	int32		v;

	while ((v = vt->slots[i]) >= 0)
	{
		if (vt->hash[v] == h && vt->kind[v] == kind && vt->length[v] == len &&
			memcmp(vt->arena + vt->offset[v], data, len) == 0)
			return v;
		i = (i + 1) & (vt->nslots - 1);
	}
	*slot = i;
	return -1;
}

/* the hash of (kind, value) that the table files it under */
uint64
value_table_hash(int16 kind, const char *data, int len)
{
	return hash_bytes_extended((const unsigned char *) data, len, (uint64) kind);
}

/*
 * Start loading the slot where a value of hash h is looked for into the
 * CPU cache: with millions of values that load is a cache miss, which a
 * caller that knows the next value early can overlap with other work.
 */
void
value_table_prefetch(const ValueTable *vt, uint64 h)
{
#ifdef __GNUC__
	__builtin_prefetch(&vt->slots[h & (vt->nslots - 1)]);
#endif
}

int32
value_table_intern(ValueTable *vt, int16 kind, const char *data, int len)
{
	return value_table_intern_hashed(vt, value_table_hash(kind, data, len), kind, data, len);
}

/* value_table_intern, the hash h = value_table_hash(kind, data, len) given */
int32
value_table_intern_hashed(ValueTable *vt, uint64 h, int16 kind, const char *data, int len)
{
	int64		i;
	int32		v = value_table_probe(vt, h, kind, data, len, &i);

	if (v >= 0)
		return v;

	if (vt->nvalues >= PG_INT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct identifier values")));
	if (vt->nvalues >= vt->values_cap)
	{
		int64		cap = vt->values_cap;

		vt->hash = identity_grow_array(vt->hash, sizeof(uint64), &cap, vt->nvalues + 1);
		cap = vt->values_cap;
		vt->kind = identity_grow_array(vt->kind, sizeof(int16), &cap, vt->nvalues + 1);
		cap = vt->values_cap;
		vt->offset = identity_grow_array(vt->offset, sizeof(int64), &cap, vt->nvalues + 1);
		cap = vt->values_cap;
		vt->length = identity_grow_array(vt->length, sizeof(int32), &cap, vt->nvalues + 1);
		cap = vt->values_cap;
		vt->count = identity_grow_array(vt->count, sizeof(int64), &cap, vt->nvalues + 1);
		vt->values_cap = cap;
	}
	if (vt->arena_len + len > vt->arena_cap || vt->arena == NULL)
		vt->arena = identity_grow_array(vt->arena, 1, &vt->arena_cap, vt->arena_len + len + 1);

	v = vt->nvalues++;
	vt->hash[v] = h;
	vt->kind[v] = kind;
	vt->offset[v] = vt->arena_len;
	vt->length[v] = len;
	vt->count[v] = 0;
	memcpy(vt->arena + vt->arena_len, data, len);
	vt->arena_len += len;
	vt->slots[i] = v;

	/* keep the load factor at most 1/2 */
	if ((int64) vt->nvalues * 2 > vt->nslots)
		value_table_rehash(vt);
	return v;
}

int
value_table_compare(const ValueTable *vt, int32 a, int32 b)
{
	int			cmp;

	if (vt->kind[a] != vt->kind[b])
		return vt->kind[a] < vt->kind[b] ? -1 : 1;
	if (vt->hash[a] != vt->hash[b])
		return vt->hash[a] < vt->hash[b] ? -1 : 1;
	if (vt->length[a] != vt->length[b])
		return vt->length[a] < vt->length[b] ? -1 : 1;
	cmp = memcmp(vt->arena + vt->offset[a], vt->arena + vt->offset[b], vt->length[a]);
	return cmp;
}

/* the id of (kind, value), or -1 if it was never interned */
int32
value_table_lookup(const ValueTable *vt, int16 kind, const char *data, int len)
{
	return value_table_lookup_hashed(vt, value_table_hash(kind, data, len), kind, data, len);
}

/* value_table_lookup, the hash h = value_table_hash(kind, data, len) given */
int32
value_table_lookup_hashed(const ValueTable *vt, uint64 h, int16 kind, const char *data, int len)
{
	int64		slot;

	return value_table_probe(vt, h, kind, data, len, &slot);
}
