/* dlq.h — the dead-letter producer: a record whose retries ran out goes to
 * the DLQ topic with headers saying which step failed, why, after how many
 * attempts, and where it came from. Also the synchronous "produce and wait
 * for the delivery report" used by redrive. */
#ifndef HGC_DLQ_H
#define HGC_DLQ_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "common/config.h"

/* Header names written on dead-lettered records. */
#define HGC_DLQ_H_STEP       "hookgate-dlq-step"
#define HGC_DLQ_H_REASON     "hookgate-dlq-reason"
#define HGC_DLQ_H_ATTEMPTS   "hookgate-dlq-attempts"
#define HGC_DLQ_H_TOPIC      "hookgate-dlq-source-topic"
#define HGC_DLQ_H_PARTITION  "hookgate-dlq-source-partition"
#define HGC_DLQ_H_OFFSET     "hookgate-dlq-source-offset"
#define HGC_DLQ_H_TIME       "hookgate-dlq-time"

struct hgc_dlq;

/* A producer (acks=all, idempotent) for topic on brokers with the user's
 * pass-through props. brokers and props are borrowed and must outlive the
 * object: a producer that hits a fatal error is rebuilt from them at the
 * next send (logged dlq_producer_fatal, dlq_producer_replaced). Returns the
 * object (free with hgc_dlq_destroy) or NULL with errstr. */
struct hgc_dlq *hgc_dlq_create(const char *brokers, const struct hg_kafka_props *props,
                               const char *topic, char *errstr, size_t errstr_size);
void hgc_dlq_destroy(struct hgc_dlq *d);

/* Dead-letter src (the consumed message: its key, value and headers are
 * copied) with the hookgate-dlq-* headers. step and reason are short texts
 * (no secrets). Blocks until the delivery report arrives (the producer's
 * message.timeout.ms, 30 s by default, or timeout_ms + 5 s at most: then
 * the message is purged and this fails). Returns 0 when the broker acknowledged it, -1 with errstr
 * otherwise (the caller must not commit src's offset then). */
int hgc_dlq_send(struct hgc_dlq *d, const rd_kafka_message_t *src, const char *step,
                 const char *reason, int attempts, int timeout_ms,
                 char *errstr, size_t errstr_size);

/* Produce key/value (borrowed) with the given headers (borrowed, may be
 * NULL) to topic (NULL = the dlq's own topic) and wait for the delivery
 * report. Returns 0 or -1 with errstr. */
int hgc_dlq_produce_sync(struct hgc_dlq *d, const char *topic, const void *key, size_t key_len,
                         const void *value, size_t value_len, const rd_kafka_headers_t *hdrs,
                         int timeout_ms, char *errstr, size_t errstr_size);

#endif
