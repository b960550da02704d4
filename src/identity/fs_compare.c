/*-------------------------------------------------------------------------
 *
 * fs_compare.c
 *	  Comparison levels of a probabilistic rule: which level of each
 *	  comparison a pair of records reaches, and the weight of that level.
 *
 * Levels are tried in order and the first that holds wins; a level whose
 * value is missing on either side is skipped.  When no level before "else"
 * had both values the comparison is NULL and weighs 0 (missing data is no
 * evidence either way).  Values were computed once per record
 * (fs_records.c), so a comparison is a hash and length check, a memcmp, or
 * one call of a similarity kernel on code points already decoded.
 *
 * src/identity/fs_compare.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "identity/fs.h"
#include "match/similarity.h"

static inline bool
values_equal(const FsRecords *recs, const FsValue *x, const FsValue *y)
{
	return x->hash == y->hash && x->len == y->len &&
		memcmp(recs->arena + x->off, recs->arena + y->off, x->len) == 0;
}

/* one character off (same length), or YYYYMMDD with day and month swapped */
static bool
date_near(const char *x, const char *y, int len)
{
	int			diff = 0;

	for (int i = 0; i < len && diff <= 1; i++)
		diff += (x[i] != y[i]);
	if (diff <= 1)
		return true;
	return len == 8 && memcmp(x, y, 4) == 0 &&
		x[4] == y[6] && x[5] == y[7] && x[6] == y[4] && x[7] == y[5];
}

/* the level of cmp that records a and b reach, or -1 (NULL comparison) */
int
fs_compare_level(const FsModel *model, const FsComparison *cmp,
				 const FsRecords *recs, int a, int b)
{
	bool		present = false;

	for (int l = 0; l < cmp->nlevels; l++)
	{
		const FsLevel *level = &cmp->levels[l];
		const FsValue *x;
		const FsValue *y;

		if (level->type == FS_LEVEL_ELSE)
			return present ? l : -1;
		x = fs_value(recs, a, level->slot);
		y = fs_value(recs, b, level->slot);
		if (x->len < 0 || y->len < 0)
			continue;
		present = true;
		if (values_equal(recs, x, y))
			return l;
		switch (level->type)
		{
			case FS_LEVEL_JARO_WINKLER:
				if (cdp_jaro_winkler(recs->chars + x->choff, x->nchars,
									 recs->chars + y->choff, y->nchars,
									 0.1, 0.7) >= level->param)
					return l;
				break;
			case FS_LEVEL_LEVENSHTEIN:
				if (cdp_levenshtein_le(recs->chars + x->choff, x->nchars,
									   recs->chars + y->choff, y->nchars,
									   (int) level->param) <= (int) level->param)
					return l;
				break;
			case FS_LEVEL_DATE_NEAR:
				if (x->len == y->len &&
					date_near(recs->arena + x->off, recs->arena + y->off, x->len))
					return l;
				break;
			default:
				break;
		}
	}
	return -1;
}

/*
 * The weight of level of cmp for a pair whose first record is a: log2(m/u),
 * where for the first level of a term-frequency adjusted comparison u is the
 * frequency of a's value when that is a known common value above u.
 */
double
fs_level_weight(const FsComparison *cmp, int level, const FsRecords *recs, int a)
{
	const FsLevel *lv;

	if (level < 0)
		return 0.0;
	lv = &cmp->levels[level];
	if (level == 0 && cmp->ntf > 0)
	{
		const FsValue *x = fs_value(recs, a, lv->slot);
		int			lo = 0,
					hi = cmp->ntf - 1;

		while (lo <= hi)
		{
			int			mid = (lo + hi) / 2;
			const FsTfEntry *e = &cmp->tf[mid];

			if (e->hash == x->hash)
			{
				/* equal hashes sit together: scan them */
				while (mid > 0 && cmp->tf[mid - 1].hash == x->hash)
					mid--;
				for (; mid < cmp->ntf && cmp->tf[mid].hash == x->hash; mid++)
				{
					e = &cmp->tf[mid];
					if ((int) strlen(e->value) == x->len &&
						memcmp(e->value, recs->arena + x->off, x->len) == 0)
						return e->freq > lv->u ? log2(lv->m / e->freq) : lv->weight;
				}
				break;
			}
			if (e->hash < x->hash)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
	}
	return lv->weight;
}

/*
 * The level of every comparison for a pair (-1: NULL).  A comparison with
 * "unless" is NULL when one of the comparisons it names is not (a fallback,
 * e.g. romaji for records without kanji or kana, that must not count the
 * same evidence twice).
 */
void
fs_pair_levels(const FsModel *model, const FsRecords *recs, int a, int b, int *levels)
{
	for (int c = 0; c < model->ncomparisons; c++)
	{
		const FsComparison *cmp = &model->comparisons[c];
		bool		skip = false;

		for (int d = 0; d < cmp->nunless && !skip; d++)
			skip = levels[cmp->unless[d]] >= 0;
		levels[c] = skip ? -1 : fs_compare_level(model, cmp, recs, a, b);
	}
}

/* total match weight of a pair; levels[] (may be NULL) gets each level */
double
fs_pair_weight(const FsModel *model, const FsRecords *recs, int a, int b, int *levels)
{
	int			local[FS_MAX_COMPARISONS];
	double		w = model->prior_weight;

	if (levels == NULL)
		levels = local;
	fs_pair_levels(model, recs, a, b, levels);
	for (int c = 0; c < model->ncomparisons; c++)
		w += fs_level_weight(&model->comparisons[c], levels[c], recs, a);
	return w;
}

/*
 * The weight of a pair if it reaches threshold; otherwise some value below
 * threshold, found as soon as the comparisons left cannot lift the pair
 * over it (term frequencies only ever lower a level's weight).  The
 * comparisons are evaluated in the model's eval_order (cheap ones first);
 * one whose "unless" comparison turned out present can add nothing.  A
 * pair that reaches the threshold has its weight summed in the model's
 * order, as fs_pair_weight sums it.
 */
double
fs_pair_weight_bounded(const FsModel *model, const FsRecords *recs, int a, int b,
					   double threshold)
{
	int			levels[FS_MAX_COMPARISONS];
	uint32		settled = 0;	/* comparisons no longer in rest (bit c) */
	double		w = model->prior_weight;
	double		rest = model->rest_max[0];

	for (int k = 0; k < model->ncomparisons; k++)
	{
		int			c = model->eval_order[k];
		const FsComparison *cmp = &model->comparisons[c];
		bool		skip = false;

		for (int d = 0; d < cmp->nunless && !skip; d++)
			skip = levels[cmp->unless[d]] >= 0;
		levels[c] = skip ? -1 : fs_compare_level(model, cmp, recs, a, b);
		w += fs_level_weight(cmp, levels[c], recs, a);
		if (!(settled & ((uint32) 1 << c)))
			rest -= model->max_weight[c];
		settled |= (uint32) 1 << c;
		/* comparisons that are skipped when this one is present */
		if (levels[c] >= 0)
		{
			uint32		newly = model->skipped_when_present[c] & ~settled;

			for (int u = 0; newly != 0; u++, newly >>= 1)
				if (newly & 1)
					rest -= model->max_weight[u];
			settled |= model->skipped_when_present[c];
		}
		/* (a margin, so that rounding never drops a pair at the threshold) */
		if (w + rest < threshold - 1e-9)
			return w + rest;
	}
	w = model->prior_weight;
	for (int c = 0; c < model->ncomparisons; c++)
		w += fs_level_weight(&model->comparisons[c], levels[c], recs, a);
	return w;
}
