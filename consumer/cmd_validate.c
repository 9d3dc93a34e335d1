/* cmd_validate.c — `hookgate-consumer validate`: check a CSV against its table config offline. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/file_atomic.h"
#include "common/limits.h"
#include "consumer/commands.h"
#include "consumer/csv_validate.h"
#include "consumer/tables.h"

/* Exit statuses. */
enum { EXIT_VALID = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hookgate-consumer validate --tables DIR FILE.csv [--output OUT.csv] "
            "[--max-problems N]\n"
            "\n"
            "Checks FILE.csv against DIR/<name>.json (the table config named after the file)\n"
            "with the rules the worker applies: UTF-8, RFC 4180 quoting, header, column count,\n"
            "types, empty markers, forbidden separators, index uniqueness.\n"
            "\n"
            "  --tables DIR        directory of table configs (required)\n"
            "  --output OUT.csv    write the normalised CSV there (only when FILE.csv is valid)\n"
            "  --max-problems N    problems listed in full (default %u, at most %u); all are counted\n"
            "\n"
            "exit status: 0 valid (one-line summary), 1 problems found (listed), 2 usage,\n"
            "config or I/O error\n",
            HG_CSV_MAX_PROBLEMS_DEFAULT, HG_CSV_MAX_PROBLEMS_CEILING);
}

struct out_file {
    int fd;
    const char *path;
};

static int write_out(void *arg, const char *data, size_t n)
{
    struct out_file *o = arg;
    while (n > 0) {
        ssize_t w = write(o->fd, data, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Value of "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i.
 * Returns NULL when argv[*i] is not this option, sets *missing when the
 * value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int hgc_cmd_validate(int argc, char **argv)
{
    const char *tables = NULL, *file = NULL, *output = NULL;
    long long max_problems = 0;
    int rc = EXIT_USAGE, fd = -1;
    struct hgc_table *t = NULL;
    struct hgc_csv_validator *v = NULL;
    struct out_file of = { -1, NULL };
    char *tmp_path = NULL;
    unsigned char *chunk = NULL;
    struct hg_buf msg;
    hg_buf_init(&msg, 1u << 20);

    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *val;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            rc = EXIT_VALID;
            goto out;
        } else if ((val = opt_value(argc, argv, &i, "--tables", &missing))) {
            tables = val;
        } else if ((val = opt_value(argc, argv, &i, "--output", &missing))) {
            output = val;
        } else if ((val = opt_value(argc, argv, &i, "--max-problems", &missing))) {
            char *end;
            errno = 0;
            max_problems = strtoll(val, &end, 10);
            if (errno || end == val || *end || max_problems < 1 ||
                max_problems > (long long)HG_CSV_MAX_PROBLEMS_CEILING) {
                fprintf(stderr, "validate: --max-problems must be a number from 1 to %u\n",
                        HG_CSV_MAX_PROBLEMS_CEILING);
                goto out;
            }
        } else if (missing) {
            fprintf(stderr, "validate: %s needs a value\n", argv[i]);
            goto out;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "validate: unknown option %s\n", argv[i]);
            usage(stderr);
            goto out;
        } else if (file) {
            fprintf(stderr, "validate: only one FILE.csv at a time\n");
            goto out;
        } else {
            file = argv[i];
        }
    }
    if (!tables || !file) {
        fprintf(stderr, "validate: %s is required\n", !tables ? "--tables DIR" : "FILE.csv");
        usage(stderr);
        goto out;
    }

    /* The table is named after the file's base name. */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char err[512];
    enum hgc_table_error terr;
    t = hgc_tables_load_file(tables, base, &terr, err, sizeof err);
    if (!t) {
        fprintf(stderr, "validate: %s\n", err);
        goto out;
    }

    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "validate: cannot open %s: %s\n", file, strerror(errno));
        goto out;
    }
    if (output) {
        /* Written beside OUT.csv under a name of its own, renamed over it
         * only when the file is valid (hg_file_tmp_beside refuses an
         * OUT.csv that is no regular file: the rename would replace it). */
        of.fd = hg_file_tmp_beside(output, &tmp_path, err, sizeof err);
        of.path = tmp_path;
        if (of.fd < 0) {
            fprintf(stderr, "validate: --output %s\n", err);
            goto out;
        }
    }
    struct hgc_csv_options o = {
        .max_problems = (size_t)max_problems,
        .write = output ? write_out : NULL,
        .write_arg = &of,
    };
    v = hgc_csv_validator_create(t, &o);
    chunk = malloc(HG_CSV_READ_CHUNK);
    if (!v || !chunk) {
        fprintf(stderr, "validate: out of memory\n");
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, chunk, HG_CSV_READ_CHUNK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "validate: cannot read %s: %s\n", file, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        if (hgc_csv_validator_feed(v, chunk, (size_t)r) != 0) {
            fprintf(stderr, "validate: cannot write %s: %s\n", tmp_path, strerror(errno));
            goto out;
        }
    }
    int vr = hgc_csv_validator_finish(v);
    if (vr < 0) {
        fprintf(stderr, "validate: cannot write %s: %s\n", tmp_path, strerror(errno));
        goto out;
    }
    const struct hgc_csv_result *res = hgc_csv_validator_result(v);
    if (vr == 0) {
        if (output) {
            int cr = hg_file_commit(of.fd, tmp_path, output, err, sizeof err);
            of.fd = -1;
            tmp_path = NULL;     /* hg_file_commit took it */
            if (cr != 0) {
                fprintf(stderr, "validate: %s\n", err);
                goto out;
            }
        }
        printf("%s: valid: %llu rows read, %llu written, %llu dropped, %llu bytes%s%s\n", base,
               (unsigned long long)res->rows_in, (unsigned long long)res->rows_out,
               (unsigned long long)res->rows_dropped, (unsigned long long)res->bytes_in,
               output ? ", normalised CSV in " : "", output ? output : "");
        rc = EXIT_VALID;
        goto out;
    }
    printf("%s: %llu problem%s in %llu rows (%llu rows could not be loaded)%s\n", base,
           (unsigned long long)res->problem_count, res->problem_count == 1 ? "" : "s",
           (unsigned long long)res->rows_in, (unsigned long long)res->rows_invalid,
           output ? "; no output written" : "");
    for (size_t i = 0; i < res->nproblems; i++) {
        hg_buf_reset(&msg);
        if (hgc_csv_problem_describe(t, &res->problems[i], &msg) == 0 && msg.data)
            printf("  %s\n", msg.data);
    }
    if (res->problem_count > res->nproblems)
        printf("  ... and %llu more (raise --max-problems to see them)\n",
               (unsigned long long)(res->problem_count - res->nproblems));
    rc = EXIT_INVALID;
out:
    hg_file_abandon(of.fd, tmp_path);   /* what hg_file_commit did not take */
    free(chunk);
    hgc_csv_validator_destroy(v);
    if (fd >= 0)
        close(fd);
    hgc_table_destroy(t);
    hg_buf_cleanup(&msg);
    fflush(stdout);
    return rc;
}
