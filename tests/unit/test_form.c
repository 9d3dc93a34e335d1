/* test_form.c — form decoding: '+', %XX, empty pairs, limits and errors. */
#include <stdio.h>
#include <string.h>

#include "common/form.h"
#include "common/limits.h"
#include "test.h"

static int parse(const char *s, struct hg_form *f, char *err, size_t errn)
{
    return hg_form_parse(s, strlen(s), f, err, errn);
}

int main(void)
{
    struct hg_form f;
    char err[128];

    CHECK_INT(parse("a=1&b=x%20y&c=hello+world&d=%2Fcmd%2b&e", &f, err, sizeof err), 0);
    CHECK_INT(f.n, 5);
    CHECK_STR(hg_form_get(&f, "a")->value, "1");
    CHECK_STR(hg_form_get(&f, "b")->value, "x y");
    CHECK_STR(hg_form_get(&f, "c")->value, "hello world");
    CHECK_STR(hg_form_get(&f, "d")->value, "/cmd+");
    CHECK_STR(hg_form_get(&f, "e")->value, "");
    CHECK_INT(hg_form_get(&f, "e")->value_len, 0);
    CHECK(hg_form_get(&f, "zz") == NULL);
    hg_form_cleanup(&f);
    CHECK_INT(f.n, 0);
    CHECK(f.fields == NULL);

    /* empty pairs skipped, empty input, '=' in the value, first match wins */
    CHECK_INT(parse("&&a=1&&a=2&&=&", &f, err, sizeof err), -1);
    CHECK(strstr(err, "empty key") != NULL);
    CHECK_INT(parse("&&a=1&&a=2&&", &f, err, sizeof err), 0);
    CHECK_INT(f.n, 2);
    CHECK_STR(hg_form_get(&f, "a")->value, "1");
    hg_form_cleanup(&f);
    CHECK_INT(parse("", &f, err, sizeof err), 0);
    CHECK_INT(f.n, 0);
    hg_form_cleanup(&f);
    CHECK_INT(parse("k=a=b", &f, err, sizeof err), 0);
    CHECK_STR(hg_form_get(&f, "k")->value, "a=b");
    hg_form_cleanup(&f);
    /* encoded key, and %00 in a value keeps its length */
    CHECK_INT(parse("a%5Bb%5D=x%00y", &f, err, sizeof err), 0);
    CHECK(hg_form_get(&f, "a[b]") != NULL);
    CHECK_INT(hg_form_get(&f, "a[b]")->value_len, 3);
    CHECK_MEM(hg_form_get(&f, "a[b]")->value, 3, "x\0y", 3);
    hg_form_cleanup(&f);
    /* the body need not be NUL-terminated: parse only the first len bytes */
    CHECK_INT(hg_form_parse("a=1&b=2", 3, &f, err, sizeof err), 0);
    CHECK_INT(f.n, 1);
    CHECK_STR(f.fields[0].value, "1");
    hg_form_cleanup(&f);

    /* bad escapes name the offset of the '%' */
    CHECK_INT(parse("a=1&b=%zz", &f, err, sizeof err), -1);
    CHECK_STR(err, "bad %-escape at offset 6");
    CHECK(f.n == 0 && f.fields == NULL);
    CHECK_INT(parse("a=%4", &f, err, sizeof err), -1);
    CHECK_STR(err, "bad %-escape at offset 2");
    CHECK_INT(parse("a=%", &f, err, sizeof err), -1);
    CHECK_STR(err, "bad %-escape at offset 2");
    CHECK_INT(parse("x%g1=1", &f, err, sizeof err), -1);
    CHECK_STR(err, "bad %-escape at offset 1");
    CHECK_INT(parse("=v", &f, err, sizeof err), -1);
    CHECK_STR(err, "empty key at offset 0");
    CHECK_INT(parse("a%00b=v", &f, err, sizeof err), -1);

    /* limits: key length and field count */
    char key[HG_FORM_MAX_KEY + 4];
    memset(key, 'k', HG_FORM_MAX_KEY);
    memcpy(key + HG_FORM_MAX_KEY, "=1", 3);
    CHECK_INT(parse(key, &f, err, sizeof err), 0);
    hg_form_cleanup(&f);
    memset(key, 'k', HG_FORM_MAX_KEY + 1);
    memcpy(key + HG_FORM_MAX_KEY + 1, "=1", 3);
    CHECK_INT(parse(key, &f, err, sizeof err), -1);
    CHECK(strstr(err, "longer than") != NULL);

    static char many[(HG_FORM_MAX_FIELDS + 1) * 8];
    size_t o = 0;
    for (unsigned i = 0; i < HG_FORM_MAX_FIELDS; i++)
        o += (size_t)snprintf(many + o, sizeof many - o, "k%u=v&", i);
    CHECK_INT(hg_form_parse(many, o, &f, err, sizeof err), 0);
    CHECK_INT(f.n, HG_FORM_MAX_FIELDS);
    hg_form_cleanup(&f);
    o += (size_t)snprintf(many + o, sizeof many - o, "one=more");
    CHECK_INT(hg_form_parse(many, o, &f, err, sizeof err), -1);
    CHECK(strstr(err, "more than") != NULL);
    CHECK(f.n == 0 && f.fields == NULL);
    return TEST_DONE();
}
