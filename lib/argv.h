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

/* The command line check --preflight starts: PLAN's, stopped (-S), with
 * QMP on QMP_SOCKET instead of the guest's own socket and pidfile, and the
 * variable store VARS read-only (the guest's, or the template for a guest
 * that has none yet). */
GPtrArray *bigvm_argv_build_preflight (const BigvmPlan *plan, const char *qemu_path,
                                       const char *const *extra, const char *vars,
                                       const char *qmp_socket);

/* PLAN's -cpu value without check or enforce, and its -smp value: the
 * CPU probe (cpu-probe.h) starts QEMU with the same. */
char *bigvm_argv_cpu (const BigvmPlan *plan);
char *bigvm_argv_smp (const BigvmPlan *plan);

/* One line, each word shell-quoted only where the shell needs it, and in
 * bash's $'...' with \xHH escapes where it holds control characters or
 * bytes that are not UTF-8, so that none reaches the terminal raw. */
char *bigvm_argv_to_shell (const GPtrArray *argv);

/* {"argv": [...], "warnings": [...]} */
char *bigvm_argv_to_json (const GPtrArray *argv, const GPtrArray *warnings);
