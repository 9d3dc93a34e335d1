/* http_framing.h — what RFC 9112 asks of a request's framing and
 * libhttp-parser leaves to its caller: a valid Host value (§3.2), the path
 * of an absolute-form request target (§3.2.2), and which Transfer-Encoding
 * a request may carry (§6.1, §6.3). Pure functions on bytes the caller
 * holds; nothing is allocated. */
#ifndef GW_HTTP_FRAMING_H
#define GW_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

/* A host checked as its bytes arrive, in as many pieces as the parser
 * hands over: uri-host [ ":" port ] (RFC 3986 §3.2.2: a reg-name with
 * %-escapes, an IPv4 address, or an IP-literal in brackets) with no
 * limit on its length, so nothing is kept. */
struct gw_host_check {
    unsigned char state;
    bool          ows;   /* SP or HTAB seen (only trailing ones are allowed, in a field) */
};

void gw_host_check_begin(struct gw_host_check *h);
void gw_host_check_feed(struct gw_host_check *h, const char *p, size_t n);

enum gw_host_kind {
    GW_HOST_FIELD,       /* a Host header's value: may be empty, may end in SP/HTAB */
    GW_HOST_AUTHORITY,   /* an http URI's authority: a host is required, no whitespace */
};
/* Whether everything fed is a valid host of that kind. */
bool gw_host_check_ok(const struct gw_host_check *h, enum gw_host_kind kind);

enum gw_target {
    GW_TARGET_OK = 0,          /* *path is the path to route by */
    GW_TARGET_BAD_SCHEME,      /* absolute-form, but not an http or https URI */
    GW_TARGET_BAD_AUTHORITY,   /* absolute-form with no host, an invalid one, or user info */
};
/* The path of a request target, up to its query or fragment: origin-form
 * ("/slack/events?x") as it is; absolute-form
 * ("http://example.com/slack/events?x") after its authority (an empty
 * path when there is none). Any other form (asterisk "*",
 * authority-form) comes back whole, so that no route matches it. */
enum gw_target gw_target_path(const char *url, size_t len, const char **path, size_t *path_len);

enum gw_te {
    GW_TE_CHUNKED = 0,         /* exactly chunked: the only coding taken */
    GW_TE_UNSUPPORTED,         /* chunked last, other codings before it: 501 */
    GW_TE_NOT_FINAL,           /* chunked is not the last coding (or absent): 400, close */
    GW_TE_CHUNKED_TWICE,       /* chunked more than once (RFC 9112 §7): 400, close */
};
/* What a Transfer-Encoding value (its field lines joined with ",") asks
 * for. Names are case-insensitive; empty list elements are skipped; a
 * coding with parameters ("chunked;x=1") is not chunked. */
enum gw_te gw_te_classify(const char *value, size_t len);

#endif
