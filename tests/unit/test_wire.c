/*
 * test_wire.c - the wifd wire protocol (common/wire.c): framing, the
 * key=value text, every malformed shape refused, the 64 KiB bound.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "wire.h"

static char buf[WIF_WIRE_MAX + 4];

/* Parse a framed message built in buf. */
static int
parse_framed(size_t total, struct wif_wire_msg *m, const char **why)
{
	long fs = wif_wire_frame_size((unsigned char *)buf, total);

	CU_ASSERT_EQUAL(fs, (long)total);
	return wif_wire_parse(buf + 4, total - 4, m, why);
}

static void
test_round_trip(void)
{
	struct wif_wire_msg m;
	const char *why = NULL;
	size_t len, total;
	int64_t v = 0;

	wif_wire_begin(buf, &len);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "op", "token"), 0);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "profile",
	    "ci=prod a b"), 0);
	CU_ASSERT_EQUAL(wif_wire_addf(buf, sizeof(buf), &len, "min_valid",
	    "%d", 300), 0);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "error",
	    "two\nlines"), 0);
	total = wif_wire_end(buf, len);
	/* header: big-endian payload length */
	CU_ASSERT_EQUAL((unsigned char)buf[0], 0);
	CU_ASSERT_EQUAL(((unsigned char)buf[2] << 8 | (unsigned char)buf[3]),
	    total - 4);
	CU_ASSERT_EQUAL_FATAL(parse_framed(total, &m, &why), 0);
	CU_ASSERT_EQUAL(m.n, 5);
	CU_ASSERT_STRING_EQUAL(wif_wire_get(&m, "wif"), "1");
	CU_ASSERT_STRING_EQUAL(wif_wire_get(&m, "op"), "token");
	/* '=' in a value is data; a newline became a space */
	CU_ASSERT_STRING_EQUAL(wif_wire_get(&m, "profile"), "ci=prod a b");
	CU_ASSERT_STRING_EQUAL(wif_wire_get(&m, "error"), "two lines");
	CU_ASSERT_EQUAL(wif_wire_get_i64(&m, "min_valid", &v), 0);
	CU_ASSERT_EQUAL(v, 300);
	CU_ASSERT_PTR_NULL(wif_wire_get(&m, "absent"));
	CU_ASSERT_EQUAL(wif_wire_get_i64(&m, "profile", &v), -1);
	CU_ASSERT_EQUAL(wif_wire_get_i64(&m, "absent", &v), -1);
}

static void
test_builder_refuses(void)
{
	static char big[WIF_WIRE_MAX];
	size_t len;

	wif_wire_begin(buf, &len);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "Op", "x"), -1);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "", "x"), -1);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "a-b", "x"), -1);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len,
	    "abcdefghijklmnopqrstuvwxyzabcdefg", "x"), -1); /* 33 chars */
	CU_ASSERT_EQUAL(len, 10); /* nothing appended */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* 65535 bytes of value + "k=" + "\n" + "wif=1\n" > 64 KiB */
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "k", big), -1);
	CU_ASSERT_EQUAL(len, 10);
	big[WIF_WIRE_MAX - 6 - 3] = '\0'; /* exactly fills 64 KiB */
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "k", big), 0);
	CU_ASSERT_EQUAL(len, WIF_WIRE_MAX + 4);
	CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, "x", ""), -1);
}

static void
test_frame_sizes(void)
{
	unsigned char h[4] = { 0, 0, 0, 0 };

	CU_ASSERT_EQUAL(wif_wire_frame_size(h, 3), 0);       /* need more */
	CU_ASSERT_EQUAL(wif_wire_frame_size(h, 4), -1);      /* empty */
	h[3] = 7;
	CU_ASSERT_EQUAL(wif_wire_frame_size(h, 4), 11);
	h[1] = 1; h[2] = 0; h[3] = 0;                        /* 65536 */
	CU_ASSERT_EQUAL(wif_wire_frame_size(h, 4), 65540);
	h[3] = 1;                                            /* 65537 */
	CU_ASSERT_EQUAL(wif_wire_frame_size(h, 4), -1);
	h[0] = 0xff;                                         /* huge */
	CU_ASSERT_EQUAL(wif_wire_frame_size(h, 4), -1);
}

/* Parse a literal payload (copied: parsing is in place). */
static int
parse_lit(const char *lit, size_t n, const char **why)
{
	struct wif_wire_msg m;
	char tmp[256];

	memcpy(tmp, lit, n);
	*why = NULL;
	return wif_wire_parse(tmp, n, &m, why);
}
#define BAD(lit, reason) do { const char *bw; \
	CU_ASSERT_EQUAL(parse_lit(lit, sizeof(lit) - 1, &bw), -1); \
	CU_ASSERT(bw != NULL && strstr(bw, reason) != NULL); } while (0)

static void
test_parser_refuses(void)
{
	const char *w;

	BAD("wif=1\nop=token", "newline");
	BAD("", "newline");
	BAD("wif=1\nop\n", "without '='");
	BAD("wif=1\nOP=x\n", "malformed key");
	BAD("wif=1\n=x\n", "malformed key");
	BAD("wif=1\nop=a\nop=b\n", "repeated");
	BAD("op=token\nwif=1\n", "version");
	BAD("wif=2\nop=token\n", "unsupported protocol version");
	BAD("wif=1\nop=t\0ken\n", "NUL");
	CU_ASSERT_EQUAL(parse_lit("wif=1\nop=x\nfuture_key=1\n", 24, &w), 0);
}

static void
test_too_many_fields(void)
{
	struct wif_wire_msg m;
	const char *why = NULL;
	size_t len = 0, i;
	char key[8];

	wif_wire_begin(buf, &len);
	for (i = 0; i < WIF_WIRE_FIELDS; i++) {
		snprintf(key, sizeof(key), "k%c%c", (int)('a' + i / 26),
		    (int)('a' + i % 26));
		CU_ASSERT_EQUAL(wif_wire_add(buf, sizeof(buf), &len, key, "v"), 0);
	}
	len = wif_wire_end(buf, len);
	CU_ASSERT_EQUAL(wif_wire_parse(buf + 4, len - 4, &m, &why), -1);
	CU_ASSERT(why != NULL && strstr(why, "too many") != NULL);
}

static const struct cu_test tests[] = {
	{ "round trip", test_round_trip },
	{ "builder refuses bad keys and oversize", test_builder_refuses },
	{ "frame sizes", test_frame_sizes },
	{ "parser refuses malformed messages", test_parser_refuses },
	{ "at most 64 fields", test_too_many_fields },
	{ NULL, NULL },
};

WIF_CU_MAIN("wire", tests, NULL, NULL)
