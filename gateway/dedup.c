/* dedup.c — recent-id set: linear-probing hash table + FIFO ring, one mutex. */
#include "gateway/dedup.h"

#include <pthread.h>
#include <stdlib.h>

struct gw_dedup {
    pthread_mutex_t lock;
    uint64_t *table;   /* 0 = empty */
    size_t    mask;
    uint64_t *ring;    /* insertion order, for eviction */
    size_t    cap, head, count;
};

uint64_t gw_dedup_hash(const char *id, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)id[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

struct gw_dedup *gw_dedup_create(size_t capacity)
{
    struct gw_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->lock, NULL);
    d->cap = capacity;
    if (capacity == 0)
        return d;
    size_t size = 16;
    while (size < capacity * 2)
        size <<= 1;
    d->table = calloc(size, sizeof *d->table);
    d->ring = calloc(capacity, sizeof *d->ring);
    if (!d->table || !d->ring) {
        gw_dedup_destroy(d);
        return NULL;
    }
    d->mask = size - 1;
    return d;
}

void gw_dedup_destroy(struct gw_dedup *d)
{
    if (!d)
        return;
    pthread_mutex_destroy(&d->lock);
    free(d->table);
    free(d->ring);
    free(d);
}

static size_t find_slot(const struct gw_dedup *d, uint64_t h)
{
    size_t i = (size_t)h & d->mask;
    while (d->table[i] && d->table[i] != h)
        i = (i + 1) & d->mask;
    return i;
}

/* Backward-shift deletion keeps probe sequences intact without tombstones. */
static void table_remove(struct gw_dedup *d, uint64_t h)
{
    size_t i = find_slot(d, h);
    if (!d->table[i])
        return;
    size_t j = i;
    for (;;) {
        d->table[i] = 0;
        for (;;) {
            j = (j + 1) & d->mask;
            if (!d->table[j])
                return;
            size_t home = (size_t)d->table[j] & d->mask;
            /* move table[j] into the hole at i unless its home lies in (i, j] */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            break;
        }
        d->table[i] = d->table[j];
        i = j;
    }
}

bool gw_dedup_contains(struct gw_dedup *d, uint64_t h)
{
    if (!d || !d->cap)
        return false;
    pthread_mutex_lock(&d->lock);
    bool found = d->table[find_slot(d, h)] == h;
    pthread_mutex_unlock(&d->lock);
    return found;
}

void gw_dedup_insert(struct gw_dedup *d, uint64_t h)
{
    if (!d || !d->cap)
        return;
    pthread_mutex_lock(&d->lock);
    size_t slot = find_slot(d, h);
    if (d->table[slot] == h)
        goto out;
    if (d->count == d->cap) {           /* forget the oldest */
        table_remove(d, d->ring[d->head]);
        d->head = (d->head + 1) % d->cap;
        d->count--;
        slot = find_slot(d, h);
    }
    d->table[slot] = h;
    d->ring[(d->head + d->count) % d->cap] = h;
    d->count++;
out:
    pthread_mutex_unlock(&d->lock);
}
