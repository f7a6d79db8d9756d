/* bigvm: progress while QEMU preallocates a guest's huge pages.  QEMU
 * says nothing until a 1 TiB guest's pages are all taken, minutes on a
 * real host; the free count of the page size, per bound host node, falls
 * from its value before the launch toward what the guest needs, and that
 * is shown.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "plan.h"

#include <glib.h>

typedef struct BigvmPreallocWatch BigvmPreallocWatch;

/* What to watch for PLAN (huge pages): the free pages of its page size
 * under ROOT's /sys ("/" for the real one), per host node the guest's
 * RAM is bound to, or the host's when none.  Reads the counts as they are
 * now, before QEMU takes any. */
BigvmPreallocWatch *bigvm_prealloc_watch_new (const BigvmPlan *plan, const char *root);

/* Pages taken since, per watched pool and in all (reads ROOT's /sys). */
guint64 bigvm_prealloc_watch_sample (BigvmPreallocWatch *watch);

/* The progress after SECONDS with TAKEN pages taken (pure): a bar for a
 * terminal (BAR), or a line for a log. */
char *bigvm_prealloc_watch_line (const BigvmPreallocWatch *watch, guint64 taken,
                                 gdouble seconds, gboolean bar);

/* Leaves a watcher behind for the QEMU this process is about to become
 * (call just before execv): an orphan of its own (not QEMU's child, so
 * never QEMU's zombie), with stdin and stdout on /dev/null and only
 * stderr (FD) kept, that writes progress there (a bar when FD is a
 * terminal, a line every few seconds otherwise) and exits when the pages
 * are all taken, when QEMU exits, or past a deadline.  Takes WATCH. */
gboolean bigvm_prealloc_watch_spawn (BigvmPreallocWatch *watch, int fd, GError **error);

void bigvm_prealloc_watch_free (BigvmPreallocWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmPreallocWatch, bigvm_prealloc_watch_free)
