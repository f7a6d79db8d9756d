/* bigvm: writing the files that are a guest's own (its UEFI variables,
 * its ABI record): whole or not at all, and never over one that exists.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/* Creates PATH (mode 0600) holding DATA, never replacing a file: DATA is
 * written to a temporary file beside it, synced, and linked into place
 * only when complete, so a crash leaves no half file under PATH.  The
 * parent directory is created (0700) when missing.  *RET_CREATED is FALSE
 * when PATH existed (and is left as it is).  Failures are
 * BIGVM_ERROR_UNAVAILABLE, naming WHAT ("UEFI variable file"). */
gboolean bigvm_file_create_new (const char *path, const char *what, const char *data, gsize len,
                                gboolean *ret_created, GError **error);

/* Replaces PATH with DATA atomically (a temporary file renamed over it),
 * mode 0600. */
gboolean bigvm_file_replace (const char *path, const char *what, const char *data, gsize len,
                             GError **error);
