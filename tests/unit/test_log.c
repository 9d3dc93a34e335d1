/* test_log.c — JSON-lines logging: each call is one valid JSON line on
 * fd 2 with escaped values, the level filter, and truncation at the cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/log.h"
#include "test.h"

static int saved_stderr = -1;
static FILE *capture;

/* Point fd 2 at a fresh temporary file. */
static void capture_start(void)
{
    capture = tmpfile();
    fflush(stderr);
    saved_stderr = dup(2);
    dup2(fileno(capture), 2);
}

/* Restore fd 2 and return what was written (heap, caller frees). */
static char *capture_end(size_t *len)
{
    dup2(saved_stderr, 2);
    close(saved_stderr);
    long n = ftell(capture);
    char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
    rewind(capture);
    size_t got = fread(s, 1, (size_t)(n > 0 ? n : 0), capture);
    s[got] = '\0';
    fclose(capture);
    *len = got;
    return s;
}

/* End the capture and check it is one line within the cap that parses. */
static void check_capped_line(void)
{
    size_t len;
    char err[160];
    char *out = capture_end(&len);
    CHECK(len <= HG_LOG_LINE_MAX);
    CHECK(len > 0 && memchr(out, '\n', len) == out + len - 1);
    yajl_val v = hg_json_parse(out, len, err, sizeof err);
    CHECK(v != NULL);
    yajl_tree_free(v);
    free(out);
}

int main(void)
{
    size_t len;
    char err[160];
    char *out;

    CHECK_INT(hg_log_level_parse("warn", &(enum hg_log_level){ 0 }), 0);
    enum hg_log_level lv = HG_LOG_DEBUG;
    CHECK_INT(hg_log_level_parse("error", &lv), 0);
    CHECK_INT(lv, HG_LOG_ERROR);
    CHECK_INT(hg_log_level_parse("debug", &lv), 0);
    CHECK_INT(lv, HG_LOG_DEBUG);
    CHECK_INT(hg_log_level_parse("verbose", &lv), -1);
    CHECK_INT(hg_log_level_parse("INFO", &lv), -1);
    CHECK_INT(hg_log_level_parse(NULL, &lv), -1);

    /* one line, valid JSON, fields in order, values escaped */
    hg_log_setup("test-prog", HG_LOG_INFO);
    capture_start();
    hg_log_info("listening", "addr", "127.0.0.1:8080", "odd", "q\"b\\s\nnl\x01\tend");
    out = capture_end(&len);
    CHECK(len > 0 && out[len - 1] == '\n');
    CHECK(memchr(out, '\n', len) == out + len - 1);   /* exactly one line */
    CHECK(strncmp(out, "{\"ts\":\"", 7) == 0);
    CHECK(strstr(out, "\",\"level\":\"info\",\"prog\":\"test-prog\",\"event\":\"listening\","
                      "\"addr\":\"127.0.0.1:8080\",\"odd\":\"q\\\"b\\\\s\\nnl\\u0001\\tend\"}\n") != NULL);
    /* ts is RFC 3339 with ms, UTC */
    CHECK(len > 31 && out[7 + 4] == '-' && out[7 + 10] == 'T' && out[7 + 19] == '.' &&
          out[7 + 23] == 'Z' && out[7 + 24] == '"');
    yajl_val v = hg_json_parse(out, len, err, sizeof err);
    CHECK(v != NULL);
    CHECK_STR(hg_json_get_str(v, "odd", NULL), "q\"b\\s\nnl\x01\tend");
    CHECK_STR(hg_json_get_str(v, "level", NULL), "info");
    yajl_tree_free(v);
    free(out);

    /* invalid UTF-8 in a value (an error text cut mid-character, a peer's
     * bytes) becomes U+FFFD, so the line stays valid JSON; valid text is
     * kept as it is */
    capture_start();
    hg_log_warn("odd_bytes", "detail", "ok\xff \xe3\x81", "kept", "\xe6\x9d\xb1\xe4\xba\xac");
    out = capture_end(&len);
    v = hg_json_parse(out, len, err, sizeof err);
    CHECK(v != NULL);
    CHECK_STR(hg_json_get_str(v, "detail", NULL), "ok\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
    CHECK_STR(hg_json_get_str(v, "kept", NULL), "\xe6\x9d\xb1\xe4\xba\xac");
    yajl_tree_free(v);
    free(out);

    /* level filter: debug suppressed at info, shown after setup(debug) */
    capture_start();
    hg_log_debug("hidden");
    hg_log_warn("shown-warn");
    hg_log_error("shown-error", "k", "v");
    out = capture_end(&len);
    CHECK(strstr(out, "hidden") == NULL);
    CHECK(strstr(out, "\"level\":\"warn\",\"prog\":\"test-prog\",\"event\":\"shown-warn\"}\n") != NULL);
    CHECK(strstr(out, "\"level\":\"error\"") != NULL);
    free(out);
    hg_log_setup(NULL, HG_LOG_DEBUG);
    capture_start();
    hg_log_debug("now-visible");
    out = capture_end(&len);
    CHECK(strstr(out, "\"level\":\"debug\",\"prog\":\"test-prog\",\"event\":\"now-visible\"") != NULL);
    free(out);
    hg_log_setup("test-prog", HG_LOG_ERROR);
    capture_start();
    hg_log_warn("filtered");
    out = capture_end(&len);
    CHECK_INT(len, 0);
    free(out);
    hg_log_setup("test-prog", HG_LOG_INFO);

    /* truncation: a huge value is cut with "..." and the line stays valid */
    size_t bign = HG_LOG_LINE_MAX * 3;
    char *big = malloc(bign + 1);
    for (size_t i = 0; i < bign; i++)
        big[i] = (char)('a' + i % 26);
    big[bign] = '\0';
    capture_start();
    hg_log_info("big", "value", big, "after", "dropped");
    out = capture_end(&len);
    CHECK(len <= HG_LOG_LINE_MAX);
    CHECK(len > HG_LOG_LINE_MAX - 64);
    CHECK(len >= 5 && memcmp(out + len - 6, "...\"}\n", 6) == 0);
    CHECK(strstr(out, "dropped") == NULL);
    v = hg_json_parse(out, len, err, sizeof err);
    CHECK(v != NULL);
    const char *tv = hg_json_get_str(v, "value", NULL);
    CHECK(tv && strlen(tv) > 3 && strncmp(tv, big, strlen(tv) - 3) == 0);
    yajl_tree_free(v);
    free(out);

    /* truncation never splits an escape: a value of quotes */
    memset(big, '"', bign);
    capture_start();
    hg_log_info("quotes", "value", big);
    check_capped_line();

    /* nor a UTF-8 sequence */
    for (size_t i = 0; i + 2 < bign; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    big[bign - bign % 3] = '\0';
    for (size_t shift = 0; shift < 3; shift++) {
        capture_start();
        hg_log_info("utf8", "pad", &"xx"[2 - shift], "value", big);
        check_capped_line();
    }

    /* a long key with no room is dropped whole */
    memset(big, 'k', bign);
    big[bign] = '\0';
    char *val = malloc(HG_LOG_LINE_MAX);
    memset(val, 'v', HG_LOG_LINE_MAX - 200);
    val[HG_LOG_LINE_MAX - 200] = '\0';
    capture_start();
    hg_log_info("keys", "first", val, big, "x");
    check_capped_line();
    free(val);
    free(big);

    /* a NULL value is logged as an empty string */
    capture_start();
    hg_log_info("nullval", "k", (const char *)NULL);
    out = capture_end(&len);
    CHECK(strstr(out, "\"k\":\"\"}") != NULL);
    free(out);
    return TEST_DONE();
}
