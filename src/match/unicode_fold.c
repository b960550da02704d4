/*-------------------------------------------------------------------------
 *
 * unicode_fold.c
 *	  The Unicode folding every normaliser starts from: NFKC with case
 *	  folding through ICU, Latin accent folding and the separator class.
 *
 * ICU's normaliser instances are process-wide singletons that cost nothing
 * to look up after the first call; the UTF-16 and code-point buffers are
 * kept per backend in TopMemoryContext so that a call allocates nothing.
 * Input longer than CDP_FOLD_CACHED_MAX code units is folded in buffers of
 * the current memory context instead, so one huge value does not pin its
 * buffers for the life of the backend.
 *
 * src/match/unicode_fold.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "match/normalize.h"

#define CDP_FOLD_CACHED_MAX 65536

static const UNormalizer2 *nfkc_cf = NULL;

static UChar *cached_in = NULL;
static UChar *cached_out = NULL;
static pg_wchar *cached_codes = NULL;
static int32 cached_cap = 0;	/* code units (and code points) of each */

/* Latin-1 Supplement to Latin Extended-B, and Latin Extended Additional */
#define LATIN_A_FIRST 0x00C0
#define LATIN_A_LAST 0x024F
#define LATIN_B_FIRST 0x1E00
#define LATIN_B_LAST 0x1EFF
#define LATIN_A_SIZE (LATIN_A_LAST - LATIN_A_FIRST + 1)
#define LATIN_B_SIZE (LATIN_B_LAST - LATIN_B_FIRST + 1)

static bool latin_ready = false;
static char latin_table[LATIN_A_SIZE + LATIN_B_SIZE][3];

/*
 * Letters without a canonical decomposition that a name matcher still
 * folds: stroke and bar letters, ligatures, Icelandic and Old English
 * letters.
 */
static const struct
{
	pg_wchar	code;
	const char *ascii;
}			latin_specials[] =
{
	{0x00C6, "ae"}, {0x00E6, "ae"},	/* Æ æ */
	{0x00D0, "d"}, {0x00F0, "d"},	/* Ð ð */
	{0x00D8, "o"}, {0x00F8, "o"},	/* Ø ø */
	{0x00DE, "th"}, {0x00FE, "th"},	/* Þ þ */
	{0x00DF, "ss"},				/* ß */
	{0x0110, "d"}, {0x0111, "d"},	/* Đ đ */
	{0x0126, "h"}, {0x0127, "h"},	/* Ħ ħ */
	{0x0131, "i"},				/* ı */
	{0x0138, "k"},				/* ĸ */
	{0x0141, "l"}, {0x0142, "l"},	/* Ł ł */
	{0x0152, "oe"}, {0x0153, "oe"},	/* Œ œ */
	{0x0166, "t"}, {0x0167, "t"},	/* Ŧ ŧ */
	{0x0180, "b"},				/* ƀ */
	{0x0192, "f"},				/* ƒ */
	{0x01E4, "g"}, {0x01E5, "g"},	/* Ǥ ǥ */
	{0x1E9E, "ss"},				/* ẞ */
};

static void
fold_init(void)
{
	UErrorCode	status = U_ZERO_ERROR;

	nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not open the ICU NFKC_Casefold normaliser: %s",
						u_errorName(status))));
}

/* Make sure the cached buffers hold cap code units each. */
static void
reserve_cached(int32 cap)
{
	if (cap <= cached_cap)
		return;
	if (cap < 256)
		cap = 256;
	else if (cap < CDP_FOLD_CACHED_MAX)
		cap = Min(CDP_FOLD_CACHED_MAX, (cap / 256 + 1) * 256 * 2);
	if (cached_in)
	{
		pfree(cached_in);
		pfree(cached_out);
		pfree(cached_codes);
		cached_in = NULL;
		cached_out = NULL;
		cached_codes = NULL;
		cached_cap = 0;
	}
	cached_in = MemoryContextAlloc(TopMemoryContext, cap * sizeof(UChar));
	cached_out = MemoryContextAlloc(TopMemoryContext, cap * sizeof(UChar));
	cached_codes = MemoryContextAlloc(TopMemoryContext, cap * sizeof(pg_wchar));
	cached_cap = cap;
}

bool
cdp_is_ascii(const char *str, int len)
{
	const unsigned char *s = (const unsigned char *) str;
	int			i = 0;

	for (; i + 8 <= len; i += 8)
	{
		uint64		w;

		memcpy(&w, s + i, 8);
		if (w & UINT64CONST(0x8080808080808080))
			return false;
	}
	for (; i < len; i++)
		if (s[i] & 0x80)
			return false;
	return true;
}

void
cdp_require_utf8(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("cdp normalisers need a UTF8 database for non-ASCII text"),
				 errdetail("The database encoding is %s.", GetDatabaseEncodingName())));
}

pg_wchar *
cdp_fold_text(const char *str, int len, int *ncodes)
{
	UChar	   *in;
	UChar	   *out;
	pg_wchar   *codes;
	int32		inlen;
	int32		outlen;
	int32		outcap;
	int32		n;
	int32		i;
	UErrorCode	status = U_ZERO_ERROR;

	if (cdp_is_ascii(str, len))
	{
		if (len + 1 > cached_cap && len + 1 <= CDP_FOLD_CACHED_MAX)
			reserve_cached(len + 1);
		codes = (len + 1 <= cached_cap) ? cached_codes :
			palloc((len + 1) * sizeof(pg_wchar));
		for (i = 0; i < len; i++)
		{
			unsigned char c = (unsigned char) str[i];

			codes[i] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
		}
		*ncodes = len;
		return codes;
	}

	cdp_require_utf8();
	if (nfkc_cf == NULL)
		fold_init();

	/* UTF-16 needs at most one code unit per UTF-8 byte */
	if (len + 1 > cached_cap && len + 1 <= CDP_FOLD_CACHED_MAX)
		reserve_cached(len + 1);
	if (len + 1 <= cached_cap)
	{
		in = cached_in;
		out = cached_out;
		outcap = cached_cap;
	}
	else
	{
		in = palloc((len + 1) * sizeof(UChar));
		outcap = len + 1;
		out = palloc(outcap * sizeof(UChar));
	}

	u_strFromUTF8(in, len + 1, &inlen, str, len, &status);
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid UTF-8 in text to normalise: %s", u_errorName(status))));

	outlen = unorm2_normalize(nfkc_cf, in, inlen, out, outcap, &status);
	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		/* NFKC can expand (ligatures, squared words): fold into a new buffer */
		status = U_ZERO_ERROR;
		outcap = outlen + 1;
		out = palloc(outcap * sizeof(UChar));
		outlen = unorm2_normalize(nfkc_cf, in, inlen, out, outcap, &status);
	}
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("ICU normalisation failed: %s", u_errorName(status))));

	codes = (outlen + 1 <= cached_cap) ? cached_codes :
		palloc((outlen + 1) * sizeof(pg_wchar));
	n = 0;
	for (i = 0; i < outlen;)
	{
		UChar32		c;

		U16_NEXT(out, i, outlen, c);
		codes[n++] = (pg_wchar) c;
	}
	*ncodes = n;
	return codes;
}

void
cdp_fold_write(const char *str, int len, CdpFoldWriter writer, StringInfo out)
{
	pg_wchar   *codes;
	int			n;

	codes = cdp_fold_text(str, len, &n);
	enlargeStringInfo(out, 4 * n);
	out->len += writer(codes, n, out->data + out->len);
	out->data[out->len] = '\0';
}

text *
cdp_fold_write_text(const char *str, int len, CdpFoldWriter writer)
{
	pg_wchar   *codes;
	int			n;
	text	   *result;

	codes = cdp_fold_text(str, len, &n);
	result = palloc(VARHDRSZ + 4 * (Size) n);
	SET_VARSIZE(result, VARHDRSZ + writer(codes, n, VARDATA(result)));
	return result;
}

static void
latin_init(void)
{
	const UNormalizer2 *nfd;
	UErrorCode	status = U_ZERO_ERROR;
	int			i;

	nfd = unorm2_getNFDInstance(&status);
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not open the ICU NFD normaliser: %s", u_errorName(status))));

	memset(latin_table, 0, sizeof(latin_table));
	for (i = 0; i < LATIN_A_SIZE + LATIN_B_SIZE; i++)
	{
		UChar32		c = (i < LATIN_A_SIZE) ? LATIN_A_FIRST + i :
			LATIN_B_FIRST + (i - LATIN_A_SIZE);
		UChar		src[2];
		UChar		dec[8];
		int32		declen;
		int32		j;
		bool		marks_only = true;

		src[0] = (UChar) c;
		status = U_ZERO_ERROR;
		declen = unorm2_normalize(nfd, src, 1, dec, lengthof(dec), &status);
		if (U_FAILURE(status) || declen < 2 || dec[0] >= 0x80 ||
			!((dec[0] >= 'a' && dec[0] <= 'z') || (dec[0] >= 'A' && dec[0] <= 'Z')))
			continue;
		for (j = 1; j < declen; j++)
			if (dec[j] < 0x0300 || dec[j] > 0x036F)
				marks_only = false;
		if (!marks_only)
			continue;
		latin_table[i][0] = (char) ((dec[0] >= 'A' && dec[0] <= 'Z') ? dec[0] + 32 : dec[0]);
	}
	for (i = 0; i < lengthof(latin_specials); i++)
	{
		pg_wchar	c = latin_specials[i].code;
		int			slot = (c <= LATIN_A_LAST) ? c - LATIN_A_FIRST :
			LATIN_A_SIZE + (c - LATIN_B_FIRST);

		strlcpy(latin_table[slot], latin_specials[i].ascii, 3);
	}
	latin_ready = true;
}

int
cdp_latin_fold(pg_wchar c, char *out)
{
	int			slot;

	if (c >= LATIN_A_FIRST && c <= LATIN_A_LAST)
		slot = c - LATIN_A_FIRST;
	else if (c >= LATIN_B_FIRST && c <= LATIN_B_LAST)
		slot = LATIN_A_SIZE + (c - LATIN_B_FIRST);
	else
		return 0;
	if (!latin_ready)
		latin_init();
	if (latin_table[slot][0] == '\0')
		return 0;
	out[0] = latin_table[slot][0];
	out[1] = latin_table[slot][1];
	out[2] = '\0';
	return out[1] ? 2 : 1;
}

bool
cdp_is_separator(pg_wchar c)
{
	int8		type;

	if (c < 0x80)
		return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '-' || c == '\'' || c == '`');
	if (cdp_is_hyphen(c) || cdp_is_apostrophe(c))
		return false;
	if (c == 0x30FB)			/* katakana middle dot ・ */
		return true;
	if (cdp_is_japanese(c))
		return false;
	type = u_charType((UChar32) c);
	switch (type)
	{
		case U_SPACE_SEPARATOR:
		case U_LINE_SEPARATOR:
		case U_PARAGRAPH_SEPARATOR:
		case U_CONTROL_CHAR:
		case U_DASH_PUNCTUATION:
		case U_START_PUNCTUATION:
		case U_END_PUNCTUATION:
		case U_CONNECTOR_PUNCTUATION:
		case U_OTHER_PUNCTUATION:
		case U_INITIAL_PUNCTUATION:
		case U_FINAL_PUNCTUATION:
		case U_MATH_SYMBOL:
		case U_CURRENCY_SYMBOL:
		case U_MODIFIER_SYMBOL:
		case U_OTHER_SYMBOL:
			return true;
		default:
			return false;
	}
}
