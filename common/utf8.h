/* utf8.h — cutting text without splitting a UTF-8 character: the length
 * of a prefix that ends where a character starts, and snprintf whose
 * truncation lands there. Slack texts and error details hold file names,
 * often Japanese or Korean; half a character makes a whole text invalid
 * UTF-8. */
#ifndef HG_UTF8_H
#define HG_UTF8_H

#include <stdarg.h>
#include <stddef.h>

/* n, less an incomplete UTF-8 character at the end of s[0..n): the length
 * of s cut at max bytes is hg_utf8_cut(s, max). A prefix of valid UTF-8 so
 * cut is valid UTF-8 (invalid bytes are not repaired). */
size_t hg_utf8_cut(const char *s, size_t n);

/* vsnprintf into out[0..size) (size > 0); when the text does not fit, it
 * ends before the character the cut would split. Returns vsnprintf's: the
 * whole text's length (>= size when it was cut), or -1 (out is ""). */
int hg_utf8_vsnprintf(char *out, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int hg_utf8_snprintf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
