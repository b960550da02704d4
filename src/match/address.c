/*-------------------------------------------------------------------------
 *
 * address.c
 *	  cdp.normalize_address(text): a postal address in the form matching
 *	  compares, Japanese first, with the common Western abbreviations.
 *
 * The rules, after NFKC with case folding (full-width digits and letters
 * to ASCII, half-width kana to full-width, Latin lower case):
 *	- kanji numerals are written as digits where they number a block:
 *	  before 丁目, 番, 番地, 号, 条, 線 or a hyphen and a number, and after
 *	  one of these unless a kanji follows (一丁目 1, 二十三番 23, 百五 105,
 *	  三〇二号室 302号室); elsewhere they are part of a name and stay
 *	  (四谷, 千代田, 六本木, 一番町); runs longer than 8 always stay;
 *	- 丁目, 番, 番地 and 号 after a number, の or ノ between numbers, and
 *	  hyphens, dashes, minus signs and ー between numbers become '-'; a
 *	  trailing one goes (1丁目2番3号 1-2-3, 1丁目 1, 2番地の3 2-3);
 *	  番 and 号 followed by another kanji stay (一番町, 3号館, 1号線);
 *	- ヶ ケ が ガ ヵ between two kanji become ケ (霞が関 霞ケ関), の ノ 之
 *	  between two kanji become ノ (虎の門 虎ノ門);
 *	- old and variant kanji to their common form, as in names (宮﨑 宮崎);
 *	- white space, commas, periods, 、 。 and ・ separate: one space between
 *	  two non-Japanese characters, nothing next to Japanese; a period
 *	  between two letters goes (P.O. po);
 *	- Western words abbreviated: street st, avenue ave, road rd, apartment
 *	  apt, suite ste, north n ... (the table below); Latin accents folded.
 *
 * src/match/address.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "match/normalize.h"

#define C_CHOU 0x4E01			/* 丁 */
#define C_ME 0x76EE				/* 目 */
#define C_BAN 0x756A			/* 番 */
#define C_CHI 0x5730			/* 地 */
#define C_GOU 0x53F7			/* 号 */
#define C_JOU 0x6761			/* 条 */
#define C_SEN 0x7DDA			/* 線 */
#define H_NO 0x306E				/* の */
#define K_NO 0x30CE				/* ノ */
#define C_NO 0x4E4B				/* 之 */
#define K_KE 0x30B1				/* ケ */
#define LONG_MARK 0x30FC		/* ー */

/* Western street words and their abbreviations */
static const struct
{
	const char *word;
	const char *abbrev;
}			street_words[] =
{
	{"alley", "aly"}, {"apartment", "apt"}, {"apartments", "apt"},
	{"av", "ave"}, {"avenue", "ave"}, {"boulevard", "blvd"},
	{"building", "bldg"}, {"circle", "cir"}, {"court", "ct"},
	{"crescent", "cres"}, {"department", "dept"}, {"drive", "dr"},
	{"east", "e"}, {"expressway", "expy"}, {"floor", "fl"}, {"fort", "ft"},
	{"freeway", "fwy"}, {"gardens", "gdns"}, {"heights", "hts"},
	{"highway", "hwy"}, {"junction", "jct"}, {"lane", "ln"}, {"mount", "mt"},
	{"north", "n"}, {"northeast", "ne"}, {"northwest", "nw"},
	{"parkway", "pkwy"}, {"place", "pl"}, {"point", "pt"}, {"road", "rd"},
	{"room", "rm"}, {"route", "rte"}, {"south", "s"}, {"southeast", "se"},
	{"southwest", "sw"}, {"square", "sq"}, {"street", "st"}, {"suite", "ste"},
	{"terrace", "ter"}, {"trail", "trl"}, {"west", "w"}
};

static const char *
abbreviation(const char *word, int len)
{
	int			lo = 0;
	int			hi = lengthof(street_words) - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			r = strncmp(street_words[mid].word, word, len);

		if (r == 0 && street_words[mid].word[len] != '\0')
			r = 1;
		if (r == 0)
			return street_words[mid].abbrev;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* value of a kanji numeral: 0-9, or 10, 100, 1000 for 十 百 千; -1 if none */
static int
numeral_value(pg_wchar c)
{
	switch (c)
	{
		case 0x3007:			/* 〇 */
		case 0x96F6:			/* 零 */
			return 0;
		case 0x4E00:
			return 1;
		case 0x4E8C:
			return 2;
		case 0x4E09:
			return 3;
		case 0x56DB:
			return 4;
		case 0x4E94:
			return 5;
		case 0x516D:
			return 6;
		case 0x4E03:
			return 7;
		case 0x516B:
			return 8;
		case 0x4E5D:
			return 9;
		case 0x5341:
			return 10;
		case 0x767E:
			return 100;
		case 0x5343:
			return 1000;
		default:
			return -1;
	}
}

static inline bool
is_numeral(pg_wchar c)
{
	return numeral_value(c) >= 0;
}

static inline bool
is_digit_or_numeral(pg_wchar c)
{
	return (c >= '0' && c <= '9') || is_numeral(c);
}

static inline bool
is_space(pg_wchar c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* index of the first non-space at or after i */
static int
skip_spaces(const pg_wchar *codes, int n, int i)
{
	while (i < n && is_space(codes[i]))
		i++;
	return i;
}

static inline pg_wchar
code_at(const pg_wchar *codes, int n, int i)
{
	return (i >= 0 && i < n) ? codes[i] : 0;
}

/* may a block marker be followed by c (not by another kanji: 一番町, 3号館) */
static inline bool
block_follows(pg_wchar c)
{
	return !cdp_is_kanji(c) || is_numeral(c);
}

/* length of a block marker (丁目, 番地, 番, 号) at i, or 0 */
static int
marker_at(const pg_wchar *codes, int n, int i)
{
	pg_wchar	c = codes[i];
	pg_wchar	next = code_at(codes, n, i + 1);

	if (c == C_CHOU && next == C_ME)
		return 2;
	if (c == C_BAN && next == C_CHI)
		return 2;
	if ((c == C_BAN || c == C_GOU) && block_follows(next))
		return 1;
	return 0;
}

/* a hyphen between numbers: hyphens, dashes, minus, ー, の, ノ */
static inline bool
is_block_hyphen(pg_wchar c)
{
	return cdp_is_hyphen(c) || c == LONG_MARK || c == H_NO || c == K_NO;
}

/* write the value of the kanji numerals codes[i..j) as digits */
static pg_wchar *
put_numeral(const pg_wchar *codes, int i, int j, pg_wchar *w)
{
	bool		positional = true;
	int			k;
	char		digits[32];
	int			nd;

	for (k = i; k < j; k++)
		if (numeral_value(codes[k]) >= 10)
			positional = false;
	if (positional)
	{
		for (k = i; k < j; k++)
			*w++ = '0' + numeral_value(codes[k]);
		return w;
	}
	else
	{
		long		total = 0;
		long		cur = 0;

		for (k = i; k < j; k++)
		{
			int			v = numeral_value(codes[k]);

			if (v >= 10)
			{
				total += (cur == 0 ? 1 : cur) * v;
				cur = 0;
			}
			else
				cur = cur * 10 + v;
		}
		total += cur;
		nd = snprintf(digits, sizeof(digits), "%ld", total);
		for (k = 0; k < nd; k++)
			*w++ = digits[k];
		return w;
	}
}

/*
 * First pass: block numbers, ヶ/の variants, kanji variants, hyphens.
 * Writes code points to w (room for 4 per input code point); returns the
 * count.
 */
static int
address_blocks(const pg_wchar *codes, int n, pg_wchar *out)
{
	pg_wchar   *w = out;
	bool		after_number = false;
	bool		pending_hyphen = false;
	int			i = 0;

	while (i < n)
	{
		pg_wchar	c = codes[i];
		pg_wchar	prev = (w > out) ? w[-1] : 0;
		int			j;
		int			m;

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();

		if (c >= '0' && c <= '9')
		{
			if (pending_hyphen)
				*w++ = '-';
			pending_hyphen = false;
			for (j = i; j < n && codes[j] >= '0' && codes[j] <= '9'; j++)
				*w++ = codes[j];
			after_number = true;
			i = j;
			continue;
		}
		if (is_numeral(c))
		{
			bool		numeric;
			int			k;

			for (j = i; j < n && is_numeral(codes[j]); j++)
				;
			/* block numbers are short; a long run is text, not a number */
			numeric = pending_hyphen && j - i <= 8 && block_follows(code_at(codes, n, j));
			k = skip_spaces(codes, n, j);
			if (!numeric && j - i <= 8 && k < n)
			{
				pg_wchar	next = codes[k];

				numeric = marker_at(codes, n, k) > 0 || next == C_GOU ||
					next == C_JOU || next == C_SEN ||
					(is_block_hyphen(next) &&
					 is_digit_or_numeral(code_at(codes, n, skip_spaces(codes, n, k + 1))));
			}
			if (numeric)
			{
				if (pending_hyphen)
					*w++ = '-';
				w = put_numeral(codes, i, j, w);
				after_number = true;
			}
			else
			{
				for (k = i; k < j; k++)
					*w++ = codes[k];
				after_number = false;
			}
			pending_hyphen = false;
			i = j;
			continue;
		}
		if (after_number || pending_hyphen)
		{
			int			k = skip_spaces(codes, n, i);

			if (after_number && k < n && (m = marker_at(codes, n, k)) > 0)
			{
				/* 丁目, 番, 番地, 号; "の" after it (2番地の3) goes with it */
				pending_hyphen = true;
				after_number = false;
				i = k + m;
				k = skip_spaces(codes, n, i);
				if (k < n && (codes[k] == H_NO || codes[k] == K_NO) &&
					is_digit_or_numeral(code_at(codes, n, k + 1)))
					i = k + 1;
				continue;
			}
			if (after_number && k < n && is_block_hyphen(codes[k]) &&
				is_digit_or_numeral(code_at(codes, n, skip_spaces(codes, n, k + 1))))
			{
				pending_hyphen = true;
				after_number = false;
				i = skip_spaces(codes, n, k + 1);
				continue;
			}
			if (pending_hyphen && k < n && is_digit_or_numeral(codes[k]))
			{
				i = k;
				continue;
			}
		}
		/* anything else ends a block number; a trailing marker is dropped */
		after_number = false;
		pending_hyphen = false;

		if ((c == 0x30F6 || c == K_KE || c == 0x304C || c == 0x30AC || c == 0x30F5) &&
			cdp_is_kanji(prev) && cdp_is_kanji(code_at(codes, n, i + 1)))
			c = K_KE;			/* 霞が関 霞ケ関 */
		else if ((c == H_NO || c == K_NO || c == C_NO) &&
				 cdp_is_kanji(prev) && cdp_is_kanji(code_at(codes, n, i + 1)))
			c = K_NO;			/* 虎の門 虎ノ門 */
		else if (cdp_is_kanji(c))
			c = cdp_kanji_standard(c);
		else if (cdp_is_hyphen(c))
			c = '-';
		*w++ = c;
		i++;
	}
	return w - out;
}

/* separators of address parts */
static inline bool
is_address_separator(pg_wchar c)
{
	return is_space(c) || c == ',' || c == '.' || c == 0x3001 || c == 0x3002 ||
		c == 0x30FB || c == 0x2028 || c == 0x2029;
}

static inline bool
is_ascii_letter(pg_wchar c)
{
	return c >= 'a' && c <= 'z';
}

/*
 * Second pass: separators, Western abbreviations, accents; UTF-8 into out
 * (room for 4 bytes per code point); returns the length.
 */
static int
address_words(const pg_wchar *codes, int n, char *out)
{
	char	   *p = out;
	pg_wchar	last = 0;
	bool		pending = false;
	int			i = 0;

	while (i < n)
	{
		pg_wchar	c = codes[i];
		char		latin[3];
		int			nlatin;

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();
		if (is_address_separator(c))
		{
			/* a period inside a word (P.O.) is dropped, not a separator */
			if (!(c == '.' && is_ascii_letter(last) && !pending &&
				  is_ascii_letter(code_at(codes, n, i + 1))))
				pending = true;
			i++;
			continue;
		}
		if (pending && p > out && !cdp_is_japanese(last) && !cdp_is_japanese(c))
			*p++ = ' ';
		pending = false;

		if (is_ascii_letter(c))
		{
			char		word[16];
			int			len = 0;
			int			j;
			const char *abbrev;

			for (j = i; j < n && is_ascii_letter(codes[j]); j++)
				if (len < (int) sizeof(word))
					word[len++] = (char) codes[j];
			/* a word that goes on after a dropped period (p.o.) is not abbreviated */
			abbrev = (j - i == len && code_at(codes, n, j) != '.') ?
				abbreviation(word, len) : NULL;
			if (abbrev == NULL && len <= 3 && code_at(codes, n, j) == '.' &&
				!is_ascii_letter(code_at(codes, n, j + 1)))
				abbrev = abbreviation(word, len);	/* "st." "ave." */
			if (abbrev)
			{
				strcpy(p, abbrev);
				p += strlen(abbrev);
			}
			else
				for (; i < j; i++)
					*p++ = (char) codes[i];
			i = j;
			last = (pg_wchar) (unsigned char) p[-1];
			continue;
		}
		if ((nlatin = cdp_latin_fold(c, latin)) > 0)
		{
			memcpy(p, latin, nlatin);
			p += nlatin;
			last = (pg_wchar) (unsigned char) latin[nlatin - 1];
		}
		else if (!cdp_is_dropped_mark(c))
		{
			p = cdp_put_utf8(p, c);
			last = c;
		}
		i++;
	}
	return p - out;
}

void
cdp_normalize_address(const char *str, int len, StringInfo out)
{
	pg_wchar   *codes;
	pg_wchar   *blocks;
	int			n;
	int			nb;

	codes = cdp_fold_text(str, len, &n);
	blocks = palloc((4 * (Size) n + 1) * sizeof(pg_wchar));
	nb = address_blocks(codes, n, blocks);
	enlargeStringInfo(out, 4 * nb + 1);
	out->len += address_words(blocks, nb, out->data + out->len);
	out->data[out->len] = '\0';
	pfree(blocks);
}

PG_FUNCTION_INFO_V1(cdp_normalize_address_sql);

/* cdp.normalize_address(text) RETURNS text */
Datum
cdp_normalize_address_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	StringInfoData out;

	initStringInfo(&out);
	cdp_normalize_address(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), &out);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
