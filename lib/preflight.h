/* bigvm: start QEMU with the real command line, stopped, and ask it what
 * the guest CPU got.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "plan.h"
#include "qemu.h"

#include <glib.h>

/* check --preflight: starts QEMU with PLAN's command line (argv.h
 * bigvm_argv_build_preflight: stopped, its own QMP socket, the variable
 * store read-only, nothing of the guest's written) plus QEMU_ARGS, allowing
 * PROBE_TIMEOUT_MS and the time preallocation takes, reads what the first
 * vCPU got and quits it.  *RET_NOTE says what the guest CPU got; a QEMU
 * that fails to start, or a CPU other than the plan's, is
 * BIGVM_ERROR_UNAVAILABLE. */
gboolean bigvm_preflight_check (const BigvmPlan *plan, const BigvmQemuCaps *caps,
                                const char *const *qemu_args, guint probe_timeout_ms,
                                char **ret_note, GError **error);
