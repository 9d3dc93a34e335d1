/* main.c — hookgate-consumer: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "consumer/commands.h"

struct hgc_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct hgc_command commands[] = {
    { "run",      hgc_cmd_run,      "the worker: consume the topic and run the file_shared pipeline" },
    { "validate", hgc_cmd_validate, "validate a CSV against its table config offline" },
    { "replay",   hgc_cmd_replay,   "reprocess an offset or time range without touching the group's offsets" },
    { "redrive",  hgc_cmd_redrive,  "put dead-lettered records back on the topic" },
    { "doctor",   hgc_cmd_doctor,   "check Kafka, Slack, S3 and Glue with the configured settings" },
    { "settings", hgc_cmd_settings, "print the settings table in Markdown (for the README)" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: hookgate-consumer COMMAND [--help] [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hookgate-consumer: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
