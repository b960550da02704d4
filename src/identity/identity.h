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

/* grow an array of elements of elem_size bytes to hold at least need */
extern void *identity_grow_array(void *array, Size elem_size, int64 *capacity, int64 need);

#endif							/* CDP_IDENTITY_H */
