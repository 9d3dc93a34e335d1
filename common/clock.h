/* clock.h — wall and monotonic time, RFC 3339 formatting, unique ids. */
#ifndef HG_CLOCK_H
#define HG_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t hg_clock_now_ms(void);        /* CLOCK_REALTIME, ms since the epoch */
int64_t hg_clock_mono_us(void);       /* CLOCK_MONOTONIC, µs */
/* "2026-11-22T07:00:00.123Z" into out (needs 25 bytes). */
void hg_clock_rfc3339_ms(int64_t epoch_ms, char out[25]);
/* A UUIDv7 (time-ordered, 74 random bits from OpenSSL's RAND_bytes) into out
 * (37 bytes). Returns 0, or -1 when the RNG failed. */
int hg_uuid7(char out[37]);

#endif
