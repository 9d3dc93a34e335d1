/* cmd_doctor.c — `hookgate-consumer doctor` (not available yet). */
#include <stdio.h>

#include "consumer/commands.h"

int hgc_cmd_doctor(int argc, char **argv)
{
    fprintf(stderr, "hookgate-consumer doctor: not available yet\n");
    return 2;
}
