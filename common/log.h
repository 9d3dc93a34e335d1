/* log.h — JSON-lines logging to stderr. Never pass secrets or request bodies. */
#ifndef HG_LOG_H
#define HG_LOG_H

enum hg_log_level { HG_LOG_DEBUG = 0, HG_LOG_INFO, HG_LOG_WARN, HG_LOG_ERROR };

/* Set the minimum level printed (default INFO) and the program name that
 * every line carries as "prog". Call once at start-up, before threads. */
void hg_log_setup(const char *prog, enum hg_log_level min);
/* Parse "debug" | "info" | "warn" | "error". Returns 0 or -1. */
int hg_log_level_parse(const char *s, enum hg_log_level *out);

/* Write one line: {"ts":"<RFC3339 ms>","level":"info","prog":"...",
 * "event":"<event>", ...fields} where fields are given as a NULL-terminated
 * list of (const char *key, const char *value) pairs; values are JSON-escaped
 * strings. The line is capped at HG_LOG_LINE_MAX bytes (values are truncated
 * with "..."). Thread-safe: each line is one write(2).
 *   hg_log(HG_LOG_INFO, "listening", "addr", "127.0.0.1:8080", NULL); */
void hg_log(enum hg_log_level level, const char *event, ...)
    __attribute__((sentinel));

#define hg_log_debug(...) hg_log(HG_LOG_DEBUG, __VA_ARGS__, (const char *)NULL)
#define hg_log_info(...)  hg_log(HG_LOG_INFO,  __VA_ARGS__, (const char *)NULL)
#define hg_log_warn(...)  hg_log(HG_LOG_WARN,  __VA_ARGS__, (const char *)NULL)
#define hg_log_error(...) hg_log(HG_LOG_ERROR, __VA_ARGS__, (const char *)NULL)

#endif
