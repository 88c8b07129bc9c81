/*
 * xml.h - just enough XML for AWS Query-protocol answers: the text of the
 * first element with a given name.  Header-only (the fuzz target compiles
 * it in).  Deliberately not a general parser: a document holding a DOCTYPE
 * or an ENTITY declaration is refused outright (no entity expansion, no
 * external entities); element text may hold only the five predefined
 * entities and ASCII character references, anything else is an error;
 * an element whose text holds markup (a child, CDATA, a comment) does not
 * count as text.  Bounded by the input length; nothing is allocated but
 * the caller's output buffer.
 */
#ifndef WIF_PLUGIN_XML_H
#define WIF_PLUGIN_XML_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* -1: refused (DOCTYPE/ENTITY). */
static inline int
xml_safe(const char *doc, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++)
		if (doc[i] == '<' && doc[i + 1] == '!' &&
		    (doc[i + 2] == 'D' || doc[i + 2] == 'd' || doc[i + 2] == 'E' ||
		    doc[i + 2] == 'e'))
			return -1;
	return 0;
}

/*
 * The decoded text of the first <name>...</name> (or <name attrs>) into
 * out[0..cap), NUL-terminated.  Returns the text length, -1 when there is
 * no such element (or its content is markup), -2 when the document is
 * refused or the text is malformed or does not fit.
 */
static inline long
xml_text(const char *doc, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i = 0, o = 0, start, end;

	if (xml_safe(doc, len) != 0)
		return -2;
	for (;;) {
		const char *lt = memchr(doc + i, '<', len - i);

		if (lt == NULL)
			return -1;
		i = (size_t)(lt - doc) + 1;
		if (len - i > nl && memcmp(doc + i, name, nl) == 0 &&
		    (doc[i + nl] == '>' || doc[i + nl] == ' ' || doc[i + nl] == '/' ||
		    doc[i + nl] == '\t' || doc[i + nl] == '\n' ||
		    doc[i + nl] == '\r')) {
			const char *gt = memchr(doc + i, '>', len - i);

			if (gt == NULL)
				return -2;
			if (gt > doc && gt[-1] == '/') { /* <name/>: empty */
				if (cap == 0)
					return -2;
				out[0] = '\0';
				return 0;
			}
			start = (size_t)(gt - doc) + 1;
			break;
		}
	}
	/* the text runs to the next '<', which must open </name> */
	{
		const char *lt = memchr(doc + start, '<', len - start);

		if (lt == NULL)
			return -2;
		end = (size_t)(lt - doc);
		if (len - end < nl + 3 || lt[1] != '/' ||
		    memcmp(lt + 2, name, nl) != 0 || lt[2 + nl] != '>')
			return -1; /* markup inside: not a text element */
	}
	for (i = start; i < end; i++) {
		char c = doc[i];

		if (c == '&') {
			const char *semi = memchr(doc + i, ';', end - i);
			size_t el;

			if (semi == NULL)
				return -2;
			el = (size_t)(semi - (doc + i)) + 1;
			if (el == 4 && memcmp(doc + i, "&lt;", 4) == 0)
				c = '<';
			else if (el == 4 && memcmp(doc + i, "&gt;", 4) == 0)
				c = '>';
			else if (el == 5 && memcmp(doc + i, "&amp;", 5) == 0)
				c = '&';
			else if (el == 6 && memcmp(doc + i, "&quot;", 6) == 0)
				c = '"';
			else if (el == 6 && memcmp(doc + i, "&apos;", 6) == 0)
				c = '\'';
			else if (el >= 4 && el <= 8 && doc[i + 1] == '#') {
				char num[8], *ep;
				long v;

				memcpy(num, doc + i + 2, el - 3);
				num[el - 3] = '\0';
				v = (num[0] == 'x' || num[0] == 'X') ?
				    strtol(num + 1, &ep, 16) : strtol(num, &ep, 10);
				if (*ep != '\0' || ep == num || v < 0x20 || v > 0x7e)
					return -2; /* ASCII printable only */
				c = (char)v;
			} else
				return -2;
			i += el - 1;
		}
		if (o + 1 >= cap)
			return -2;
		out[o++] = c;
	}
	if (cap == 0)
		return -2;
	out[o] = '\0';
	return (long)o;
}

#endif
