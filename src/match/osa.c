/*-------------------------------------------------------------------------
 *
 * osa.c
 *	  cdp.osa_distance(text, text): optimal string alignment distance
 *	  (restricted Damerau-Levenshtein) on characters.
 *
 * Hyyrö's bit-parallel extension of Myers' algorithm (2003): a diagonal
 * step also counts as free-of-extra-cost when the two characters before it
 * are a transposed pair, which adds the term TR to the diagonal-zero
 * vector (the kernels, shared with Levenshtein, are in myers.h).
 *
 * src/match/osa.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/charmask.h"
#include "match/myers.h"
#include "match/similarity.h"

static int
osa_single(const pg_wchar *p, int m, const pg_wchar *t, int n)
{
	int			score;

	score = cdp_myers_word(NULL, cdp_charmask_single(p, m), m, t, n, -1,
						   true);
	cdp_charmask_release(p, m);
	return score;
}

int
cdp_osa_distance(const pg_wchar *a, int alen, const pg_wchar *b, int blen)
{
	cdp_strip_common_affixes(&a, &alen, &b, &blen);
	if (alen == 0 || blen == 0)
		return alen + blen;
	cdp_shorter_first(&a, &alen, &b, &blen);
	if (alen <= 64)
		return osa_single(a, alen, b, blen);
	return cdp_myers_blocks(a, alen, b, blen, true);
}

PG_FUNCTION_INFO_V1(cdp_osa_distance_text);

/*
 * cdp.osa_distance(a text, b text) returns integer.
 */
Datum
cdp_osa_distance_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(cdp_distance_of_texts(PG_GETARG_TEXT_PP(0),
										  PG_GETARG_TEXT_PP(1), cdp_osa_distance));
}
