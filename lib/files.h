/* bigvm: the files a plan names, as this host has them.  QEMU opens them
 * only once it has started; bigvm looks first, so that a missing disk or
 * directory is refused with the flavor key that names it, before anything
 * runs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "flavor.h"
#include "plan.h"

#include <glib.h>

/* Whether PLAN's files can be used: every disk and the CD exist (a
 * regular file or block device QEMU can open, disks read-write), no file
 * is given twice (QEMU's image locking refuses the second), the
 * directories of the QMP socket and the pidfile exist, and the guest's
 * variable store is neither the firmware's code nor its template and has
 * a name its file system can hold.  FALSE with every finding, one per
 * line, naming FLAVOR's key (BIGVM_ERROR_UNAVAILABLE). */
gboolean bigvm_files_check (const BigvmPlan *plan, const BigvmFlavor *flavor, GError **error);
