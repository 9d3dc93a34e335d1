/* conn.h — one client connection: HTTP/1.1 parsing (libhttp-parser) with
 * limits and timeouts, keep-alive and pipelining, exactly one reply per
 * request. Everything runs on the connection's own loop thread. */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <stddef.h>

#include "gateway/gateway.h"

/* Take ownership of an accepted, non-blocking socket. Closes it on failure. */
void gw_conn_accept(struct gw_thread *t, int fd);

/* Answer the connection's current request. body is copied (or written at
 * once). retry_after > 0 adds a Retry-After header. After this call c may
 * already be freed (connection closed): do not touch it. */
void gw_conn_reply(struct gw_conn *c, int status, const char *content_type,
                   const char *body, size_t len, int retry_after);
/* An error answer: {"error":"<code>","message":"<message>"}. */
void gw_conn_reply_error(struct gw_conn *c, int status, const char *code, const char *message,
                         int retry_after);

/* The request's body has been turned into its record: give its bytes back
 * to the budget (budget.h) and free a large buffer now rather than after
 * the answer. */
void gw_conn_body_done(struct gw_conn *c);

/* Close now; a pending record stays with its delivery report. */
void gw_conn_close(struct gw_conn *c);

/* Shutdown: close idle connections, and make the others close after their
 * current request. */
void gw_conn_close_idle_all(struct gw_thread *t);

#endif
