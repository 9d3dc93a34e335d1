/* commands.h — the subcommands of hookgate-consumer. Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the
 * process exit status. */
#ifndef HGC_COMMANDS_H
#define HGC_COMMANDS_H

int hgc_cmd_run(int argc, char **argv);       /* cmd_run.c: the worker */
int hgc_cmd_validate(int argc, char **argv);  /* cmd_validate.c: offline CSV check */
int hgc_cmd_replay(int argc, char **argv);    /* cmd_replay.c */
int hgc_cmd_redrive(int argc, char **argv);   /* cmd_redrive.c */
int hgc_cmd_doctor(int argc, char **argv);    /* cmd_doctor.c */
int hgc_cmd_settings(int argc, char **argv);  /* consumer_config.c: the settings table in Markdown */

#endif
