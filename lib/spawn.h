/* bigvm: running a helper process with a deadline.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/* Most output bigvm keeps from a probe; QEMU's replies are far smaller. */
#define BIGVM_SPAWN_MAX_OUTPUT (4 * 1024 * 1024)

/* Runs ARGV (ARGV[0] a path) with stdin from /dev/null, collecting stdout
 * and stderr, and kills it after TIMEOUT_MS.  Returns FALSE only when it
 * could not run or timed out (BIGVM_ERROR_UNAVAILABLE); otherwise the
 * caller judges RET_WAIT_STATUS. */
gboolean bigvm_spawn_capture (const char *const *argv, guint timeout_ms,
                              char **ret_stdout, char **ret_stderr,
                              int *ret_wait_status, GError **error);

/* Starts ARGV (ARGV[0] a path) without reaping it, with pipes for those of
 * RET_STDIN, RET_STDOUT and RET_STDERR not NULL (close-on-exec in bigvm).
 * The child leads its own process group, so that bigvm_spawn_kill ends
 * whatever it started too, and is killed when bigvm dies (the terminal's
 * Ctrl-C no longer reaches it). */
gboolean bigvm_spawn (const char *const *argv, GSpawnFlags flags, GPid *ret_pid,
                      int *ret_stdin, int *ret_stdout, int *ret_stderr, GError **error);

/* SIGKILL to the process group PID leads. */
void bigvm_spawn_kill (GPid pid);

/* "exited with status 3", "was killed by signal 11 (Segmentation fault)". */
char *bigvm_describe_wait_status (int wait_status);
