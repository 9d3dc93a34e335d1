/* dedup.h — a bounded set of recently acknowledged Slack event ids, shared
 * by all threads, so a Slack retry of an event Kafka already has is answered
 * 200 without a second record. Oldest ids are forgotten first. */
#ifndef GW_DEDUP_H
#define GW_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_dedup;

/* A set remembering up to capacity ids (64-bit hashes: 16 bytes an id
 * including the table). capacity 0 gives a set that remembers nothing.
 * Returns NULL on out-of-memory. */
struct gw_dedup *gw_dedup_create(size_t capacity);
void gw_dedup_destroy(struct gw_dedup *d);

/* The 64-bit hash of an id (FNV-1a; never 0). */
uint64_t gw_dedup_hash(const char *id, size_t len);
/* Thread-safe. */
bool gw_dedup_contains(struct gw_dedup *d, uint64_t h);
void gw_dedup_insert(struct gw_dedup *d, uint64_t h);

#endif
