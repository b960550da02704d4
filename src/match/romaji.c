/*-------------------------------------------------------------------------
 *
 * romaji.c
 *	  cdp.to_romaji(text): kana to Hepburn romaji, and cdp.romaji_key(text):
 *	  a key on which 'Satou', 'Sato', 'Satoh', 'SATO' and サトウ meet.
 *
 * Transliteration uses a table of our own rather than ICU's
 * Hiragana-Latin transliterator: the table gives plain ASCII Hepburn
 * (シ shi, チ chi, ツ tsu, フ fu, ジ ヂ ji, ヅ zu, ン n, n' before a vowel or
 * y, ッ doubling the next consonant, ッチ tch), writes the kana as they are
 * spelled (おう ou, ー repeats the vowel) and costs a table lookup per kana,
 * where the transliterator costs microseconds per call (see the README for
 * the measurement).  Long vowels are folded by romaji_key, not here.
 *
 * romaji_key works on the romaji of its input (so kana and romaji meet):
 *	- only letters and digits count (spaces, apostrophes, hyphens go);
 *	- Kunrei and Nihon-shiki spellings to Hepburn: si shi, ti chi, tu tsu,
 *	  hu fu, zi di ji, du zu, sy sh, ty ch, zy jy dy j, cch tch; v to b;
 *	- m before b, m or p to n (Namba nanba);
 *	- h after a vowel and before a consonant or the end is a long-vowel
 *	  spelling and goes (Satoh, Ohno);
 *	- vowel length: aa, ii, uu, ee, oo, ou and ei fold to the first vowel.
 *
 * src/match/romaji.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "match/normalize.h"

#define KATA_FIRST 0x30A1		/* ァ */
#define KATA_LAST 0x30FA		/* ヺ */
#define SOKUON 0x30C3			/* ッ */
#define HATSUON 0x30F3			/* ン */
#define LONG_MARK 0x30FC		/* ー */

/* Hepburn romaji of each katakana ァ..ヺ (small vowels and ャュョ alone) */
static const char *const kana_romaji[KATA_LAST - KATA_FIRST + 1] = {
	"a", "a", "i", "i", "u", "u", "e", "e", "o", "o",	/* ァ..オ */
	"ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go",
	"sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo",
	"ta", "da", "chi", "ji", "", "tsu", "zu", "te", "de", "to", "do",
	"na", "ni", "nu", "ne", "no",
	"ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu",
	"he", "be", "pe", "ho", "bo", "po",
	"ma", "mi", "mu", "me", "mo",
	"ya", "ya", "yu", "yu", "yo", "yo",
	"ra", "ri", "ru", "re", "ro",
	"wa", "wa", "i", "e", "o", "n",
	"vu", "ka", "ke", "va", "vi", "ve", "vo"
};

static inline bool
is_small_vowel(pg_wchar c)
{
	return c == 0x30A1 || c == 0x30A3 || c == 0x30A5 || c == 0x30A7 || c == 0x30A9;
}

static inline bool
is_small_y(pg_wchar c)
{
	return c == 0x30E3 || c == 0x30E5 || c == 0x30E7;
}

static inline bool
is_vowel(char c)
{
	return c == 'a' || c == 'i' || c == 'u' || c == 'e' || c == 'o';
}

/*
 * Romaji of the syllable of katakana c at codes[*i], consuming a following
 * small kana that belongs to it; writes it NUL-terminated to syl (8 bytes).
 */
static void
syllable(pg_wchar c, const pg_wchar *codes, int n, int *i, char *syl)
{
	pg_wchar	next = (*i + 1 < n) ? cdp_hiragana_to_katakana(codes[*i + 1]) : 0;
	const char *base = kana_romaji[c - KATA_FIRST];
	int			blen = strlen(base);

	strcpy(syl, base);
	if (blen < 2 || !(is_small_y(next) || is_small_vowel(next)))
		return;

	if (is_small_y(next))
	{
		const char *v = (next == 0x30E3) ? "a" : (next == 0x30E5) ? "u" : "o";

		if (base[blen - 1] != 'i' && base[blen - 1] != 'e' && base[blen - 1] != 'u')
			return;
		/* キャ kya, シャ sha, チャ cha, ジャ ja; テュ tyu, フュ fyu, ヴュ vyu */
		syl[blen - 1] = '\0';
		if (!(strcmp(syl, "sh") == 0 || strcmp(syl, "ch") == 0 || strcmp(syl, "j") == 0))
			strcat(syl, "y");
		strcat(syl, v);
	}
	else
	{
		char		v = kana_romaji[next - KATA_FIRST][0];

		/* ファ fa, ティ ti, トゥ tu, ツァ tsa, シェ she, ヴァ va, クァ kwa */
		if (c == 0x30AF || c == 0x30B0)
		{
			syl[1] = 'w';
			syl[2] = v;
			syl[3] = '\0';
		}
		else
			syl[blen - 1] = v;
	}
	(*i)++;
}

/*
 * Romaji of codes (NFKC_Casefold applied) into out, which has room for 4
 * bytes per code point; returns the length.
 */
static int
romaji_codes(const pg_wchar *codes, int n, char *out)
{
	char	   *p = out;
	bool		pending_space = false;
	bool		sokuon = false;
	bool		hatsuon = false;
	char		last_vowel = '\0';
	pg_wchar	last_kana = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		pg_wchar	c = cdp_hiragana_to_katakana(codes[i]);
		char		syl[8];
		char		latin[3];
		int			nlatin;

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();
		if (c == 0x30FD || c == 0x30FE)
		{
			/* ヽ ヾ repeat the kana before them, ヾ voiced (カ ガ, ハ バ) */
			if (last_kana == 0)
				continue;
			c = last_kana;
			if (codes[i] == 0x30FE || codes[i] == 0x309E)
			{
				if ((c >= 0x30AB && c <= 0x30C1 && (c - 0x30AB) % 2 == 0) ||
					c == 0x30C4 || c == 0x30C6 || c == 0x30C8 ||
					(c >= 0x30CF && c <= 0x30DD && (c - 0x30CF) % 3 == 0))
					c++;
			}
		}
		if (c >= KATA_FIRST && c <= KATA_LAST)
			last_kana = c;
		else if (c != LONG_MARK)
			last_kana = 0;

		if (c == SOKUON)
		{
			sokuon = true;
			continue;
		}
		if (c == LONG_MARK || (cdp_is_hyphen(c) && last_vowel != '\0' && !pending_space))
		{
			if (last_vowel != '\0')
				*p++ = last_vowel;
			continue;
		}

		if (c >= KATA_FIRST && c <= KATA_LAST)
		{
			if (c == 0x30A6 && i + 1 < n && is_small_vowel(cdp_hiragana_to_katakana(codes[i + 1])))
			{
				/* ウィ wi, ウェ we, ウォ wo */
				syl[0] = 'w';
				syl[1] = kana_romaji[cdp_hiragana_to_katakana(codes[i + 1]) - KATA_FIRST][0];
				syl[2] = '\0';
				i++;
			}
			else if (c == 0x30A4 && i + 1 < n && cdp_hiragana_to_katakana(codes[i + 1]) == 0x30A7)
			{
				strcpy(syl, "ye");	/* イェ */
				i++;
			}
			else
				syllable(c, codes, n, &i, syl);
		}
		else
		{
			/* not kana: a pending ッ or ン is written as it stands */
			if (hatsuon)
				*p++ = 'n';
			hatsuon = false;
			sokuon = false;
			last_vowel = '\0';
			if (c < 0x80)
			{
				if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				{
					if (pending_space && p > out)
						*p++ = ' ';
					pending_space = false;
					*p++ = (char) c;
				}
				else if (c != '\'' && c != '`')
					pending_space = true;
				continue;
			}
			if (cdp_is_separator(c) || cdp_is_hyphen(c))
			{
				pending_space = true;
				continue;
			}
			if (cdp_is_apostrophe(c) || cdp_is_dropped_mark(c))
				continue;
			if (pending_space && p > out)
				*p++ = ' ';
			pending_space = false;
			if ((nlatin = cdp_latin_fold(c, latin)) > 0)
			{
				memcpy(p, latin, nlatin);
				p += nlatin;
			}
			else
				p = cdp_put_utf8(p, cdp_is_kanji(c) ? cdp_kanji_standard(c) : c);
			continue;
		}

		if (pending_space && p > out)
			*p++ = ' ';
		pending_space = false;

		if (c == HATSUON)
		{
			if (hatsuon)
				*p++ = 'n';
			hatsuon = true;
			sokuon = false;
			last_vowel = '\0';
			continue;
		}
		if (hatsuon)
		{
			*p++ = 'n';
			if (is_vowel(syl[0]) || syl[0] == 'y')
				*p++ = '\'';
			hatsuon = false;
		}
		if (sokuon && syl[0] != '\0' && !is_vowel(syl[0]))
			*p++ = (syl[0] == 'c') ? 't' : syl[0];
		sokuon = false;
		strcpy(p, syl);
		p += strlen(syl);
		if (syl[0] != '\0')
			last_vowel = syl[strlen(syl) - 1];
	}
	if (hatsuon)
		*p++ = 'n';
	return p - out;
}

void
cdp_to_romaji(const char *str, int len, StringInfo out)
{
	cdp_fold_write(str, len, romaji_codes, out);
}

PG_FUNCTION_INFO_V1(cdp_to_romaji_sql);

/* cdp.to_romaji(text) RETURNS text */
Datum
cdp_to_romaji_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cdp_fold_write_text(VARDATA_ANY(arg),
										 VARSIZE_ANY_EXHDR(arg), romaji_codes));
}

/*
 * The key of romaji (as romaji_codes writes it; compacted in place) into
 * out, which has room for ROMAJI_KEY_ROOM(len) bytes; returns the length.
 */
static int
romaji_key_bytes(char *src, int len, char *out)
{
	char	   *p = out;
	int			n = 0;
	int			i;

	/* keep letters, digits and non-ASCII bytes */
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) src[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
			src[n++] = (char) c;
	}

	for (i = 0; i < n; i++)
	{
		char		c = src[i];
		char		c1 = (i + 1 < n) ? src[i + 1] : '\0';
		char		c2 = (i + 2 < n) ? src[i + 2] : '\0';
		char		prev = (p > out) ? p[-1] : '\0';

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();

		/* Kunrei and Nihon-shiki spellings to Hepburn */
		if (c == 's' && c1 == 'y' && is_vowel(c2))
		{
			*p++ = 's';
			*p++ = 'h';
			i++;
			continue;
		}
		if (c == 't' && c1 == 'y' && is_vowel(c2))
		{
			*p++ = 'c';
			*p++ = 'h';
			i++;
			continue;
		}
		if ((c == 'z' || c == 'j' || c == 'd') && c1 == 'y' && is_vowel(c2))
		{
			*p++ = 'j';
			i++;
			continue;
		}
		if (c == 's' && c1 == 'i')
		{
			*p++ = 's';
			*p++ = 'h';
			continue;
		}
		if (c == 't' && c1 == 'i')
		{
			*p++ = 'c';
			*p++ = 'h';
			continue;
		}
		if (c == 't' && c1 == 'u')
		{
			*p++ = 't';
			*p++ = 's';
			continue;
		}
		if (c == 'h' && c1 == 'u' && prev != 's' && prev != 'c')
		{
			*p++ = 'f';
			continue;
		}
		if ((c == 'z' || c == 'd') && c1 == 'i')
		{
			*p++ = 'j';
			continue;
		}
		if (c == 'd' && c1 == 'u')
		{
			*p++ = 'z';
			continue;
		}
		if (c == 'c' && c1 == 'c' && c2 == 'h')
		{
			*p++ = 't';
			continue;
		}
		if (c == 'v')
		{
			*p++ = 'b';
			continue;
		}
		/* v is written b below, so mv is mb: both give nb (idempotent) */
		if (c == 'm' && (c1 == 'b' || c1 == 'p' || c1 == 'm' || c1 == 'v'))
		{
			*p++ = 'n';
			continue;
		}
		/* h spelling a long vowel: Satoh, Ohno */
		if (c == 'h' && is_vowel(prev) && !is_vowel(c1) && c1 != 'y')
			continue;
		/* vowel length */
		if (is_vowel(c) && is_vowel(prev) &&
			(c == prev || (prev == 'o' && c == 'u') || (prev == 'e' && c == 'i')))
			continue;
		*p++ = c;
	}
	return p - out;
}

/*
 * A key can be longer than its romaji: the Kunrei spellings si, ti and tu
 * become shi, chi and tsu, three bytes for two; the others keep or shrink
 * their length.
 */
#define ROMAJI_KEY_ROOM(len) ((len) + (len) / 2 + 1)

/* per-backend buffer for the romaji that a key is made from */
static StringInfo romaji_scratch = NULL;

static StringInfo
scratch(void)
{
	if (romaji_scratch == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		romaji_scratch = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(romaji_scratch);
	return romaji_scratch;
}

void
cdp_romaji_key(const char *str, int len, StringInfo out)
{
	StringInfo	rom = scratch();

	cdp_to_romaji(str, len, rom);
	enlargeStringInfo(out, ROMAJI_KEY_ROOM(rom->len));
	out->len += romaji_key_bytes(rom->data, rom->len, out->data + out->len);
	out->data[out->len] = '\0';
	if (rom->maxlen > 65536)
	{
		pfree(romaji_scratch->data);
		pfree(romaji_scratch);
		romaji_scratch = NULL;
	}
}

PG_FUNCTION_INFO_V1(cdp_romaji_key_sql);

/* cdp.romaji_key(text) RETURNS text */
Datum
cdp_romaji_key_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	StringInfo	rom = scratch();
	text	   *result;
	int			outlen;

	cdp_to_romaji(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), rom);
	result = palloc(VARHDRSZ + ROMAJI_KEY_ROOM(rom->len));
	outlen = romaji_key_bytes(rom->data, rom->len, VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + outlen);
	if (rom->maxlen > 65536)
	{
		pfree(romaji_scratch->data);
		pfree(romaji_scratch);
		romaji_scratch = NULL;
	}
	PG_RETURN_TEXT_P(result);
}
