/*-------------------------------------------------------------------------
 *
 * similarity.h
 *	  C-level API of cdp's string similarity measures, for the SQL wrappers
 *	  in this folder and for other C code (identity resolution's field
 *	  comparisons, the name index).
 *
 * Every measure works on arrays of characters as pg_wchar values: Unicode
 * code points in a UTF-8 database (what cdp_decode_text() produces), the
 * encoding's own character codes otherwise.  Only equality of characters
 * matters to the measures, never their byte length.  Lengths are counts of
 * characters.  None of these functions keeps state between calls, none
 * allocates memory on the common path (strings of up to 64 characters, or
 * CDP_CP_STACK characters when decoding), and none raises an error other
 * than running out of memory or a query cancel (long inputs check for
 * interrupts).
 *
 * src/match/similarity.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_MATCH_SIMILARITY_H
#define CDP_MATCH_SIMILARITY_H

#include "postgres.h"

#include "mb/pg_wchar.h"

/*
 * Decoding text into characters.  Strings of up to CDP_CP_STACK bytes are
 * decoded into the struct's own buffer (put the struct on the stack); longer
 * ones into palloc'd memory that cdp_codepoints_free() releases.
 */
#define CDP_CP_STACK 256

typedef struct CdpCodePoints
{
	pg_wchar   *chars;			/* the characters */
	int			len;			/* how many */
	pg_wchar	local[CDP_CP_STACK];
} CdpCodePoints;

extern void cdp_decode(const char *s, int nbytes, CdpCodePoints *out);
extern bool cdp_database_is_utf8(void);
extern void cdp_strip_common_bytes(const char **a, int *alen,
								   const char **b, int *blen);

static inline void
cdp_codepoints_free(CdpCodePoints *cp)
{
	if (cp->chars != cp->local)
		pfree(cp->chars);
	cp->chars = cp->local;
	cp->len = 0;
}

/* decode a text datum that the caller has detoasted (VARDATA_ANY) */
#define cdp_decode_text(t, out) \
	cdp_decode(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), (out))

/*
 * Decode the two text arguments (detoasted) of a measure into a and b.  With
 * strip_common, the bytes of their common prefix and suffix are dropped
 * first, whole characters only: only for the edit distances, which they do
 * not change.
 */
static inline void
cdp_decode_pair(text *ta, text *tb, bool strip_common,
				CdpCodePoints *a, CdpCodePoints *b)
{
	const char *pa = VARDATA_ANY(ta);
	const char *pb = VARDATA_ANY(tb);
	int			la = VARSIZE_ANY_EXHDR(ta);
	int			lb = VARSIZE_ANY_EXHDR(tb);

	if (strip_common)
		cdp_strip_common_bytes(&pa, &la, &pb, &lb);
	cdp_decode(pa, la, a);
	cdp_decode(pb, lb, b);
}

static inline void
cdp_codepoints_free_pair(CdpCodePoints *a, CdpCodePoints *b)
{
	cdp_codepoints_free(a);
	cdp_codepoints_free(b);
}

/* a measure's SQL face: decode both arguments, measure, free */
typedef double (*CdpSimilarity) (const pg_wchar *a, int alen,
								 const pg_wchar *b, int blen);
typedef int (*CdpDistance) (const pg_wchar *a, int alen,
							const pg_wchar *b, int blen);

static inline double
cdp_similarity_of_texts(text *ta, text *tb, CdpSimilarity measure)
{
	CdpCodePoints a;
	CdpCodePoints b;
	double		s;

	cdp_decode_pair(ta, tb, false, &a, &b);
	s = measure(a.chars, a.len, b.chars, b.len);
	cdp_codepoints_free_pair(&a, &b);
	return s;
}

/* for edit distances only: the common prefix and suffix are dropped */
static inline int
cdp_distance_of_texts(text *ta, text *tb, CdpDistance distance)
{
	CdpCodePoints a;
	CdpCodePoints b;
	int			d;

	cdp_decode_pair(ta, tb, true, &a, &b);
	d = distance(a.chars, a.len, b.chars, b.len);
	cdp_codepoints_free_pair(&a, &b);
	return d;
}

/* Swap two strings if need be so that a is the shorter (the pattern). */
static inline void
cdp_shorter_first(const pg_wchar **a, int *alen, const pg_wchar **b, int *blen)
{
	if (*alen > *blen)
	{
		const pg_wchar *t = *a;
		int			tl = *alen;

		*a = *b;
		*alen = *blen;
		*b = t;
		*blen = tl;
	}
}

/* a substring (gram, token): where it starts and how many characters */
typedef struct CdpSpan
{
	const pg_wchar *start;
	int			len;
} CdpSpan;

/* order of spans by their characters, shorter first on a common prefix */
static inline int
cdp_span_compare(const void *x, const void *y)
{
	const CdpSpan *a = (const CdpSpan *) x;
	const CdpSpan *b = (const CdpSpan *) y;
	int			n = Min(a->len, b->len);
	int			i;

	for (i = 0; i < n; i++)
	{
		if (a->start[i] != b->start[i])
			return a->start[i] < b->start[i] ? -1 : 1;
	}
	return (a->len > b->len) - (a->len < b->len);
}

/*
 * Drop the common prefix and suffix of two strings (they change neither the
 * Levenshtein nor the OSA distance): *a and *b advance, the lengths shrink.
 */
static inline void
cdp_strip_common_affixes(const pg_wchar **a, int *alen,
						 const pg_wchar **b, int *blen)
{
	int			n = Min(*alen, *blen);
	int			p = 0;
	int			s = 0;

	while (p < n && (*a)[p] == (*b)[p])
		p++;
	n -= p;
	while (s < n && (*a)[*alen - 1 - s] == (*b)[*blen - 1 - s])
		s++;
	*a += p;
	*b += p;
	*alen -= p + s;
	*blen -= p + s;
}

/*
 * Levenshtein distance: the least number of single-character insertions,
 * deletions and substitutions that turn a into b.  Myers/Hyyrö bit-parallel
 * algorithm, one 64-bit word per 64 characters of the shorter string.
 */
extern int	cdp_levenshtein(const pg_wchar *a, int alen,
							const pg_wchar *b, int blen);

/*
 * Bounded Levenshtein: the distance when it is at most max, otherwise
 * max + 1 (computed early and cheaply: length difference, a diagonal band
 * of width max, a stop as soon as max cannot be reached).  max >= 0.
 */
extern int	cdp_levenshtein_le(const pg_wchar *a, int alen,
							   const pg_wchar *b, int blen, int max);

/*
 * Optimal string alignment distance (restricted Damerau-Levenshtein): as
 * Levenshtein, plus transpositions of two adjacent characters, where no
 * substring is edited more than once.  Hyyrö's bit-parallel algorithm.
 */
extern int	cdp_osa_distance(const pg_wchar *a, int alen,
							 const pg_wchar *b, int blen);

/*
 * Jaro similarity in [0, 1]; 0 when either string is empty.  Characters of
 * a are matched in order to the first unmatched equal character of b within
 * floor(max(alen, blen) / 2) - 1 positions; the argument order matters in
 * rare ties, as in the classic implementations.
 */
extern double cdp_jaro(const pg_wchar *a, int alen,
					   const pg_wchar *b, int blen);

/*
 * Jaro-Winkler similarity: jaro + l * prefix_scale * (1 - jaro) when jaro
 * is above threshold, l the length of the common prefix up to 4.  The
 * standard parameters are 0.1 and 0.7; prefix_scale must be in [0, 0.25]
 * for the result to stay in [0, 1] (the caller checks).
 */
extern double cdp_jaro_winkler(const pg_wchar *a, int alen,
							   const pg_wchar *b, int blen,
							   double prefix_scale, double threshold);

/*
 * n-gram set similarity: Dice 2|A∩B| / (|A| + |B|) and Jaccard
 * |A∩B| / |A∪B|, A and B the sets of distinct n-character substrings.  A
 * non-empty string shorter than n has one gram, itself.  0 when either
 * string is empty.  n >= 1.
 */
extern double cdp_ngram_dice(const pg_wchar *a, int alen,
							 const pg_wchar *b, int blen, int n);
extern double cdp_ngram_jaccard(const pg_wchar *a, int alen,
								const pg_wchar *b, int blen, int n);

/*
 * Token-set similarity (see the README for the exact definition): the
 * strings are split into case-folded tokens at white space and
 * punctuation; each token is scored against its best counterpart in the
 * other string with 1 - levenshtein / max length, and the scores of both
 * sides are averaged.  Word order and repeated tokens do not matter.
 */
extern double cdp_token_set_similarity(const pg_wchar *a, int alen,
									   const pg_wchar *b, int blen);

#endif							/* CDP_MATCH_SIMILARITY_H */
