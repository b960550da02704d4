/*-------------------------------------------------------------------------
 *
 * normalize_name.c
 *	  cdp.normalize_name(text): the form of a personal name that matching
 *	  compares, for Latin and Japanese names alike.
 *
 * The rules, in order (the README repeats them for users):
 *	- NFKC with case folding (ICU NFKC_Casefold): full-width Latin and
 *	  digits to ASCII, half-width kana to full-width, ß to ss, compatibility
 *	  ideographs to their unified form, variation selectors dropped;
 *	- Latin letters with diacritics and ligatures to ASCII (é e, ø o, æ ae);
 *	- hiragana to katakana;
 *	- old and variant kanji to their common form (kanji_variants.c);
 *	- apostrophes removed (O'Brien obrien);
 *	- a hyphen or dash right after a katakana letter or ー becomes ー (a long
 *	  vowel typed as a hyphen); any other hyphen is a separator;
 *	- separators (white space including U+3000, punctuation such as ・, ·,
 *	  commas and periods, symbols, control characters) become one space,
 *	  which is dropped at both ends and between two Japanese characters
 *	  (Japanese names are written without spaces: 山田 太郎 is 山田太郎);
 *	- leftover combining diacritics are dropped.
 *
 * Pure ASCII input, the common case for Western names, takes a byte loop
 * that needs no ICU call and no code-point buffer.
 *
 * src/match/normalize_name.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/normalize.h"

/*
 * Fold ASCII input into out (room for len bytes); returns the length.
 * Letters and digits are kept (lower case), apostrophes and backquotes
 * removed, everything else separates.
 */
static int
name_ascii(const char *str, int len, char *out)
{
	char	   *p = out;
	bool		pending = false;
	int			i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) str[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
		{
			if (c != '\'' && c != '`')
				pending = true;
			continue;
		}
		if (pending && p > out)
			*p++ = ' ';
		pending = false;
		*p++ = (char) c;
	}
	return p - out;
}

/*
 * Fold code points (NFKC_Casefold already applied) into out, which has room
 * for 4 bytes per code point; returns the length.
 */
static int
name_codes(const pg_wchar *codes, int n, char *out)
{
	char	   *p = out;
	pg_wchar	last = 0;		/* last code point written, 0 at start */
	bool		pending = false;
	int			i;

	for (i = 0; i < n; i++)
	{
		pg_wchar	c = codes[i];
		char		latin[3];
		int			nlatin = 0;

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();

		if (c < 0x80)
		{
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			{
				if (c == '-' && (cdp_is_katakana_letter(last) || last == 0x30FC) && !pending)
					c = 0x30FC;
				else
				{
					if (c != '\'' && c != '`')
						pending = true;
					continue;
				}
			}
		}
		else
		{
			c = cdp_hiragana_to_katakana(c);
			if (cdp_is_kanji(c))
				c = cdp_kanji_standard(c);
			else if ((nlatin = cdp_latin_fold(c, latin)) > 0)
				 /* written below */ ;
			else if (cdp_is_hyphen(c))
			{
				if ((cdp_is_katakana_letter(last) || last == 0x30FC) && !pending)
					c = 0x30FC;
				else
				{
					pending = true;
					continue;
				}
			}
			else if (cdp_is_apostrophe(c) || cdp_is_dropped_mark(c))
				continue;
			else if (cdp_is_separator(c))
			{
				pending = true;
				continue;
			}
		}

		if (pending && p > out && !(cdp_is_japanese(last) && cdp_is_japanese(c)))
			*p++ = ' ';
		pending = false;
		if (nlatin > 0)
		{
			*p++ = latin[0];
			if (nlatin > 1)
				*p++ = latin[1];
			last = (pg_wchar) (unsigned char) latin[nlatin - 1];
		}
		else
		{
			p = cdp_put_utf8(p, c);
			last = c;
		}
	}
	return p - out;
}

void
cdp_normalize_name(const char *str, int len, StringInfo out)
{
	if (!cdp_is_ascii(str, len))
	{
		cdp_fold_write(str, len, name_codes, out);
		return;
	}
	enlargeStringInfo(out, len);
	out->len += name_ascii(str, len, out->data + out->len);
	out->data[out->len] = '\0';
}

PG_FUNCTION_INFO_V1(cdp_normalize_name_sql);

/* cdp.normalize_name(text) RETURNS text */
Datum
cdp_normalize_name_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	const char *str = VARDATA_ANY(arg);
	int			len = VARSIZE_ANY_EXHDR(arg);
	text	   *result;

	if (!cdp_is_ascii(str, len))
		PG_RETURN_TEXT_P(cdp_fold_write_text(str, len, name_codes));
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + name_ascii(str, len, VARDATA(result)));
	PG_RETURN_TEXT_P(result);
}
