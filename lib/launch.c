/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "launch.h"

#include "nvram.h"
#include "prealloc-watch.h"
#include "record.h"
#include "util.h"

gboolean
bigvm_launch_prepare (const BigvmPipeline *pipeline, GPtrArray *notes, GError **error)
{
  g_autofree char *nvram = NULL;
  g_autofree char *record = NULL;

  /* A guest arriving by migration is the source's: nothing of it is
   * made here, and its record is the source's (files.c, pipeline.c). */
  gboolean incoming = pipeline->plan->incoming != NULL;
  if (!bigvm_nvram_prepare (pipeline->plan, !incoming, &nvram, error)
      || (!incoming && !bigvm_record_keep (pipeline, &record, error)))
    return FALSE;
  if (nvram != NULL)
    g_ptr_array_add (notes, g_steal_pointer (&nvram));
  if (record != NULL)
    g_ptr_array_add (notes, g_steal_pointer (&record));
  return TRUE;
}

gboolean
bigvm_launch_watch_prealloc (const BigvmPlan *plan, int fd, GError **error)
{
  if (plan->page_size == 0)
    return TRUE;
  return bigvm_prealloc_watch_spawn (bigvm_prealloc_watch_new (plan, "/"), fd, error);
}

char *
bigvm_launch_prealloc_message (const BigvmPlan *plan)
{
  if (plan->page_size == 0)
    return NULL;
  g_autofree char *ram = bigvm_format_size_human (plan->ram_bytes);
  g_autofree char *page = bigvm_format_size_exact (plan->page_size);
  return g_strdup_printf ("QEMU preallocates %s in %" G_GUINT64_FORMAT " pages of %s with %u "
                          "threads before the guest starts: up to about %" G_GUINT64_FORMAT " s",
                          ram, plan->ram_bytes / plan->page_size, page, plan->prealloc_threads,
                          bigvm_plan_prealloc_seconds (plan));
}
