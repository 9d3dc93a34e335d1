/* test_http_framing.c — the gateway's RFC 9112 framing rules: Host values
 * (whole and fed in every split), absolute-form targets' paths,
 * Transfer-Encoding values. */
#include <stdio.h>
#include <string.h>

#include "gateway/http_framing.h"
#include "test.h"

static bool host_ok(const char *v, enum gw_host_kind kind)
{
    struct gw_host_check h;
    gw_host_check_begin(&h);
    gw_host_check_feed(&h, v, strlen(v));
    return gw_host_check_ok(&h, kind);
}

/* The answer does not depend on where the parser splits the value. */
static bool host_ok_every_split(const char *v, bool want)
{
    size_t n = strlen(v);
    for (size_t cut = 0; cut <= n; cut++) {
        struct gw_host_check h;
        gw_host_check_begin(&h);
        gw_host_check_feed(&h, v, cut);
        gw_host_check_feed(&h, "", 0);
        gw_host_check_feed(&h, v + cut, n - cut);
        if (gw_host_check_ok(&h, GW_HOST_FIELD) != want)
            return false;
    }
    return true;
}

static enum gw_target target(const char *url, const char *want_path)
{
    const char *path = NULL;
    size_t len = 0;
    enum gw_target t = gw_target_path(url, strlen(url), &path, &len);
    if (t == GW_TARGET_OK && want_path) {
        hg_test_checks++;
        if (len != strlen(want_path) || memcmp(path, want_path, len) != 0) {
            hg_test_failures++;
            fprintf(stderr, "target %s: path %.*s, expected %s\n", url, (int)len, path, want_path);
        }
    }
    return t;
}

static enum gw_te te(const char *v)
{
    return gw_te_classify(v, strlen(v));
}

int main(void)
{
    static const char *const good_hosts[] = {
        "it", "EXAMPLE.com", "example.com:8443", "example.com:", "127.0.0.1:80", "[::1]", "[::1]:8080",
        "[2001:db8::7]", "[::ffff:192.0.2.1]", "[v7.fe80::a+en1]", "xn--bcher-kva.example",
        "a%2Db.example", "%41", "a_b~c-d!$&'()*+,;=.example", "it ", "it\t \t", "[::1]:80 ",
    };
    static const char *const bad_hosts[] = {
        "a b", "a/b", "it@evil.example", "it?x", "it#x", "[::1", "::1", "[::1]x", "[::1]:80:80",
        "it:80x", "it:8:80", "%zz.example", "%4", "%", "\xc3\xa9.example", "it\\x", ":80", "[]",
        "a\"b", "[a b]", "[::1] x", "it: 80", "it :80", "it\x01", "[]:80", "a[b]",
    };
    for (size_t i = 0; i < sizeof good_hosts / sizeof good_hosts[0]; i++) {
        CHECK(host_ok_every_split(good_hosts[i], true));
        if (!host_ok_every_split(good_hosts[i], true))
            fprintf(stderr, "  refused: \"%s\"\n", good_hosts[i]);
    }
    for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
        CHECK(host_ok_every_split(bad_hosts[i], false));
        if (!host_ok_every_split(bad_hosts[i], false))
            fprintf(stderr, "  accepted: \"%s\"\n", bad_hosts[i]);
        CHECK(!host_ok(bad_hosts[i], GW_HOST_AUTHORITY));
    }
    /* a Host field may be empty (a target without authority); an http URI's host may not */
    CHECK(host_ok("", GW_HOST_FIELD));
    CHECK(!host_ok("", GW_HOST_AUTHORITY));
    CHECK(host_ok("example.com:8080", GW_HOST_AUTHORITY));
    CHECK(host_ok("[::1]", GW_HOST_AUTHORITY));
    CHECK(!host_ok("it ", GW_HOST_AUTHORITY));
    CHECK(!host_ok("\tit", GW_HOST_AUTHORITY));
    CHECK(!host_ok(" ", GW_HOST_AUTHORITY));
    /* the check stops at the first bad byte: a bad value stays bad */
    {
        struct gw_host_check h;
        gw_host_check_begin(&h);
        gw_host_check_feed(&h, "a b", 3);
        gw_host_check_feed(&h, "example.com", 11);
        CHECK(!gw_host_check_ok(&h, GW_HOST_FIELD));
        gw_host_check_begin(&h);   /* and begin starts over */
        gw_host_check_feed(&h, "example.com", 11);
        CHECK(gw_host_check_ok(&h, GW_HOST_FIELD));
    }

    /* origin-form: as it is, up to the query or fragment */
    CHECK_INT(target("/slack/events", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("/slack/events?x=1&y=/z", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("/slack/events#f", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("/", "/"), GW_TARGET_OK);
    CHECK_INT(target("//slack/events", "//slack/events"), GW_TARGET_OK);   /* a path, not an authority */
    /* absolute-form: the path after the authority */
    CHECK_INT(target("http://example.com/slack/events", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("HTTP://Example.COM:8080/slack/events?source=it", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("https://[::1]/slack/events", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("hTTpS://[::1]:443/healthz#x", "/healthz"), GW_TARGET_OK);
    CHECK_INT(target("http://example.com/slack/events?next=http://x/y", "/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("http://example.com", ""), GW_TARGET_OK);
    CHECK_INT(target("http://example.com?x=/healthz", ""), GW_TARGET_OK);
    CHECK_INT(target("http://example.com:/", "/"), GW_TARGET_OK);
    CHECK_INT(target("http:///slack/events", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("http://", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("http://user@example.com/slack/events", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("http://user:pw@example.com/", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("http://example.com:80x/", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("http://[::1/slack/events", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("http://ex\tample/", NULL), GW_TARGET_BAD_AUTHORITY);
    CHECK_INT(target("ftp://example.com/slack/events", NULL), GW_TARGET_BAD_SCHEME);
    CHECK_INT(target("httpx://example.com/slack/events", NULL), GW_TARGET_BAD_SCHEME);
    CHECK_INT(target("git+ssh://example.com/slack/events", NULL), GW_TARGET_BAD_SCHEME);
    /* other forms come back whole (no route matches them) */
    CHECK_INT(target("*", "*"), GW_TARGET_OK);
    CHECK_INT(target("example.com:443", "example.com:443"), GW_TARGET_OK);
    CHECK_INT(target("http:/slack/events", "http:/slack/events"), GW_TARGET_OK);
    CHECK_INT(target("1http://example.com/", "1http://example.com/"), GW_TARGET_OK);
    CHECK_INT(target("", ""), GW_TARGET_OK);

    /* Transfer-Encoding */
    CHECK_INT(te("chunked"), GW_TE_CHUNKED);
    CHECK_INT(te("Chunked"), GW_TE_CHUNKED);
    CHECK_INT(te(" CHUNKED \t"), GW_TE_CHUNKED);
    CHECK_INT(te(", ,chunked,"), GW_TE_CHUNKED);   /* empty list elements */
    CHECK_INT(te("gzip, chunked"), GW_TE_UNSUPPORTED);
    CHECK_INT(te("gzip ,chunked"), GW_TE_UNSUPPORTED);   /* two field lines joined */
    CHECK_INT(te("x-custom;q=\"a,b\", chunked"), GW_TE_UNSUPPORTED);
    CHECK_INT(te("gzip"), GW_TE_NOT_FINAL);
    CHECK_INT(te("identity"), GW_TE_NOT_FINAL);
    CHECK_INT(te("chunked, gzip"), GW_TE_NOT_FINAL);
    CHECK_INT(te("chunked;ext=1"), GW_TE_NOT_FINAL);
    CHECK_INT(te("chunkedx"), GW_TE_NOT_FINAL);
    CHECK_INT(te("chunke"), GW_TE_NOT_FINAL);
    CHECK_INT(te("chunked chunked"), GW_TE_NOT_FINAL);
    CHECK_INT(te(""), GW_TE_NOT_FINAL);
    CHECK_INT(te(" , "), GW_TE_NOT_FINAL);
    CHECK_INT(te("chunked, chunked"), GW_TE_CHUNKED_TWICE);
    CHECK_INT(te("chunked,gzip,chunked"), GW_TE_CHUNKED_TWICE);

    return TEST_DONE();
}
