/*-------------------------------------------------------------------------
 *
 * fs_em.c
 *	  cdp._fs_train: estimate a probabilistic rule's parameters from the
 *	  records themselves, without labels.
 *
 *	- u (the chance that two different people reach a level) from a
 *	  seeded sample of random record pairs, which are almost all non-matches;
 *	- m (the chance that two records of one person reach it) by
 *	  expectation-maximisation on the blocked pairs, a two-class mixture
 *	  under conditional independence of the comparisons.  The non-match
 *	  class of the blocked pairs gets its own u during EM (blocking makes
 *	  its agreement higher than random pairs'), while the weights use the
 *	  random-pair u, since scores are meant over all pairs;
 *	- the prior: the share of matches EM finds among the blocked pairs,
 *	  spread over all N(N-1)/2 pairs;
 *	- term frequencies: for comparisons with tf_adjust, the values of the
 *	  first level that are more frequent than that level's u (common names
 *	  such as 佐藤 or Smith), at most FS_TF_MAX of them.
 *
 * EM runs on the distinct comparison patterns with their counts, so its
 * cost does not grow with the number of pairs.  The result is a jsonb of
 * estimates that cdp.train_probabilistic_rule writes into the definition;
 * the same records, sample size and seed give the same estimates.
 *
 * src/identity/fs_em.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "identity/fs.h"

#define FS_TF_MAX 100
#define FS_PSEUDO 0.01

typedef struct Pattern
{
	int8		levels[FS_MAX_COMPARISONS];
	double		count;
} Pattern;

typedef struct PatternState
{
	const FsModel *model;
	const FsRecords *recs;
	HTAB	   *patterns;
	int64		npairs;
} PatternState;

static bool
count_pattern(int a, int b, void *arg)
{
	PatternState *st = arg;
	int8		key[FS_MAX_COMPARISONS];
	int			levels[FS_MAX_COMPARISONS];
	Pattern    *p;
	bool		found;

	memset(key, 0, sizeof(key));
	fs_pair_levels(st->model, st->recs, a, b, levels);
	for (int c = 0; c < st->model->ncomparisons; c++)
		key[c] = (int8) levels[c];
	p = hash_search(st->patterns, key, HASH_ENTER, &found);
	if (!found)
		p->count = 0;
	p->count += 1;
	st->npairs++;
	if ((st->npairs & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

static void
append_double(StringInfo buf, double x)
{
	char		tmp[64];

	snprintf(tmp, sizeof(tmp), "%.10g", x);
	appendStringInfoString(buf, tmp);
}

static int
cmp_value(const void *x, const void *y, void *arg)
{
	const FsRecords *recs = ((void **) arg)[0];
	int			slot = *(int *) ((void **) arg)[1];
	const FsValue *a = fs_value(recs, *(const int *) x, slot);
	const FsValue *b = fs_value(recs, *(const int *) y, slot);

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(recs->arena + a->off, recs->arena + b->off, a->len);
}

typedef struct TfValue
{
	int			rec;
	double		freq;
} TfValue;

static int
cmp_tf_desc(const void *x, const void *y)
{
	double		a = ((const TfValue *) x)->freq;
	double		b = ((const TfValue *) y)->freq;

	return (a < b) - (a > b);
}

/* the common values of slot: frequency above u, most frequent first */
static void
append_tf(StringInfo buf, const FsRecords *recs, int slot, double u)
{
	int		   *idx = palloc(sizeof(int) * recs->nrecords);
	TfValue    *common = palloc(sizeof(TfValue) * (recs->nrecords + 1));
	int			n = 0,
				ncommon = 0;
	void	   *arg[2] = {(void *) recs, &slot};

	for (int i = 0; i < recs->nrecords; i++)
		if (fs_value(recs, i, slot)->len >= 0)
			idx[n++] = i;
	qsort_arg(idx, n, sizeof(int), cmp_value, arg);
	for (int start = 0; start < n;)
	{
		int			end = start + 1;
		double		freq;

		while (end < n && cmp_value(&idx[start], &idx[end], arg) == 0)
			end++;
		freq = (double) (end - start) / n;
		if (end - start >= 2 && freq > u)
		{
			common[ncommon].rec = idx[start];
			common[ncommon].freq = freq;
			ncommon++;
		}
		start = end;
	}
	qsort(common, ncommon, sizeof(TfValue), cmp_tf_desc);
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < Min(ncommon, FS_TF_MAX); i++)
	{
		const FsValue *v = fs_value(recs, common[i].rec, slot);

		if (i)
			appendStringInfoString(buf, ", ");
		escape_json(buf, pnstrdup(recs->arena + v->off, v->len));
		appendStringInfoString(buf, ": ");
		append_double(buf, common[i].freq);
	}
	appendStringInfoChar(buf, '}');
	pfree(idx);
	pfree(common);
}

typedef double LevelTable[FS_MAX_COMPARISONS][FS_MAX_LEVELS];

/* the distinct comparison patterns of the pairs that rules block */
static Pattern *
collect_patterns(const FsModel *model, const FsRecords *recs,
				 const FsBlocking *rules, int nrules, int *npatterns, double *npairs)
{
	PatternState st;
	HASHCTL		ctl;
	HASH_SEQ_STATUS seq;
	Pattern    *p;
	Pattern    *patterns;
	int			n = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = FS_MAX_COMPARISONS;
	ctl.entrysize = sizeof(Pattern);
	ctl.hcxt = CurrentMemoryContext;
	st.model = model;
	st.recs = recs;
	st.patterns = hash_create("cdp probabilistic patterns", 1024, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	st.npairs = 0;
	fs_rule_pairs(model, rules, nrules, recs, count_pattern, &st);
	patterns = palloc(sizeof(Pattern) * Max(1, hash_get_num_entries(st.patterns)));
	hash_seq_init(&seq, st.patterns);
	while ((p = hash_seq_search(&seq)) != NULL)
		patterns[n++] = *p;
	hash_destroy(st.patterns);
	*npatterns = n;
	*npairs = st.npairs;
	return patterns;
}

/*
 * EM over patterns for the comparisons in use[]: m (and, unless u_fixed, u)
 * of their levels and *lambda, the share of matches.  fit_m false keeps m
 * and fits only lambda.  Returns the number of iterations; *converged says
 * whether the last one changed nothing by more than 1e-6.
 */
static int
run_em(const FsModel *model, const Pattern *patterns, int npatterns, const bool *use,
	   LevelTable m, LevelTable u, bool fit_m, bool u_fixed, double *lambda,
	   int max_iterations, bool *converged)
{
	int			nc = model->ncomparisons;
	int			it;

	*converged = false;
	for (it = 1; it <= max_iterations && !*converged; it++)
	{
		LevelTable	msum;
		LevelTable	usum;
		double		g_total = 0;
		double		total = 0;
		double		change = 0;

		CHECK_FOR_INTERRUPTS();
		memset(msum, 0, sizeof(msum));
		memset(usum, 0, sizeof(usum));
		for (int i = 0; i < npatterns; i++)
		{
			double		lm = log(*lambda);
			double		lu = log(1.0 - *lambda);
			double		g;

			for (int c = 0; c < nc; c++)
			{
				int			l = patterns[i].levels[c];

				if (use[c] && l >= 0)
				{
					lm += log(m[c][l]);
					lu += log(u[c][l]);
				}
			}
			g = 1.0 / (1.0 + exp(lu - lm));
			g_total += g * patterns[i].count;
			total += patterns[i].count;
			for (int c = 0; c < nc; c++)
			{
				int			l = patterns[i].levels[c];

				if (use[c] && l >= 0)
				{
					msum[c][l] += g * patterns[i].count;
					usum[c][l] += (1.0 - g) * patterns[i].count;
				}
			}
		}
		for (int c = 0; c < nc; c++)
		{
			int			nl = model->comparisons[c].nlevels;
			double		ms = 0,
						us = 0;

			if (!use[c])
				continue;
			for (int l = 0; l < nl; l++)
			{
				ms += msum[c][l] + FS_PSEUDO;
				us += usum[c][l] + FS_PSEUDO;
			}
			for (int l = 0; l < nl; l++)
			{
				double		nm = (msum[c][l] + FS_PSEUDO) / ms;
				double		nu = (usum[c][l] + FS_PSEUDO) / us;

				if (fit_m)
				{
					change = Max(change, fabs(nm - m[c][l]));
					m[c][l] = nm;
				}
				if (!u_fixed)
				{
					change = Max(change, fabs(nu - u[c][l]));
					u[c][l] = nu;
				}
			}
		}
		if (total > 0)
		{
			change = Max(change, fabs(g_total / total - *lambda));
			*lambda = Min(Max(g_total / total, 1e-9), 1.0 - 1e-9);
		}
		*converged = change < 1e-6;
	}
	return it - 1;
}

/* does comparison c read a column that blocking rule blk has a key on? */
static bool
reads_blocked_column(const FsModel *model, int c, const FsBlocking *blk)
{
	const FsComparison *cmp = &model->comparisons[c];

	for (int l = 0; l < cmp->nlevels; l++)
	{
		const FsField *f;

		if (cmp->levels[l].slot < 0)
			continue;
		f = &model->fields[model->slots[cmp->levels[l].slot].field];
		for (int k = 0; k < blk->nkeys; k++)
		{
			const FsField *kf = &model->fields[model->slots[blk->slots[k]].field];
			int			kcol = kf->columns[0][0];

			for (int a = 0; a < f->nalts; a++)
				for (int j = 0; j < f->njoined[a]; j++)
					if (f->columns[a][j] == kcol)
						return true;
		}
	}
	return false;
}

static void
initial_m(const FsModel *model, LevelTable m)
{
	for (int c = 0; c < model->ncomparisons; c++)
	{
		int			nl = model->comparisons[c].nlevels;

		for (int l = 0; l < nl; l++)
			m[c][l] = (l == 0) ? 0.9 : 0.1 / (nl - 1);
	}
}

/*
 * cdp._fs_train(rule_name text, definition jsonb, sample_size int4,
 *				 seed int8, max_iterations int4) RETURNS jsonb
 */
PG_FUNCTION_INFO_V1(cdp_fs_train);
Datum
cdp_fs_train(PG_FUNCTION_ARGS)
{
	char	   *rule_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *definition = PG_GETARG_JSONB_P(1);
	int32		sample_size = PG_GETARG_INT32(2);
	int64		seed = PG_GETARG_INT64(3);
	int32		max_iterations = PG_GETARG_INT32(4);
	FsModel    *model = palloc(sizeof(FsModel));
	FsRecords  *recs;
	int			nc;
	LevelTable	ucount;
	LevelTable	u;
	LevelTable	ub;
	LevelTable	m;
	LevelTable	msum;
	int			nsessions[FS_MAX_COMPARISONS];
	bool		use[FS_MAX_COMPARISONS];
	double		lambda = 0.1;
	pg_prng_state rng;
	Pattern    *patterns;
	int			npatterns;
	double		npairs;
	int			iterations;
	bool		converged;
	double		npairs_all;
	double		prior;
	StringInfoData out;
	StringInfoData sessions;

	if (sample_size < 1000 || sample_size > 100000000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sample_size must be between 1000 and 100000000, not %d", sample_size)));
	if (max_iterations < 1 || max_iterations > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iterations must be between 1 and 10000, not %d", max_iterations)));
	fs_parse_model(model, rule_name, definition, false);
	nc = model->ncomparisons;
	recs = fs_load_records(model, NULL, false, true);
	if (recs->nrecords < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probabilistic rule \"%s\" cannot be trained on %d source records",
						rule_name, recs->nrecords),
				 errdetail("Training needs at least two records to compare.")));

	/* u from random pairs */
	memset(ucount, 0, sizeof(ucount));
	pg_prng_seed(&rng, (uint64) seed);
	for (int s = 0; s < sample_size; s++)
	{
		int			a = (int) pg_prng_uint64_range(&rng, 0, recs->nrecords - 1);
		int			b = (int) pg_prng_uint64_range(&rng, 0, recs->nrecords - 2);
		int			levels[FS_MAX_COMPARISONS];

		if (b >= a)
			b++;
		if ((s & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		fs_pair_levels(model, recs, a, b, levels);
		for (int c = 0; c < nc; c++)
			if (levels[c] >= 0)
				ucount[c][levels[c]] += 1;
	}
	for (int c = 0; c < nc; c++)
	{
		int			nl = model->comparisons[c].nlevels;
		double		sum = 0;

		for (int l = 0; l < nl; l++)
			sum += ucount[c][l];
		for (int l = 0; l < nl; l++)
			u[c][l] = (ucount[c][l] + 1.0) / (sum + nl);
	}

	/*
	 * m: one EM session per training blocking rule, u fixed, on the pairs
	 * that rule blocks; a session leaves out the comparisons that read a
	 * column the rule blocks on (they agree by construction there), and each
	 * comparison's m is the mean over the sessions that estimated it.
	 */
	memset(msum, 0, sizeof(msum));
	memset(nsessions, 0, sizeof(nsessions));
	initStringInfo(&sessions);
	for (int s = 0; s < model->ntraining; s++)
	{
		const FsBlocking *blk = &model->training[s];
		LevelTable	ms;
		double		lambda_s = 0.3;
		bool		any = false;

		patterns = collect_patterns(model, recs, blk, 1, &npatterns, &npairs);
		for (int c = 0; c < nc; c++)
			any |= (use[c] = !reads_blocked_column(model, c, blk));
		initial_m(model, ms);
		iterations = 0;
		converged = false;
		if (npairs > 0 && any)
			iterations = run_em(model, patterns, npatterns, use, ms, u, true, true,
								&lambda_s, max_iterations, &converged);
		appendStringInfo(&sessions, "%s{\"blocking\": ", s ? ", " : "");
		escape_json(&sessions, blk->text);
		appendStringInfo(&sessions, ", \"pairs\": %.0f, \"iterations\": %d, \"converged\": %s, \"estimated\": [",
						 npairs, iterations, converged ? "true" : "false");
		for (int c = 0, first = 1; c < nc && npairs > 0; c++)
		{
			if (!use[c])
				continue;
			for (int l = 0; l < model->comparisons[c].nlevels; l++)
				msum[c][l] += ms[c][l];
			nsessions[c]++;
			if (!first)
				appendStringInfoString(&sessions, ", ");
			escape_json(&sessions, model->comparisons[c].name);
			first = 0;
		}
		appendStringInfoString(&sessions, "]}");
		pfree(patterns);
	}
	initial_m(model, m);
	for (int c = 0; c < nc; c++)
	{
		if (nsessions[c] == 0)
			ereport(WARNING,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("probabilistic rule \"%s\": no training session estimated comparison \"%s\"; its m keeps a default guess",
							rule_name, model->comparisons[c].name),
					 errhint("Add to \"training_blocking\" a rule that does not block on the comparison's fields.")));
		else
			for (int l = 0; l < model->comparisons[c].nlevels; l++)
				m[c][l] = msum[c][l] / nsessions[c];
	}

	/*
	 * The match share of the blocked pairs gives the prior: EM with m fixed,
	 * the non-matches' u free (blocked non-matches, such as members of one
	 * household, agree far more often than random pairs).
	 */
	patterns = collect_patterns(model, recs, model->blocking, model->nblocking,
								&npatterns, &npairs);
	if (npairs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probabilistic rule \"%s\" cannot be trained: its blocking rules give no pairs of records",
						rule_name)));
	for (int c = 0; c < nc; c++)
		use[c] = true;
	memcpy(ub, u, sizeof(LevelTable));
	iterations = run_em(model, patterns, npatterns, use, m, ub, false, false,
						&lambda, max_iterations, &converged);
	npairs_all = (double) recs->nrecords * (recs->nrecords - 1) / 2.0;
	prior = Min(Max(lambda * npairs / npairs_all, 1e-15), 0.5);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"prior\": ");
	append_double(&out, prior);
	appendStringInfoString(&out, ", \"levels\": [");
	for (int c = 0; c < nc; c++)
	{
		appendStringInfoString(&out, c ? ", [" : "[");
		for (int l = 0; l < model->comparisons[c].nlevels; l++)
		{
			appendStringInfoString(&out, l ? ", {\"m\": " : "{\"m\": ");
			append_double(&out, m[c][l]);
			appendStringInfoString(&out, ", \"u\": ");
			append_double(&out, u[c][l]);
			appendStringInfoChar(&out, '}');
		}
		appendStringInfoChar(&out, ']');
	}
	appendStringInfoString(&out, "], \"tf\": [");
	for (int c = 0; c < nc; c++)
	{
		if (c)
			appendStringInfoString(&out, ", ");
		if (model->comparisons[c].tf_adjust)
			append_tf(&out, recs, model->comparisons[c].levels[0].slot, u[c][0]);
		else
			appendStringInfoString(&out, "null");
	}
	appendStringInfo(&out, "], \"training\": {\"records\": %d, \"sample_size\": %d, \"seed\": " INT64_FORMAT
					 ", \"sessions\": [%s], \"blocked_pairs\": %.0f, \"blocked_match_share\": ",
					 recs->nrecords, sample_size, seed, sessions.data, npairs);
	append_double(&out, lambda);
	appendStringInfoString(&out, "}}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
