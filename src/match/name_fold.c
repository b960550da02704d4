/*-------------------------------------------------------------------------
 *
 * name_fold.c
 *	  The folded form under which names are indexed and compared by the
 *	  name operators: a minimal name normaliser of the similarity layer's
 *	  own, to be replaced by cdp.normalize_name's C entry point once that
 *	  normaliser is merged (only cdp_name_fold changes then).
 *
 * Steps: NFKC with case folding (ICU's NFKC_Casefold: full-width Latin and
 * digits, half-width kana, compatibility characters, upper case); Latin
 * letters lose their accents (the base letter of the canonical
 * decomposition); hiragana become katakana; the variant kanji of the table
 * below become their common form; white space, punctuation (including the
 * katakana middle dot and hyphens) and control characters are dropped.
 * ASCII-only names take a fast path with the same result.
 *
 * src/match/name_fold.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "match/name_index.h"

/* old and variant kanji found in names, folded to the common form */
static const struct
{
	pg_wchar	from;
	pg_wchar	to;
}			variant_kanji[] =
{
	{0x51A8, 0x5BCC},			/* 冨 富 */
	{0x570B, 0x56FD},			/* 國 国 */
	{0x5713, 0x5186},			/* 圓 円 */
	{0x589E, 0x5897},			/* 增 増 */
	{0x5BE6, 0x5B9F},			/* 實 実 */
	{0x5D5C, 0x5D0E},			/* 嵜 崎 */
	{0x5D8B, 0x5CF6},			/* 嶋 島 */
	{0x5EE3, 0x5E83},			/* 廣 広 */
	{0x5FB7, 0x5FB3},			/* 德 徳 */
	{0x60E0, 0x6075},			/* 惠 恵 */
	{0x69AE, 0x6804},			/* 榮 栄 */
	{0x69C7, 0x69D9},			/* 槇 槙 */
	{0x6AFB, 0x685C},			/* 櫻 桜 */
	{0x6DFA, 0x6D45},			/* 淺 浅 */
	{0x6FA4, 0x6CA2},			/* 澤 沢 */
	{0x6FF1, 0x6D5C},			/* 濱 浜 */
	{0x7028, 0x702C},			/* 瀨 瀬 */
	{0x771E, 0x771F},			/* 眞 真 */
	{0x79AE, 0x793C},			/* 禮 礼 */
	{0x7A57, 0x7A42},			/* 穗 穂 */
	{0x9089, 0x8FBA},			/* 邉 辺 */
	{0x908A, 0x8FBA},			/* 邊 辺 */
	{0x95DC, 0x95A2},			/* 關 関 */
	{0x9AD9, 0x9AD8},			/* 髙 高 */
	{0x9F4A, 0x6589},			/* 齊 斉 */
	{0x9F4B, 0x658E},			/* 齋 斎 */
	{0xFA11, 0x5D0E},			/* 﨑 崎 */
	{0x20BB7, 0x5409},			/* 𠮷 吉 */
};

static const UNormalizer2 *nfkc_cf = NULL;
static const UNormalizer2 *nfd = NULL;

static void
open_normalizers(void)
{
	UErrorCode	status = U_ZERO_ERROR;

	nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
	if (U_SUCCESS(status))
		nfd = unorm2_getNFDInstance(&status);
	if (U_FAILURE(status))
	{
		nfkc_cf = NULL;
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not open the ICU normalizers: %s", u_errorName(status))));
	}
}

static pg_wchar
fold_variant(pg_wchar c)
{
	int			lo = 0;
	int			hi = lengthof(variant_kanji) - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (variant_kanji[mid].from == c)
			return variant_kanji[mid].to;
		if (variant_kanji[mid].from < c)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return c;
}

/* ASCII characters that are dropped: controls, space, punctuation (P*) */
static inline bool
ascii_dropped(pg_wchar c)
{
	return c <= ' ' || c == 127 || strchr("!\"#%&'()*,-./:;?@[\\]_{}", (int) c) != NULL;
}

/* fold one character of NFKC_Casefold's output; 0 when it is dropped */
static pg_wchar
fold_char(UChar32 c)
{
	if (c < 128)
		return ascii_dropped(c) ? 0 : c;
	if (u_isUWhiteSpace(c) || u_ispunct(c) || u_iscntrl(c))
		return 0;
	/* Latin with accents: the base letter of the canonical decomposition */
	if ((c >= 0x00C0 && c <= 0x024F) || (c >= 0x1E00 && c <= 0x1EFF))
	{
		UChar		dec[8];
		UErrorCode	status = U_ZERO_ERROR;
		int32_t		n = unorm2_getRawDecomposition(nfd, c, dec, lengthof(dec), &status);

		if (U_SUCCESS(status) && n > 0)
		{
			UChar32		base;
			int32_t		i = 0;

			U16_NEXT(dec, i, n, base);
			/* raw decompositions can nest (ǖ = ü + macron): go down */
			return fold_char(base);
		}
		return c;
	}
	/* hiragana (and its iteration marks) to katakana */
	if ((c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E)
		return c + 0x60;
	if (c >= 0x4E00)
		return fold_variant(c);
	return c;
}

void
cdp_name_fold(const char *s, int nbytes, CdpCodePoints *out)
{
	UChar		stack_src[CDP_CP_STACK];
	UChar		stack_dst[2 * CDP_CP_STACK];
	UChar	   *src = stack_src;
	UChar	   *dst = stack_dst;
	int32_t		srclen;
	int32_t		dstlen;
	int32_t		cap;
	UErrorCode	status = U_ZERO_ERROR;
	int			i,
				n;
	bool		ascii = true;

	for (i = 0; i < nbytes; i++)
	{
		if ((unsigned char) s[i] >= 0x80)
		{
			ascii = false;
			break;
		}
	}
	if (ascii || !cdp_database_is_utf8())
	{
		/* ASCII (or not Unicode): lower case, drop what is not kept */
		cdp_decode(s, nbytes, out);
		for (i = 0, n = 0; i < out->len; i++)
		{
			pg_wchar	c = out->chars[i];

			if (c < 128 && ascii_dropped(c))
				continue;
			out->chars[n++] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
		}
		out->len = n;
		return;
	}

	if (nfkc_cf == NULL)
		open_normalizers();

	/* UTF-8 to UTF-16: never more code units than bytes */
	if (nbytes > CDP_CP_STACK)
		src = palloc(sizeof(UChar) * nbytes);
	u_strFromUTF8(src, Max(nbytes, 1), &srclen, s, nbytes, &status);
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("could not convert a name to UTF-16: %s", u_errorName(status))));

	cap = (srclen <= CDP_CP_STACK) ? 2 * CDP_CP_STACK : 2 * srclen;
	if (cap > 2 * CDP_CP_STACK)
		dst = palloc(sizeof(UChar) * cap);
	dstlen = unorm2_normalize(nfkc_cf, src, srclen, dst, cap, &status);
	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		/* expansions such as U+337F: ask for what it needs */
		cap = dstlen;
		dst = (dst == stack_dst) ? palloc(sizeof(UChar) * cap) :
			repalloc(dst, sizeof(UChar) * cap);
		status = U_ZERO_ERROR;
		dstlen = unorm2_normalize(nfkc_cf, src, srclen, dst, cap, &status);
	}
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not normalize a name: %s", u_errorName(status))));

	/* UTF-16 to folded code points: never more than UTF-16 units */
	out->chars = (dstlen <= CDP_CP_STACK) ? out->local : palloc(sizeof(pg_wchar) * Max(dstlen, 1));
	n = 0;
	i = 0;
	while (i < dstlen)
	{
		UChar32		c;
		pg_wchar	f;

		U16_NEXT(dst, i, dstlen, c);
		f = fold_char(c);
		if (f != 0)
			out->chars[n++] = f;
	}
	out->len = n;
	if (src != stack_src)
		pfree(src);
	if (dst != stack_dst)
		pfree(dst);
}
