/* test_config.c — the settings engine: precedence, flag forms, range and
 * type errors (exact messages, secrets never echoed), Kafka properties,
 * positional arguments, help/Markdown output and small-file reads. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/config.h"
#include "test.h"

struct prog {
    char *brokers;
    char *secret;
    long long threads;
    long long max_age;
    bool verbose;
    char *name;
    char *region;
};

static const struct hg_setting table[] = {
    { "brokers", "HOOKGATE_KAFKA_BROKERS", HG_SETTING_STR, offsetof(struct prog, brokers),
      NULL, 0, 0, 0, "Kafka bootstrap servers." },
    { "signing-secret", "HOOKGATE_SIGNING_SECRET", HG_SETTING_STR, offsetof(struct prog, secret),
      NULL, 0, 0, HG_SETTING_F_SECRET, "Slack signing secret." },
    { "threads", "HOOKGATE_THREADS", HG_SETTING_INT, offsetof(struct prog, threads),
      "2", 1, 64, 0, "Worker threads." },
    { "signature-max-age", "HOOKGATE_SIGNATURE_MAX_AGE", HG_SETTING_INT,
      offsetof(struct prog, max_age), "300", 0, 86400, 0, "Signature window | seconds." },
    { "verbose", "HOOKGATE_VERBOSE", HG_SETTING_BOOL, offsetof(struct prog, verbose),
      "false", 0, 0, 0, "Log more." },
    { "name", NULL, HG_SETTING_STR, offsetof(struct prog, name), "hookgate", 0, 0, 0,
      "A name." },
    { "aws-region", "AWS_REGION", HG_SETTING_STR, offsetof(struct prog, region), NULL, 0, 0, 0,
      "AWS region." },
};
#define NT (sizeof table / sizeof table[0])

struct run {
    struct prog p;
    struct hg_kafka_props props;
    int pos;
    int rc;
    char err[256];
};

/* Load with argv (NULL-terminated, argv[0] is the program) and env. */
static void load(struct run *r, char **argv, char **env)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    memset(r, 0, sizeof *r);
    r->rc = hg_config_load(table, NT, &r->p, argc, argv, 1, env, &r->props, &r->pos,
                           r->err, sizeof r->err);
}

static void done(struct run *r)
{
    hg_config_cleanup(table, NT, &r->p);
    hg_kafka_props_cleanup(&r->props);
}

static const char *prop(const struct hg_kafka_props *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return p->value[i];
    return NULL;
}

int main(void)
{
    struct run r;

    /* defaults */
    load(&r, (char *[]){ "prog", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.p.threads, 2);
    CHECK_INT(r.p.max_age, 300);
    CHECK(r.p.verbose == false);
    CHECK(r.p.brokers == NULL);
    CHECK_STR(r.p.name, "hookgate");
    CHECK_INT(r.pos, 1);
    CHECK_INT(r.props.n, 0);
    done(&r);
    CHECK(r.p.name == NULL);

    /* env beats defaults, flags beat env; both flag forms; props */
    load(&r, (char *[]){ "prog", "--threads=8", "--signature-max-age", "0", "--verbose",
                         "--kafka", "linger.ms=5", "--kafka=acks=1", NULL },
         (char *[]){ "HOOKGATE_THREADS=4", "HOOKGATE_KAFKA_BROKERS=b1:9092",
                     "HOOKGATE_VERBOSE=no", "HOOKGATE_KAFKA_LINGER_MS=2",
                     "HOOKGATE_KAFKA_SASL_MECHANISM=OAUTHBEARER", "HOOKGATE_OTHER_PROGRAM=1",
                     "PATH=/bin", "HOOKGATE_SIGNING_SECRET=s3cr3t", NULL });
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.p.threads, 8);
    CHECK_INT(r.p.max_age, 0);
    CHECK(r.p.verbose == true);
    CHECK_STR(r.p.brokers, "b1:9092");
    CHECK_STR(r.p.secret, "s3cr3t");
    CHECK_INT(r.props.n, 3);
    CHECK_STR(prop(&r.props, "linger.ms"), "5");          /* flag won over env */
    CHECK_STR(prop(&r.props, "sasl.mechanism"), "OAUTHBEARER");
    CHECK_STR(prop(&r.props, "acks"), "1");
    CHECK(prop(&r.props, "brokers") == NULL);             /* a setting, not a prop */
    CHECK_INT(r.pos, 8);
    done(&r);
    CHECK_INT(r.props.n, 0);

    /* a variable outside the HOOKGATE_ namespace named by the table */
    load(&r, (char *[]){ "prog", NULL }, (char *[]){ "AWS_REGION=eu-west-1", "OTHER=x", NULL });
    CHECK_INT(r.rc, 0);
    CHECK_STR(r.p.region, "eu-west-1");
    done(&r);
    CHECK(r.p.region == NULL);

    /* env only: bool spellings */
    load(&r, (char *[]){ "prog", NULL }, (char *[]){ "HOOKGATE_VERBOSE=On", NULL });
    CHECK_INT(r.rc, 0);
    CHECK(r.p.verbose == true);
    done(&r);
    load(&r, (char *[]){ "prog", "--verbose=0", NULL }, (char *[]){ "HOOKGATE_VERBOSE=1", NULL });
    CHECK(r.rc == 0 && r.p.verbose == false);
    done(&r);

    /* positional: the first non-flag stops parsing; "--" too */
    load(&r, (char *[]){ "prog", "--threads", "3", "replay", "--bogus", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.pos, 3);
    CHECK_INT(r.p.threads, 3);
    done(&r);
    load(&r, (char *[]){ "prog", "--", "--threads", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.pos, 2);
    done(&r);
    /* a bool flag does not swallow the next argument */
    load(&r, (char *[]){ "prog", "--verbose", "run", NULL }, (char *[]){ NULL });
    CHECK(r.rc == 0 && r.pos == 2 && r.p.verbose);
    done(&r);
    /* a later flag replaces an earlier string without leaking */
    load(&r, (char *[]){ "prog", "--name", "a", "--name=b", NULL }, (char *[]){ NULL });
    CHECK_STR(r.p.name, "b");
    done(&r);

    /* --help */
    load(&r, (char *[]){ "prog", "--threads=2", "--help", "--bogus", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, 1);
    done(&r);

    /* errors, with the exact wording */
    load(&r, (char *[]){ "prog", "--signature-max-age", "abc", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    CHECK_STR(r.err, "setting --signature-max-age (flag): \"abc\" is not an integer");
    done(&r);
    load(&r, (char *[]){ "prog", NULL }, (char *[]){ "HOOKGATE_THREADS=0", NULL });
    CHECK_INT(r.rc, -1);
    CHECK_STR(r.err, "setting HOOKGATE_THREADS (environment): 0 is below the minimum 1");
    done(&r);
    load(&r, (char *[]){ "prog", "--threads=65", NULL }, (char *[]){ NULL });
    CHECK_STR(r.err, "setting --threads (flag): 65 is above the maximum 64");
    done(&r);
    load(&r, (char *[]){ "prog", "--threads=99999999999999999999", NULL }, (char *[]){ NULL });
    CHECK_STR(r.err, "setting --threads (flag): \"99999999999999999999\" is out of range");
    done(&r);
    load(&r, (char *[]){ "prog", "--threads= 5", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    done(&r);
    load(&r, (char *[]){ "prog", "--threads=", NULL }, (char *[]){ NULL });
    CHECK_STR(r.err, "setting --threads (flag): \"\" is not an integer");
    done(&r);
    load(&r, (char *[]){ "prog", "--threads=5x", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    done(&r);
    load(&r, (char *[]){ "prog", "--verbose=maybe", NULL }, (char *[]){ NULL });
    CHECK(strstr(r.err, "setting --verbose (flag): \"maybe\" is not a boolean") == r.err);
    done(&r);
    load(&r, (char *[]){ "prog", "--threads", NULL }, (char *[]){ NULL });
    CHECK_STR(r.err, "setting --threads (flag): missing value");
    done(&r);
    load(&r, (char *[]){ "prog", "--nope=secretvalue", NULL }, (char *[]){ NULL });
    CHECK_STR(r.err, "unknown flag --nope");
    done(&r);
    load(&r, (char *[]){ "prog", "-t", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    CHECK(strstr(r.err, "unknown flag -t") == r.err);
    done(&r);
    load(&r, (char *[]){ "prog", "--kafka", "novalue", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    CHECK(strstr(r.err, "--kafka") != NULL);
    done(&r);
    load(&r, (char *[]){ "prog", "--kafka", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    done(&r);
    load(&r, (char *[]){ "prog", "--kafka", "=v", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    done(&r);
    /* the brokers have one name: as a property they would override it unseen */
    load(&r, (char *[]){ "prog", "--kafka", "bootstrap.servers=h:1", NULL }, (char *[]){ NULL });
    CHECK_INT(r.rc, -1);
    CHECK(strstr(r.err, "HOOKGATE_KAFKA_BROKERS") != NULL);
    CHECK_INT(r.props.n, 0);
    done(&r);
    load(&r, (char *[]){ "prog", NULL }, (char *[]){ "HOOKGATE_KAFKA_METADATA_BROKER_LIST=h:1", NULL });
    CHECK_INT(r.rc, -1);
    CHECK(strstr(r.err, "HOOKGATE_KAFKA_METADATA_BROKER_LIST") != NULL);
    CHECK(strstr(r.err, "h:1") == NULL);
    done(&r);
    /* a failed load leaves no props behind and positional at argc */
    load(&r, (char *[]){ "prog", "--kafka", "a=b", "--threads=0", NULL },
         (char *[]){ "HOOKGATE_KAFKA_X=1", NULL });
    CHECK_INT(r.rc, -1);
    CHECK_INT(r.props.n, 0);
    CHECK_INT(r.pos, 4);
    done(&r);

    /* secrets are never echoed: a secret int setting is checked via a
     * table of its own */
    {
        struct { long long pin; char *s; } sp = { 0, NULL };
        static const struct hg_setting st[] = {
            { "pin", "HOOKGATE_PIN", HG_SETTING_INT, 0, NULL, 0, 9999, HG_SETTING_F_SECRET, "PIN." },
        };
        char err[200];
        int pos;
        char *argv[] = { "p", "--pin=12345678", NULL };
        CHECK_INT(hg_config_load(st, 1, &sp, 2, argv, 1, (char *[]){ NULL }, NULL, &pos,
                                 err, sizeof err), -1);
        CHECK(strstr(err, "12345678") == NULL);
        CHECK(strstr(err, "--pin (flag)") != NULL);
        char *argv2[] = { "p", "--pin=abc123", NULL };
        CHECK_INT(hg_config_load(st, 1, &sp, 2, argv2, 1, (char *[]){ NULL }, NULL, &pos,
                                 err, sizeof err), -1);
        CHECK(strstr(err, "abc123") == NULL);
        /* without a props struct, --kafka is an unknown flag */
        char *argv3[] = { "p", "--kafka", "a=b", NULL };
        CHECK_INT(hg_config_load(st, 1, &sp, 3, argv3, 1, (char *[]){ NULL }, NULL, &pos,
                                 err, sizeof err), -1);
        CHECK_STR(err, "unknown flag --kafka");
    }
    /* value length cap */
    {
        char *big = malloc(HG_CONFIG_VALUE_MAX + 20);
        memcpy(big, "--name=", 7);
        memset(big + 7, 'x', HG_CONFIG_VALUE_MAX + 1);
        big[7 + HG_CONFIG_VALUE_MAX + 1] = '\0';
        load(&r, (char *[]){ "prog", big, NULL }, (char *[]){ NULL });
        CHECK_INT(r.rc, -1);
        CHECK(strstr(r.err, "longer than") != NULL);
        done(&r);
        free(big);
    }
    /* property count cap */
    {
        char *envs[HG_CONFIG_MAX_KAFKA_PROPS + 2];
        char store[HG_CONFIG_MAX_KAFKA_PROPS + 1][40];
        for (unsigned i = 0; i <= HG_CONFIG_MAX_KAFKA_PROPS; i++) {
            snprintf(store[i], sizeof store[i], "HOOKGATE_KAFKA_P%u=1", i);
            envs[i] = store[i];
        }
        envs[HG_CONFIG_MAX_KAFKA_PROPS + 1] = NULL;
        load(&r, (char *[]){ "prog", NULL }, envs);
        CHECK_INT(r.rc, -1);
        CHECK(strstr(r.err, "Kafka properties") != NULL);
        done(&r);
        envs[HG_CONFIG_MAX_KAFKA_PROPS] = NULL;
        load(&r, (char *[]){ "prog", NULL }, envs);
        CHECK_INT(r.rc, 0);
        CHECK_INT(r.props.n, HG_CONFIG_MAX_KAFKA_PROPS);
        CHECK_STR(prop(&r.props, "p0"), "1");
        done(&r);
    }

    /* Markdown and usage */
    {
        char *md = NULL;
        size_t mdlen = 0;
        FILE *f = open_memstream(&md, &mdlen);
        hg_config_markdown(f, table, NT);
        fclose(f);
        CHECK(strncmp(md, "| flag | variable | default | range | description |\n|---|", 56) == 0);
        CHECK(strstr(md, "| `--threads` | `HOOKGATE_THREADS` | `2` | 1–64 | Worker threads. |\n") != NULL);
        CHECK(strstr(md, "| `--signature-max-age` | `HOOKGATE_SIGNATURE_MAX_AGE` | `300` | 0–86400 |"
                         " Signature window \\| seconds. |\n") != NULL);
        CHECK(strstr(md, "| `--verbose` | `HOOKGATE_VERBOSE` | `false` | true/false | Log more. |\n") != NULL);
        CHECK(strstr(md, "| `--name` |  | `hookgate` | string | A name. |\n") != NULL);
        CHECK(strstr(md, "--kafka NAME=VALUE") != NULL);
        free(md);
        f = open_memstream(&md, &mdlen);
        hg_config_usage(f, table, NT);
        fclose(f);
        CHECK(strstr(md, "--signature-max-age N") != NULL);
        CHECK(strstr(md, "HOOKGATE_THREADS") != NULL);
        CHECK(strstr(md, "Worker threads.") != NULL);
        free(md);
    }

    /* read_file */
    {
        char path[] = "/tmp/hg_test_config_XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK_INT(write(fd, "secret\n\n", 8), 8);
        close(fd);
        char err[300];
        size_t len = 0;
        char *s = hg_config_read_file(path, 8, &len, err, sizeof err);
        CHECK_STR(s, "secret\n\n");
        CHECK_INT(len, 8);
        free(s);
        s = hg_config_read_file(path, 7, &len, err, sizeof err);
        CHECK(s == NULL);
        CHECK(strstr(err, path) != NULL && strstr(err, "larger than 7 bytes") != NULL);
        /* a larger file than the first read chunk */
        fd = open(path, O_WRONLY | O_TRUNC);
        static char chunk[10000];
        memset(chunk, 'z', sizeof chunk);
        CHECK_INT(write(fd, chunk, sizeof chunk), (long long)sizeof chunk);
        close(fd);
        s = hg_config_read_file(path, 20000, &len, err, sizeof err);
        CHECK(s != NULL);
        CHECK_INT(len, sizeof chunk);
        free(s);
        CHECK(hg_config_read_file(path, 9999, &len, err, sizeof err) == NULL);
        unlink(path);
        s = hg_config_read_file(path, 100, &len, err, sizeof err);
        CHECK(s == NULL);
        CHECK(strstr(err, path) != NULL && strstr(err, "No such file") != NULL);
        CHECK(hg_config_read_file("/tmp", 100, &len, err, sizeof err) == NULL);
        CHECK(strstr(err, "directory") != NULL);
    }
    /* A secret flag's value, and a Kafka property that names a password or
     * secret, are overwritten in argv once copied (ps reads argv); other
     * values stay as given. */
    {
        char a1[] = "--signing-secret=s3cr3t", a2[] = "--kafka", a3[] = "sasl.password=pw",
             a4[] = "--kafka=sasl.oauthbearer.client.secret=cs", a5[] = "--kafka",
             a6[] = "linger.ms=5", a7[] = "--brokers", a8[] = "b1:9092";
        char *argv[] = { "prog", a1, a2, a3, a4, a5, a6, a7, a8, NULL };
        load(&r, argv, (char *[]){ NULL });
        CHECK_INT(r.rc, 0);
        CHECK_STR(r.p.secret, "s3cr3t");
        CHECK_STR(prop(&r.props, "sasl.password"), "pw");
        CHECK_STR(prop(&r.props, "sasl.oauthbearer.client.secret"), "cs");
        CHECK_STR(a1, "--signing-secret=xxxxxx");
        CHECK_STR(a3, "sasl.password=xx");
        CHECK_STR(a4, "--kafka=sasl.oauthbearer.client.secret=xx");
        CHECK_STR(a6, "linger.ms=5");
        CHECK_STR(a8, "b1:9092");
        done(&r);
        char b1[] = "--signing-secret", b2[] = "two";
        char *argv2[] = { "prog", b1, b2, NULL };
        load(&r, argv2, (char *[]){ NULL });
        CHECK_STR(r.p.secret, "two");
        CHECK_STR(b2, "xxx");
        done(&r);
    }
    return TEST_DONE();
}
