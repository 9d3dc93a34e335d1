/* validate_driver.c — runs `validate` exactly as hookgate-consumer's dispatch does, without linking the worker. */
#include <stdio.h>
#include <string.h>

#include "consumer/commands.h"

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "validate") != 0) {
        fprintf(stderr, "usage: %s validate ...\n", argv[0]);
        return 2;
    }
    return hgc_cmd_validate(argc - 1, argv + 1);
}
