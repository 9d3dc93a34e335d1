/* replay_main.c — runs a libFuzzer target over files (or every file in
 * directories) given on the command line, so fuzz corpora replay under
 * meson test without libFuzzer. Also feeds a few generated edge inputs. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) { uint8_t *nb = realloc(buf, cap *= 2); if (!nb) { free(buf); buf = NULL; } else buf = nb; }
    }
    fclose(f);
    if (!buf) return -1;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int run_path(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st) != 0) { perror(path); return -1; }
    if (!S_ISDIR(st.st_mode)) { (*count)++; return run_file(path); }
    DIR *d = opendir(path);
    if (!d) { perror(path); return -1; }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (run_path(sub, count) != 0) rc = -1;
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0, rc = 0;
    /* Edge inputs: empty, every single byte, long runs. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    for (int b = 0; b < 256; b++) { uint8_t c = (uint8_t)b; LLVMFuzzerTestOneInput(&c, 1); }
    static uint8_t big[1 << 16];
    memset(big, 'A', sizeof big); LLVMFuzzerTestOneInput(big, sizeof big);
    memset(big, '{', sizeof big); LLVMFuzzerTestOneInput(big, sizeof big);
    memset(big, '%', sizeof big); LLVMFuzzerTestOneInput(big, sizeof big);
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) != 0) rc = 1;
    printf("replayed %d inputs\n", count);
    return rc;
}
