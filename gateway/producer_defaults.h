/* producer_defaults.h — the librdkafka settings every gateway producer
 * starts from (before --kafka overrides), shared with the benchmark tool
 * that measures librdkafka alone under them (tests/tools/produce_loop.c).
 * The per-thread values (client.id, message.timeout.ms from the ack
 * deadline, queue.buffering.max.messages from --max-inflight) are added
 * by acks.c. */
#ifndef GW_PRODUCER_DEFAULTS_H
#define GW_PRODUCER_DEFAULTS_H

#include "common/kafka.h"   /* HG_KAFKA_PARTITIONER */

/* NAME, VALUE pairs for hg_kafka_conf_new's defaults list. One produce
 * request in flight per broker, a short linger: records queue up while a
 * request is out and leave together when its answer arrives, so batches
 * grow with load and a lone record is not held long. Measured on the
 * gateway benchmark against the previous defaults (5 in flight, linger
 * 1 ms) and linger 0-2 ms: README "Benchmark results". */
#define GW_PRODUCER_DEFAULTS                                      \
    "enable.idempotence", "true",                                 \
    "acks", "all",                                                \
    "linger.ms", "0.5",                                           \
    "max.in.flight.requests.per.connection", "1",                 \
    "queue.buffering.max.kbytes", "262144",                       \
    "socket.keepalive.enable", "true",                            \
    "statistics.interval.ms", "1000", /* broker states for /readyz */ \
    "partitioner", HG_KAFKA_PARTITIONER

#endif
