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

/* "exited with status 3", "was killed by signal 11 (Segmentation fault)". */
char *bigvm_describe_wait_status (int wait_status);
