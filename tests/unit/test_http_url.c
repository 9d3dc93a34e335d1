/* test_http_url.c — common/http_client.c's URL host helpers: which host a
 * URL names (as libcurl would go to it) and whether it is this machine. */
#include <stdbool.h>

#include "common/http_client.h"
#include "test.h"

int main(void)
{
    char h[64];
    CHECK_INT(hg_http_url_host("https://slack.com/api", h, sizeof h), 0);
    CHECK_STR(h, "slack.com");
    CHECK_INT(hg_http_url_host("HTTP://127.0.0.1:8080/x?y", h, sizeof h), 0);
    CHECK_STR(h, "127.0.0.1");
    CHECK_INT(hg_http_url_host("http://[::1]:9/", h, sizeof h), 0);
    CHECK_STR(h, "::1");
    CHECK_INT(hg_http_url_host("http://files.slack.com", h, sizeof h), 0);
    CHECK_STR(h, "files.slack.com");
    /* user info: libcurl goes to the host after the '@' */
    CHECK_INT(hg_http_url_host("http://127.0.0.1:1@evil.example/", h, sizeof h), -1);
    CHECK_INT(hg_http_url_host("ftp://127.0.0.1/", h, sizeof h), -1);
    CHECK_INT(hg_http_url_host("127.0.0.1/", h, sizeof h), -1);
    CHECK_INT(hg_http_url_host("http://[::1/", h, sizeof h), -1);
    char small[4];
    CHECK_INT(hg_http_url_host("http://slack.com/", small, sizeof small), -1);
    /* an '@' after the path is no user info */
    CHECK_INT(hg_http_url_host("http://127.0.0.1/a@b", h, sizeof h), 0);
    CHECK_STR(h, "127.0.0.1");

    CHECK(hg_http_url_loopback("http://127.0.0.1:5/api"));
    CHECK(hg_http_url_loopback("http://127.9.8.7/"));
    CHECK(hg_http_url_loopback("http://localhost:80/"));
    CHECK(hg_http_url_loopback("http://[::1]/"));
    CHECK(!hg_http_url_loopback("http://128.0.0.1/"));
    CHECK(!hg_http_url_loopback("http://127.0.0.1.evil.example/"));
    CHECK(!hg_http_url_loopback("http://127.0.0.1@evil.example/"));
    CHECK(!hg_http_url_loopback("http://127.0.0.256/"));
    CHECK(!hg_http_url_loopback("http://slack.com/"));
    return TEST_DONE();
}
