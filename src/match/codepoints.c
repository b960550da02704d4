/*-------------------------------------------------------------------------
 *
 * codepoints.c
 *	  Decoding of text into characters (pg_wchar) for the similarity
 *	  measures: Unicode code points in a UTF-8 database, with a fast path
 *	  for ASCII and no allocation for strings of up to CDP_CP_STACK bytes.
 *
 * The text was validated when it entered the database, so the UTF-8 decoder
 * trusts its input.  Other server encodings go through pg_mb2wchar_with_len,
 * whose character codes are not Unicode code points but are equal exactly
 * when the characters are, which is all the measures need.
 *
 * src/match/codepoints.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "port/pg_bitutils.h"

#include "match/similarity.h"

/* the database encoding cannot change in a backend: ask once */
static int	database_utf8 = -1;

bool
cdp_database_is_utf8(void)
{
	if (unlikely(database_utf8 < 0))
		database_utf8 = (GetDatabaseEncoding() == PG_UTF8) ? 1 : 0;
	return database_utf8 == 1;
}

void
cdp_decode(const char *s, int nbytes, CdpCodePoints *out)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + nbytes;
	pg_wchar   *dst;
	int			n = 0;

	/*
	 * A string never has more characters than bytes.  Huge: a text of up
	 * to 1GB may need 4GB here, and the leakproof measures must fail only for
	 * want of memory, never with an error that depends on the input.
	 */
	if (nbytes <= CDP_CP_STACK)
		out->chars = out->local;
	else
		out->chars = palloc_extended(sizeof(pg_wchar) * (Size) nbytes,
									 MCXT_ALLOC_HUGE);
	dst = out->chars;

	if (unlikely(!cdp_database_is_utf8()))
	{
		out->len = pg_mb2wchar_with_len(s, dst, nbytes);
		return;
	}

	while (p < end)
	{
		unsigned char c = *p;

		/*
		 * Eight ASCII bytes at a time, or the ASCII bytes before the first
		 * one that is not.
		 */
		if (c < 0x80 && end - p >= 8)
		{
			uint64		word;
			uint64		high;

			memcpy(&word, p, 8);
			high = word & UINT64CONST(0x8080808080808080);
			if (high == 0)
			{
				dst[n] = p[0];
				dst[n + 1] = p[1];
				dst[n + 2] = p[2];
				dst[n + 3] = p[3];
				dst[n + 4] = p[4];
				dst[n + 5] = p[5];
				dst[n + 6] = p[6];
				dst[n + 7] = p[7];
				n += 8;
				p += 8;
				continue;
			}
#ifndef WORDS_BIGENDIAN
			else
			{
				int			ascii = pg_rightmost_one_pos64(high) / 8;
				int			k;

				for (k = 0; k < ascii; k++)
					dst[n + k] = p[k];
				n += ascii;
				p += ascii;
				c = *p;
			}
#endif
		}
		if (c < 0x80)
		{
			dst[n++] = c;
			p += 1;
		}
		else if (c < 0xE0)
		{
			dst[n++] = ((pg_wchar) (c & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
		}
		else if (c < 0xF0)
		{
			dst[n++] = ((pg_wchar) (c & 0x0F) << 12) |
				((pg_wchar) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			p += 3;
		}
		else
		{
			dst[n++] = ((pg_wchar) (c & 0x07) << 18) |
				((pg_wchar) (p[1] & 0x3F) << 12) |
				((pg_wchar) (p[2] & 0x3F) << 6) | (p[3] & 0x3F);
			p += 4;
		}
	}
	out->len = n;
}

/*
 * Drop the bytes that two UTF-8 strings share at their start and end, cut
 * at character boundaries, before decoding them: what the edit distances
 * skip anyway (cdp_strip_common_affixes), without decoding it.  Other
 * encodings are left alone (their character boundaries are not visible in
 * a byte).
 */
void
cdp_strip_common_bytes(const char **a, int *alen, const char **b, int *blen)
{
	const unsigned char *x = (const unsigned char *) *a;
	const unsigned char *y = (const unsigned char *) *b;
	int			n = Min(*alen, *blen);
	int			p = 0;
	int			s = 0;

	if (!cdp_database_is_utf8())
		return;
	while (p < n && x[p] == y[p])
		p++;
	/* back to the start of the character where they differ */
	while (p > 0 && p < n && (x[p] & 0xC0) == 0x80)
		p--;
	if (p == n && p < Max(*alen, *blen))
	{
		/* one is a prefix of the other: the longer goes on at a boundary */
		const unsigned char *longer = (*alen > *blen) ? x : y;

		while (p > 0 && (longer[p] & 0xC0) == 0x80)
			p--;
	}
	n -= p;
	while (s < n && x[*alen - 1 - s] == y[*blen - 1 - s])
		s++;
	/* forward to the start of a character */
	while (s > 0 && (x[*alen - s] & 0xC0) == 0x80)
		s--;
	*a += p;
	*b += p;
	*alen -= p + s;
	*blen -= p + s;
}
