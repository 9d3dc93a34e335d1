/* config.h — one table of settings per program: flags, HOOKGATE_* variables,
 * defaults, ranges, help text, and the README's settings section. */
#ifndef HG_CONFIG_H
#define HG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/limits.h"

enum hg_setting_type {
    HG_SETTING_STR,     /* char * (strdup'ed; NULL when unset and no default) */
    HG_SETTING_INT,     /* long long, checked against [min, max] */
    HG_SETTING_BOOL,    /* bool: true/false/1/0/yes/no/on/off; a bare --flag is true */
};

#define HG_SETTING_F_SECRET 0x1u  /* value never printed, logged or echoed */

struct hg_setting {
    const char *name;   /* flag name without "--", e.g. "signature-max-age" */
    const char *env;    /* environment variable, e.g. "HOOKGATE_SIGNATURE_MAX_AGE" */
    enum hg_setting_type type;
    size_t offset;      /* offsetof(struct <program settings>, field) */
    const char *def;    /* default as text, NULL for none */
    long long min, max; /* HG_SETTING_INT only */
    unsigned flags;
    const char *help;   /* one sentence */
};

/* librdkafka properties passed straight through: --kafka NAME=VALUE and
 * HOOKGATE_KAFKA_<NAME> (upper case, '_' for '.'), flags winning. */
struct hg_msk_iam;
struct hg_kafka_props {
    char  *name[HG_CONFIG_MAX_KAFKA_PROPS];
    char  *value[HG_CONFIG_MAX_KAFKA_PROPS];
    size_t n;
    /* Borrowed, not freed by hg_kafka_props_cleanup: when set, every client
     * built from these props authenticates with MSK IAM (common/kafka.h). */
    const struct hg_msk_iam *msk_iam;
};

/* Fill settings (a struct of the program's, zeroed by the caller) from the
 * table: defaults first, then the environment (envp, NULL-terminated; use
 * `environ`), then argv[first..argc). Variables named by the table are
 * settings, never Kafka properties. Flags are --name=value or --name value;
 * "--kafka" adds a property. On any unknown flag, missing value, bad number,
 * out-of-range value or bad property the whole load fails: returns -1 with
 * errstr naming the setting (and the source: flag or variable), never the
 * value of a secret. *positional receives the index of the first argument
 * that is not a flag (argc when none). Returns 0 on success. A "--help"
 * flag makes it return 1 without error. */
int hg_config_load(const struct hg_setting *table, size_t n, void *settings,
                   int argc, char **argv, int first, char **envp,
                   struct hg_kafka_props *props, int *positional,
                   char *errstr, size_t errstr_size);

/* Free the strings load allocated (also after a failed load). */
void hg_config_cleanup(const struct hg_setting *table, size_t n, void *settings);

/* A boolean setting's text (true/false/1/0/yes/no/on/off, any case) into
 * *out. Returns false, *out untouched, for anything else. */
bool hg_config_parse_bool(const char *v, bool *out);
void hg_kafka_props_cleanup(struct hg_kafka_props *props);

/* --help text: one block per setting (flag, variable, default, range, help). */
void hg_config_usage(FILE *out, const struct hg_setting *table, size_t n);
/* The README's settings table in Markdown. */
void hg_config_markdown(FILE *out, const struct hg_setting *table, size_t n);

/* Read a whole small file (secrets files, configs) into a NUL-terminated
 * heap string, refusing files over max bytes. Trailing newlines are kept.
 * Returns NULL with errstr naming the path and the reason. */
char *hg_config_read_file(const char *path, size_t max, size_t *len,
                          char *errstr, size_t errstr_size);

#endif
