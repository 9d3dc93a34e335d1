/* server.h — the gateway's event-loop threads: one SO_REUSEPORT listener,
 * event base and producer per thread; signals and orderly shutdown. */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include "gateway/gateway.h"

/* Bind, start app->nthreads loops and serve until SIGTERM/SIGINT, then
 * drain: /readyz turns 503, keep serving for --shutdown-grace-ms, stop
 * accepting, let in-flight requests finish, flush the producers. Returns the
 * process exit status (0 when every acknowledged record was delivered). */
int gw_server_run(struct gw_app *app);

#endif
