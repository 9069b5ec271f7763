/* SPDX-License-Identifier: MIT */
/*
 * repl.h - `kafkasim repl [FILE]`: a scenario run a person drives one
 * command at a time (tools/repl.c).
 */
#pragma once

/* Runs the REPL with the command line @argv (argv[0] is "repl"); returns
 * the program's exit status (2 for bad input, else 0). */
int ks_repl_main(int argc, char **argv);
