/*-------------------------------------------------------------------------
 *
 * metaphone.c
 *	  cdp.double_metaphone(text): the primary and alternate Double
 *	  Metaphone codes of a Western name.
 *
 * Written for cdp from Lawrence Philips' published description of Double
 * Metaphone ("The Double Metaphone Search Algorithm", C/C++ Users Journal,
 * June 2000): the English rules with the exceptions for Germanic, Slavic,
 * Romance, Greek and Chinese names, codes of at most four characters
 * ('0' is the th-sound, 'X' sh and ch, 'J' the j-sound, 'A' a leading
 * vowel).
 *
 * The input is folded as cdp.normalize_name folds Latin text (NFKC, case,
 * diacritics: é e, ø o, ß ss), except that ç is kept as the S sound it
 * stands for.  Characters that are not Latin letters become single spaces
 * between words (the rules for "VAN ", "VON ", "SAN " look at them); the
 * whole value is coded as one name, as in the original.
 *
 * src/match/metaphone.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "match/normalize.h"

/* the word as the rules see it: upper case, spaces between words */
typedef struct DmWord
{
	const char *s;
	int			length;
	int			last;
	bool		slavo_germanic;
	char		primary[CDP_METAPHONE_MAX + 1];
	char		alternate[CDP_METAPHONE_MAX + 1];
	int			plen;
	int			alen;
} DmWord;

#define CEDILLA '\x01'			/* ç, which the rules read as S */

/* the letter at pos; past the end a space, as in the original's padding */
static inline char
at(const DmWord *w, int pos)
{
	if (pos < 0)
		return '\0';
	return (pos < w->length) ? w->s[pos] : ' ';
}

static inline bool
is_vowel_at(const DmWord *w, int pos)
{
	char		c = at(w, pos);

	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
}

/*
 * True if one of the strings (all of length len, NULL-terminated list)
 * starts at pos.  Positions past the end read as spaces, as in the
 * original's padded buffer, so "IER " matches at the end of the name.
 */
static bool
starts(const DmWord *w, int pos, int len,...)
{
	va_list		args;
	const char *cand;
	bool		found = false;

	if (pos < 0)
		return false;
	va_start(args, len);
	while ((cand = va_arg(args, const char *)) != NULL)
	{
		int			i;

		for (i = 0; i < len; i++)
		{
			char		c = (pos + i < w->length) ? w->s[pos + i] : ' ';

			if (c != cand[i])
				break;
		}
		if (i == len)
		{
			found = true;
			break;
		}
	}
	va_end(args);
	return found;
}

#define STARTS(w, pos, len, ...) starts(w, pos, len, __VA_ARGS__, (const char *) NULL)

static void
add2(DmWord *w, const char *primary, const char *alternate)
{
	for (; *primary && w->plen < CDP_METAPHONE_MAX; primary++)
		w->primary[w->plen++] = *primary;
	for (; *alternate && w->alen < CDP_METAPHONE_MAX; alternate++)
		w->alternate[w->alen++] = *alternate;
}

static inline void
add(DmWord *w, const char *code)
{
	add2(w, code, code);
}

/* the rules for C at pos; returns the next position */
static int
rule_c(DmWord *w, int pos)
{
	/* Germanic "ach" as in bacher, macher, but not "achi", "ache" */
	if (pos > 1 && !is_vowel_at(w, pos - 2) && STARTS(w, pos - 1, 3, "ACH") &&
		at(w, pos + 2) != 'I' &&
		(at(w, pos + 2) != 'E' || STARTS(w, pos - 2, 6, "BACHER", "MACHER")))
	{
		add(w, "K");
		return pos + 2;
	}
	if (pos == 0 && STARTS(w, pos, 6, "CAESAR"))
	{
		add(w, "S");
		return pos + 2;
	}
	if (STARTS(w, pos, 4, "CHIA"))
	{
		add(w, "K");
		return pos + 2;
	}
	if (STARTS(w, pos, 2, "CH"))
	{
		if (pos > 0 && STARTS(w, pos, 4, "CHAE"))
		{
			add2(w, "K", "X");	/* Michael */
			return pos + 2;
		}
		/* Greek roots at the start: chorus, character, chemistry */
		if (pos == 0 &&
			(STARTS(w, pos + 1, 5, "HARAC", "HARIS") ||
			 STARTS(w, pos + 1, 3, "HOR", "HYM", "HIA", "HEM")) &&
			!STARTS(w, 0, 5, "CHORE"))
		{
			add(w, "K");
			return pos + 2;
		}
		/* Germanic and Greek ch as k: orchestra, architect, Schneider */
		if (STARTS(w, 0, 4, "VAN ", "VON ") || STARTS(w, 0, 3, "SCH") ||
			STARTS(w, pos - 2, 6, "ORCHES", "ARCHIT", "ORCHID") ||
			STARTS(w, pos + 2, 1, "T", "S") ||
			((STARTS(w, pos - 1, 1, "A", "O", "U", "E") || pos == 0) &&
			 STARTS(w, pos + 2, 1, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ")))
			add(w, "K");
		else if (pos > 0)
		{
			if (STARTS(w, 0, 2, "MC"))
				add(w, "K");
			else
				add2(w, "X", "K");
		}
		else
			add(w, "X");
		return pos + 2;
	}
	/* Czerny, but not Wicz */
	if (STARTS(w, pos, 2, "CZ") && !STARTS(w, pos - 2, 4, "WICZ"))
	{
		add2(w, "S", "X");
		return pos + 2;
	}
	if (STARTS(w, pos + 1, 3, "CIA"))
	{
		add(w, "X");			/* focaccia */
		return pos + 3;
	}
	/* double c, but not McClellan */
	if (STARTS(w, pos, 2, "CC") && !(pos == 1 && at(w, 0) == 'M'))
	{
		if (STARTS(w, pos + 2, 1, "I", "E", "H") && !STARTS(w, pos + 2, 2, "HU"))
		{
			/* accident, accede, succeed: ks; bacci, bertucci: x */
			if ((pos == 1 && at(w, 0) == 'A') || STARTS(w, pos - 1, 5, "UCCEE", "UCCES"))
				add(w, "KS");
			else
				add(w, "X");
			return pos + 3;
		}
		add(w, "K");
		return pos + 2;
	}
	if (STARTS(w, pos, 2, "CK", "CG", "CQ"))
	{
		add(w, "K");
		return pos + 2;
	}
	if (STARTS(w, pos, 2, "CI", "CE", "CY"))
	{
		if (STARTS(w, pos, 3, "CIO", "CIE", "CIA"))
			add2(w, "S", "X");	/* Italian */
		else
			add(w, "S");
		return pos + 2;
	}
	add(w, "K");
	if (STARTS(w, pos + 1, 2, " C", " Q", " G"))
		return pos + 3;			/* Mac Caffrey, Mac Gregor */
	if (STARTS(w, pos + 1, 1, "C", "K", "Q") && !STARTS(w, pos + 1, 2, "CE", "CI"))
		return pos + 2;
	return pos + 1;
}

/* the rules for G at pos; returns the next position */
static int
rule_g(DmWord *w, int pos)
{
	if (at(w, pos + 1) == 'H')
	{
		if (pos > 0 && !is_vowel_at(w, pos - 1))
		{
			add(w, "K");
			return pos + 2;
		}
		if (pos == 0)
		{
			/* Ghislane, Ghiradelli */
			add(w, at(w, pos + 2) == 'I' ? "J" : "K");
			return pos + 2;
		}
		/* silent after b, h, d: hugh, bough, broughton */
		if ((pos > 1 && STARTS(w, pos - 2, 1, "B", "H", "D")) ||
			(pos > 2 && STARTS(w, pos - 3, 1, "B", "H", "D")) ||
			(pos > 3 && STARTS(w, pos - 4, 1, "B", "H")))
			return pos + 2;
		/* laugh, McLaughlin, cough, rough, tough: f */
		if (pos > 2 && at(w, pos - 1) == 'U' && STARTS(w, pos - 3, 1, "C", "G", "L", "R", "T"))
			add(w, "F");
		else if (pos > 0 && at(w, pos - 1) != 'I')
			add(w, "K");
		return pos + 2;
	}
	if (at(w, pos + 1) == 'N')
	{
		if (pos == 1 && is_vowel_at(w, 0) && !w->slavo_germanic)
			add2(w, "KN", "N");
		else if (!STARTS(w, pos + 2, 2, "EY") && at(w, pos + 1) != 'Y' && !w->slavo_germanic)
			add2(w, "N", "KN");
		else
			add(w, "KN");
		return pos + 2;
	}
	if (STARTS(w, pos + 1, 2, "LI") && !w->slavo_germanic)
	{
		add2(w, "KL", "L");		/* tagliaro */
		return pos + 2;
	}
	/* ges-, gep-, gel-, gie- at the start */
	if (pos == 0 &&
		(at(w, pos + 1) == 'Y' ||
		 STARTS(w, pos + 1, 2, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")))
	{
		add2(w, "K", "J");
		return pos + 2;
	}
	/* -ger-, -gy- */
	if ((STARTS(w, pos + 1, 2, "ER") || at(w, pos + 1) == 'Y') &&
		!STARTS(w, 0, 6, "DANGER", "RANGER", "MANGER") &&
		!STARTS(w, pos - 1, 1, "E", "I") &&
		!STARTS(w, pos - 1, 3, "RGY", "OGY"))
	{
		add2(w, "K", "J");
		return pos + 2;
	}
	/* Italian biaggi */
	if (STARTS(w, pos + 1, 1, "E", "I", "Y") || STARTS(w, pos - 1, 4, "AGGI", "OGGI"))
	{
		if (STARTS(w, 0, 4, "VAN ", "VON ") || STARTS(w, 0, 3, "SCH") ||
			STARTS(w, pos + 1, 2, "ET"))
			add(w, "K");
		else if (STARTS(w, pos + 1, 4, "IER "))
			add(w, "J");
		else
			add2(w, "J", "K");
		return pos + 2;
	}
	add(w, "K");
	return (at(w, pos + 1) == 'G') ? pos + 2 : pos + 1;
}

/* the rules for J at pos; returns the next position */
static int
rule_j(DmWord *w, int pos)
{
	/* Jose, San Jacinto */
	if (STARTS(w, pos, 4, "JOSE") || STARTS(w, 0, 4, "SAN "))
	{
		if ((pos == 0 && at(w, pos + 4) == ' ') || STARTS(w, 0, 4, "SAN "))
			add(w, "H");
		else
			add2(w, "J", "H");
		return pos + 1;
	}
	if (pos == 0 && !STARTS(w, pos, 4, "JOSE"))
		add2(w, "J", "A");		/* Yankelovich, Jankelowicz */
	else if (is_vowel_at(w, pos - 1) && !w->slavo_germanic &&
			 (at(w, pos + 1) == 'A' || at(w, pos + 1) == 'O'))
		add2(w, "J", "H");		/* Spanish pronunciation */
	else if (pos == w->last)
		add2(w, "J", "");
	else if (!STARTS(w, pos + 1, 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
			 !STARTS(w, pos - 1, 1, "S", "K", "L"))
		add(w, "J");
	return (at(w, pos + 1) == 'J') ? pos + 2 : pos + 1;
}

/* the rules for S at pos; returns the next position */
static int
rule_s(DmWord *w, int pos)
{
	if (STARTS(w, pos - 1, 3, "ISL", "YSL"))
		return pos + 1;			/* isle, Carlysle: silent */
	if (pos == 0 && STARTS(w, pos, 5, "SUGAR"))
	{
		add2(w, "X", "S");
		return pos + 1;
	}
	if (STARTS(w, pos, 2, "SH"))
	{
		/* Germanic: Lowenheim, Hoek, Holm, Holz */
		if (STARTS(w, pos + 1, 4, "HEIM", "HOEK", "HOLM", "HOLZ"))
			add(w, "S");
		else
			add(w, "X");
		return pos + 2;
	}
	if (STARTS(w, pos, 3, "SIO", "SIA") || STARTS(w, pos, 4, "SIAN"))
	{
		if (!w->slavo_germanic)
			add2(w, "S", "X");	/* Italian, Armenian */
		else
			add(w, "S");
		return pos + 3;
	}
	/* Smith and Schmidt, Snider and Schneider: s or x */
	if ((pos == 0 && STARTS(w, pos + 1, 1, "M", "N", "L", "W")) || STARTS(w, pos + 1, 1, "Z"))
	{
		add2(w, "S", "X");
		return STARTS(w, pos + 1, 1, "Z") ? pos + 2 : pos + 1;
	}
	if (STARTS(w, pos, 2, "SC"))
	{
		if (at(w, pos + 2) == 'H')
		{
			/* Dutch origin: school, schooner; Schenker, Schermerhorn */
			if (STARTS(w, pos + 3, 2, "OO", "ER", "EN", "UY", "ED", "EM"))
			{
				if (STARTS(w, pos + 3, 2, "ER", "EN"))
					add2(w, "X", "SK");
				else
					add(w, "SK");
				return pos + 3;
			}
			if (pos == 0 && !is_vowel_at(w, 3) && at(w, 3) != 'W')
				add2(w, "X", "S");	/* Schlesinger */
			else
				add(w, "X");
			return pos + 3;
		}
		if (STARTS(w, pos + 2, 1, "I", "E", "Y"))
		{
			add(w, "S");
			return pos + 3;
		}
		add(w, "SK");
		return pos + 3;
	}
	/* French: Resnais, Artois */
	if (pos == w->last && STARTS(w, pos - 2, 2, "AI", "OI"))
		add2(w, "", "S");
	else
		add(w, "S");
	return STARTS(w, pos + 1, 1, "S", "Z") ? pos + 2 : pos + 1;
}

/* the rules for W at pos; returns the next position */
static int
rule_w(DmWord *w, int pos)
{
	if (STARTS(w, pos, 2, "WR"))
	{
		add(w, "R");
		return pos + 2;
	}
	if (pos == 0 && (is_vowel_at(w, pos + 1) || STARTS(w, pos, 2, "WH")))
	{
		/* Wasserman as Vasserman */
		if (is_vowel_at(w, pos + 1))
			add2(w, "A", "F");
		else
			add(w, "A");
	}
	/* Arnow, Filipowicz: Polish w as f in the alternate */
	if ((pos == w->last && is_vowel_at(w, pos - 1)) ||
		STARTS(w, pos - 1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY") ||
		STARTS(w, 0, 3, "SCH"))
	{
		add2(w, "", "F");
		return pos + 1;
	}
	if (STARTS(w, pos, 4, "WICZ", "WITZ"))
	{
		add2(w, "TS", "FX");
		return pos + 4;
	}
	return pos + 1;
}

/* code the upper-case word s into w->primary and w->alternate */
static void
double_metaphone_word(DmWord *w, const char *s, int length)
{
	int			pos = 0;

	w->s = s;
	w->length = length;
	w->last = length - 1;
	w->plen = w->alen = 0;
	w->slavo_germanic = false;
	{
		int			i;

		for (i = 0; i < length; i++)
			if (s[i] == 'W' || s[i] == 'K' || STARTS(w, i, 2, "CZ") || STARTS(w, i, 4, "WITZ"))
				w->slavo_germanic = true;
	}

	/* silent first letter: gnome, knight, pneumatic, wrong, psychology */
	if (STARTS(w, 0, 2, "GN", "KN", "PN", "WR", "PS"))
		pos = 1;
	/* Xavier: initial x is s */
	if (at(w, 0) == 'X')
	{
		add(w, "S");
		pos = 1;
	}

	while ((w->plen < CDP_METAPHONE_MAX || w->alen < CDP_METAPHONE_MAX) && pos < length)
	{
		char		c = s[pos];

		switch (c)
		{
			case 'A':
			case 'E':
			case 'I':
			case 'O':
			case 'U':
			case 'Y':
				if (pos == 0)
					add(w, "A");
				pos++;
				break;
			case 'B':
				add(w, "P");
				pos += (at(w, pos + 1) == 'B') ? 2 : 1;
				break;
			case CEDILLA:
				add(w, "S");
				pos++;
				break;
			case 'C':
				pos = rule_c(w, pos);
				break;
			case 'D':
				if (STARTS(w, pos, 2, "DG"))
				{
					if (STARTS(w, pos + 2, 1, "I", "E", "Y"))
					{
						add(w, "J");	/* edge */
						pos += 3;
					}
					else
					{
						add(w, "TK");	/* Edgar */
						pos += 2;
					}
				}
				else if (STARTS(w, pos, 2, "DT", "DD"))
				{
					add(w, "T");
					pos += 2;
				}
				else
				{
					add(w, "T");
					pos++;
				}
				break;
			case 'F':
				add(w, "F");
				pos += (at(w, pos + 1) == 'F') ? 2 : 1;
				break;
			case 'G':
				pos = rule_g(w, pos);
				break;
			case 'H':
				/* only between vowels or at the start before a vowel */
				if ((pos == 0 || is_vowel_at(w, pos - 1)) && is_vowel_at(w, pos + 1))
				{
					add(w, "H");
					pos += 2;
				}
				else
					pos++;
				break;
			case 'J':
				pos = rule_j(w, pos);
				break;
			case 'K':
				add(w, "K");
				pos += (at(w, pos + 1) == 'K') ? 2 : 1;
				break;
			case 'L':
				if (at(w, pos + 1) == 'L')
				{
					/* Spanish: Cabrillo, Gallegos */
					if ((pos == length - 3 && STARTS(w, pos - 1, 4, "ILLO", "ILLA", "ALLE")) ||
						((STARTS(w, w->last - 1, 2, "AS", "OS") || STARTS(w, w->last, 1, "A", "O")) &&
						 STARTS(w, pos - 1, 4, "ALLE")))
						add2(w, "L", "");
					else
						add(w, "L");
					pos += 2;
				}
				else
				{
					add(w, "L");
					pos++;
				}
				break;
			case 'M':
				add(w, "M");
				/* dumb, thumb: silent b */
				if ((STARTS(w, pos - 1, 3, "UMB") &&
					 (pos + 1 == w->last || STARTS(w, pos + 2, 2, "ER"))) ||
					at(w, pos + 1) == 'M')
					pos += 2;
				else
					pos++;
				break;
			case 'N':
				add(w, "N");
				pos += (at(w, pos + 1) == 'N') ? 2 : 1;
				break;
			case 'P':
				if (at(w, pos + 1) == 'H')
				{
					add(w, "F");
					pos += 2;
				}
				else
				{
					add(w, "P");
					pos += STARTS(w, pos + 1, 1, "P", "B") ? 2 : 1;
				}
				break;
			case 'Q':
				add(w, "K");
				pos += (at(w, pos + 1) == 'Q') ? 2 : 1;
				break;
			case 'R':
				/* French: Rogier */
				if (pos == w->last && !w->slavo_germanic && STARTS(w, pos - 2, 2, "IE") &&
					!STARTS(w, pos - 4, 2, "ME", "MA"))
					add2(w, "", "R");
				else
					add(w, "R");
				pos += (at(w, pos + 1) == 'R') ? 2 : 1;
				break;
			case 'S':
				pos = rule_s(w, pos);
				break;
			case 'T':
				if (STARTS(w, pos, 4, "TION") || STARTS(w, pos, 3, "TIA", "TCH"))
				{
					add(w, "X");
					pos += 3;
				}
				else if (STARTS(w, pos, 2, "TH") || STARTS(w, pos, 3, "TTH"))
				{
					/* Thomas, Thames; Germanic th */
					if (STARTS(w, pos + 2, 2, "OM", "AM") ||
						STARTS(w, 0, 4, "VAN ", "VON ") || STARTS(w, 0, 3, "SCH"))
						add(w, "T");
					else
						add2(w, "0", "T");
					pos += 2;
				}
				else
				{
					add(w, "T");
					pos += STARTS(w, pos + 1, 1, "T", "D") ? 2 : 1;
				}
				break;
			case 'V':
				add(w, "F");
				pos += (at(w, pos + 1) == 'V') ? 2 : 1;
				break;
			case 'W':
				pos = rule_w(w, pos);
				break;
			case 'X':
				/* French: Breaux */
				if (!(pos == w->last &&
					  (STARTS(w, pos - 3, 3, "IAU", "EAU") || STARTS(w, pos - 2, 2, "AU", "OU"))))
					add(w, "KS");
				pos += STARTS(w, pos + 1, 1, "C", "X") ? 2 : 1;
				break;
			case 'Z':
				if (at(w, pos + 1) == 'H')
				{
					add(w, "J");	/* Chinese pinyin: Zhao */
					pos += 2;
					break;
				}
				if (STARTS(w, pos + 1, 2, "ZO", "ZI", "ZA") ||
					(w->slavo_germanic && pos > 0 && at(w, pos - 1) != 'T'))
					add2(w, "S", "TS");
				else
					add(w, "S");
				pos += (at(w, pos + 1) == 'Z') ? 2 : 1;
				break;
			default:
				pos++;
				break;
		}
	}
	w->primary[w->plen] = '\0';
	w->alternate[w->alen] = '\0';
}

/*
 * Upper-case Latin letters of the folded text with single spaces between
 * words, into buf (room for 3 bytes per code point); its length.
 */
static int
metaphone_letters(const pg_wchar *codes, int n, char *buf)
{
	int			i;
	char	   *p = buf;
	bool		pending = false;

	for (i = 0; i < n; i++)
	{
		pg_wchar	c = codes[i];
		char		latin[3];
		int			nlatin = 0;

		if ((i & 0x3FFF) == 0x3FFF)
			CHECK_FOR_INTERRUPTS();
		if (c >= 'a' && c <= 'z')
		{
			latin[0] = (char) (c - ('a' - 'A'));
			nlatin = 1;
		}
		else if (c == 0xE7)		/* ç */
		{
			latin[0] = CEDILLA;
			nlatin = 1;
		}
		else if (c >= 0x80 && (nlatin = cdp_latin_fold(c, latin)) > 0)
		{
			latin[0] -= 'a' - 'A';
			if (nlatin > 1)
				latin[1] -= 'a' - 'A';
		}
		else if (c == '\'' || cdp_is_apostrophe(c) || cdp_is_dropped_mark(c))
			continue;
		else
		{
			pending = true;
			continue;
		}
		if (pending && p > buf)
			*p++ = ' ';
		pending = false;
		memcpy(p, latin, nlatin);
		p += nlatin;
	}
	return p - buf;
}

void
cdp_double_metaphone(const char *str, int len,
					 char primary[CDP_METAPHONE_MAX + 1],
					 char alternate[CDP_METAPHONE_MAX + 1])
{
	char		stackbuf[256];
	char	   *buf = stackbuf;
	pg_wchar   *codes;
	int			n;
	DmWord		w;

	codes = cdp_fold_text(str, len, &n);
	if (3 * (Size) n + 1 > sizeof(stackbuf))
		buf = palloc(3 * (Size) n + 1);
	n = metaphone_letters(codes, n, buf);
	double_metaphone_word(&w, buf, n);
	strcpy(primary, w.primary);
	strcpy(alternate, w.alternate);
	if (buf != stackbuf)
		pfree(buf);
}

PG_FUNCTION_INFO_V1(cdp_double_metaphone_sql);

/* cdp.double_metaphone(text) RETURNS text[]: {primary, alternate} */
Datum
cdp_double_metaphone_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	char		primary[CDP_METAPHONE_MAX + 1];
	char		alternate[CDP_METAPHONE_MAX + 1];
	Datum		elems[2];

	cdp_double_metaphone(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), primary, alternate);
	elems[0] = CStringGetTextDatum(primary);
	elems[1] = CStringGetTextDatum(alternate);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, 2, TEXTOID, -1, false, TYPALIGN_INT));
}
