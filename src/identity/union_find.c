/*-------------------------------------------------------------------------
 *
 * union_find.c
 *	  Disjoint-set forest for clustering records into profiles: path
 *	  compression and union by size over plain int32 arrays, so that a
 *	  million records cost 8 MB and nearly constant time per operation.
 *
 * src/identity/union_find.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "identity/identity.h"

void
union_find_init(UnionFind *uf, int32 n)
{
	int32		i;

	uf->n = n;
	uf->parent = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * Max(n, 1));
	uf->size = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		uf->parent[i] = i;
		uf->size[i] = 1;
	}
}

/* the root of x; every node on the way is made to point at it */
int32
union_find_find(UnionFind *uf, int32 x)
{
	int32		root = x;

	Assert(x >= 0 && x < uf->n);
	while (uf->parent[root] != root)
		root = uf->parent[root];
	while (uf->parent[x] != root)
	{
		int32		next = uf->parent[x];

		uf->parent[x] = root;
		x = next;
	}
	return root;
}

/* the smaller tree hangs under the larger, which keeps trees shallow */
int32
union_find_link(UnionFind *uf, int32 root_a, int32 root_b)
{
	Assert(root_a != root_b);
	Assert(uf->parent[root_a] == root_a && uf->parent[root_b] == root_b);
	if (uf->size[root_a] < uf->size[root_b])
	{
		int32		t = root_a;

		root_a = root_b;
		root_b = t;
	}
	uf->parent[root_b] = root_a;
	uf->size[root_a] += uf->size[root_b];
	return root_a;
}

/*
 * Double an array's capacity until it holds need elements.  Huge
 * allocations are allowed: a batch over millions of identifiers may pass
 * the 1 GB limit of palloc.
 */
void *
identity_grow_array(void *array, Size elem_size, int64 *capacity, int64 need)
{
	int64		cap = *capacity;

	if (need <= cap && array != NULL)
		return array;
	if (cap < 1024)
		cap = 1024;
	while (cap < need)
		cap *= 2;
	if (array == NULL)
		array = MemoryContextAllocHuge(CurrentMemoryContext, elem_size * cap);
	else
		array = repalloc_huge(array, elem_size * cap);
	*capacity = cap;
	return array;
}
