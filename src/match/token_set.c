/*-------------------------------------------------------------------------
 *
 * token_set.c
 *	  cdp.token_set_similarity(text, text): similarity of names whose words
 *	  come in any order ('Taro Yamada' and 'YAMADA, Taro').
 *
 * Definition (also in the README):
 *   1. Tokens: the maximal runs of characters that are neither white space
 *      nor punctuation (Unicode general category P*); apostrophes (U+0027,
 *      U+2019, U+02BC) are dropped, so O'Brien is one token.  Each character
 *      is case-folded (Unicode simple case folding).  Duplicate tokens count
 *      once: A and B are sets.
 *   2. sim(t, u) = 1 - levenshtein(t, u) / max(|t|, |u|).
 *   3. result = (sum over t in A of max over u in B of sim(t, u)
 *               + sum over u in B of max over t in A of sim(t, u))
 *               / (|A| + |B|);  0 when A or B is empty.
 * It is symmetric, 1 exactly when the token sets are equal, and an extra or
 * missing token lowers it in proportion to the number of tokens.
 *
 * src/match/token_set.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include <unicode/uchar.h>

#include "match/similarity.h"

#define STACK_TOKENS 32

/* 0: part of a token; 1: separator; 2: dropped */
static inline int
char_class(pg_wchar c, bool unicode)
{
	if (c < 128)
	{
		if (c == '\'')
			return 2;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9'))
			return 0;
		if (c <= ' ' || c == 127)
			return 1;
		/* ASCII punctuation is P*; symbols ($+<=>^`|~) are part of tokens */
		return strchr("!\"#%&()*,-./:;?@[\\]_{}", (int) c) ? 1 : 0;
	}
	if (!unicode)
		return 0;
	if (c == 0x2019 || c == 0x02BC)
		return 2;
	if (u_isUWhiteSpace((UChar32) c) || u_ispunct((UChar32) c))
		return 1;
	return 0;
}

static inline pg_wchar
fold_char(pg_wchar c, bool unicode)
{
	if (c < 128)
		return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
	return unicode ? (pg_wchar) u_foldCase((UChar32) c, U_FOLD_CASE_DEFAULT) : c;
}

/*
 * Fold s into buf (as long as s) and cut it into tokens; returns the number
 * of distinct tokens, sorted.  tokens has room for (len + 1) / 2 entries.
 */
static int
tokenize(const pg_wchar *s, int len, pg_wchar *buf, CdpSpan *tokens)
{
	bool		unicode = cdp_database_is_utf8();
	int			ntokens = 0;
	int			out = 0;
	int			i;
	bool		in_token = false;

	for (i = 0; i < len; i++)
	{
		int			cls = char_class(s[i], unicode);

		if (cls == 2)
			continue;
		if (cls == 1)
		{
			in_token = false;
			continue;
		}
		if (!in_token)
		{
			tokens[ntokens].start = buf + out;
			tokens[ntokens].len = 0;
			ntokens++;
			in_token = true;
		}
		buf[out++] = fold_char(s[i], unicode);
		tokens[ntokens - 1].len++;
	}
	if (ntokens > 1)
	{
		int			n;

		qsort(tokens, ntokens, sizeof(CdpSpan), cdp_span_compare);
		for (i = 1, n = 1; i < ntokens; i++)
		{
			if (cdp_span_compare(&tokens[i], &tokens[n - 1]) != 0)
				tokens[n++] = tokens[i];
		}
		ntokens = n;
	}
	return ntokens;
}

double
cdp_token_set_similarity(const pg_wchar *a, int alen, const pg_wchar *b, int blen)
{
	pg_wchar	stack_buf[2 * CDP_CP_STACK];
	CdpSpan		stack_tokens[2 * STACK_TOKENS];
	pg_wchar   *abuf,
			   *bbuf;
	CdpSpan	   *atok,
			   *btok;
	double		stack_best[2 * STACK_TOKENS];
	double	   *abest,
			   *bbest;
	int			na,
				nb,
				i,
				j;
	int			amax = (alen + 1) / 2;
	int			bmax = (blen + 1) / 2;
	double		sum = 0.0;

	if (alen == 0 || blen == 0)
		return 0.0;

	/* huge allocations: see cdp_decode() */
	abuf = alen + blen <= 2 * CDP_CP_STACK ? stack_buf :
		palloc_extended(sizeof(pg_wchar) * ((Size) alen + blen), MCXT_ALLOC_HUGE);
	bbuf = abuf + alen;
	atok = amax + bmax <= 2 * STACK_TOKENS ? stack_tokens :
		palloc_extended(sizeof(CdpSpan) * ((Size) amax + bmax), MCXT_ALLOC_HUGE);
	btok = atok + amax;
	na = tokenize(a, alen, abuf, atok);
	nb = tokenize(b, blen, bbuf, btok);
	if (na == 0 || nb == 0)
		goto done;

	abest = na + nb <= 2 * STACK_TOKENS ? stack_best :
		palloc_extended(sizeof(double) * ((Size) na + nb), MCXT_ALLOC_HUGE);
	bbest = abest + na;
	for (i = 0; i < na + nb; i++)
		abest[i] = 0.0;
	for (i = 0; i < na; i++)
	{
		for (j = 0; j < nb; j++)
		{
			int			longer = Max(atok[i].len, btok[j].len);
			double		s;

			s = 1.0 - (double) cdp_levenshtein(atok[i].start, atok[i].len,
											   btok[j].start, btok[j].len) / longer;
			abest[i] = Max(abest[i], s);
			bbest[j] = Max(bbest[j], s);
		}
		CHECK_FOR_INTERRUPTS();
	}
	for (i = 0; i < na + nb; i++)
		sum += abest[i];
	sum /= (na + nb);
	if (abest != stack_best)
		pfree(abest);

done:
	if (abuf != stack_buf)
		pfree(abuf);
	if (atok != stack_tokens)
		pfree(atok);
	return sum;
}

PG_FUNCTION_INFO_V1(cdp_token_set_similarity_text);

/*
 * cdp.token_set_similarity(a text, b text) returns float8.
 */
Datum
cdp_token_set_similarity_text(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(cdp_similarity_of_texts(PG_GETARG_TEXT_PP(0),
											 PG_GETARG_TEXT_PP(1),
											 cdp_token_set_similarity));
}
