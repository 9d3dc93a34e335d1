/* csv_scan.h — structural scanner for the CSV validator's fast path: finds , " CR LF
 * 64 bytes a step (scalar, SSE2 or AVX2) and splits one complete plain line into cells. */
#ifndef HGC_CSV_SCAN_H
#define HGC_CSV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

/* How blocks are classified. Every level gives the same answers (checked by
 * tests/consumer/test_csv_scan.c); OFF means "no fast path" (the validator
 * then uses its byte state machine alone, the reference the tests compare
 * against). */
enum hgc_csv_scan_level {
    HGC_CSV_SCAN_OFF = 0,
    HGC_CSV_SCAN_SCALAR,     /* a byte table, any CPU */
    HGC_CSV_SCAN_SSE2,       /* x86-64 baseline, 4 x 16 bytes */
    HGC_CSV_SCAN_AVX2,       /* 2 x 32 bytes, when the CPU has it (runtime check) */
};

/* One cell of a split line: its content is p[start, start + len) of the
 * line, quotes excluded. */
#define HGC_CSV_SPAN_QUOTED  1u
struct hgc_csv_span {
    uint32_t start, len;
    unsigned flags;          /* HGC_CSV_SPAN_QUOTED: the cell was in quotes */
};

/* What hgc_csv_scan_line found. */
struct hgc_csv_line {
    size_t len;              /* bytes of the line, its LF included */
    size_t ncells;           /* spans filled */
    size_t quoted_lfs;       /* LFs inside quoted cells (physical lines - 1) */
    bool any_quoted;         /* some cell was quoted */
    bool escapes;            /* some quoted cell holds "" (each stands for one ") */
};

/* The best level this CPU runs (AVX2 > SSE2 > SCALAR). */
enum hgc_csv_scan_level hgc_csv_scan_best(void);

/* Whether this build and CPU can run level (OFF and SCALAR: always). */
bool hgc_csv_scan_supported(enum hgc_csv_scan_level level);

/* Bit i set when p[i] is , " CR or LF, for the 64 bytes at p (all must be
 * readable). level must be supported and not OFF. */
uint64_t hgc_csv_scan_block(enum hgc_csv_scan_level level, const unsigned char *p);

/* Split the line at the start of p[0, n) into at most max_cells cells.
 * Returns true when the whole line (through its LF, at most
 * HG_CSV_FAST_LINE_MAX bytes) is within n and is plain RFC 4180: every
 * quoted cell is closed right before , CR LF or LF with only "" inside it,
 * no " in an unquoted cell, no CR outside quotes other than a CRLF line end.
 * Quoted cells may hold , CR and LF. Returns false otherwise (nothing to
 * undo: the caller takes its byte-by-byte path, which also reports whatever
 * is wrong). Reads p[0, n) only. level must be supported and not OFF. */
bool hgc_csv_scan_line(enum hgc_csv_scan_level level, const unsigned char *p, size_t n,
                       struct hgc_csv_span *spans, size_t max_cells, struct hgc_csv_line *out);

#endif
