/* acks.h — the Kafka side of a thread: its producer, delivery reports
 * brought into the libevent loop through a non-blocking pipe
 * (rd_kafka_queue_io_event_enable), and the pending records that hold a
 * connection's reply until the report (or the deadline) comes. */
#ifndef GW_ACKS_H
#define GW_ACKS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"

struct gw_pending;

/* Build the producers' Kafka configuration once, without brokers, and
 * drop it: a property librdkafka refuses or one that weakens the delivery
 * guarantees (acks, idempotence) is refused at start, before the embedded
 * cluster or any thread is up. Returns 0, or -1 with errstr naming it. */
int gw_acks_check_config(const struct gw_config *cfg, char *errstr, size_t errstr_size);

/* Create t's producer (idempotent, acks=all, message.timeout.ms below the
 * ack deadline, queue bounded by --max-inflight) and hook its delivery
 * reports into t->base. After a fatal producer error the loop replaces the
 * producer by itself (its pending requests get 503, new ones 503 until the
 * new producer is up). Returns 0, or -1 with errstr. */
int gw_acks_start(struct gw_thread *t, char *errstr, size_t errstr_size);
/* Flush (up to timeout_ms) and destroy the producer. Returns the number of
 * records still undelivered (0 = all delivered). */
int gw_acks_stop(struct gw_thread *t, int timeout_ms);

/* Hand a record to Kafka for connection c (state WAITING). Takes ownership
 * of record (malloc'ed) in every case. Answers c at once with 503 when the
 * record cannot be queued; otherwise c is answered when the delivery report
 * arrives: 200 on success, 503 on failure or after the deadline. id_hash
 * (non-zero) goes into the dedup set once Kafka has the record. */
void gw_acks_produce(struct gw_conn *c, char *record, size_t len,
                     const char *key, size_t key_len, uint64_t id_hash);

/* The connection is closing: its pending record, if any, will not answer. */
void gw_acks_detach(struct gw_pending *p);

#endif
