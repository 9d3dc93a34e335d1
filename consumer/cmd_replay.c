/* cmd_replay.c — `hookgate-consumer replay` (not available yet). */
#include <stdio.h>

#include "consumer/commands.h"

int hgc_cmd_replay(int argc, char **argv)
{
    fprintf(stderr, "hookgate-consumer replay: not available yet\n");
    return 2;
}
