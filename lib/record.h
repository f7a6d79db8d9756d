/* bigvm: the guest's ABI record on disk.  Written by the guest's first
 * run, rewritten only by bigvm abi --update; every other command reads
 * it (pipeline.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "pipeline.h"

#include <glib.h>

/* run: writes PIPELINE's ABI as the guest's record when it has none yet
 * (created whole, 0600, never over one).  It is written before QEMU
 * starts, since bigvm is QEMU once it execs: it holds what the guest is
 * given, which QEMU's start cannot change.  *RET_NOTE says what was
 * done. */
gboolean bigvm_record_keep (const BigvmPipeline *pipeline, char **ret_note, GError **error);

/* abi --update: replaces the guest's record with PIPELINE's ABI
 * atomically (or writes it when there is none).  A guest whose CPU is not
 * known here: BIGVM_ERROR_UNAVAILABLE. */
gboolean bigvm_record_update (const BigvmPipeline *pipeline, char **ret_note, GError **error);
