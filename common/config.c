/* config.c — the settings engine: defaults, HOOKGATE_* variables and flags
 * from one table, Kafka pass-through properties, help and Markdown output. */
#include "common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define KAFKA_ENV_PREFIX "HOOKGATE_KAFKA_"

/* Where a value came from, for error messages. */
struct cfg_src {
    const char *kind;   /* "default" | "environment" | "flag" */
    const char *name;   /* as the user wrote it: "--threads" or "HOOKGATE_THREADS" */
};

static void cfg_err(char *errstr, size_t errstr_size, const struct cfg_src *src,
                    const char *fmt, const char *quoted, const char *tail)
{
    /* fmt is one of the fixed shapes below; quoted is the user's value or
     * NULL when it must not be shown. */
    if (quoted)
        snprintf(errstr, errstr_size, "setting %s (%s): \"%s\" %s", src->name, src->kind,
                 quoted, tail);
    else
        snprintf(errstr, errstr_size, "setting %s (%s): %s%s", src->name, src->kind, fmt,
                 tail);
}

bool hg_config_parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "true", "1", "yes", "on" };
    static const char *const no[] = { "false", "0", "no", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) { *out = true; return true; }
        if (strcasecmp(v, no[i]) == 0) { *out = false; return true; }
    }
    return false;
}

/* Overwrite a secret's text in argv once it is copied: /proc/PID/cmdline
 * (what ps shows every local user) reads argv's memory, so from here on it
 * shows x's. It was visible until now; variables and files are better. */
static void blank_arg(char *v)
{
    memset(v, 'x', strlen(v));
}

/* librdkafka properties whose values are secrets (sasl.password,
 * ssl.key.password, sasl.oauthbearer.client.secret, ...). */
static bool kafka_prop_is_secret(const char *name, size_t n)
{
    static const char *const words[] = { "password", "secret" };
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++)
            if (strncasecmp(name + i, words[w], wl) == 0)
                return true;
    }
    return false;
}

/* Apply one textual value to a setting. Returns 0 or -1 with errstr. */
static int cfg_apply(const struct hg_setting *s, void *settings, const char *v,
                     const struct cfg_src *src, char *errstr, size_t errstr_size)
{
    bool secret = (s->flags & HG_SETTING_F_SECRET) != 0;
    char *base = (char *)settings + s->offset;
    size_t vlen = strlen(v);
    if (vlen > HG_CONFIG_VALUE_MAX) {
        snprintf(errstr, errstr_size, "setting %s (%s): value is longer than %u bytes",
                 src->name, src->kind, HG_CONFIG_VALUE_MAX);
        return -1;
    }
    switch (s->type) {
    case HG_SETTING_STR: {
        char *d = strdup(v);
        if (!d) {
            snprintf(errstr, errstr_size, "setting %s (%s): out of memory", src->name,
                     src->kind);
            return -1;
        }
        char **slot = (char **)(void *)base;
        free(*slot);
        *slot = d;
        return 0;
    }
    case HG_SETTING_INT: {
        char *end = NULL;
        errno = 0;
        long long x = (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) ? strtoll(v, &end, 10) : 0;
        if (!end || end == v || *end != '\0') {
            cfg_err(errstr, errstr_size, src, "value ", secret ? NULL : v, "is not an integer");
            return -1;
        }
        if (errno == ERANGE) {
            cfg_err(errstr, errstr_size, src, "value ", secret ? NULL : v, "is out of range");
            return -1;
        }
        if (x < s->min || x > s->max) {
            char lim[64];
            if (secret) {
                snprintf(lim, sizeof lim, "is outside the range %lld..%lld", s->min, s->max);
                cfg_err(errstr, errstr_size, src, "value ", NULL, lim);
            } else if (x < s->min) {
                snprintf(errstr, errstr_size, "setting %s (%s): %lld is below the minimum %lld",
                         src->name, src->kind, x, s->min);
            } else {
                snprintf(errstr, errstr_size, "setting %s (%s): %lld is above the maximum %lld",
                         src->name, src->kind, x, s->max);
            }
            return -1;
        }
        *(long long *)(void *)base = x;
        return 0;
    }
    case HG_SETTING_BOOL: {
        bool b;
        if (!hg_config_parse_bool(v, &b)) {
            cfg_err(errstr, errstr_size, src, "value ", secret ? NULL : v,
                    "is not a boolean (true/false/1/0/yes/no/on/off)");
            return -1;
        }
        *(bool *)(void *)base = b;
        return 0;
    }
    }
    snprintf(errstr, errstr_size, "setting %s (%s): unknown type", src->name, src->kind);
    return -1;
}

/* Add or replace a Kafka property (a later source wins). Returns 0 or -1. */
static int props_set(struct hg_kafka_props *p, const char *name, size_t name_len,
                     const char *value, const char *what, char *errstr, size_t errstr_size)
{
    int rc = -1;
    char *n = NULL, *v = NULL;
    if (name_len == 0) {
        snprintf(errstr, errstr_size, "setting %s: empty Kafka property name", what);
        goto out;
    }
    if (name_len > 255 || strlen(value) > HG_CONFIG_VALUE_MAX) {
        snprintf(errstr, errstr_size, "setting %s: Kafka property name or value too long", what);
        goto out;
    }
    /* A second way to name the brokers would quietly override the first, and
     * the gateway, seeing no --brokers, would start its embedded cluster too. */
    if ((name_len == 17 && memcmp(name, "bootstrap.servers", 17) == 0) ||
        (name_len == 20 && memcmp(name, "metadata.broker.list", 20) == 0)) {
        snprintf(errstr, errstr_size, "setting %s: the brokers are set with HOOKGATE_KAFKA_BROKERS "
                 "(or its flag), not as a Kafka property", what);
        goto out;
    }
    size_t i = 0;
    while (i < p->n && !(strlen(p->name[i]) == name_len && memcmp(p->name[i], name, name_len) == 0))
        i++;
    if (i == p->n && p->n >= HG_CONFIG_MAX_KAFKA_PROPS) {
        snprintf(errstr, errstr_size, "setting %s: more than %u Kafka properties", what,
                 HG_CONFIG_MAX_KAFKA_PROPS);
        goto out;
    }
    v = strdup(value);
    if (i == p->n)
        n = strndup(name, name_len);
    if (!v || (i == p->n && !n)) {
        snprintf(errstr, errstr_size, "setting %s: out of memory", what);
        goto out;
    }
    if (i == p->n) {
        p->name[i] = n;
        p->value[i] = NULL;
        p->n++;
        n = NULL;
    }
    free(p->value[i]);
    p->value[i] = v;
    v = NULL;
    rc = 0;
out:
    free(n);
    free(v);
    return rc;
}

static const struct hg_setting *find_flag(const struct hg_setting *t, size_t n,
                                          const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].name && strlen(t[i].name) == len && memcmp(t[i].name, name, len) == 0)
            return &t[i];
    return NULL;
}

/* HOOKGATE_KAFKA_LINGER_MS=2 → linger.ms=2. */
static int env_kafka(struct hg_kafka_props *props, const char *entry, const char *eq,
                     char *errstr, size_t errstr_size)
{
    const char *nm = entry + strlen(KAFKA_ENV_PREFIX);
    size_t len = (size_t)(eq - nm);
    char name[256];
    char what[300];
    if (len >= sizeof name) {
        snprintf(errstr, errstr_size, "setting " KAFKA_ENV_PREFIX "... (environment): "
                 "variable name too long");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = nm[i];
        if (c == '_')
            c = '.';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        name[i] = c;
    }
    name[len] = '\0';
    snprintf(what, sizeof what, "%.*s (environment)", (int)(eq - entry), entry);
    if (!props) {
        snprintf(errstr, errstr_size, "setting %s: Kafka properties are not accepted here", what);
        return -1;
    }
    return props_set(props, name, len, eq + 1, what, errstr, errstr_size);
}

int hg_config_load(const struct hg_setting *table, size_t n, void *settings,
                   int argc, char **argv, int first, char **envp,
                   struct hg_kafka_props *props, int *positional,
                   char *errstr, size_t errstr_size)
{
    int rc = -1;
    int pos = argc;
    char flagname[300];
    if (errstr && errstr_size)
        errstr[0] = '\0';

    /* 1. defaults */
    for (size_t i = 0; i < n; i++) {
        if (!table[i].def)
            continue;
        snprintf(flagname, sizeof flagname, "--%s", table[i].name);
        struct cfg_src src = { "default", flagname };
        if (cfg_apply(&table[i], settings, table[i].def, &src, errstr, errstr_size) != 0)
            goto out;
    }

    /* 2. the environment */
    for (char **e = envp; e && *e; e++) {
        /* any variable the table names (AWS_REGION too), then the
         * HOOKGATE_KAFKA_ prefix */
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - *e);
        const struct hg_setting *s = NULL;
        for (size_t i = 0; i < n; i++)
            if (table[i].env && strlen(table[i].env) == nlen &&
                memcmp(table[i].env, *e, nlen) == 0) {
                s = &table[i];
                break;
            }
        if (s) {
            struct cfg_src src = { "environment", s->env };
            if (cfg_apply(s, settings, eq + 1, &src, errstr, errstr_size) != 0)
                goto out;
        } else if (nlen > strlen(KAFKA_ENV_PREFIX) &&
                   strncmp(*e, KAFKA_ENV_PREFIX, strlen(KAFKA_ENV_PREFIX)) == 0) {
            if (env_kafka(props, *e, eq, errstr, errstr_size) != 0)
                goto out;
        }
        /* other HOOKGATE_* variables belong to the other program */
    }

    /* 3. flags */
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!a || a[0] != '-' || strcmp(a, "-") == 0) {
            pos = i;
            break;
        }
        if (strcmp(a, "--") == 0) {
            pos = i + 1;
            break;
        }
        if (a[1] != '-') {
            snprintf(errstr, errstr_size, "unknown flag %.*s (flags are --name[=value])",
                     (int)strcspn(a, "="), a);
            goto out;
        }
        const char *nm = a + 2;
        const char *eq = strchr(nm, '=');
        size_t nlen = eq ? (size_t)(eq - nm) : strlen(nm);
        if (nlen == 4 && memcmp(nm, "help", 4) == 0 && !eq) {
            rc = 1;
            pos = argc;
            goto out;
        }
        snprintf(flagname, sizeof flagname, "--%.*s", (int)(nlen > 200 ? 200 : nlen), nm);
        if (nlen == 5 && memcmp(nm, "kafka", 5) == 0 && props) {
            const char *kv = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!kv) {
                snprintf(errstr, errstr_size, "setting --kafka (flag): missing NAME=VALUE");
                goto out;
            }
            const char *keq = strchr(kv, '=');
            if (!keq) {
                snprintf(errstr, errstr_size,
                         "setting --kafka (flag): expected NAME=VALUE, got no '='");
                goto out;
            }
            char what[300];
            snprintf(what, sizeof what, "--kafka %.*s (flag)",
                     (int)((keq - kv) > 200 ? 200 : (keq - kv)), kv);
            if (props_set(props, kv, (size_t)(keq - kv), keq + 1, what, errstr,
                          errstr_size) != 0)
                goto out;
            if (kafka_prop_is_secret(kv, (size_t)(keq - kv)))
                blank_arg((char *)keq + 1);
            continue;
        }
        const struct hg_setting *s = find_flag(table, n, nm, nlen);
        if (!s) {
            snprintf(errstr, errstr_size, "unknown flag %s", flagname);
            goto out;
        }
        const char *v;
        if (eq)
            v = eq + 1;
        else if (s->type == HG_SETTING_BOOL)
            v = "true";
        else if (i + 1 < argc && argv[i + 1])
            v = argv[++i];
        else {
            snprintf(errstr, errstr_size, "setting %s (flag): missing value", flagname);
            goto out;
        }
        struct cfg_src src = { "flag", flagname };
        if (cfg_apply(s, settings, v, &src, errstr, errstr_size) != 0)
            goto out;
        if (s->flags & HG_SETTING_F_SECRET)
            blank_arg((char *)v);
    }
    rc = 0;
out:
    if (rc < 0 && props)
        hg_kafka_props_cleanup(props);
    if (positional)
        *positional = rc < 0 ? argc : pos;
    return rc;
}

void hg_config_cleanup(const struct hg_setting *table, size_t n, void *settings)
{
    if (!settings)
        return;
    for (size_t i = 0; i < n; i++) {
        if (table[i].type != HG_SETTING_STR)
            continue;
        char **slot = (char **)(void *)((char *)settings + table[i].offset);
        if (*slot && (table[i].flags & HG_SETTING_F_SECRET))
            memset(*slot, 0, strlen(*slot));
        free(*slot);
        *slot = NULL;
    }
}

void hg_kafka_props_cleanup(struct hg_kafka_props *props)
{
    if (!props)
        return;
    for (size_t i = 0; i < props->n && i < HG_CONFIG_MAX_KAFKA_PROPS; i++) {
        free(props->name[i]);
        if (props->value[i])
            memset(props->value[i], 0, strlen(props->value[i]));
        free(props->value[i]);
        props->name[i] = NULL;
        props->value[i] = NULL;
    }
    props->n = 0;
}

static const char *type_word(enum hg_setting_type t)
{
    switch (t) {
    case HG_SETTING_STR: return "string";
    case HG_SETTING_INT: return "integer";
    case HG_SETTING_BOOL: return "boolean";
    }
    return "?";
}

void hg_config_usage(FILE *out, const struct hg_setting *table, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct hg_setting *s = &table[i];
        fprintf(out, "  --%s%s\n", s->name,
                s->type == HG_SETTING_BOOL ? "[=BOOL]" :
                s->type == HG_SETTING_INT ? " N" : " VALUE");
        fprintf(out, "      %s\n", s->help ? s->help : "");
        fprintf(out, "      variable %s; %s", s->env ? s->env : "(none)", type_word(s->type));
        if (s->type == HG_SETTING_INT)
            fprintf(out, " in %lld..%lld", s->min, s->max);
        if (s->def)
            fprintf(out, "; default %s",
                    (s->flags & HG_SETTING_F_SECRET) ? "(secret)" : s->def);
        if (s->flags & HG_SETTING_F_SECRET)
            fprintf(out, "; secret");
        fputc('\n', out);
    }
    fprintf(out, "  --kafka NAME=VALUE\n"
                 "      Pass a librdkafka property through (repeatable); also "
                 KAFKA_ENV_PREFIX "<NAME> with '_' for '.'.\n"
                 "  --help\n      Print this text.\n");
}

/* Markdown cell: '|' escaped, newlines flattened. */
static void md_cell(FILE *out, const char *s)
{
    fputc(' ', out);
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
    fputs(" |", out);
}

void hg_config_markdown(FILE *out, const struct hg_setting *table, size_t n)
{
    fputs("| flag | variable | default | range | description |\n", out);
    fputs("|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        const struct hg_setting *s = &table[i];
        char buf[300];
        fputc('|', out);
        snprintf(buf, sizeof buf, "`--%s`", s->name);
        md_cell(out, buf);
        if (s->env)
            snprintf(buf, sizeof buf, "`%s`", s->env);
        else
            buf[0] = '\0';
        md_cell(out, buf);
        if (s->def && (s->flags & HG_SETTING_F_SECRET))
            snprintf(buf, sizeof buf, "(secret)");
        else if (s->def && *s->def)
            snprintf(buf, sizeof buf, "`%s`", s->def);
        else
            buf[0] = '\0';
        md_cell(out, buf);
        if (s->type == HG_SETTING_INT)
            snprintf(buf, sizeof buf, "%lld–%lld", s->min, s->max);
        else if (s->type == HG_SETTING_BOOL)
            snprintf(buf, sizeof buf, "true/false");
        else
            snprintf(buf, sizeof buf, "string");
        md_cell(out, buf);
        md_cell(out, s->help);
        fputc('\n', out);
    }
    fputs("| `--kafka NAME=VALUE` | `" KAFKA_ENV_PREFIX "<NAME>` |  | librdkafka property |"
          " Passed to librdkafka as is (`_` in the variable name becomes `.`); repeatable. |\n",
          out);
}

char *hg_config_read_file(const char *path, size_t max, size_t *len,
                          char *errstr, size_t errstr_size)
{
    char *data = NULL;
    char *result = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(errstr, errstr_size, "%s: is a directory", path);
        goto out;
    }
    if (max == SIZE_MAX)
        max = SIZE_MAX - 2;
    size_t cap = 4096 < max + 1 ? 4096 : max + 1;
    data = malloc(cap + 1);
    if (!data) {
        snprintf(errstr, errstr_size, "%s: out of memory", path);
        goto out;
    }
    for (;;) {
        if (got == cap) {
            if (cap > max) {
                snprintf(errstr, errstr_size, "%s: larger than %zu bytes", path, max);
                goto out;
            }
            size_t ncap = cap * 2 < max + 1 ? cap * 2 : max + 1;
            char *nd = realloc(data, ncap + 1);
            if (!nd) {
                snprintf(errstr, errstr_size, "%s: out of memory", path);
                goto out;
            }
            data = nd;
            cap = ncap;
        }
        ssize_t r = read(fd, data + got, cap - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got > max) {
        snprintf(errstr, errstr_size, "%s: larger than %zu bytes", path, max);
        goto out;
    }
    data[got] = '\0';
    if (len)
        *len = got;
    result = data;
    data = NULL;
out:
    if (data) {
        memset(data, 0, got);
        free(data);
    }
    if (fd >= 0)
        close(fd);
    return result;
}
