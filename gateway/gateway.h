/* gateway.h — the gateway's shared types: the process (gw_app), its
 * event-loop threads (gw_thread), client connections and pending records.
 * Each thread owns its connections, its producer and their pending
 * records; nothing here is shared between threads except gw_app's
 * read-only settings, the dedup set (locked) and metrics (atomics). */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <http_parser.h>
#include <librdkafka/rdkafka.h>

#include "common/buf.h"
#include "common/slack_sig.h"
#include "common/limits.h"
#include "gateway/gw_config.h"
#include "gateway/gw_metrics.h"
#include "gateway/http_framing.h"

struct gw_dedup;
struct gw_conn;
struct gw_batch;
struct hg_aws_creds_provider;
struct hg_msk_iam;

/* Routes, also the metric label values (routes.c has the names). */
enum gw_route {
    GW_ROUTE_EVENTS = 0,
    GW_ROUTE_INTERACTIVE,
    GW_ROUTE_COMMANDS,
    GW_ROUTE_AWS,
    GW_ROUTE_HEALTHZ,
    GW_ROUTE_READYZ,
    GW_ROUTE_METRICS,
    GW_ROUTE_UNKNOWN,
    GW_ROUTE_COUNT
};

/* Whether a thread's producer has a broker connection up, as its last
 * statistics (statistics.interval.ms, default 1 s) said. */
enum gw_kafka_state {
    GW_KAFKA_UNKNOWN = 0,   /* no statistics yet, or they are switched off */
    GW_KAFKA_UP,
    GW_KAFKA_DOWN,
};

struct gw_app {
    const struct gw_config *cfg;
    struct gw_dedup        *dedup;
    struct gw_metrics       metrics;
    atomic_bool             draining;   /* SIGTERM seen: /readyz says 503 */
    _Atomic int64_t         buffered;   /* bytes taken from --max-buffered-bytes (budget.h) */
    struct gw_thread       *threads;
    unsigned                nthreads;
    char                   *bootstraps; /* what the producers connect to */
    int                     client_fd_max; /* a client's descriptor must be below this:
                                            * the ones above are Kafka's (server.c) */
    struct hg_aws_creds_provider *aws_creds; /* --kafka-auth=msk-iam only */
    struct hg_msk_iam      *msk_iam;    /* shared by every thread's producer */
    char                    aws_region[64];
};

struct gw_thread {
    struct gw_app      *app;
    unsigned            idx;
    pthread_t           tid;
    struct event_base  *base;
    struct hg_slack_sig_scratch *sig_scratch; /* this loop's signature checks */

    int                 listen_fd;
    struct event       *ev_accept;
    struct event       *ev_accept_resume; /* re-arms ev_accept after EMFILE */
    int64_t             accept_warned_us;
    int                 ctl_fd;       /* eventfd: main thread → loop (shutdown) */
    struct event       *ev_ctl;
    struct event       *ev_drain;     /* periodic check while shutting down */

    rd_kafka_t         *rk;           /* this thread's producer */
    rd_kafka_topic_t   *rkt;
    rd_kafka_queue_t   *mainq;
    int                 dr_pipe[2];   /* librdkafka wakes the loop through it */
    struct event       *ev_dr;
    struct event       *ev_restart;   /* replaces the producer after a fatal error */
    struct gw_batch    *batch;        /* records of this loop pass, not yet produced */
    atomic_int          kafka_state;  /* enum gw_kafka_state, from librdkafka's statistics */
    atomic_bool         topic_missing; /* the cluster answers but has no partition of the topic */
    int64_t             topic_missing_since_us; /* first statistics that said so (0: none; loop thread) */
    unsigned            restarts;
    int64_t             refused_logged_us; /* last kafka_produce_refused line (0: none yet) */
    unsigned long       refused_unlogged;  /* refusals since it */
    int64_t             failed_logged_us;  /* last kafka_delivery_failed line (0: none yet) */
    unsigned long       failed_unlogged[2]; /* failed deliveries since it: not / possibly persisted */

    const struct timeval *tv_request; /* common timeouts */
    const struct timeval *tv_keepalive;
    const struct timeval *tv_ack;

    struct gw_conn     *conns;        /* doubly linked list of open connections */
    size_t              nconns;
    size_t              inflight;     /* records waiting for a delivery report */
    bool                closing;      /* listener closed, finishing up */
    int                 exit_code;
};

/* The headers ingest and the framing checks need, captured while parsing
 * (others are skipped; Host is checked as it comes, not kept: conn.c). */
enum gw_hdr {
    GW_HDR_CONTENT_TYPE = 0,
    GW_HDR_SIGNATURE,
    GW_HDR_TIMESTAMP,
    GW_HDR_RETRY_NUM,
    GW_HDR_RETRY_REASON,
    GW_HDR_EXPECT,
    GW_HDR_TRANSFER_ENCODING,   /* its field lines joined with "," (a list) */
    GW_HDR_COUNT
};
#define GW_HDR_VALUE_MAX 192

struct gw_request {
    enum gw_route route;
    unsigned      method;             /* enum http_method */
    char          url[HG_HTTP_MAX_URL + 1];
    size_t        url_len;
    char          hv[GW_HDR_COUNT][GW_HDR_VALUE_MAX + 1];
    size_t        hv_len[GW_HDR_COUNT];
    bool          hv_set[GW_HDR_COUNT];
    bool          hv_overflow[GW_HDR_COUNT];
    struct hg_buf body;
    int64_t       received_ms;
    int64_t       start_us;
};

enum gw_conn_state {
    GW_CONN_IDLE = 0,   /* between requests (keep-alive timer) */
    GW_CONN_READING,    /* inside a request (request timer) */
    GW_CONN_WAITING,    /* request complete, waiting for Kafka (no reads) */
    GW_CONN_WRITING,    /* reply partly written (write timer) */
};

#define GW_CONN_INBUF 8192

struct gw_conn {
    struct gw_thread  *t;
    int                fd;
    enum gw_conn_state state;
    struct event       ev_read, ev_write, ev_timer;
    http_parser        parser;
    char               in[GW_CONN_INBUF];
    size_t             in_len;        /* bytes in in[] not yet parsed */
    struct hg_buf      out;           /* unwritten reply bytes */
    struct gw_request  req;
    /* header-name accumulation across split reads */
    char               hname[40];
    size_t             hname_len;
    bool               hname_long;
    int                hcur;          /* enum gw_hdr being filled, or -1 */
    bool               in_value;
    bool               in_trailers;   /* past the headers: trailer fields are counted, not read */
    unsigned char      tail_nonws;    /* last byte other than SP/HT the parser consumed (obs-fold) */
    size_t             header_bytes;
    unsigned           nheaders;     /* header fields so far (HG_HTTP_MAX_HEADERS) */
    unsigned           host_lines;    /* Host field lines so far (RFC 9112 §3.2: one) */
    struct gw_host_check host_check;  /* their value, checked as it comes */
    size_t             body_seen;
    size_t             body_reserved; /* of the current body, taken from the budget */
    int                fail_status;   /* set by a parser callback to abort */
    const char        *fail_code;
    const char        *fail_msg;      /* its message, when the code alone does not make one */
    bool               keepalive;
    bool               close_after_write;
    bool               peer_closed;   /* read() saw EOF: answer what is buffered, then close */
    bool               in_callback;   /* inside http_parser_execute */
    struct gw_pending *pending;
    struct gw_conn    *prev, *next;
};

#endif
