/* buf.h — a growable byte buffer with a hard cap set at creation (cf. curl dynbuf). */
#ifndef HG_BUF_H
#define HG_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct hg_buf {
    char  *data;   /* always NUL-terminated when non-NULL; may contain NULs */
    size_t len;
    size_t cap;    /* allocated bytes */
    size_t max;    /* hard cap on len; appends beyond it fail */
};

/* Initialise an empty buffer that will never hold more than max bytes.
 * Allocates nothing until the first append. */
void hg_buf_init(struct hg_buf *b, size_t max);
/* Free the storage; the buffer is empty and reusable afterwards. Safe on a
 * zeroed or already-cleaned buffer. */
void hg_buf_cleanup(struct hg_buf *b);
/* Forget the contents, keep the storage. */
void hg_buf_reset(struct hg_buf *b);
/* Append n bytes. Returns 0, or -1 when the cap would be exceeded or memory
 * ran out; on failure the buffer is unchanged. */
/* Make room for n more bytes, so appends adding up to n do not
 * reallocate. Returns 0, or -1 when len + n is over max (nothing changes)
 * or on allocation failure. */
int hg_buf_reserve(struct hg_buf *b, size_t n);
int hg_buf_append(struct hg_buf *b, const void *p, size_t n);
int hg_buf_append_str(struct hg_buf *b, const char *s);
/* printf-style append; -1 as above. */
int hg_buf_appendf(struct hg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as the inside of a JSON string (no surrounding quotes):
 * escapes ", \, control bytes. Bytes >= 0x80 are copied as they are
 * (callers validate UTF-8 where it matters). */
int hg_buf_append_json_str(struct hg_buf *b, const char *s, size_t n);
/* Hand the storage to the caller (who frees it with free()); the buffer is
 * empty afterwards. Returns NULL when nothing was ever appended. */
char *hg_buf_steal(struct hg_buf *b, size_t *len);

#endif
