/*-------------------------------------------------------------------------
 *
 * fs_block.c
 *	  Blocking: the pairs of records a probabilistic rule compares, those
 *	  that agree on every key of at least one blocking rule, each pair once.
 *
 * For each blocking rule the records with all keys present are sorted by a
 * 64-bit hash of their keys; each run of equal hashes is a block (its keys
 * are checked once against the first record's, and pair by pair only after
 * a hash collision), whose pairs are skipped when an earlier blocking rule
 * already produced them.  A
 * block larger than the model's max_block_size is skipped (a key that
 * common, e.g. one postal code for a whole building, does not tell people
 * apart and would make the pair count quadratic).  With focus records
 * (incremental resolution) only pairs that involve one are produced.
 *
 * src/identity/fs_block.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "identity/fs.h"

typedef struct BlockEntry
{
	uint64		key;
	int			rec;
} BlockEntry;

static int
cmp_entry(const void *a, const void *b)
{
	const BlockEntry *x = a;
	const BlockEntry *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->rec > y->rec) - (x->rec < y->rec);
}

static inline bool
rule_holds(const FsBlocking *blk, const FsRecords *recs, int a, int b)
{
	for (int k = 0; k < blk->nkeys; k++)
	{
		const FsValue *x = fs_value(recs, a, blk->slots[k]);
		const FsValue *y = fs_value(recs, b, blk->slots[k]);

		if (x->len < 0 || y->len < 0 || x->hash != y->hash || x->len != y->len ||
			memcmp(recs->arena + x->off, recs->arena + y->off, x->len) != 0)
			return false;
	}
	return true;
}

void
fs_blocked_pairs(const FsModel *model, const FsRecords *recs,
				 FsPairCallback callback, void *arg)
{
	fs_rule_pairs(model, model->blocking, model->nblocking, recs, callback, arg);
}

/* the pairs that rules (an array of nrules) block, each once */
void
fs_rule_pairs(const FsModel *model, const FsBlocking *rules, int nrules,
			  const FsRecords *recs, FsPairCallback callback, void *arg)
{
	BlockEntry *entries;
	uint64	   *keys;
	int			nkeys;

	if (recs->nrecords < 2)
		return;
	entries = MemoryContextAllocHuge(CurrentMemoryContext,
									 sizeof(BlockEntry) * recs->nrecords);
	/*
	 * Each record's key hash under each rule but the last (0: no key), a
	 * record's side by side: a pair's earlier-rule check reads two cache
	 * lines, not two per rule.
	 */
	nkeys = Max(nrules - 1, 1);
	keys = MemoryContextAllocHuge(CurrentMemoryContext,
								  sizeof(uint64) * recs->nrecords * nkeys);
	for (int r = 0; r < nrules; r++)
	{
		const FsBlocking *blk = &rules[r];
		int			n = 0;

		for (int i = 0; i < recs->nrecords; i++)
		{
			uint64		h = 14695981039346656037ULL;
			bool		ok = true;

			for (int k = 0; k < blk->nkeys && ok; k++)
			{
				const FsValue *v = fs_value(recs, i, blk->slots[k]);

				if (v->len < 0)
					ok = false;
				else
					h = (h ^ (((uint64) v->len << 32) | v->hash)) * 0x100000001B3ULL + k;
			}
			if (ok)
			{
				entries[n].key = h;
				entries[n].rec = i;
				n++;
			}
			if (r < nrules - 1)
				keys[(Size) i * nkeys + r] = ok ? (h == 0 ? 1 : h) : 0;
		}
		qsort(entries, n, sizeof(BlockEntry), cmp_entry);
		for (int start = 0; start < n;)
		{
			int			end = start + 1;
			bool		exact = true;

			/*
			 * A run of equal hashes; unless every key in it equals the first
			 * (a hash collision), each pair's keys are checked.
			 */
			while (end < n && entries[end].key == entries[start].key)
			{
				exact = exact && rule_holds(blk, recs, entries[start].rec, entries[end].rec);
				end++;
			}
			CHECK_FOR_INTERRUPTS();
			if (end - start > model->max_block_size)
			{
				elog(DEBUG1, "probabilistic rule \"%s\": blocking rule [%s] skips a block of %d records",
					 model->rule_name, blk->text, end - start);
				start = end;
				continue;
			}
			if (recs->focus)
			{
				bool		any = false;

				for (int i = start; i < end && !any; i++)
					any = recs->focus[entries[i].rec];
				if (!any)
				{
					start = end;
					continue;
				}
			}
			for (int i = start; i < end; i++)
				for (int j = i + 1; j < end; j++)
				{
					int			a = entries[i].rec;
					int			b = entries[j].rec;
					const uint64 *ka = keys + (Size) a * nkeys;
					const uint64 *kb = keys + (Size) b * nkeys;
					bool		earlier = false;

					if (recs->focus && !recs->focus[a] && !recs->focus[b])
						continue;
					if (!exact && !rule_holds(blk, recs, a, b))
						continue;
					for (int e = 0; e < r && !earlier; e++)
					{
						/* equal keys hash equal: most pairs are told apart here */
						earlier = ka[e] != 0 && ka[e] == kb[e] && rule_holds(&rules[e], recs, a, b);
					}
					if (!earlier && !callback(a, b, arg))
					{
						pfree(keys);
						pfree(entries);
						return;
					}
				}
			start = end;
		}
	}
	pfree(keys);
	pfree(entries);
}
