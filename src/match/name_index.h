/*-------------------------------------------------------------------------
 *
 * name_index.h
 *	  Candidate search on names: the folded form a name is indexed by, its
 *	  grams, the similarity that the operators %~ and <~> use, and the
 *	  GiST key that stores gram signatures.
 *
 * A name is folded: cdp.normalize_name (normalize.h: NFKC with case
 * folding, accents, kana, variant kanji, separators) without the spaces it
 * keeps between Latin words.  It is then described by its grams
 * (name_ngrams.c): the bigrams of the folded form with a start and an end
 * mark ("^" and "$", code points 1 and 2); the unigrams of characters from
 * U+3040 up (kana, kanji, hangul), so that two- to four-character Japanese
 * names share enough grams to be found; and the start trigram ("^" and the
 * first two characters), which weighs the start of a name a little more,
 * where errors are rarest (Winkler's observation behind Jaro-Winkler).
 * The name similarity is the Dice coefficient of the two gram sets.  The GiST index stores 32-bit
 * hashes of the grams (name_gist.c); every bound it computes from them is
 * an upper bound of the true similarity, and rows are rechecked.
 *
 * src/match/name_index.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_MATCH_NAME_INDEX_H
#define CDP_MATCH_NAME_INDEX_H

#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"

#include "match/similarity.h"

/* cdp.similarity_threshold: the least name similarity that %~ accepts */
extern double cdp_similarity_threshold;

/* the gram marks: before the first and after the last character */
#define CDP_GRAM_START 1
#define CDP_GRAM_END 2

/* the first character that also counts as a unigram (hiragana onwards) */
#define CDP_UNIGRAM_FROM 0x3040

/* the key of the start trigram: this bit, then the two characters */
#define CDP_GRAM_PREFIX_FLAG (UINT64CONST(1) << 63)

/*
 * Fold a name for indexing: the code points of cdp_normalize_name's result
 * without spaces.  The result goes into out as cdp_decode() does (free it
 * with cdp_codepoints_free).
 */
extern void cdp_name_fold(const char *s, int nbytes, CdpCodePoints *out);

/*
 * The distinct grams of a folded name as sorted 64-bit keys: a unigram is
 * its character, a bigram its two characters (32 bits each), the start
 * trigram CDP_GRAM_PREFIX_FLAG | first << 31 | second.  keys needs room for
 * cdp_name_gram_capacity(len) entries; returns the count.
 */
#define cdp_name_gram_capacity(len) (2 * (len) + 3)
extern int	cdp_name_grams(const pg_wchar *f, int len, uint64 *keys);

/* the 32-bit hash under which the index stores a gram */
static inline uint32
cdp_gram_hash(uint64 key)
{
	key ^= key >> 33;
	key *= UINT64CONST(0xff51afd7ed558ccd);
	key ^= key >> 33;
	key *= UINT64CONST(0xc4ceb9fe1a85ec53);
	key ^= key >> 33;
	return (uint32) key;
}

/*
 * A name's grams, ready for comparison: sorted distinct keys.  The query
 * side of the operators and of the index is built once per scan or call
 * site and cached in fn_extra.
 */
typedef struct CdpNameGrams
{
	int			ngrams;
	uint64	   *keys;			/* ngrams sorted keys */
	uint32	   *hashes;			/* cdp_gram_hash of each key, same order */
} CdpNameGrams;

/* the grams of a text value, cached in flinfo->fn_extra while it repeats */
extern CdpNameGrams *cdp_name_grams_cached(FmgrInfo *flinfo, text *query);

/* Dice similarity of two sorted key arrays */
extern double cdp_gram_dice(const uint64 *a, int na, const uint64 *b, int nb);

#endif							/* CDP_MATCH_NAME_INDEX_H */
