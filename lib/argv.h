/* bigvm: the QEMU command line for a plan, and how to show it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "plan.h"

#include <glib.h>

/* The argv to exec (pure): QEMU_PATH, bigvm's options for PLAN, then
 * EXTRA (NULL-terminated, may be NULL) verbatim.  Not NULL-terminated, so
 * callers can append; g_ptr_array_add (argv, NULL) before execv(). */
GPtrArray *bigvm_argv_build (const BigvmPlan *plan, const char *qemu_path,
                             const char *const *extra);

/* One line, each word shell-quoted only where the shell needs it. */
char *bigvm_argv_to_shell (const GPtrArray *argv);

/* {"argv": [...], "warnings": [...]} */
char *bigvm_argv_to_json (const GPtrArray *argv, const GPtrArray *warnings);
