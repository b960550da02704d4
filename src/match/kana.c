/*-------------------------------------------------------------------------
 *
 * kana.c
 *	  cdp.kana_key(text): a phonetic key of a kana reading, so that
 *	  ヤマダ タロウ, やまだたろう, ﾔﾏﾀﾞ ﾀﾛｳ and ヤマダ タロー are equal.
 *
 * After NFKC_Casefold (half-width kana to full-width, voicing marks
 * composed) the folding is code-point arithmetic on katakana:
 *	- hiragana to katakana;
 *	- ヴァ ヴィ ヴェ ヴォ to バ ビ ベ ボ, ヴ to ブ, ヷ ヸ ヹ ヺ to バ ビ ベ ボ;
 *	- ヽ and ヾ repeat the kana before them (ヾ voiced);
 *	- small kana to full size (ァ ア, ッ ツ, ャ ヤ, ヮ ワ, ヵ カ, ヶ ケ, ㇰ ク ...);
 *	- ヂ to ジ, ヅ to ズ, ヲ to オ, ヰ to イ, ヱ to エ;
 *	- vowel length: ー, and a vowel kana that lengthens the kana before it
 *	  (ア after an a-sound, イ after i, ウ after u, エ or イ after e, オ or ウ
 *	  after o) are dropped, so タロウ, タロー, タロオ and タロ are one key;
 *	- separators (white space, ・, punctuation) and apostrophes are removed;
 *	  a hyphen after kana is a long vowel mark;
 *	- other characters are kept as cdp.normalize_name folds them.
 *
 * The key is for equality and blocking; it is not a reading to show.
 *
 * src/match/kana.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/normalize.h"

#define KATA_FIRST 0x30A1		/* ァ */
#define KATA_LAST 0x30FA		/* ヺ */
#define LONG_MARK 0x30FC		/* ー */

/* the vowel of each katakana ァ..ヺ; '-' for ン */
static const char kana_vowels[] =
"aaiiuueeoo"					/* ァアィイゥウェエォオ */
"aaiiuueeoo"					/* カガキギクグケゲコゴ */
"aaiiuueeoo"					/* サザシジスズセゼソゾ */
"aaiiuuueeoo"					/* タダチヂッツヅテデトド */
"aiueo"							/* ナニヌネノ */
"aaaiiiuuueeeooo"				/* ハバパヒビピフブプヘベペホボポ */
"aiueo"							/* マミムメモ */
"aauuoo"						/* ャヤュユョヨ */
"aiueo"							/* ラリルレロ */
"aaieo"							/* ヮワヰヱヲ */
"-"								/* ン */
"uaeaieo";						/* ヴヵヶヷヸヹヺ */

StaticAssertDecl(sizeof(kana_vowels) - 1 == KATA_LAST - KATA_FIRST + 1,
				 "one vowel per katakana");

/* large forms of the small katakana of the phonetic extensions ㇰ..ㇿ */
static const pg_wchar small_extension_large[16] = {
	0x30AF, 0x30B7, 0x30B9, 0x30C8, 0x30CC, 0x30CF, 0x30D2, 0x30D5,
	0x30D8, 0x30DB, 0x30E0, 0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED
};

static inline char
kana_vowel(pg_wchar c)
{
	if (c >= KATA_FIRST && c <= KATA_LAST)
		return kana_vowels[c - KATA_FIRST];
	return '\0';
}

/* the voiced form of a katakana (カ ガ, ツ ヅ, ハ バ, ウ ヴ), or c */
static pg_wchar
kana_voiced(pg_wchar c)
{
	if (c >= 0x30AB && c <= 0x30C1)
		return ((c - 0x30AB) % 2 == 0) ? c + 1 : c;
	if (c == 0x30C4 || c == 0x30C6 || c == 0x30C8)
		return c + 1;
	if (c >= 0x30CF && c <= 0x30DD)
		return ((c - 0x30CF) % 3 == 0) ? c + 1 : c;
	if (c == 0x30A6)
		return 0x30F4;
	return c;
}

/*
 * Fold one katakana to its key form (small to large, ヂ ジ, ヅ ズ, ヲ オ,
 * ヰ イ, ヱ エ, ヴ ブ and its row).
 */
static pg_wchar
kana_fold(pg_wchar c)
{
	switch (c)
	{
		case 0x30A1:			/* ァ ィ ゥ ェ ォ ッ ャ ュ ョ ヮ */
		case 0x30A3:
		case 0x30A5:
		case 0x30A7:
		case 0x30A9:
		case 0x30C3:
		case 0x30E3:
		case 0x30E5:
		case 0x30E7:
		case 0x30EE:
			return c + 1;
		case 0x30F5:			/* ヵ */
			return 0x30AB;
		case 0x30F6:			/* ヶ */
			return 0x30B1;
		case 0x30C2:			/* ヂ */
			return 0x30B8;
		case 0x30C5:			/* ヅ */
			return 0x30BA;
		case 0x30F2:			/* ヲ */
			return 0x30AA;
		case 0x30F0:			/* ヰ */
			return 0x30A4;
		case 0x30F1:			/* ヱ */
			return 0x30A8;
		case 0x30F4:			/* ヴ */
			return 0x30D6;
		case 0x30F7:			/* ヷ */
			return 0x30D0;
		case 0x30F8:			/* ヸ */
			return 0x30D3;
		case 0x30F9:			/* ヹ */
			return 0x30D9;
		case 0x30FA:			/* ヺ */
			return 0x30DC;
		default:
			if (c >= 0x31F0 && c <= 0x31FF)
				return small_extension_large[c - 0x31F0];
			return c;
	}
}

/* true if vowel kana c only lengthens a kana whose vowel is v */
static inline bool
lengthens(char v, pg_wchar c)
{
	switch (c)
	{
		case 0x30A2:			/* ア */
			return v == 'a';
		case 0x30A4:			/* イ */
			return v == 'i' || v == 'e';
		case 0x30A6:			/* ウ */
			return v == 'u' || v == 'o';
		case 0x30A8:			/* エ */
			return v == 'e';
		case 0x30AA:			/* オ */
			return v == 'o';
		default:
			return false;
	}
}

/* the key of codes into out (room for 4 bytes per code point); its length */
static int
kana_key_codes(const pg_wchar *codes, int n, char *out)
{
	char	   *p = out;
	pg_wchar	last = 0;		/* last kana written, 0 if the last was not kana */
	int			i;

	for (i = 0; i < n; i++)
	{
		pg_wchar	c = cdp_hiragana_to_katakana(codes[i]);
		char		latin[3];
		int			nlatin;

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();
		if (c == 0x30FD || c == 0x30FE)
		{
			/* ヽ ヾ: iteration marks */
			if (last == 0)
				continue;
			c = (c == 0x30FE) ? kana_voiced(last) : last;
		}
		else if (c == 0x30F4 && i + 1 < n)
		{
			/* ヴァ ヴィ ヴェ ヴォ */
			pg_wchar	next = cdp_hiragana_to_katakana(codes[i + 1]);

			if (next == 0x30A1 || next == 0x30A3 || next == 0x30A7 || next == 0x30A9)
			{
				c = (next == 0x30A1) ? 0x30D0 : (next == 0x30A3) ? 0x30D3 :
					(next == 0x30A7) ? 0x30D9 : 0x30DC;
				i++;
			}
		}

		if (c == LONG_MARK || (cdp_is_hyphen(c) && last != 0))
			continue;			/* a long vowel */
		if ((c >= KATA_FIRST && c <= KATA_LAST) || (c >= 0x31F0 && c <= 0x31FF))
		{
			c = kana_fold(c);
			if (last != 0 && lengthens(kana_vowel(last), c))
				continue;
			p = cdp_put_utf8(p, c);
			last = c;
			continue;
		}

		/* not kana: separators vanish (the key ignores spacing), letters stay */
		if (c < 0x80)
		{
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			{
				*p++ = (char) c;
				last = 0;
			}
			continue;
		}
		if (cdp_is_kanji(c))
			p = cdp_put_utf8(p, cdp_kanji_standard(c));
		else if ((nlatin = cdp_latin_fold(c, latin)) > 0)
		{
			memcpy(p, latin, nlatin);
			p += nlatin;
		}
		else if (!(cdp_is_separator(c) || cdp_is_hyphen(c) ||
				   cdp_is_apostrophe(c) || cdp_is_dropped_mark(c)))
			p = cdp_put_utf8(p, c);
		else
			continue;
		last = 0;
	}
	return p - out;
}

void
cdp_kana_key(const char *str, int len, StringInfo out)
{
	cdp_fold_write(str, len, kana_key_codes, out);
}

PG_FUNCTION_INFO_V1(cdp_kana_key_sql);

/* cdp.kana_key(text) RETURNS text */
Datum
cdp_kana_key_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cdp_fold_write_text(VARDATA_ANY(arg),
										 VARSIZE_ANY_EXHDR(arg), kana_key_codes));
}
