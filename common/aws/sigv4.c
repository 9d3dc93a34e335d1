/* sigv4.c — AWS Signature Version 4 (header and query signing) with
 * OpenSSL. Canonicalisation follows botocore's auth.py, the independent
 * implementation the tests compare against:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html */
#include "common/aws/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define SIGV4_MAX_HEADERS  (HG_HTTP_MAX_HEADERS + 8u)
#define SIGV4_MAX_PARAMS   256u
#define SIGV4_CREQ_MAX     (256u * 1024u)

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void hg_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data ? data : (const void *)"", len, md);
    hex(md, sizeof md, out);
}

static int hmac(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32])
{
    unsigned int olen = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen) || olen != 32)
        return -1;
    return 0;
}

void hg_sigv4_amz_date(int64_t now, char out[17])
{
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int hg_sigv4_uri_encode(struct hg_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            if (hg_buf_append(out, &s[i], 1) != 0)
                return -1;
        } else {
            char e[3] = { '%', digits[c >> 4], digits[c & 15] };
            if (hg_buf_append(out, e, 3) != 0)
                return -1;
        }
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode %XX escapes of s[0..n) and re-encode strictly onto out, so that
 * "a%2fb", "a%2Fb" and "a/b" all canonicalise to "a%2Fb". Returns 0, or
 * -1 on a bad escape or the cap. */
static int reencode(struct hg_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (hg_sigv4_uri_encode(out, &c, 1, false) != 0)
            return -1;
    }
    return 0;
}

/* botocore's remove_dot_segments: drops empty and "." segments, ".." pops,
 * keeps a leading and (when anything is left) a trailing slash. */
static int normalise_path(struct hg_buf *out, const char *p)
{
    size_t n = strlen(p);
    const char *seg[512];
    size_t segl[512];
    size_t ns = 0;
    if (n == 0)
        return hg_buf_append(out, "/", 1);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t l = j - i;
        if (l == 0 || (l == 1 && p[i] == '.')) {
            /* skip */
        } else if (l == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (ns)
                ns--;
        } else {
            if (ns >= sizeof seg / sizeof seg[0])
                return -1;
            seg[ns] = p + i;
            segl[ns] = l;
            ns++;
        }
        i = j + 1;
    }
    if (p[0] == '/' && hg_buf_append(out, "/", 1) != 0)
        return -1;
    for (size_t k = 0; k < ns; k++) {
        if (k && hg_buf_append(out, "/", 1) != 0)
            return -1;
        if (hg_buf_append(out, seg[k], segl[k]) != 0)
            return -1;
    }
    if (p[n - 1] == '/' && ns && hg_buf_append(out, "/", 1) != 0)
        return -1;
    return 0;
}

static int canonical_uri(struct hg_buf *out, const char *path, unsigned flags)
{
    if (!path || !*path)
        return hg_buf_append(out, "/", 1);
    if (flags & HG_SIGV4_S3)
        return hg_buf_append_str(out, path);
    struct hg_buf norm;
    hg_buf_init(&norm, SIGV4_CREQ_MAX);
    int rc = -1;
    if (normalise_path(&norm, path) != 0)
        goto out;
    /* Non-S3 services: the (already encoded) path is encoded again. */
    rc = hg_sigv4_uri_encode(out, norm.data, norm.len, true);
out:
    hg_buf_cleanup(&norm);
    return rc;
}

struct kv {
    char *k;
    char *v;
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

/* Parse and canonicalise a query string into sorted encoded pairs. extra
 * pairs (already encoded) are appended before sorting. */
static int canonical_query(struct hg_buf *out, const char *query,
                           const struct kv *extra, size_t nextra)
{
    struct kv kvs[SIGV4_MAX_PARAMS];
    struct hg_buf tmp;
    size_t n = 0;
    int rc = -1;

    hg_buf_init(&tmp, SIGV4_CREQ_MAX);
    memset(kvs, 0, sizeof kvs);
    const char *q = query ? query : "";
    while (*q) {
        size_t len = strcspn(q, "&");
        if (len) {
            const char *eq = memchr(q, '=', len);
            size_t kl = eq ? (size_t)(eq - q) : len;
            if (n >= SIGV4_MAX_PARAMS)
                goto out;
            hg_buf_reset(&tmp);
            if (reencode(&tmp, q, kl) != 0 || !(kvs[n].k = strdup(tmp.data ? tmp.data : "")))
                goto out;
            hg_buf_reset(&tmp);
            if (eq && reencode(&tmp, eq + 1, len - kl - 1) != 0)
                goto out;
            if (!(kvs[n].v = strdup(tmp.data && eq ? tmp.data : "")))
                goto out;
            n++;
        }
        q += len;
        if (*q == '&')
            q++;
    }
    for (size_t i = 0; i < nextra; i++) {
        if (n >= SIGV4_MAX_PARAMS || !(kvs[n].k = strdup(extra[i].k)) ||
            !(kvs[n].v = strdup(extra[i].v)))
            goto out;
        n++;
    }
    qsort(kvs, n, sizeof kvs[0], kv_cmp);
    for (size_t i = 0; i < n; i++) {
        if (hg_buf_appendf(out, "%s%s=%s", i ? "&" : "", kvs[i].k, kvs[i].v) != 0)
            goto out;
    }
    if (!out->data && hg_buf_append(out, "", 0) != 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < SIGV4_MAX_PARAMS; i++) {
        free(kvs[i].k);
        free(kvs[i].v);
    }
    hg_buf_cleanup(&tmp);
    return rc;
}

struct hdr {
    char name[128];
    const char *value;
};

static bool sigv4_space(unsigned char c)
{
    /* Python's str.split() whitespace within ASCII (botocore's Trimall). */
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Trim-all: leading/trailing whitespace removed, runs collapsed to one space. */
static int append_trimall(struct hg_buf *out, const char *v)
{
    bool pending = false, any = false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (sigv4_space(*p)) {
            pending = any;
            continue;
        }
        if (pending && hg_buf_append(out, " ", 1) != 0)
            return -1;
        pending = false;
        any = true;
        if (hg_buf_append(out, p, 1) != 0)
            return -1;
    }
    return 0;
}

static bool unsigned_header(const char *lname)
{
    return strcmp(lname, "expect") == 0 || strcmp(lname, "user-agent") == 0 ||
           strcmp(lname, "x-amzn-trace-id") == 0 || strcmp(lname, "authorization") == 0;
}

static int add_hdr(struct hdr *hs, size_t *n, const char *name, const char *value)
{
    size_t l = strlen(name);
    if (*n >= SIGV4_MAX_HEADERS || l == 0 || l >= sizeof hs[0].name)
        return -1;
    for (size_t i = 0; i <= l; i++)
        hs[*n].name[i] = (char)tolower((unsigned char)name[i]);
    /* Names are trimmed like botocore's signed_headers does. */
    hs[*n].value = value ? value : "";
    (*n)++;
    return 0;
}

/* Canonical headers block (each "name:value\n") and signed header list. */
static int canonical_headers(struct hg_buf *chdr, struct hg_buf *signed_h,
                             struct hdr *hs, size_t n)
{
    /* Stable insertion sort by name: repeated headers keep their order. */
    for (size_t i = 1; i < n; i++) {
        struct hdr t = hs[i];
        size_t j = i;
        while (j > 0 && strcmp(hs[j - 1].name, t.name) > 0) {
            hs[j] = hs[j - 1];
            j--;
        }
        hs[j] = t;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        if (hg_buf_appendf(chdr, "%s:", hs[i].name) != 0)
            return -1;
        if (hg_buf_appendf(signed_h, "%s%s", i ? ";" : "", hs[i].name) != 0)
            return -1;
        for (; j < n && strcmp(hs[j].name, hs[i].name) == 0; j++) {
            if (j > i && hg_buf_append(chdr, ",", 1) != 0)
                return -1;
            if (append_trimall(chdr, hs[j].value) != 0)
                return -1;
        }
        if (hg_buf_append(chdr, "\n", 1) != 0)
            return -1;
        i = j;
    }
    return 0;
}

static bool has_header(const struct hg_sigv4_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return true;
    return false;
}

/* Key derivation and signature over the string to sign. */
static int sign_sts(const struct hg_aws_creds *c, const char *date8, const char *region,
                    const char *service, const char *sts, char sig[65])
{
    unsigned char k[32];
    char kstart[HG_AWS_SECRET_MAX + 8];
    int rc = -1;
    int n = snprintf(kstart, sizeof kstart, "AWS4%s", c->secret_access_key);
    if (n < 0 || (size_t)n >= sizeof kstart)
        goto out;
    if (hmac(kstart, (size_t)n, date8, strlen(date8), k) != 0 ||
        hmac(k, 32, region, strlen(region), k) != 0 ||
        hmac(k, 32, service, strlen(service), k) != 0 ||
        hmac(k, 32, "aws4_request", 12, k) != 0 ||
        hmac(k, 32, sts, strlen(sts), k) != 0)
        goto out;
    hex(k, 32, sig);
    rc = 0;
out:
    OPENSSL_cleanse(kstart, sizeof kstart);
    OPENSSL_cleanse(k, sizeof k);
    return rc;
}

/* Everything shared by header signing and presigning. When presign_extra is
 * non-NULL the auth parameters go into the query. Writes the signature. */
static int sign_common(const struct hg_aws_creds *c, const struct hg_sigv4_request *r,
                       bool presign, long expires_s, const char *amz_date,
                       const char *payload_hash, struct hg_buf *creq_out,
                       struct hg_buf *query_out, struct hg_buf *signed_out,
                       char sig[65], char *errstr, size_t errstr_size)
{
    struct hdr *hs = NULL;
    size_t nh = 0;
    struct hg_buf creq, chdr, sh, cq, sts, cred;
    char date8[9], creq_hash[65];
    int rc = -1;

    hg_buf_init(&creq, SIGV4_CREQ_MAX);
    hg_buf_init(&chdr, SIGV4_CREQ_MAX);
    hg_buf_init(&sh, 8192);
    hg_buf_init(&cq, SIGV4_CREQ_MAX);
    hg_buf_init(&sts, 4096);
    hg_buf_init(&cred, 1024);
    memcpy(date8, amz_date, 8);
    date8[8] = '\0';

    if (!r->method || !r->host || !r->region || !r->service || !*r->region || !*r->service) {
        snprintf(errstr, errstr_size, "sigv4: method, host, region and service are required");
        goto out;
    }
    if (strchr(r->region, '/') || strchr(r->service, '/')) {
        snprintf(errstr, errstr_size, "sigv4: bad region or service");
        goto out;
    }
    hs = calloc(SIGV4_MAX_HEADERS, sizeof *hs);
    if (!hs) {
        snprintf(errstr, errstr_size, "sigv4: out of memory");
        goto out;
    }
    bool host_given = has_header(r, "host");
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *nm = r->headers[i].name;
        char lname[128];
        size_t l = strlen(nm);
        if (l == 0 || l >= sizeof lname) {
            snprintf(errstr, errstr_size, "sigv4: bad header name");
            goto out;
        }
        for (size_t j = 0; j <= l; j++)
            lname[j] = (char)tolower((unsigned char)nm[j]);
        if (unsigned_header(lname) || strcmp(lname, "x-amz-date") == 0)
            continue;
        if (!presign && ((*c->session_token && strcmp(lname, "x-amz-security-token") == 0) ||
                         ((r->flags & HG_SIGV4_CONTENT_SHA256) &&
                          strcmp(lname, "x-amz-content-sha256") == 0)))
            continue;   /* we add these ourselves */
        if (add_hdr(hs, &nh, lname, r->headers[i].value) != 0) {
            snprintf(errstr, errstr_size, "sigv4: too many headers");
            goto out;
        }
    }
    int x = 0;
    if (!host_given)
        x |= add_hdr(hs, &nh, "host", r->host);
    if (!presign) {
        x |= add_hdr(hs, &nh, "x-amz-date", amz_date);
        if (*c->session_token)
            x |= add_hdr(hs, &nh, "x-amz-security-token", c->session_token);
        if (r->flags & HG_SIGV4_CONTENT_SHA256)
            x |= add_hdr(hs, &nh, "x-amz-content-sha256", payload_hash);
    }
    if (x || canonical_headers(&chdr, &sh, hs, nh) != 0 ||
        hg_buf_appendf(&cred, "%s/%s/%s/%s/aws4_request", c->access_key_id, date8,
                       r->region, r->service) != 0) {
        snprintf(errstr, errstr_size, "sigv4: too many or too large headers");
        goto out;
    }

    if (presign) {
        struct hg_buf ecred, esh, etok;
        struct kv extra[6];
        size_t ne = 0;
        char exp[24];
        hg_buf_init(&ecred, 2048);
        hg_buf_init(&esh, 16384);
        hg_buf_init(&etok, 3 * HG_AWS_TOKEN_MAX);
        snprintf(exp, sizeof exp, "%ld", expires_s);
        int erc = hg_sigv4_uri_encode(&ecred, cred.data, cred.len, false) |
                  hg_sigv4_uri_encode(&esh, sh.data, sh.len, false) |
                  hg_sigv4_uri_encode(&etok, c->session_token, strlen(c->session_token), false) |
                  hg_buf_append(&etok, "", 0) | hg_buf_append(&ecred, "", 0) |
                  hg_buf_append(&esh, "", 0);
        if (erc == 0) {
            extra[ne++] = (struct kv){ (char *)"X-Amz-Algorithm", (char *)"AWS4-HMAC-SHA256" };
            extra[ne++] = (struct kv){ (char *)"X-Amz-Credential", ecred.data };
            extra[ne++] = (struct kv){ (char *)"X-Amz-Date", (char *)amz_date };
            extra[ne++] = (struct kv){ (char *)"X-Amz-Expires", exp };
            if (*c->session_token)
                extra[ne++] = (struct kv){ (char *)"X-Amz-Security-Token", etok.data };
            extra[ne++] = (struct kv){ (char *)"X-Amz-SignedHeaders", esh.data };
            erc = canonical_query(&cq, r->query, extra, ne);
        }
        if (etok.data)
            OPENSSL_cleanse(etok.data, etok.len);
        hg_buf_cleanup(&ecred);
        hg_buf_cleanup(&esh);
        hg_buf_cleanup(&etok);
        if (erc != 0) {
            snprintf(errstr, errstr_size, "sigv4: bad or oversized query string");
            goto out;
        }
    } else if (canonical_query(&cq, r->query, NULL, 0) != 0) {
        snprintf(errstr, errstr_size, "sigv4: bad or oversized query string");
        goto out;
    }

    if (hg_buf_appendf(&creq, "%s\n", r->method) != 0 ||
        canonical_uri(&creq, r->path, r->flags) != 0 ||
        hg_buf_appendf(&creq, "\n%s\n", cq.data ? cq.data : "") != 0 ||
        hg_buf_append(&creq, chdr.data ? chdr.data : "", chdr.len) != 0 ||
        hg_buf_appendf(&creq, "\n%s\n%s", sh.data ? sh.data : "", payload_hash) != 0) {
        snprintf(errstr, errstr_size, "sigv4: canonical request too large");
        goto out;
    }
    hg_sigv4_sha256_hex(creq.data, creq.len, creq_hash);
    if (hg_buf_appendf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date,
                       date8, r->region, r->service, creq_hash) != 0 ||
        sign_sts(c, date8, r->region, r->service, sts.data, sig) != 0) {
        snprintf(errstr, errstr_size, "sigv4: HMAC failed (secret too long?)");
        goto out;
    }
    if ((creq_out && hg_buf_append(creq_out, creq.data, creq.len) != 0) ||
        (query_out && hg_buf_append(query_out, cq.data ? cq.data : "", cq.len) != 0) ||
        (signed_out && hg_buf_append(signed_out, sh.data ? sh.data : "", sh.len) != 0)) {
        snprintf(errstr, errstr_size, "sigv4: output buffer too small");
        goto out;
    }
    rc = 0;
out:
    free(hs);
    hg_buf_cleanup(&creq);
    hg_buf_cleanup(&chdr);
    hg_buf_cleanup(&sh);
    hg_buf_cleanup(&cq);
    hg_buf_cleanup(&sts);
    hg_buf_cleanup(&cred);
    return rc;
}

int hg_sigv4_sign(const struct hg_aws_creds *c, const struct hg_sigv4_request *r,
                  struct hg_sigv4_signed *out, struct hg_buf *creq,
                  char *errstr, size_t errstr_size)
{
    struct hg_buf sh;
    int rc = -1;

    hg_buf_init(&sh, 8192);
    memset(out, 0, sizeof *out);
    hg_sigv4_amz_date(r->now, out->amz_date);
    if (r->payload_hash) {
        if (strlen(r->payload_hash) >= sizeof out->payload_hash) {
            snprintf(errstr, errstr_size, "sigv4: bad payload hash");
            goto out;
        }
        snprintf(out->payload_hash, sizeof out->payload_hash, "%s", r->payload_hash);
    } else {
        hg_sigv4_sha256_hex(r->body, r->body ? r->body_len : 0, out->payload_hash);
    }
    if (sign_common(c, r, false, 0, out->amz_date, out->payload_hash, creq, NULL, &sh,
                    out->signature, errstr, errstr_size) != 0)
        goto out;
    int n = snprintf(out->authorization, sizeof out->authorization,
                     "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
                     "SignedHeaders=%s, Signature=%s",
                     c->access_key_id, out->amz_date, r->region, r->service,
                     sh.data ? sh.data : "", out->signature);
    if (n < 0 || (size_t)n >= sizeof out->authorization) {
        snprintf(errstr, errstr_size, "sigv4: too many signed headers for the Authorization header");
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        OPENSSL_cleanse(out, sizeof *out);
    hg_buf_cleanup(&sh);
    return rc;
}

int hg_sigv4_presign(const struct hg_aws_creds *c, const struct hg_sigv4_request *r,
                     long expires_s, struct hg_buf *out,
                     char *errstr, size_t errstr_size)
{
    char amz_date[17], ph[65], sig[65];
    int rc = -1;

    hg_sigv4_amz_date(r->now, amz_date);
    if (r->payload_hash)
        snprintf(ph, sizeof ph, "%s", r->payload_hash);
    else if (r->flags & HG_SIGV4_S3)
        snprintf(ph, sizeof ph, "%s", HG_SIGV4_UNSIGNED_PAYLOAD);
    else
        hg_sigv4_sha256_hex(r->body, r->body ? r->body_len : 0, ph);
    if (expires_s < 1 || expires_s > 604800) {
        snprintf(errstr, errstr_size, "sigv4: expiry must be 1..604800 s");
        goto out;
    }
    if (sign_common(c, r, true, expires_s, amz_date, ph, NULL, out, NULL, sig,
                    errstr, errstr_size) != 0)
        goto out;
    if (hg_buf_appendf(out, "&X-Amz-Signature=%s", sig) != 0) {
        snprintf(errstr, errstr_size, "sigv4: presigned query too long");
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(sig, sizeof sig);
    return rc;
}
