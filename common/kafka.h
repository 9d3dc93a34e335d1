/* kafka.h — librdkafka set-up shared by both programs: configuration from
 * settings and pass-through properties, logging, and the embedded mock
 * cluster used when no brokers are configured. */
#ifndef HG_KAFKA_H
#define HG_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <librdkafka/rdkafka.h>

#include "common/config.h"

/* How every hookgate producer maps a key to a partition: the Java
 * client's murmur2, so other clients hash keys the same way, and a record
 * the consumer dead-letters and redrives goes back to the partition its
 * channel's other records are on. */
#define HG_KAFKA_PARTITIONER "murmur2_random"

/* Is t a topic name Kafka accepts: 1-249 bytes of [A-Za-z0-9._-], not "."
 * or ".."? (Kafka's Topic.validate.) */
bool hg_kafka_topic_name_ok(const char *t);

/* Build a configuration: bootstrap.servers = brokers, then defaults (a
 * NULL-terminated list of name, value pairs) and then the user's props, so a
 * user's property wins; then props->msk_iam's authentication when set.
 * Routes librdkafka's log lines into hg_log. Returns the conf (owned by the
 * caller until hg_kafka_new takes it) or NULL with errstr naming the
 * property librdkafka refused. */
rd_kafka_conf_t *hg_kafka_conf_new(const char *brokers,
                                   const char *const *defaults,
                                   const struct hg_kafka_props *props,
                                   char *errstr, size_t errstr_size);

/* Make every thread the handle built from conf starts (librdkafka's main,
 * broker and background threads) run under Linux SCHED_BATCH: woken, they
 * do not preempt the running thread, so records a busy loop produces
 * gather before a broker thread takes the core, while the loop itself,
 * left at the default policy, still preempts them when a client or a
 * delivery report wakes it. A thread the kernel refuses the policy to
 * keeps its own (counted: hg_kafka_batch_refusals). Returns 0, or -1 with errstr. */
int hg_kafka_conf_batch_threads(rd_kafka_conf_t *conf, char *errstr, size_t errstr_size);
/* Threads that could not be given SCHED_BATCH so far (process-wide). */
unsigned hg_kafka_batch_refusals(void);

/* rd_kafka_new for a conf from hg_kafka_conf_new with the same props: also
 * starts what the props' authentication needs (MSK IAM token refreshes on
 * librdkafka's background thread). conf is taken in every case (destroyed
 * on failure). Returns the handle, or NULL with errstr. */
rd_kafka_t *hg_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                         const struct hg_kafka_props *props,
                         char *errstr, size_t errstr_size);

/* The embedded cluster: librdkafka's in-process mock (a real Kafka-protocol
 * server on 127.0.0.1). Nothing is persisted. batch_threads: its threads
 * under SCHED_BATCH (hg_kafka_conf_batch_threads). */
struct hg_kafka_mock;
struct hg_kafka_mock *hg_kafka_mock_start(int brokers, bool batch_threads, char *errstr, size_t errstr_size);
/* "127.0.0.1:port,..." — valid until hg_kafka_mock_stop. */
const char *hg_kafka_mock_bootstraps(const struct hg_kafka_mock *m);
/* The underlying cluster, for fault injection in tools and tests. */
struct rd_kafka_mock_cluster_s *hg_kafka_mock_cluster(struct hg_kafka_mock *m);
/* Write the bootstrap list plus "\n" to path atomically (tmp + rename).
 * Returns 0 or -1 with errstr. */
int hg_kafka_mock_write_bootstrap(const struct hg_kafka_mock *m, const char *path,
                                  char *errstr, size_t errstr_size);
void hg_kafka_mock_stop(struct hg_kafka_mock *m);

#endif
