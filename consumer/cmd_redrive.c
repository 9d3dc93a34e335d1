/* cmd_redrive.c — `hookgate-consumer redrive` (not available yet). */
#include <stdio.h>

#include "consumer/commands.h"

int hgc_cmd_redrive(int argc, char **argv)
{
    fprintf(stderr, "hookgate-consumer redrive: not available yet\n");
    return 2;
}
