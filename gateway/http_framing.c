/* http_framing.c — RFC 9112's framing rules that libhttp-parser leaves to
 * its caller: Host values, absolute-form targets, Transfer-Encoding. */
#include "gateway/http_framing.h"

#include <strings.h>

/* ---- hosts (RFC 3986 §3.2.2, §3.2.3) --------------------------------------- */

enum host_state {
    H_EMPTY = 0,     /* nothing yet */
    H_NAME,          /* in a reg-name (or IPv4 address) */
    H_PCT1,          /* after "%" */
    H_PCT2,          /* after "%" and one hex digit */
    H_LITERAL_OPEN,  /* after "[" */
    H_LITERAL,       /* inside "[...]" */
    H_LITERAL_END,   /* after "]" */
    H_PORT,          /* after ":" */
    H_TRAILING_OWS,  /* SP/HTAB after the host: only more of them may follow */
    H_BAD,
};

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* unreserved / sub-delims: what a reg-name is made of, besides %-escapes */
static bool is_name_char(unsigned char c)
{
    if (is_alnum(c))
        return true;
    switch (c) {
    case '-': case '.': case '_': case '~':
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return true;
    default:
        return false;
    }
}

/* Inside brackets: IPv6 (hex digits, ":" and "." for an embedded IPv4) or
 * IPvFuture ("v" hex "." then unreserved / sub-delims / ":"), not parsed
 * further. */
static bool is_literal_char(unsigned char c)
{
    return is_name_char(c) || c == ':';
}

static bool is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* SP/HTAB: leading ones are not part of a field value (RFC 9110 §5.5),
 * trailing ones end the host; inside one they make it invalid. */
static enum host_state ows_step(enum host_state s)
{
    switch (s) {
    case H_EMPTY:
        return H_EMPTY;
    case H_NAME:
    case H_LITERAL_END:
    case H_PORT:
    case H_TRAILING_OWS:
        return H_TRAILING_OWS;
    default:
        return H_BAD;
    }
}

static enum host_state host_step(enum host_state s, unsigned char c)
{
    if (is_ows(c))
        return ows_step(s);
    switch (s) {
    case H_EMPTY:
        return c == '[' ? H_LITERAL_OPEN : c == '%' ? H_PCT1 : is_name_char(c) ? H_NAME : H_BAD;
    case H_NAME:
        return c == '%' ? H_PCT1 : c == ':' ? H_PORT : is_name_char(c) ? H_NAME : H_BAD;
    case H_PCT1:
        return is_hex(c) ? H_PCT2 : H_BAD;
    case H_PCT2:
        return is_hex(c) ? H_NAME : H_BAD;
    case H_LITERAL_OPEN:
    case H_LITERAL:
        return c == ']' && s == H_LITERAL ? H_LITERAL_END : is_literal_char(c) ? H_LITERAL : H_BAD;
    case H_LITERAL_END:
        return c == ':' ? H_PORT : H_BAD;
    case H_PORT:
        return c >= '0' && c <= '9' ? H_PORT : H_BAD;
    case H_TRAILING_OWS:
    case H_BAD:
        break;
    }
    return H_BAD;
}

void gw_host_check_begin(struct gw_host_check *h)
{
    h->state = H_EMPTY;
    h->ows = false;
}

void gw_host_check_feed(struct gw_host_check *h, const char *p, size_t n)
{
    enum host_state s = (enum host_state)h->state;
    for (size_t i = 0; i < n && s != H_BAD; i++) {
        h->ows |= is_ows((unsigned char)p[i]);
        s = host_step(s, (unsigned char)p[i]);
    }
    h->state = (unsigned char)s;
}

bool gw_host_check_ok(const struct gw_host_check *h, enum gw_host_kind kind)
{
    switch ((enum host_state)h->state) {
    case H_EMPTY:
        return kind == GW_HOST_FIELD;
    case H_NAME:
    case H_LITERAL_END:
    case H_PORT:   /* an empty port too: port = *DIGIT */
    case H_TRAILING_OWS:
        return kind == GW_HOST_FIELD || !h->ows;
    default:
        return false;
    }
}

/* ---- request targets (RFC 9112 §3.2) ------------------------------------------ */

/* How far the path goes: up to its query or fragment. */
static size_t path_span(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '?' && p[i] != '#')
        i++;
    return i;
}

/* The length of the scheme before "://" (RFC 3986 §3.1), or 0. */
static size_t scheme_len(const char *url, size_t len)
{
    size_t i = 0;
    if (len == 0 || !((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
        return 0;
    while (i < len && (is_alnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.'))
        i++;
    return len - i >= 3 && url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/' ? i : 0;
}

static bool is_http_scheme(const char *s, size_t n)
{
    return (n == 4 && !strncasecmp(s, "http", 4)) || (n == 5 && !strncasecmp(s, "https", 5));
}

/* An http URI's authority: a host, no user info (RFC 9110 §4.2.4). */
static bool authority_ok(const char *a, size_t n)
{
    struct gw_host_check h;
    gw_host_check_begin(&h);
    gw_host_check_feed(&h, a, n);   /* "@" is no host character: user info fails here */
    return gw_host_check_ok(&h, GW_HOST_AUTHORITY);
}

enum gw_target gw_target_path(const char *url, size_t len, const char **path, size_t *path_len)
{
    size_t slen = len && url[0] != '/' ? scheme_len(url, len) : 0;
    if (slen == 0) {   /* origin-form, or a form no route has */
        *path = url;
        *path_len = path_span(url, len);
        return GW_TARGET_OK;
    }
    if (!is_http_scheme(url, slen))
        return GW_TARGET_BAD_SCHEME;
    const char *auth = url + slen + 3;
    size_t rest = len - slen - 3, alen = 0;
    while (alen < rest && auth[alen] != '/' && auth[alen] != '?' && auth[alen] != '#')
        alen++;
    if (!authority_ok(auth, alen))
        return GW_TARGET_BAD_AUTHORITY;
    *path = auth + alen;
    *path_len = path_span(*path, rest - alen);
    return GW_TARGET_OK;
}

/* ---- Transfer-Encoding (RFC 9112 §6.1) -------------------------------------------- */

enum gw_te gw_te_classify(const char *value, size_t len)
{
    unsigned chunked = 0;
    bool other = false, last_chunked = false;
    size_t i = 0;
    while (i < len) {
        size_t start = i, end;
        while (i < len && value[i] != ',')
            i++;
        end = i++;   /* past the comma */
        while (start < end && is_ows((unsigned char)value[start]))
            start++;
        while (end > start && is_ows((unsigned char)value[end - 1]))
            end--;
        if (start == end)
            continue;   /* an empty list element (RFC 9110 §5.6.1) */
        last_chunked = end - start == 7 && !strncasecmp(value + start, "chunked", 7);
        if (last_chunked)
            chunked++;
        else
            other = true;
    }
    if (!last_chunked)
        return GW_TE_NOT_FINAL;
    if (chunked > 1)
        return GW_TE_CHUNKED_TWICE;
    return other ? GW_TE_UNSUPPORTED : GW_TE_CHUNKED;
}
