/* bigvm: what run does between the plan and execv.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "pipeline.h"

#include <glib.h>

/* Readies PIPELINE's guest for execv of its argv: makes its UEFI
 * variable store from the template when it has none, and writes its ABI
 * record at its first run (record.h).  NOTES gets what was
 * done, for -v. */
gboolean bigvm_launch_prepare (const BigvmPipeline *pipeline, GPtrArray *notes, GError **error);

/* The last step before execv, where QEMU preallocates huge pages: leaves a
 * watcher that writes their progress to FD (prealloc-watch.h). */
gboolean bigvm_launch_watch_prealloc (const BigvmPlan *plan, int fd, GError **error);

/* "QEMU preallocates 1 TiB in 1024 pages of 1 GiB with 8 threads before
 * the guest starts: up to about 128 s", or NULL for small pages. */
char *bigvm_launch_prealloc_message (const BigvmPlan *plan);
