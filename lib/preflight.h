/* bigvm: start QEMU with the real command line, stopped, and ask it what
 * the guest CPU got.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "pipeline.h"

#include <glib.h>

/* check --preflight: starts QEMU with the plan's command line (argv.h
 * bigvm_argv_build_preflight: stopped, its own QMP socket, the variable
 * store read-only, nothing of the guest's written) plus QEMU_ARGS, allowing
 * PROBE_TIMEOUT_MS and the time preallocation takes, reads the first vCPU
 * as cpu-probe.h does and quits it.  *RET_NOTE says what the guest CPU
 * got and lost.  A QEMU that fails to start, or a CPU other than the
 * plan's, is BIGVM_ERROR_UNAVAILABLE; one other than the pipeline's
 * prediction, BIGVM_ERROR_INTERNAL (a bug in bigvm, said loudly). */
gboolean bigvm_preflight_check (const BigvmPipeline *pipeline, const char *const *qemu_args,
                                guint probe_timeout_ms, char **ret_note, GError **error);
