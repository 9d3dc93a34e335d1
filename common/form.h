/* form.h — application/x-www-form-urlencoded parsing with limits. */
#ifndef HG_FORM_H
#define HG_FORM_H

#include <stddef.h>

struct hg_form_field {
    char  *key;      /* decoded, NUL-terminated */
    char  *value;    /* decoded, NUL-terminated; may contain NULs if %00 was sent */
    size_t value_len;
};

struct hg_form {
    struct hg_form_field *fields;
    size_t n;
};

/* Parse body[0..len) ("a=1&b=x%20y", '+' is a space). Empty pairs ("&&")
 * are skipped; a key without '=' has an empty value. Fails on a bad
 * %-escape, an empty key, more than HG_FORM_MAX_FIELDS fields, or a key
 * longer than HG_FORM_MAX_KEY. Returns 0 and fills *out (free with
 * hg_form_cleanup), or -1 with a message in errstr; *out is then empty. */
int hg_form_parse(const char *body, size_t len, struct hg_form *out,
                  char *errstr, size_t errstr_size);
/* First field named key, or NULL. */
const struct hg_form_field *hg_form_get(const struct hg_form *f, const char *key);
void hg_form_cleanup(struct hg_form *f);

#endif
