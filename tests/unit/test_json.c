/* test_json.c — bounded parsing (depth, UTF-8, trailing garbage), path
 * look-ups, and compact re-serialisation with numbers kept as written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "json_pick_oracle.h"
#include "test.h"

static yajl_val parse(const char *s, char *err, size_t n)
{
    err[0] = '\0';
    return hg_json_parse(s, strlen(s), err, n);
}

/* Parse (flags for hg_json_parse_opts) then write; returns the text
 * (static) or "ERR: <msg>". */
static const char *roundtrip_opts(const char *s, unsigned flags)
{
    static char out[1024];
    char err[160];
    err[0] = '\0';
    yajl_val v = hg_json_parse_opts(s, strlen(s), HG_JSON_MAX_VALUES, flags, err, sizeof err);
    if (!v) {
        snprintf(out, sizeof out, "ERR: %s", err);
        return out;
    }
    struct hg_buf b;
    hg_buf_init(&b, sizeof out - 1);
    if (hg_json_write(&b, v) != 0)
        snprintf(out, sizeof out, "WRITE FAILED");
    else
        snprintf(out, sizeof out, "%s", b.data);
    hg_buf_cleanup(&b);
    yajl_tree_free(v);
    return out;
}

static const char *roundtrip(const char *s)
{
    return roundtrip_opts(s, 0);
}

/* With HG_JSON_NUL_OK; the text written must parse and write again the same. */
static const char *nul_roundtrip(const char *s)
{
    char first[1024];
    snprintf(first, sizeof first, "%s", roundtrip_opts(s, HG_JSON_NUL_OK));
    const char *again = roundtrip_opts(first, HG_JSON_NUL_OK);
    if (strcmp(first, again) != 0)
        return "NOT STABLE";
    return again;
}

int main(void)
{
    char err[160];

    /* look-ups */
    const char *doc = "{\"token\":\"t\",\"event\":{\"type\":\"message\",\"n\":42,"
                      "\"inner\":{\"deep\":\"yes\"}},\"list\":[1,2,3]}";
    yajl_val v = parse(doc, err, sizeof err);
    CHECK(v != NULL);
    CHECK_STR(hg_json_get_str(v, "token", NULL), "t");
    CHECK_STR(hg_json_get_str(v, "event", "type", NULL), "message");
    CHECK_STR(hg_json_get_str(v, "event", "inner", "deep", NULL), "yes");
    CHECK(hg_json_get_str(v, "event", "n", NULL) == NULL);       /* not a string */
    yajl_val n = hg_json_get(v, "event", "n", NULL);
    CHECK(n && YAJL_IS_INTEGER(n) && YAJL_GET_INTEGER(n) == 42);
    CHECK(hg_json_get(v, "event", "missing", NULL) == NULL);
    CHECK(hg_json_get(v, "token", "x", NULL) == NULL);            /* through a string */
    CHECK(hg_json_get(v, "list", "0", NULL) == NULL);             /* arrays are not objects */
    CHECK(hg_json_get(v, NULL) == v);
    CHECK(hg_json_get(NULL, "a", NULL) == NULL);
    yajl_val list = hg_json_get(v, "list", NULL);
    CHECK(list && YAJL_IS_ARRAY(list) && list->u.array.len == 3);
    yajl_tree_free(v);

    /* re-serialisation: compact, numbers as written, strings escaped */
    CHECK_STR(roundtrip(" { \"a\" : [ 1 , -0.50 , 1e10 , 2E-3 , 12345678901234567890 ] ,"
                        " \"b\" : true , \"c\" : false , \"d\" : null , \"e\" : { } , \"f\" : [ ] } "),
              "{\"a\":[1,-0.50,1e10,2E-3,12345678901234567890],\"b\":true,\"c\":false,"
              "\"d\":null,\"e\":{},\"f\":[]}");
    CHECK_STR(roundtrip("\"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""),
              "\"q\\\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\"");
    CHECK_STR(roundtrip("{\"k\\n\":\"v\"}"), "{\"k\\n\":\"v\"}");
    CHECK_STR(roundtrip("42"), "42");
    CHECK_STR(roundtrip(" -1.5e3 \n"), "-1.5e3");
    CHECK_STR(roundtrip("\"s\" "), "\"s\"");
    CHECK_STR(roundtrip("true"), "true");
    CHECK_STR(roundtrip("\"\xe2\x82\xac\""), "\"\xe2\x82\xac\"");
    /* duplicate keys are kept in order */
    CHECK_STR(roundtrip("{\"a\":1,\"a\":2}"), "{\"a\":1,\"a\":2}");
    /* large arrays and objects grow */
    {
        struct hg_buf in;
        hg_buf_init(&in, 1 << 20);
        hg_buf_append_str(&in, "{");
        for (int i = 0; i < 300; i++)
            hg_buf_appendf(&in, "%s\"k%d\":[%d,%d,%d,%d,%d]", i ? "," : "", i, i, i, i, i, i);
        hg_buf_append_str(&in, "}");
        v = hg_json_parse(in.data, in.len, err, sizeof err);
        CHECK(v && v->u.object.len == 300);
        CHECK(hg_json_get(v, "k299", NULL) && hg_json_get(v, "k299", NULL)->u.array.len == 5);
        struct hg_buf out;
        hg_buf_init(&out, 1 << 20);
        CHECK_INT(hg_json_write(&out, v), 0);
        CHECK_MEM(out.data, out.len, in.data, in.len);
        /* a write that hits the cap reports it */
        struct hg_buf small;
        hg_buf_init(&small, 100);
        CHECK_INT(hg_json_write(&small, v), -1);
        hg_buf_cleanup(&small);
        hg_buf_cleanup(&out);
        hg_buf_cleanup(&in);
        yajl_tree_free(v);
    }

    /* the text need not be NUL-terminated */
    v = hg_json_parse("{\"a\":1}garbage", 7, err, sizeof err);
    CHECK(v != NULL);
    yajl_tree_free(v);

    /* errors: offset and reason, never the input */
    CHECK(parse("{\"a\":1} x", err, sizeof err) == NULL);
    CHECK_STR(err, "offset 9: parse error: trailing garbage");
    CHECK(parse("{\"a\":1}{}", err, sizeof err) == NULL);
    /* a token cut off by the end of the input after the root value */
    CHECK(parse("{} \"x", err, sizeof err) == NULL);
    CHECK_STR(err, "offset 3: trailing garbage after the JSON value");
    CHECK(parse("{} 5", err, sizeof err) == NULL);
    CHECK(parse("42 \"x", err, sizeof err) == NULL);
    CHECK(parse("[1] tru", err, sizeof err) == NULL);
    CHECK(strstr(err, "trailing garbage") != NULL);
    CHECK(parse("", err, sizeof err) == NULL);
    CHECK(strncmp(err, "offset 0:", 9) == 0);
    CHECK(parse("   ", err, sizeof err) == NULL);
    CHECK(parse("{\"a\":}", err, sizeof err) == NULL);
    CHECK(strncmp(err, "offset ", 7) == 0);
    CHECK(parse("{\"secretvalue\" 1}", err, sizeof err) == NULL);
    CHECK(strstr(err, "secretvalue") == NULL);
    CHECK(parse("[1,]", err, sizeof err) == NULL);
    CHECK(parse("{'a':1}", err, sizeof err) == NULL);
    CHECK(parse("/* c */ {}", err, sizeof err) == NULL);
    CHECK(parse("[01]", err, sizeof err) == NULL);
    CHECK(parse("[NaN]", err, sizeof err) == NULL);
    CHECK(parse("\"a\tb\"", err, sizeof err) == NULL);   /* raw control char */
    /* \v and \f are not JSON whitespace (RFC 8259 §2), though yajl's lexer
     * skips them: nowhere in the text */
    CHECK(parse("{\"a\":\f1}", err, sizeof err) == NULL);
    CHECK_STR(err, "offset 5: a raw control character (\\f), which JSON allows nowhere");
    CHECK(parse("\v{\"a\":1}", err, sizeof err) == NULL);
    CHECK_STR(err, "offset 0: a raw control character (\\v), which JSON allows nowhere");
    CHECK(parse("{\v\"a\":1}", err, sizeof err) == NULL);
    CHECK(parse("{\"a\":1}\f", err, sizeof err) == NULL);
    CHECK(parse("\"a\vb\"", err, sizeof err) == NULL);
    v = parse(" \t\r\n{\"a\":\"\\f\\u000b\"} \n", err, sizeof err);   /* escaped: fine */
    CHECK(v != NULL);
    yajl_tree_free(v);
    CHECK(parse("\"\\x\"", err, sizeof err) == NULL);
    CHECK(parse("[\"\\u12\"]", err, sizeof err) == NULL);

    /* invalid UTF-8: bad lead, overlong, surrogate, > U+10FFFF, truncated, in a key */
    CHECK(parse("\"\xff\"", err, sizeof err) == NULL);
    CHECK(parse("\"\xc0\x80\"", err, sizeof err) == NULL);
    CHECK(strstr(err, "UTF-8") != NULL);
    CHECK(parse("\"\xe0\x80\xaf\"", err, sizeof err) == NULL);
    CHECK(parse("\"\xed\xa0\x80\"", err, sizeof err) == NULL);
    CHECK(parse("\"\xf4\x90\x80\x80\"", err, sizeof err) == NULL);
    CHECK(parse("\"\xe2\x82\"", err, sizeof err) == NULL);
    CHECK(parse("{\"\xc3\":1}", err, sizeof err) == NULL);
    CHECK(parse("\"\\udc00\"", err, sizeof err) == NULL);  /* lone low surrogate */
    /* U+0000 cannot live in a C-string tree: refused, not truncated */
    CHECK(parse("[\"a\\u0000b\"]", err, sizeof err) == NULL);
    CHECK(strstr(err, "U+0000") != NULL);
    /* embedded raw NUL outside strings */
    CHECK(hg_json_parse("{}\0", 3, err, sizeof err) == NULL);

    /* HG_JSON_NUL_OK: \u0000 is valid JSON (RFC 8259 §7). Such a string is
     * no string to look-ups (never one cut at the NUL), such a key matches
     * nothing, and both are written back with \u0000 */
    CHECK_STR(nul_roundtrip("[\"a\\u0000b\"]"), "[\"a\\u0000b\"]");
    CHECK_STR(nul_roundtrip("{\"k\\u0000\":\"\\u0000\",\"k\":\"v\"}"),
              "{\"k\\u0000\":\"\\u0000\",\"k\":\"v\"}");
    CHECK_STR(nul_roundtrip("\"q\\\"\\\\\\u0000\\n\\u00e9\\u0001\""),
              "\"q\\\"\\\\\\u0000\\n\xc3\xa9\\u0001\"");
    CHECK_STR(nul_roundtrip("{\"a\":[\"\\u0000\",{\"\\u0000\":[]}],\"b\":\"ok\"}"),
              "{\"a\":[\"\\u0000\",{\"\\u0000\":[]}],\"b\":\"ok\"}");
    {
        static const char d[] = "{\"event_id\\u0000\":\"EvX\",\"event_id\":\"Ev1\","
                                "\"type\":\"ty\\u0000pe\",\"event\":{\"file_id\":\"F1\\u0000../x\"}}";
        v = hg_json_parse_opts(d, sizeof d - 1, HG_JSON_MAX_VALUES, HG_JSON_NUL_OK, err, sizeof err);
        CHECK(v != NULL);
        CHECK_STR(hg_json_get_str(v, "event_id", NULL), "Ev1");   /* not the key cut at its NUL */
        CHECK(hg_json_get_str(v, "type", NULL) == NULL);          /* not "ty" */
        yajl_val t = hg_json_get(v, "type", NULL);
        CHECK(t && t->type == HG_JSON_T_NUL_STRING && !YAJL_IS_STRING(t));
        CHECK(t && !YAJL_IS_NUMBER(t) && !YAJL_IS_OBJECT(t) && !YAJL_IS_ARRAY(t) && !YAJL_IS_NULL(t));
        CHECK_STR(t ? t->u.string : "", "ty\\u0000pe");
        CHECK(hg_json_get_str(v, "event", "file_id", NULL) == NULL);   /* not "F1" */
        yajl_tree_free(v);   /* leak-free under ASan */
        /* the default refuses it, naming it */
        CHECK(hg_json_parse(d, sizeof d - 1, err, sizeof err) == NULL);
        CHECK_STR(err, "offset 17: string contains U+0000");
    }
    /* raw control bytes stay refused, inside strings and out */
    {
        static const char *const raw[] = { "[\"a\0b\"]", "[\"a\001b\"]", "[\"a\037\"]",
                                           "{\"a\0\":1}", "[\"a\", \0 1]" };
        static const size_t rawlen[] = { 7, 7, 6, 8, 9 };
        for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
            v = hg_json_parse_opts(raw[i], rawlen[i], HG_JSON_MAX_VALUES, HG_JSON_NUL_OK, err, sizeof err);
            CHECK(v == NULL);
            yajl_tree_free(v);
            CHECK(strstr(err, "invalid char") != NULL || strstr(err, "invalid") != NULL);
            struct hg_json_pick rp = { .path = { "a" }, .max_len = 8 };
            char ra[16];
            CHECK(hg_json_pick(raw[i], rawlen[i], &rp, 1, ra, sizeof ra, err, sizeof err) != 0);
        }
    }

    /* values: max_values pass, one more fails (containers count, keys do
     * not); the default cap is HG_JSON_MAX_VALUES */
    {
        static const char three[] = "{\"a\":[0,1]}";
        v = hg_json_parse_max(three, sizeof three - 1, 4, err, sizeof err);
        CHECK(v != NULL);
        yajl_tree_free(v);
        CHECK(hg_json_parse_max(three, sizeof three - 1, 3, err, sizeof err) == NULL);
        CHECK(strstr(err, "more values than the limit") != NULL);
        struct hg_buf d;
        hg_buf_init(&d, 4u << 20);
        hg_buf_append_str(&d, "[0");
        for (unsigned i = 1; i < HG_JSON_MAX_VALUES - 1; i++)
            hg_buf_append_str(&d, ",0");
        hg_buf_append_str(&d, "]");
        v = hg_json_parse(d.data, d.len, err, sizeof err);   /* the array and its values */
        CHECK(v != NULL);
        yajl_tree_free(v);
        d.len--;
        hg_buf_append_str(&d, ",0]");
        CHECK(hg_json_parse(d.data, d.len, err, sizeof err) == NULL);
        CHECK(strstr(err, "more values than the limit") != NULL);
        hg_buf_cleanup(&d);
    }

    /* depth: HG_JSON_MAX_DEPTH levels pass, one more fails */
    {
        char deep[2 * HG_JSON_MAX_DEPTH + 4];
        size_t o = 0;
        for (unsigned i = 0; i < HG_JSON_MAX_DEPTH; i++)
            deep[o++] = '[';
        for (unsigned i = 0; i < HG_JSON_MAX_DEPTH; i++)
            deep[o++] = ']';
        v = hg_json_parse(deep, o, err, sizeof err);
        CHECK(v != NULL);
        yajl_tree_free(v);
        o = 0;
        for (unsigned i = 0; i <= HG_JSON_MAX_DEPTH; i++)
            deep[o++] = i % 2 ? '[' : '[';
        for (unsigned i = 0; i <= HG_JSON_MAX_DEPTH; i++)
            deep[o++] = ']';
        CHECK(hg_json_parse(deep, o, err, sizeof err) == NULL);
        CHECK(strstr(err, "nesting") != NULL);
        /* objects count too */
        struct hg_buf d;
        hg_buf_init(&d, 4096);
        for (unsigned i = 0; i <= HG_JSON_MAX_DEPTH; i++)
            hg_buf_append_str(&d, "{\"a\":");
        hg_buf_append_str(&d, "1");
        for (unsigned i = 0; i <= HG_JSON_MAX_DEPTH; i++)
            hg_buf_append_str(&d, "}");
        CHECK(hg_json_parse(d.data, d.len, err, sizeof err) == NULL);
        CHECK(strstr(err, "nesting") != NULL);
        hg_buf_cleanup(&d);
    }
    /* the UTF-8 check on its own (used on form fields before they become JSON) */
    CHECK(hg_json_utf8_check("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 17) == NULL);
    CHECK(hg_json_utf8_check("", 0) == NULL);
    CHECK(hg_json_utf8_check("a\0b", 3) != NULL);
    CHECK(hg_json_utf8_check("\xc0\x80", 2) != NULL);
    CHECK(hg_json_utf8_check("\xed\xa0\x80", 3) != NULL);
    CHECK(hg_json_utf8_check("\xf4\x90\x80\x80", 4) != NULL);
    CHECK(hg_json_utf8_check("\xe2\x82", 2) != NULL);
    CHECK(hg_json_utf8_check("\x80", 1) != NULL);
    CHECK(hg_json_utf8_check("\xf4\x8f\xbf\xbf", 4) == NULL);   /* U+10FFFF */

    /* a tiny errstr is still terminated */
    char tiny[8];
    CHECK(hg_json_parse("[", 1, tiny, sizeof tiny) == NULL);
    CHECK(strlen(tiny) < sizeof tiny);

    /* UTF-8 checks on both sides of the eight-byte ASCII stride */
    CHECK(hg_json_utf8_check("abcdefghijklmnopqrstuvwxyz", 26) == NULL);
    CHECK(hg_json_utf8_check("abcdefghijklmn\0pq", 17) != NULL);
    CHECK(hg_json_utf8_check("abcdefgh\0", 9) != NULL);
    CHECK(hg_json_utf8_check("abcdefghijklmno\xff", 16) != NULL);
    CHECK(hg_json_utf8_check("abcdefg\xc3\xa9hijklmnop\xe2\x82\xac", 21) == NULL);
    CHECK(hg_json_utf8_check("abcdefgh\xc3", 9) != NULL);   /* cut off */

    /* hg_json_pick: what it keeps, directly */
    {
        const char *d = "{\"type\":\"event_callback\",\"event\":{\"type\":\"file_shared\","
                        "\"channel\":{\"id\":\"C1\"},\"list\":[{\"channel\":\"no\"}]},"
                        "\"event\":{\"type\":\"second\"},\"t\":1700000000,\"f\":1.5,"
                        "\"long\":\"abcdefghij\",\"esc\":\"a\\u00e9\\n\"}";
        struct hg_json_pick pk[] = {
            { .path = { NULL } }, { .path = { "event", "type" }, .max_len = 64 },
            { .path = { "event", "channel", "id" }, .max_len = 64 },
            { .path = { "event", "channel" }, .max_len = 64 }, { .path = { "t" } }, { .path = { "f" } },
            { .path = { "long" }, .max_len = 9 }, { .path = { "esc" }, .max_len = 9 },
            { .path = { "missing" }, .max_len = 9 }, { .path = { "event", "list", "channel" }, .max_len = 9 },
        };
        char arena[256];
        CHECK_INT(hg_json_pick(d, strlen(d), pk, 10, arena, sizeof arena, err, sizeof err), 0);
        CHECK_INT(pk[0].kind, HG_JSON_PICK_OBJECT);
        CHECK_INT(pk[1].kind, HG_JSON_PICK_STRING);
        CHECK_STR(pk[1].str, "file_shared");              /* the first "event" counts */
        CHECK_STR(pk[2].str, "C1");
        CHECK_INT(pk[3].kind, HG_JSON_PICK_OBJECT);
        CHECK_INT(pk[4].kind, HG_JSON_PICK_INTEGER);
        CHECK_INT(pk[4].integer, 1700000000);
        CHECK_INT(pk[5].kind, HG_JSON_PICK_OTHER);         /* not an integer */
        CHECK_INT(pk[6].kind, HG_JSON_PICK_TOO_LONG);
        CHECK_STR(pk[7].str, "a\xc3\xa9\n");                /* escapes decoded */
        CHECK_INT(pk[8].kind, HG_JSON_PICK_ABSENT);
        CHECK_INT(pk[9].kind, HG_JSON_PICK_ABSENT);        /* paths do not run through arrays */
        char deep[2 * HG_JSON_MAX_DEPTH + 8];
        memset(deep, '[', HG_JSON_MAX_DEPTH + 1);
        memset(deep + HG_JSON_MAX_DEPTH + 1, ']', HG_JSON_MAX_DEPTH + 1);
        CHECK(hg_json_pick(deep, 2 * HG_JSON_MAX_DEPTH + 2, pk, 1, arena, sizeof arena, err, sizeof err) != 0);
        CHECK(strstr(err, "nesting deeper than the limit") != NULL);
        CHECK(hg_json_pick("{} x", 4, pk, 1, arena, sizeof arena, err, sizeof err) != 0);
        CHECK(strstr(err, "trailing garbage") != NULL);
        CHECK(hg_json_pick("", 0, pk, 1, arena, sizeof arena, err, sizeof err) != 0);
        CHECK(hg_json_pick("{}", 2, pk, 17, arena, sizeof arena, err, sizeof err) != 0);
    }

    /* hg_json_pick takes U+0000 (the Events API body with it was answered
     * 400, Slack retried and dropped the event): such a string is kept as
     * HG_JSON_PICK_STRING_NUL, never as a C string cut at the NUL; a key
     * holding it matches no path */
    {
        static const char d[] = "{\"text\":\"a\\u0000b\",\"type\":\"event_callback\\u0000\","
                                "\"event_id\\u0000\":\"EvX\",\"event_id\":\"Ev1\",\"long\":\"\\u0000abcdefghijk\","
                                "\"event\":{\"type\":\"message\",\"channel\":\"\\u0000\"}}";
        struct hg_json_pick pk[] = {
            { .path = { "type" }, .max_len = 64 }, { .path = { "event_id" }, .max_len = 64 },
            { .path = { "event", "type" }, .max_len = 64 }, { .path = { "event", "channel" }, .max_len = 64 },
            { .path = { "long" }, .max_len = 4 }, { .path = { "text" }, .max_len = 64 },
        };
        char arena[512];
        CHECK_INT(hg_json_pick(d, sizeof d - 1, pk, 6, arena, sizeof arena, err, sizeof err), 0);
        CHECK_INT(pk[0].kind, HG_JSON_PICK_STRING_NUL);
        CHECK(pk[0].str == NULL);
        CHECK_INT(pk[1].kind, HG_JSON_PICK_STRING);
        CHECK_STR(pk[1].str, "Ev1");
        CHECK_INT(pk[2].kind, HG_JSON_PICK_STRING);
        CHECK_STR(pk[2].str, "message");
        CHECK_INT(pk[3].kind, HG_JSON_PICK_STRING_NUL);
        CHECK_INT(pk[4].kind, HG_JSON_PICK_STRING_NUL);   /* whatever its length */
        CHECK_INT(pk[5].kind, HG_JSON_PICK_STRING_NUL);
        /* after one, the eight-byte stride goes on checking UTF-8 */
        static const char bad[] = "{\"a\":\"\\u0000abcdefghijklmnop\\udc00\"}";   /* lone surrogate */
        CHECK(hg_json_pick(bad, sizeof bad - 1, pk, 1, arena, sizeof arena, err, sizeof err) != 0);
        CHECK(strstr(err, "invalid UTF-8") != NULL);
    }

    /* hg_json_pick agrees with the tree: accepted or refused with the same
     * message, the same values at the same paths */
    static const char *const docs[] = {
        "{}", "[]", "\"s\"", "12", "12.5", "-0", "null", "true", "99999999999999999999",
        "{\"type\":\"x\",\"type\":\"y\"}",
        "{\"event\":\"str\",\"event\":{\"type\":\"later\"}}",
        "{\"event\":{\"channel\":\"C9\",\"channel\":{\"id\":\"C8\"}}}",
        "{\"event\":{\"channel\":{\"id\":\"C8\"},\"channel\":\"C9\"}}",
        "{\"a\":{\"b\":{\"c\":\"deep\",\"c\":1}},\"a\":{\"b\":{\"c\":\"no\"}}}",
        "{\"a\":[{\"b\":{\"c\":\"in array\"}}],\"n\":-42,\"s\":\"four\"}",
        "{\"n\":1e3,\"s\":\"abc\",\"\":\"empty key\"}",
        "{\"team\":{\"id\":\"T1\",\"x\":{\"id\":\"no\"}},\"channel\":[\"C\"]}",
        "{\"type\":\"\\u0000\"}", "{\"\\u0000\":1}", "{\"type\":\"\xc3\x28\"}",
        "{\"type\":\"\xed\xa0\x80\"}", "{\"type\":\"x\"} {}", "{\"type\":", "{\"a\" 1}",
        "{\"event\":{\"type\":\"toolongtype\",\"channel\":{\"id\":\"0123456789abcdefg\"}}}",
        "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"b\":1},\"type\":\"k\"}",
        "  {\"type\" : \"sp\" }  \n", "{\"n\":9223372036854775807,\"s\":\"\\ud83d\\ude00\"}",
        "{\"n\":9223372036854775808}", "{\"n\":-}", "[1,2", "{\"a\":{\"b\":[]}}",
        "{\"type\":\"abcdefghijklmnop\\u0000qrs\"}", "{\"type\":\"abcdefghijklmnopq\xff\"}",
        "{\"abcdefghijklmnopqrstuvwxyz\xc3\xa9\xe2\x82\xac" "0123456789\":\"ok\"}",
        "{\"type\":\f\"x\"}", "\v{\"type\":\"x\"}", "{\"type\":\"x\"}\v", "{\"type\":\"\\f\"}",
        "{\"event\":{\"type\":\"\\u0000\",\"channel\":{\"id\":\"a\\u0000\"}},\"s\":\"\\u0000\"}",
        "{\"team\\u0000\":{\"id\":\"T1\"},\"team\":{\"id\\u0000\":\"T2\",\"id\":\"T3\"}}",
        "{\"\\u0000\":\"x\",\"\":\"empty\"}", "{\"type\":\"\\u0000\xff\"}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        const char *d = json_pick_oracle(docs[i], strlen(docs[i]));
        if (d)
            fprintf(stderr, "doc %zu: %s\n", i, d);
        CHECK(d == NULL);
    }
    return TEST_DONE();
}
