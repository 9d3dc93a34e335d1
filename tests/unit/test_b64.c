/* test_b64.c — base64/base64url: RFC 4648 §10 vectors, unpadded input,
 * url alphabet, and malformed input with the offset of the first fault. */
#include <string.h>

#include "common/b64.h"
#include "test.h"

static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
static const char *const enc_url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };

/* Decode s; returns the length or -1 with *off. */
static long dec(const char *s, unsigned char *out, size_t *off)
{
    *off = 12345;
    return hg_b64_decode(s, strlen(s), out, off);
}

int main(void)
{
    char e[64];
    unsigned char d[64];
    size_t off;

    for (size_t i = 0; i < 7; i++) {
        size_t n = strlen(plain[i]);
        CHECK_INT(hg_b64_encode((const unsigned char *)plain[i], n, e, 0), strlen(enc[i]));
        CHECK_STR(e, enc[i]);
        CHECK_INT(hg_b64_encode((const unsigned char *)plain[i], n, e, 1), strlen(enc_url[i]));
        CHECK_STR(e, enc_url[i]);
        /* padded and unpadded decode to the same bytes */
        long r = dec(enc[i], d, &off);
        CHECK_INT(r, n);
        CHECK_MEM(d, r > 0 ? (size_t)r : 0, plain[i], n);
        r = dec(enc_url[i], d, &off);
        CHECK_INT(r, n);
        CHECK_MEM(d, r > 0 ? (size_t)r : 0, plain[i], n);
    }

    /* both alphabets on bytes that hit '+' '/' and '-' '_' */
    const unsigned char hi[] = { 0xfb, 0xff, 0xbf, 0xfe };
    hg_b64_encode(hi, 4, e, 0);
    CHECK_STR(e, "+/+//g==");
    hg_b64_encode(hi, 4, e, 1);
    CHECK_STR(e, "-_-__g");
    CHECK_INT(dec("+/+//g==", d, &off), 4);
    CHECK_MEM(d, 4, hi, 4);
    /* the decoder is strict standard base64: url characters are errors */
    CHECK_INT(dec("-_-__g", d, &off), -1);
    CHECK_INT(off, 0);

    /* capacity macros are sufficient */
    CHECK(HG_B64_ENCODED_MAX(4) >= 9);
    CHECK(HG_B64_DECODED_MAX(8) >= 6);

    /* malformed: stray characters, whitespace, misplaced '=' */
    CHECK_INT(dec("Zm9v YmFy", d, &off), -1);
    CHECK_INT(off, 4);
    CHECK_INT(dec("Zm9vYmFy\n", d, &off), -1);
    CHECK_INT(off, 8);
    CHECK_INT(dec("Zm9v*mFy", d, &off), -1);
    CHECK_INT(off, 4);
    CHECK_INT(dec("Zg=a", d, &off), -1);
    CHECK_INT(off, 2);
    CHECK_INT(dec("Z===", d, &off), -1);
    CHECK_INT(off, 1);
    CHECK_INT(dec("====", d, &off), -1);
    CHECK_INT(off, 0);
    CHECK_INT(dec("Zg==Zg==", d, &off), -1);
    CHECK_INT(off, 2);
    CHECK_INT(dec("Zg=", d, &off), -1);
    CHECK_INT(off, 2);
    CHECK_INT(dec("Zm9vYmFy====", d, &off), -1);
    CHECK_INT(off, 8);
    /* bad length: one character left over */
    CHECK_INT(dec("Z", d, &off), -1);
    CHECK_INT(off, 1);
    CHECK_INT(dec("Zm9vY", d, &off), -1);
    CHECK_INT(off, 5);
    /* non-zero trailing bits */
    CHECK_INT(dec("Zh==", d, &off), -1);
    CHECK_INT(off, 1);
    CHECK_INT(dec("Zm9=", d, &off), -1);
    CHECK_INT(off, 2);
    CHECK_INT(dec("Zh", d, &off), -1);
    /* embedded NUL is a bad character */
    CHECK_INT(hg_b64_decode("Zm\0v", 4, d, &off), -1);
    CHECK_INT(off, 2);
    /* err_off may be NULL */
    CHECK_INT(hg_b64_decode("!!!!", 4, d, NULL), -1);

    /* round trip every byte value */
    unsigned char all[256];
    static char big[HG_B64_ENCODED_MAX(256)];
    static unsigned char back[HG_B64_DECODED_MAX(sizeof big)];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (size_t n = 0; n <= 256; n += 37) {
        size_t el = hg_b64_encode(all, n, big, 0);
        CHECK_INT(el, (n + 2) / 3 * 4);
        long r = hg_b64_decode(big, el, back, &off);
        CHECK_INT(r, n);
        CHECK_MEM(back, n, all, n);
    }
    return TEST_DONE();
}
