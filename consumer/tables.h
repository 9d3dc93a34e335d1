/* tables.h — table configs (campaign_tags.json for campaign_tags.csv): load, check, name mapping. */
#ifndef HGC_TABLES_H
#define HGC_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/aws/s3.h"
#include "common/limits.h"

/* A column's type in "mappings". */
enum hgc_col_type {
    HGC_COL_INT = 0,    /* optional sign + digits, within int64 */
    HGC_COL_FLOAT,      /* strtod-grammar decimal, finite, no inf/nan/hex */
    HGC_COL_BOOL,       /* true/false (any letter case) or 1/0 */
    HGC_COL_DATE,       /* YYYY-MM-DD, a real calendar date */
    HGC_COL_TIMESTAMP,  /* YYYY-MM-DD[ T]HH:MM:SS[.frac][Z|+HH:MM|+HHMM|+HH] */
    HGC_COL_STRING,     /* any valid UTF-8 */
};

enum hgc_on_empty {
    HGC_ON_EMPTY_ERROR = 0,  /* an empty required cell is a problem (default) */
    HGC_ON_EMPTY_DROP_ROW,   /* the row is dropped from the output and counted */
};

struct hgc_column {
    char *name;              /* NUL-terminated, non-empty, unique in the table */
    enum hgc_col_type type;
    bool required;           /* in options.required, or the index column */
};

/* A string list (empty markers, forbidden separators). */
struct hgc_strlist {
    char  **items;           /* NUL-terminated, non-empty, <= HG_TABLE_MARKER_MAX bytes */
    size_t *lens;
    size_t  count;
};

/* A checked table config. Every pointer is owned by the table and freed by
 * hgc_table_destroy. Optional strings are NULL when absent. */
struct hgc_table {
    char *project;           /* required; [A-Za-z0-9_.-], used in S3 keys */
    char *name;              /* required; equals the CSV's table name */
    char *schema;            /* required; [A-Za-z0-9_.-], used in S3 keys */
    struct hgc_column *columns;
    size_t ncolumns;         /* 1..HG_TABLE_MAX_COLUMNS */
    int index_column;        /* options.index_column: always 0 (must be first), or -1 */
    bool unique_index;       /* options.unique_index (requires index_column) */
    struct hgc_strlist empty_markers;        /* default " ", "-", "ー" */
    enum hgc_on_empty on_empty;              /* default HGC_ON_EMPTY_ERROR */
    int multi_value_column;                  /* column index or -1 */
    char *multi_value_separator;             /* default ","; set iff multi_value_column >= 0 */
    size_t multi_value_separator_len;
    bool split_multi_values;                 /* default false; requires multi_value_column */
    struct hgc_strlist forbidden_separators; /* default "、", "，", ", " */
    char *glue_job;          /* optional; the worker applies its naming convention when NULL */
    char *s3_prefix;         /* optional; no leading '/', no "..", no "//" */
    char *s3_key_template;   /* optional; placeholders {prefix} {project} {schema}
                              * {table} {dt} {file_id} only */
    char *notify_channel;    /* optional; the channel ID that gets the result message
                              * (see hgc_channel_id_check; a #name is refused) */
};

/* Why a load failed (the worker maps these to its ERROR messages). */
enum hgc_table_error {
    HGC_TABLE_OK = 0,
    HGC_TABLE_BAD_NAME,      /* the file name maps to no valid table name */
    HGC_TABLE_NOT_FOUND,     /* no NAME.json in the directory */
    HGC_TABLE_INVALID,       /* the config is not valid JSON or of the wrong shape */
    HGC_TABLE_IO,            /* reading failed for good (too large, not a file, ...) */
    HGC_TABLE_UNAVAILABLE,   /* the directory's file could not be read for a reason that may
                              * pass or that the data team fixes (EACCES, EMFILE, EIO, ...):
                              * retried, not reported to the file's owner as their problem */
};

/* Map a CSV file name ("campaign_tags.csv", a base name — no directories) to
 * its table name ("campaign_tags"): the name must end in ".csv" (any case),
 * the rest be 1..HG_TABLE_NAME_MAX bytes of [A-Za-z0-9_.-], not start with
 * '.', and contain no "..". Writes the NUL-terminated name into out (size
 * out_size, at least HG_TABLE_NAME_MAX + 1). Returns 0, or -1 with a reason
 * in errstr (the name is not echoed if it is not printable ASCII). */
int hgc_table_name_from_file(const char *file_name, char *out, size_t out_size,
                             char *errstr, size_t errstr_size);

/* Parse and check a config from len bytes of JSON. When expected_name is not
 * NULL, "name" must equal it. Unknown fields are errors (typos must not be
 * silently ignored). Returns a new table (free with hgc_table_destroy) or NULL
 * with one message naming the field in errstr, e.g.
 * `options.on_empty: must be "drop_row" or "error"`. */
struct hgc_table *hgc_table_parse(const char *json, size_t len, const char *expected_name,
                                  char *errstr, size_t errstr_size);

/* Load the config for csv_name (a base name such as "campaign_tags.csv")
 * from dir/<table>.json (at most HG_TABLE_CONFIG_MAX_BYTES, a regular file).
 * Returns a new table (caller frees with hgc_table_destroy) or NULL, with
 * *err (when err is not NULL) saying why and a message in errstr. */
struct hgc_table *hgc_tables_load_file(const char *dir, const char *csv_name,
                                       enum hgc_table_error *err,
                                       char *errstr, size_t errstr_size);

/* The same from uri ("s3://bucket/prefix/", HOOKGATE_TABLES): the object
 * <prefix>/<table>.json, at most HG_TABLE_CONFIG_MAX_BYTES. A missing
 * object is HGC_TABLE_NOT_FOUND; an S3 failure is HGC_TABLE_IO with ae
 * filled (classified; ae->code is "" for every other outcome, among them
 * an object over the cap: HGC_TABLE_IO, errstr as hgc_tables_load_file's).
 * s3 is borrowed. */
struct hgc_table *hgc_tables_load_s3(struct hg_s3 *s3, const char *uri, const char *csv_name,
                                     enum hgc_table_error *err, struct hg_aws_error *ae,
                                     char *errstr, size_t errstr_size);

/* Is s a Slack channel ID fit for result messages ("C0123ABCD": C, G or D,
 * then upper-case letters and digits, at most HGC_SLACK_ID_MAX bytes)?
 * Returns NULL, or why not as a phrase to follow the field's name (a
 * "#name" gets its own reason: the duplicate check reads
 * conversations.history, which takes only IDs). Used for
 * options.notify_channel, HOOKGATE_SLACK_CHANNEL and before every
 * chat.postMessage / conversations.history call. */
const char *hgc_channel_id_check(const char *s);

/* Is s fit as HOOKGATE_S3_PREFIX (leading and trailing '/' already
 * stripped, not empty)? The rules of a table's s3_prefix: at most
 * HG_TABLE_PATH_MAX bytes of [A-Za-z0-9_.=/-], no "//", no ".." and no "."
 * segment. Returns NULL or why not, as hgc_channel_id_check. */
const char *hgc_s3_prefix_setting_check(const char *s);

/* Free a table and everything it owns. NULL is fine. */
void hgc_table_destroy(struct hgc_table *t);

/* Column lookup by name. Returns the index or -1. */
int hgc_table_column(const struct hgc_table *t, const char *name);

/* "int", "float", ... for messages. */
const char *hgc_col_type_name(enum hgc_col_type type);

#endif
