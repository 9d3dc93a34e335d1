/* fuzz_form.c — libFuzzer target: application/x-www-form-urlencoded parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hg_form f;
    char err[128];
    if (hg_form_parse((const char *)data, size, &f, err, sizeof err) == 0) {
        if (f.n > HG_FORM_MAX_FIELDS)
            abort();
        for (size_t i = 0; i < f.n; i++) {
            size_t kl = strlen(f.fields[i].key);
            if (kl == 0 || kl > HG_FORM_MAX_KEY || f.fields[i].value_len > size ||
                f.fields[i].value[f.fields[i].value_len] != '\0')
                abort();
            if (hg_form_get(&f, f.fields[i].key) == NULL)
                abort();
        }
        hg_form_cleanup(&f);
    } else if (f.n != 0 || f.fields != NULL || memchr(err, '\0', sizeof err) == NULL) {
        abort();
    }
    return 0;
}
