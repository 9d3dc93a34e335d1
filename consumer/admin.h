/* admin.h — the worker's admin port: GET /healthz and GET /metrics
 * (Prometheus text) on HOOKGATE_ADMIN_LISTEN, served on a thread of its own
 * (admin.c: one request a connection, capped and timed). */
#ifndef HGC_ADMIN_H
#define HGC_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/metrics.h"

struct hgc_admin;

/* Listen on listen ("host:port"; port 0 picks a free one) and serve
 * metrics (borrowed; must outlive the admin server). /healthz answers 200
 * while the gauge last_poll (seconds since the epoch; may be NULL) is at
 * most stale_s seconds old, 503 otherwise. Returns the server (stop with
 * hgc_admin_stop) or NULL with errstr. */
struct hgc_admin *hgc_admin_start(const char *listen, struct hg_metrics *metrics,
                                  struct hg_gauge *last_poll, int stale_s,
                                  char *errstr, size_t errstr_size);
/* The bound port (useful after port 0). */
int hgc_admin_port(const struct hgc_admin *a);
/* Stop the thread, close the socket, free. NULL is ignored. */
void hgc_admin_stop(struct hgc_admin *a);

#endif
