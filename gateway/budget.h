/* budget.h — the process-wide cap on buffered bytes (--max-buffered-bytes):
 * request bodies being received and records waiting for Kafka. Every loop
 * thread takes from and gives back to one atomic counter in gw_app; a
 * request that would go over is answered 503 with Retry-After instead of
 * growing the process (connections themselves are bounded by
 * --max-connections). */
#ifndef GW_BUDGET_H
#define GW_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"

/* Take n bytes. Returns false (nothing taken) when that would go over. */
static inline bool gw_budget_take(struct gw_app *app, size_t n)
{
    int64_t after = atomic_fetch_add_explicit(&app->buffered, (int64_t)n, memory_order_relaxed) +
                    (int64_t)n;
    if (after <= app->cfg->s.max_buffered)
        return true;
    atomic_fetch_sub_explicit(&app->buffered, (int64_t)n, memory_order_relaxed);
    return false;
}

/* Whether n more bytes would fit now (nothing taken). */
static inline bool gw_budget_fits(const struct gw_app *app, size_t n)
{
    return atomic_load_explicit(&app->buffered, memory_order_relaxed) + (int64_t)n <=
           app->cfg->s.max_buffered;
}

/* Give back n bytes taken by gw_budget_take. */
static inline void gw_budget_give(struct gw_app *app, size_t n)
{
    if (n)
        atomic_fetch_sub_explicit(&app->buffered, (int64_t)n, memory_order_relaxed);
}

#endif
