/* fuzz_config.c — libFuzzer target: the settings engine over argv and
 * environment entries cut from the input (NUL-separated; entries holding
 * '=' whose name starts with HOOKGATE_ go to the environment). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    char *s;
    char *secret;
    long long n;
    bool b;
};

static const struct hg_setting table[] = {
    { "str", "HOOKGATE_STR", HG_SETTING_STR, offsetof(struct fz, s), "d", 0, 0, 0, "S." },
    { "secret", "HOOKGATE_SECRET", HG_SETTING_STR, offsetof(struct fz, secret), NULL, 0, 0,
      HG_SETTING_F_SECRET, "Secret." },
    { "num", "HOOKGATE_NUM", HG_SETTING_INT, offsetof(struct fz, n), "5", -10, 1000, 0, "N." },
    { "flag", "HOOKGATE_FLAG", HG_SETTING_BOOL, offsetof(struct fz, b), NULL, 0, 0, 0, "B." },
};

#define FZ_MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[FZ_MAX_ARGS + 2];
    char *envp[FZ_MAX_ARGS + 1];
    int argc = 0, envc = 0;
    argv[argc++] = "fuzz";
    for (char *p = copy; p < copy + size + 1 && argc < FZ_MAX_ARGS && envc < FZ_MAX_ARGS;
         p += strlen(p) + 1) {
        if (strncmp(p, "HOOKGATE_", 9) == 0 && strchr(p, '='))
            envp[envc++] = p;
        else if (*p)
            argv[argc++] = p;
    }
    argv[argc] = NULL;
    envp[envc] = NULL;

    struct fz st;
    memset(&st, 0, sizeof st);
    struct hg_kafka_props props = { 0 };
    char err[256];
    int pos = -1;
    int rc = hg_config_load(table, sizeof table / sizeof table[0], &st, argc, argv, 1, envp,
                            &props, &pos, err, sizeof err);
    if (rc < -1 || rc > 1 || pos < 1 || pos > argc)
        abort();
    if (rc == 0 && (st.n < -10 || st.n > 1000 || !st.s))
        abort();
    if (rc < 0) {
        if (memchr(err, '\0', sizeof err) == NULL || props.n != 0)
            abort();
        /* errors about the secret setting never quote a value */
        if ((strncmp(err, "setting --secret ", 17) == 0 ||
             strncmp(err, "setting HOOKGATE_SECRET ", 24) == 0) && strchr(err, '"'))
            abort();
    }
    if (props.n > HG_CONFIG_MAX_KAFKA_PROPS)
        abort();
    hg_kafka_props_cleanup(&props);
    hg_config_cleanup(table, sizeof table / sizeof table[0], &st);
    free(copy);
    return 0;
}
