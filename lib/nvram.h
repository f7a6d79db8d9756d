/* bigvm: the guest's own UEFI variable store.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "plan.h"

#include <glib.h>

/* Largest variable-store template bigvm copies (OVMF's are 128-540 KiB). */
#define BIGVM_NVRAM_MAX_BYTES (64 * 1024 * 1024)

/* Whether NVRAM can be used as it is.  TRUE with *RET_EXISTS set when it is
 * a regular file QEMU can open read-write, or when it does not exist yet.
 * A symbolic link, another kind of file, or one that cannot be opened for
 * writing: BIGVM_ERROR_UNAVAILABLE.  Nothing is written. */
gboolean bigvm_nvram_check (const char *nvram, gboolean *ret_exists, GError **error);

/* Creates NVRAM (mode 0600) as a copy of TEMPLATE, never replacing a file
 * that exists: the copy is written to a temporary file beside it and
 * linked into place only when complete.  The parent directory is created
 * (0700) when missing.  Returns TRUE when NVRAM exists afterwards, whoever
 * made it. */
gboolean bigvm_nvram_create (const char *nvram, const char *template, GError **error);

/* PLAN's variable store as run will find it: used as it is when it
 * exists; when it does not, made from the firmware's template with
 * CREATE (run), left to be made without (check).  *RET_NOTE says which;
 * NULL for a BIOS guest, which has none. */
gboolean bigvm_nvram_prepare (const BigvmPlan *plan, gboolean create, char **ret_note,
                              GError **error);
