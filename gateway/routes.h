/* routes.h — path → handler, one reply per request. */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stddef.h>

#include "gateway/gateway.h"

extern const char *const gw_route_names[GW_ROUTE_COUNT];

/* The route a request path (without query) names. */
enum gw_route gw_routes_match(const char *path, size_t len);
/* The largest body a route takes (the envelope route allows for base64
 * and the envelope around a max_body inner body). */
size_t gw_routes_body_cap(const struct gw_app *app, enum gw_route route);

/* The methods a route takes, as a 405's Allow header lists them
 * (RFC 9110 §15.5.6); NULL for an unknown route. */
const char *gw_routes_allow(enum gw_route route);
/* Whether the route takes this method (enum http_method). */
bool gw_routes_method_ok(enum gw_route route, unsigned method);
/* Handle the connection's complete request: answer it now or hand it to
 * Kafka (acks.c), which answers later. */
void gw_routes_dispatch(struct gw_conn *c);

#endif
