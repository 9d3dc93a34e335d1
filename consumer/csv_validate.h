/* csv_validate.h — streaming CSV validator and normaliser for a table config (issue 4 §3). */
#ifndef HGC_CSV_VALIDATE_H
#define HGC_CSV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "consumer/tables.h"

struct hg_buf;

/* Receives normalised CSV bytes (UTF-8, no BOM, LF line ends, header first,
 * fields quoted only when they hold , " CR or LF; cell text otherwise as in
 * the input, empty markers written as empty cells (as "" in a one-column
 * table, whose row would otherwise be an empty line), dropped rows left out,
 * split rows one per value). Called with at most HG_CSV_OUT_BUF_BYTES (1 MiB;
 * it was 64 KiB) at a time. Returns 0, or non-zero to abort: the validator
 * then stops (feed/finish return -1). When the file turns out to have problems the
 * output is not a loadable file — rows with problems are left out, and a
 * duplicate index row may already have been written (duplicates are found a
 * few rows late) — so discard it (abort the upload) unless finish returns 0. */
typedef int (*hgc_csv_write_fn)(void *arg, const char *data, size_t n);

struct hgc_csv_options {
    size_t max_problems;      /* problems kept in full; 0 = HG_CSV_MAX_PROBLEMS_DEFAULT,
                               * capped at HG_CSV_MAX_PROBLEMS_CEILING */
    hgc_csv_write_fn write;   /* NULL = validate only, no output */
    void *write_arg;
};

enum hgc_csv_problem_kind {
    HGC_CSV_BAD_UTF8 = 0,       /* a cell is not valid UTF-8 */
    HGC_CSV_BARE_QUOTE,         /* a " inside an unquoted cell */
    HGC_CSV_TEXT_AFTER_QUOTE,   /* text between a closing " and the next , or line end */
    HGC_CSV_UNTERMINATED_QUOTE, /* the file ends inside a quoted cell */
    HGC_CSV_STRAY_CR,           /* a CR not followed by LF outside quotes */
    HGC_CSV_FIELD_TOO_LONG,     /* a cell over HG_CSV_MAX_FIELD_BYTES */
    HGC_CSV_ROW_TOO_LONG,       /* a row over HG_CSV_MAX_ROW_BYTES */
    HGC_CSV_EMPTY_FILE,         /* no header at all */
    HGC_CSV_HEADER,             /* header cell differs from the configured column */
    HGC_CSV_HEADER_COUNT,       /* header has the wrong number of columns */
    HGC_CSV_COLUMN_COUNT,       /* a data row has the wrong number of columns */
    HGC_CSV_TYPE,               /* a cell does not parse as its column's type */
    HGC_CSV_EMPTY_REQUIRED,     /* empty/marker in a required column, on_empty=error */
    HGC_CSV_DUPLICATE_INDEX,    /* index value seen before (unique_index) */
    HGC_CSV_FORBIDDEN_SEPARATOR,/* a forbidden separator in the multi-valued column */
};

/* One problem, recorded in full for the first max_problems. */
struct hgc_csv_problem {
    enum hgc_csv_problem_kind kind;
    uint64_t row;             /* 1-based data row (header = 0) */
    uint64_t line;            /* 1-based physical line where the row starts */
    int column;               /* configured column index, or -1 */
    uint64_t count;           /* COLUMN_COUNT/HEADER_COUNT: columns found;
                               * FORBIDDEN_SEPARATOR: index in forbidden_separators */
    size_t value_len;         /* bytes in value (<= HG_CSV_PROBLEM_VALUE_MAX) */
    bool value_truncated;     /* the original was longer */
    char value[HG_CSV_PROBLEM_VALUE_MAX + 1]; /* offending value, NUL-terminated,
                               * cut at a UTF-8 boundary; invalid bytes as \xNN */
};

/* Counters; valid at any time, final after hgc_csv_validator_finish. */
struct hgc_csv_result {
    uint64_t bytes_in;        /* bytes fed (BOM included) */
    uint64_t bytes_out;       /* bytes passed to the write callback */
    uint64_t rows_in;         /* data rows read (header and blank lines excluded) */
    uint64_t rows_out;        /* rows written (after splitting) */
    uint64_t rows_dropped;    /* rows dropped by on_empty=drop_row */
    uint64_t rows_invalid;    /* rows with at least one problem (not written) */
    uint64_t blank_lines;     /* empty lines, skipped */
    uint64_t problem_count;   /* all problems, counted */
    size_t nproblems;         /* problems kept in full (<= max_problems) */
    const struct hgc_csv_problem *problems; /* owned by the validator */
    bool aborted;             /* the write callback failed */
};

struct hgc_csv_validator;

/* Create a validator for table (borrowed: it must outlive the validator).
 * opts may be NULL (defaults). Returns NULL on allocation failure. Memory is
 * bounded by the caps in limits.h whatever the input (about 6 MiB), plus 8
 * bytes per data row when table->unique_index is set (allocated 1 MiB at a
 * time while int index values only grow): index values are
 * compared by a 64-bit hash (int columns by value, so "7" = "+7" = "007"), so
 * two different values collide with probability about n^2 / 2^65 for n rows
 * (~3e-6 at ten million rows) — a false "appears more than once", never a
 * missed duplicate. */
struct hgc_csv_validator *hgc_csv_validator_create(const struct hgc_table *table,
                                                   const struct hgc_csv_options *opts);

/* Feed the next n bytes of the file; chunks may split anything (a UTF-8
 * sequence, a quote, CRLF). Problems are recorded, never fatal. Returns 0, or
 * -1 when the write callback failed (then every later call returns -1). */
int hgc_csv_validator_feed(struct hgc_csv_validator *v, const void *bytes, size_t n);

/* End of input: completes the last row, flushes the output. Returns 0 when
 * the file is valid (no problems), 1 when problems were found, -1 when the
 * write callback failed. Call once; feed must not be called afterwards. */
int hgc_csv_validator_finish(struct hgc_csv_validator *v);

/* The counters and kept problems (pointer owned by the validator, valid
 * until the next feed/finish/destroy). The kept problems are in row order
 * (within a row, as found); after finish they are the first max_problems by
 * row, duplicate index values included, although those are found up to 16
 * rows late (before finish such a one may still displace a later row's). */
const struct hgc_csv_result *hgc_csv_validator_result(const struct hgc_csv_validator *v);

/* Append one problem in words a spreadsheet owner understands, e.g.
 * "Row 14 (line 15), column 'price': 'abc' is not a number (float)".
 * Returns 0 or -1 (buffer cap). */
int hgc_csv_problem_describe(const struct hgc_table *table, const struct hgc_csv_problem *p,
                             struct hg_buf *out);

/* Bytes of out's cap hgc_csv_validator_message leaves free, for a prefix
 * the caller puts before the message (the pipeline's ":x: ERROR: ") and
 * its NUL: a message built in a buffer capped at HGC_MESSAGE_MAX fits a
 * Slack text of HGC_MESSAGE_MAX bytes with that prefix, uncut. */
#define HGC_CSV_MESSAGE_RESERVE 32u

/* Append the one-paragraph summary: "campaign_tags.csv is valid: 1000 rows
 * read, 998 written, 2 dropped." or "campaign_tags.csv has 3 problems in 1000
 * rows: Row 14 ...; Row 20 ...; and 1 more." file_name may be NULL. It ends
 * HGC_CSV_MESSAGE_RESERVE bytes before out's cap: problems are listed while
 * they fit whole, the rest counted in "and N more"; a first sentence too
 * long for the cap (a long file name) is cut where a UTF-8 character
 * starts. Returns 0, or -1 (out of memory, or out has no room left). */
int hgc_csv_validator_message(const struct hgc_csv_validator *v, const char *file_name,
                              struct hg_buf *out);

/* Free the validator (NULL is fine). Does not call the write callback. */
void hgc_csv_validator_destroy(struct hgc_csv_validator *v);

#endif
