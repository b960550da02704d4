/*-------------------------------------------------------------------------
 *
 * normalize.h
 *	  Normalisers of the matching layer: names, kana readings, romaji,
 *	  Double Metaphone, e-mail addresses, phone numbers, addresses and postal
 *	  codes, and the shared Unicode folding they are built on.
 *
 * Every normaliser has a C entry point here so that other parts of cdp
 * (identity resolution, the n-gram index) call it without going through
 * fmgr.  The entry points take UTF-8 bytes with an explicit length (the
 * input need not be NUL-terminated) and append their result to a
 * caller-supplied StringInfo, so a caller that normalises many values can
 * reuse one buffer (resetStringInfo between values).  The name and reading
 * normalisers allocate nothing else per call: their intermediate buffers are
 * kept per backend (values over 64K characters use the current memory
 * context instead); the address normaliser and Double Metaphone of long
 * values allocate a working buffer per call.  None is re-entrant with
 * respect to the shared fold buffer (see cdp_fold_text), which only matters
 * to code that adds new normalisers.
 *
 * Normalisers of values that can be invalid (e-mail, phone, postal code)
 * come in a "try" form that returns false and a reason instead of raising
 * an error, so that a batch can skip junk values; the SQL functions raise
 * 22P02 with that reason.
 *
 * The database encoding must be UTF8 for non-ASCII input (checked, error
 * 22021 otherwise).
 *
 * src/match/normalize.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDP_MATCH_NORMALIZE_H
#define CDP_MATCH_NORMALIZE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

/* ------------------------------------------------------------------------
 * Names and readings (normalize_name.c, kana.c, romaji.c, metaphone.c)
 * ---------------------------------------------------------------------- */

/*
 * cdp.normalize_name: NFKC with case folding, Latin accents folded,
 * hiragana to katakana, old/variant kanji to their common form, separators
 * (white space and punctuation) to one space, dropped between two Japanese
 * characters and at both ends.  The README lists every rule.  The result is
 * at most 4 bytes per code point of the NFKC case-folded input.
 */
extern void cdp_normalize_name(const char *str, int len, StringInfo out);

/*
 * cdp.kana_key: a katakana key of a kana reading that folds small kana,
 * long vowels and vowel-length spellings, ヴ/ブ, ヂ/ジ, ヅ/ズ, ヲ/オ, ヰ/イ,
 * ヱ/エ; separators are removed, other characters kept as normalize_name
 * folds them.
 */
extern void cdp_kana_key(const char *str, int len, StringInfo out);

/*
 * cdp.to_romaji: kana to Hepburn romaji in lower-case ASCII (シ shi, チ chi,
 * ツ tsu, フ fu, ジ ji, ン n or n' before a vowel or y, ッ doubles the next
 * consonant, ー repeats the vowel); separators become one space; other
 * characters are kept as normalize_name folds them.
 */
extern void cdp_to_romaji(const char *str, int len, StringInfo out);

/*
 * cdp.romaji_key: kana or romaji to a key that folds Kunrei/Nihon-shiki to
 * Hepburn spellings and long-vowel spellings (ou, oo, oh, uu, ee, ei, ...)
 * to one vowel, without separators.
 */
extern void cdp_romaji_key(const char *str, int len, StringInfo out);

/*
 * cdp.double_metaphone: the primary and alternate Double Metaphone codes
 * (at most CDP_METAPHONE_MAX characters each, NUL-terminated) of a Western
 * name.  Letters are folded as normalize_name folds them; characters that
 * are not Latin letters separate words.
 */
#define CDP_METAPHONE_MAX 4
extern void cdp_double_metaphone(const char *str, int len,
								 char primary[CDP_METAPHONE_MAX + 1],
								 char alternate[CDP_METAPHONE_MAX + 1]);

/* ------------------------------------------------------------------------
 * Identifiers (email.c, phone.c, default_region.c)
 * ---------------------------------------------------------------------- */

/*
 * Normalise an e-mail address: NFKC, trim, lower-case, IDN domain to ASCII
 * (UTS #46); with provider_rules also Gmail dots and +tags and +tags of the
 * providers known to support them.  Returns false (and sets *reason to a
 * static English sentence) if str is not an address.
 */
extern bool cdp_try_normalize_email(const char *str, int len,
									bool provider_rules, StringInfo out,
									const char **reason);

/* the region cdp.default_region names, upper case ("JP") */
extern const char *cdp_default_region(void);

/* true if region (any case) is a region the phone and postal rules know */
extern bool cdp_region_supported(const char *region);

/*
 * Normalise a phone number to E.164 digits, returned as a packed int64 (see
 * cdp_phone_pack).  region is an upper-case code that cdp_region_supported
 * accepts; it applies to numbers written without '+'.  Returns false and
 * sets *reason if str cannot be a phone number.
 */
extern bool cdp_try_parse_phone(const char *str, int len, const char *region,
								int64 *packed, const char **reason);

/* the same, appending the E.164 text ('+819012345678') to out */
extern bool cdp_try_normalize_phone(const char *str, int len, const char *region,
									StringInfo out, const char **reason);

/*
 * Normalise a value of an identifier kind that has a normaliser here:
 * "email" (with provider rules) and "phone" (E.164 under
 * cdp.default_region), appending it to out.  Identity resolution and the
 * erasure tombstones both key identifiers this way, so that they agree.
 */
typedef enum CdpIdentifierNormalization
{
	CDP_IDENTIFIER_NORMALIZED,	/* out holds the value */
	CDP_IDENTIFIER_REFUSED,		/* *reason says why */
	CDP_IDENTIFIER_OTHER_KIND	/* no normaliser for this kind */
} CdpIdentifierNormalization;

extern CdpIdentifierNormalization cdp_try_normalize_identifier(const char *kind, int kind_len,
															   const char *str, int len,
															   StringInfo out,
															   const char **reason);

/*
 * The region argument of a SQL function, upper case: NULL means
 * cdp.default_region; an unsupported region is an error (22023).
 */
extern const char *cdp_region_argument(text *region);

/*
 * A phone number is kept as an int64 whose order is the order of the E.164
 * digit strings: the digits, padded with zeros to 15, times 16, plus the
 * number of digits.
 */
#define CDP_PHONE_MAX_DIGITS 15
extern int64 cdp_phone_pack(const char *digits, int ndigits);
/* writes '+' and the digits, NUL-terminated; buf needs 17 bytes */
extern int	cdp_phone_format(int64 packed, char *buf);

/* ------------------------------------------------------------------------
 * Addresses (address.c, postal_code.c)
 * ---------------------------------------------------------------------- */

/*
 * cdp.normalize_address: Japanese block numbers in hyphen form (1丁目2番3号
 * to 1-2-3, kanji numerals before 丁目/番/番地/号 to digits), ヶ/ケ/が/ガ
 * and の/ノ/之 between kanji folded, white space dropped next to Japanese,
 * Western street words abbreviated (street to st, apartment to apt, ...).
 */
extern void cdp_normalize_address(const char *str, int len, StringInfo out);

/*
 * Normalise a postal code of region (upper case): JP '100-0001', US '12345'
 * or '12345-6789', CA 'K1A 0B1', GB 'SW1A 1AA'.  Returns false and sets
 * *reason if str is not a postal code of that region.
 */
extern bool cdp_try_normalize_postal_code(const char *str, int len,
										  const char *region, StringInfo out,
										  const char **reason);

/* ------------------------------------------------------------------------
 * Shared Unicode folding (unicode_fold.c, kanji_variants.c)
 * ---------------------------------------------------------------------- */

/*
 * NFKC with case folding (ICU's NFKC_Casefold, which also drops default
 * ignorables such as variation selectors) of UTF-8 input, as code points.
 * Pure ASCII input takes a fast path (ASCII lower-casing).  The result lives
 * in a per-backend buffer (or, for very long input, in the current memory
 * context) and is valid until the next call; the caller may overwrite it.
 */
extern pg_wchar *cdp_fold_text(const char *str, int len, int *ncodes);

/*
 * A key writer: folded code points (cdp_fold_text) in, at most 4 bytes per
 * code point out; returns the length written.  cdp_fold_write() appends the
 * key of str to out, cdp_fold_write_text() returns the key of a text datum.
 */
typedef int (*CdpFoldWriter) (const pg_wchar *codes, int n, char *out);
extern void cdp_fold_write(const char *str, int len, CdpFoldWriter writer,
						   StringInfo out);
extern text *cdp_fold_write_text(const char *str, int len,
								 CdpFoldWriter writer);

/* true if every byte is ASCII */
extern bool cdp_is_ascii(const char *str, int len);

/*
 * The ASCII letters (lower case, at most 2, NUL-terminated in out[3]) that
 * a Latin letter with a diacritic or a ligature folds to (é e, ø o, æ ae,
 * þ th, ...); returns 0 if c is not such a letter.
 */
extern int	cdp_latin_fold(pg_wchar c, char *out);

/* The common form of an old or variant kanji, or c itself. */
extern pg_wchar cdp_kanji_standard(pg_wchar c);

/*
 * A rejected value as an error message shows it: the value itself, or its
 * first 100 bytes (cut at a character boundary) and its length (palloc'd).
 */
extern char *cdp_error_value(const char *str, int len);

/* Raise 22021 unless the database encoding is UTF8 (non-ASCII input). */
extern void cdp_require_utf8(void);

/* ------------------------------------------------------------------------
 * Character classes shared by the normalisers
 * ---------------------------------------------------------------------- */

/* hiragana (ぁ..ゖ, ゝ, ゞ) to katakana, everything else unchanged */
static inline pg_wchar
cdp_hiragana_to_katakana(pg_wchar c)
{
	if ((c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E)
		return c + 0x60;
	return c;
}

/* katakana letters ァ..ヺ (not ・ or ー) */
static inline bool
cdp_is_katakana_letter(pg_wchar c)
{
	return c >= 0x30A1 && c <= 0x30FA;
}

/* kanji: CJK unified ideographs, extensions, compatibility ideographs */
static inline bool
cdp_is_kanji(pg_wchar c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
		(c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* characters written without spaces between them: kana, kanji, 々 〆 〇 */
static inline bool
cdp_is_japanese(pg_wchar c)
{
	return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3041 && c <= 0x30FF) ||
		(c >= 0x31F0 && c <= 0x31FF) || cdp_is_kanji(c);
}

/* hyphens and dashes (the ASCII one included) */
static inline bool
cdp_is_hyphen(pg_wchar c)
{
	return c == 0x2D || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 ||
		c == 0x2E3A || c == 0x2E3B || c == 0x30A0 || c == 0xFE58 ||
		c == 0xFE63 || c == 0xFF0D;
}

/* apostrophes and the marks typed for them: removed inside names */
static inline bool
cdp_is_apostrophe(pg_wchar c)
{
	return c == 0x27 || c == 0x60 || c == 0xB4 || c == 0x2018 ||
		c == 0x2019 || c == 0x02BC || c == 0x2032 || c == 0xFF07;
}

/*
 * Separators: white space, punctuation, symbols and control characters
 * (Unicode categories Z*, P*, S*, Cc), hyphens and apostrophes excluded.
 * Defined in unicode_fold.c; ASCII is answered without ICU.
 */
extern bool cdp_is_separator(pg_wchar c);

/* combining marks that are dropped after folding: Latin diacritics, kana voicing marks left over */
static inline bool
cdp_is_dropped_mark(pg_wchar c)
{
	return (c >= 0x0300 && c <= 0x036F) || c == 0x3099 || c == 0x309A;
}

/* append one code point as UTF-8 to a buffer with room for it */
static inline char *
cdp_put_utf8(char *p, pg_wchar c)
{
	if (c < 0x80)
		*p++ = (char) c;
	else if (c < 0x800)
	{
		*p++ = (char) (0xC0 | (c >> 6));
		*p++ = (char) (0x80 | (c & 0x3F));
	}
	else if (c < 0x10000)
	{
		*p++ = (char) (0xE0 | (c >> 12));
		*p++ = (char) (0x80 | ((c >> 6) & 0x3F));
		*p++ = (char) (0x80 | (c & 0x3F));
	}
	else
	{
		*p++ = (char) (0xF0 | (c >> 18));
		*p++ = (char) (0x80 | ((c >> 12) & 0x3F));
		*p++ = (char) (0x80 | ((c >> 6) & 0x3F));
		*p++ = (char) (0x80 | (c & 0x3F));
	}
	return p;
}

#endif							/* CDP_MATCH_NORMALIZE_H */
