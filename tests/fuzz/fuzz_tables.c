/* fuzz_tables.c — libFuzzer target: the table config parser and the file-name mapping. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct hgc_table *t = hgc_table_parse((const char *)data, size, NULL, err, sizeof err);
    if (t) {
        /* A table that parsed keeps its promises. */
        if (t->ncolumns == 0 || t->ncolumns > HG_TABLE_MAX_COLUMNS)
            abort();
        if (t->index_column != -1 && t->index_column != 0)
            abort();
        if (t->unique_index && t->index_column < 0)
            abort();
        if (t->multi_value_column >= (int)t->ncolumns || (t->split_multi_values && t->multi_value_column < 0))
            abort();
        if ((t->multi_value_column >= 0) != (t->multi_value_separator != NULL))
            abort();
        for (size_t i = 0; i < t->ncolumns; i++)
            if (hgc_table_column(t, t->columns[i].name) != (int)i)
                abort();
        hgc_table_destroy(t);
    } else if (strlen(err) == 0) {
        abort();   /* every rejection says why */
    }
    /* The same bytes as a file name (NUL-terminated copy, capped). */
    char name[512];
    size_t n = size < sizeof name - 1 ? size : sizeof name - 1;
    memcpy(name, data, n);
    name[n] = '\0';
    char out[HG_TABLE_NAME_MAX + 1];
    if (hgc_table_name_from_file(name, out, sizeof out, err, sizeof err) == 0) {
        if (strchr(out, '/') || strstr(out, "..") || out[0] == '.' || strlen(out) == 0)
            abort();
    }
    return 0;
}
