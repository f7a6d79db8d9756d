/* The memory part of the plan: guest NUMA nodes and their backends, the
 * page size, preallocation, and what the host lacks to give them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "plan-private.h"

#include "errors.h"
#include "util.h"

#include <string.h>

static void
backend_free (gpointer data)
{
  BigvmMemBackend *backend = data;
  if (backend->cpus != NULL)
    g_array_unref (backend->cpus);
  g_array_unref (backend->host_nodes);
  g_free (backend);
}

static BigvmMemBackend *
add_backend (BigvmPlan *plan, guint node, guint64 size, GArray *cpus, GArray *host_nodes)
{
  BigvmMemBackend *backend = g_new0 (BigvmMemBackend, 1);

  backend->node = node;
  backend->size = size;
  backend->cpus = cpus;
  backend->host_nodes = g_array_new (FALSE, FALSE, sizeof (guint));
  if (host_nodes != NULL)
    g_array_append_vals (backend->host_nodes, host_nodes->data, host_nodes->len);
  g_ptr_array_add (plan->mem_backends, backend);
  return backend;
}

/* One backend per guest NUMA node (-numa node,memdev=), or one for all
 * RAM.  With hw:numa_nodes alone, Nova splits vCPUs and RAM evenly and
 * refuses what does not divide (nova/virt/hardware.py
 * _get_numa_topology_auto); the flavor has checked a manual layout. */
static gboolean
plan_numa_nodes (BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
{
  guint nodes = flavor->numa_nodes->len;
  guint64 ram_mib = flavor->ram_bytes / BIGVM_MiB;

  plan->mem_backends = g_ptr_array_new_with_free_func (backend_free);
  plan->numa = nodes > 0;
  if (!plan->numa)
    {
      add_backend (plan, 0, flavor->ram_bytes, NULL, NULL);
      return TRUE;
    }
  gboolean split = ((BigvmNumaNode *) flavor->numa_nodes->pdata[0])->cpus == NULL;
  if (split && (flavor->vcpus % nodes != 0 || ram_mib % nodes != 0))
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw:numa_nodes",
                              "%u vCPUs and %" G_GUINT64_FORMAT " MiB do not split evenly "
                              "over %u nodes; assign them with hw:numa_cpus.N and "
                              "hw:numa_mem.N", flavor->vcpus, ram_mib, nodes);
      return FALSE;
    }
  for (guint n = 0; n < nodes; n++)
    {
      const BigvmNumaNode *node = flavor->numa_nodes->pdata[n];
      if (!split)
        {
          add_backend (plan, n, node->mem_bytes, g_array_ref (node->cpus), node->host_nodes);
          continue;
        }
      guint per_node = flavor->vcpus / nodes;
      GArray *cpus = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint cpu = n * per_node; cpu < (n + 1) * per_node; cpu++)
        g_array_append_val (cpus, cpu);
      add_backend (plan, n, flavor->ram_bytes / nodes, cpus, node->host_nodes);
    }
  return TRUE;
}

/* The host nodes a guest node is bound to must be there. */
static gboolean
check_bound_nodes (const BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                   GError **error)
{
  if (!host->has_memory)
    return TRUE;  /* another host: its nodes are not known */
  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      for (guint i = 0; i < backend->host_nodes->len; i++)
        {
          guint id = g_array_index (backend->host_nodes, guint, i);
          if (bigvm_host_find_node (host, id) != NULL)
            continue;
          g_autofree char *key = g_strdup_printf ("bigvm:numa_host_nodes.%u", backend->node);
          g_autoptr (GString) ids = g_string_new (NULL);
          for (guint n = 0; n < host->nodes->len; n++)
            g_string_append_printf (ids, "%s%u", n > 0 ? ", " : "",
                                    ((BigvmHostNode *) host->nodes->pdata[n])->id);
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, key,
                                  "the host has no NUMA node %u (it has %s)", id,
                                  host->nodes->len > 0 ? ids->str : "none");
          return FALSE;
        }
    }
  return TRUE;
}

/* Huge page sizes the host has, largest first, that divide every
 * backend; from a CPUID dump only what the CPU can page with. */
static GArray *
usable_page_sizes (const BigvmPlan *plan, const BigvmHost *host)
{
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));

  if (host->has_memory)
    for (guint i = host->hugepages->len; i > 0; i--)
      g_array_append_val (sizes, g_array_index (host->hugepages, BigvmHugePool, i - 1).page_size);
  else
    {
      guint64 giga = BIGVM_GiB, two = 2 * BIGVM_MiB;
      if (host->pdpe1gb)
        g_array_append_val (sizes, giga);
      g_array_append_val (sizes, two);
    }
  for (guint i = sizes->len; i > 0; i--)
    for (guint b = 0; b < plan->mem_backends->len; b++)
      if (((BigvmMemBackend *) plan->mem_backends->pdata[b])->size
          % g_array_index (sizes, guint64, i - 1) != 0)
        {
          g_array_remove_index (sizes, i - 1);
          break;
        }
  return sizes;
}

static guint64
free_pages (GArray *pools, guint64 page_size)
{
  const BigvmHugePool *pool = bigvm_host_find_pool (pools, page_size);
  return pool != NULL ? pool->free : 0;
}

/* Free pages of PAGE_SIZE on the host nodes NODES, together. */
static guint64
free_pages_on (const BigvmHost *host, GArray *nodes, guint64 page_size)
{
  guint64 pages = 0;

  for (guint i = 0; i < nodes->len; i++)
    {
      const BigvmHostNode *node = bigvm_host_find_node (host, g_array_index (nodes, guint, i));
      if (node != NULL)
        pages += free_pages (node->hugepages, page_size);
    }
  return pages;
}

/* Whether the host has free pages of SIZE for all of the guest, and for
 * each guest node on the host nodes it is bound to. */
static gboolean
has_room (const BigvmPlan *plan, const BigvmHost *host, guint64 size)
{
  if (free_pages (host->hugepages, size) < plan->ram_bytes / size)
    return FALSE;
  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      if (backend->host_nodes->len > 0
          && free_pages_on (host, backend->host_nodes, size) < backend->size / size)
        return FALSE;
    }
  return TRUE;
}

/* hw:mem_page_size, as Nova means it (nova/virt/hardware.py
 * _numa_get_pagesize_constraints): large is the largest huge page size
 * with room for the guest, any the same or small pages. */
static gboolean
plan_page_size (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                GError **error)
{
  g_autoptr (GArray) sizes = NULL;

  switch (flavor->page_request)
    {
    case BIGVM_PAGES_UNSET:
    case BIGVM_PAGES_SMALL:
      plan->page_size = 0;
      return TRUE;
    case BIGVM_PAGES_SIZE:
      plan->page_size = flavor->page_size_bytes == 4 * BIGVM_KiB ? 0 : flavor->page_size_bytes;
      return TRUE;
    case BIGVM_PAGES_LARGE:
    case BIGVM_PAGES_ANY:
      break;
    }

  sizes = usable_page_sizes (plan, host);
  for (guint i = 0; i < sizes->len; i++)
    {
      guint64 size = g_array_index (sizes, guint64, i);
      if (!host->has_memory || has_room (plan, host, size))
        {
          g_autofree char *human = bigvm_format_size_exact (size);
          plan->page_size = size;
          bigvm_plan_note (plan, "hw:mem_page_size = %s: %s pages%s",
                           flavor->page_request == BIGVM_PAGES_LARGE ? "large" : "any", human,
                           host->has_memory ? ", the largest the host has room in"
                           : " (the CPU's largest; another host's free pages are unknown)");
          return TRUE;
        }
    }
  if (flavor->page_request == BIGVM_PAGES_ANY)
    {
      plan->page_size = 0;
      bigvm_plan_note (plan, "hw:mem_page_size = any: small pages, no huge page size has room");
      return TRUE;
    }
  if (sizes->len == 0)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:mem_page_size",
                              "large: the host has no huge page size that divides the guest's "
                              "memory");
      return FALSE;
    }
  /* None has room: the largest, and the capacity check says what is short. */
  plan->page_size = g_array_index (sizes, guint64, 0);
  return TRUE;
}

/* A page size the flavor names must divide the guest's memory, per node
 * (Nova's nova/objects/numa.py NUMACell.can_fit_pagesize). */
static gboolean
check_page_size_divides (const BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
{
  g_autofree char *page = NULL;

  if (flavor->page_request != BIGVM_PAGES_SIZE)
    return TRUE;
  page = bigvm_format_size_human (flavor->page_size_bytes);
  if (plan->ram_bytes % flavor->page_size_bytes != 0)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw:mem_page_size",
                              "ram is not a whole number of %s pages", page);
      return FALSE;
    }
  for (guint b = 0; plan->numa && b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      if (backend->size % flavor->page_size_bytes != 0)
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw:mem_page_size",
                                  "node %u's memory is not a whole number of %s pages",
                                  backend->node, page);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
plan_small_pages (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                  const BigvmQemuCaps *caps, GError **error)
{
  if (flavor->prealloc_threads != 0)
    g_ptr_array_add (plan->warnings,
                     bigvm_flavor_message (flavor, "bigvm:prealloc_threads",
                                           "ignored: small pages are not preallocated"));
  /* memory-backend-ram's "reserve" (backends/hostmem.c, QEMU 6.1). */
  if (plan->sparse_ram && !caps->ram_reserve)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "--sparse-ram: %s (QEMU %u.%u.%u) cannot map RAM without reserving "
                   "it: its memory-backend-ram has no reserve property (QEMU 6.1 and newer)",
                   caps->path, caps->version.major, caps->version.minor, caps->version.micro);
      return FALSE;
    }
  /* util/mmap-alloc.c map_noreserve_effective(): under strict overcommit
   * the kernel reserves all mapped memory, and QEMU refuses reserve=off. */
  if (plan->sparse_ram && host->overcommit_memory == 2)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "--sparse-ram: this host's vm.overcommit_memory is 2 (strict), under which "
                   "QEMU cannot map RAM without reserving it");
      return FALSE;
    }
  return TRUE;
}

/* Huge pages: always preallocated, so a guest never meets a shortage
 * later; QEMU refuses prealloc=on with reserve=off (backends/hostmem.c). */
static gboolean
plan_huge_pages (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                 const BigvmQemuCaps *caps, const BigvmPlanOptions *options, GError **error)
{
  if (plan->sparse_ram)
    {
      g_autofree char *size = bigvm_format_size_exact (plan->page_size);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_USAGE,
                   "--sparse-ram maps small pages without reserving them; %s huge pages "
                   "(hw:mem_page_size) are always preallocated", size);
      return FALSE;
    }
  if (flavor->mem_path != NULL)
    {
      if (options->mem_path_page_size != plan->page_size)
        {
          g_autofree char *want = bigvm_format_size_exact (plan->page_size);
          g_autofree char *have = bigvm_format_size_exact (options->mem_path_page_size);
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "bigvm:mem_path",
                                  options->mem_path_page_size == 0
                                  ? "%s is not on a hugetlbfs mount"
                                  : "%s holds %s pages, not %s",
                                  flavor->mem_path, have, want);
          return FALSE;
        }
      plan->mem_path = g_strdup (flavor->mem_path);
    }
  else if (!caps->memfd_hugetlb)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:mem_page_size",
                              "%s has no memory-backend-memfd hugetlb; name a hugetlbfs "
                              "mount in bigvm:mem_path", caps->path);
      return FALSE;
    }

  /* prealloc-threads: the host's CPUs, or bigvm:prealloc_threads; bound
   * to the backend's host nodes through a thread-context (QEMU 7.2). */
  plan->prealloc_threads = flavor->prealloc_threads != 0 ? flavor->prealloc_threads
                           : MAX (1u, host->online_cpus);
  if (!caps->prealloc_threads)
    plan->prealloc_threads = 1;
  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      guint cpus = 0;
      for (guint i = 0; i < backend->host_nodes->len; i++)
        {
          const BigvmHostNode *node =
            bigvm_host_find_node (host, g_array_index (backend->host_nodes, guint, i));
          cpus += node != NULL ? node->cpu_count : 0;
        }
      backend->thread_context = caps->prealloc_context && cpus > 0;
    }
  return TRUE;
}

gboolean
bigvm_plan_memory (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                   const BigvmQemuCaps *caps, const BigvmPlanOptions *options, GError **error)
{
  plan->ram_bytes = flavor->ram_bytes;
  plan->maxmem_bytes = flavor->maxmem_bytes;
  plan->mem_slots = flavor->mem_slots;
  plan->sparse_ram = options->sparse_ram;

  if (!plan_numa_nodes (plan, flavor, error)
      || !check_page_size_divides (plan, flavor, error)
      || !check_bound_nodes (plan, flavor, host, error)
      || !plan_page_size (plan, flavor, host, error))
    return FALSE;
  return plan->page_size == 0 ? plan_small_pages (plan, flavor, host, caps, error)
                              : plan_huge_pages (plan, flavor, host, caps, options, error);
}

guint64
bigvm_plan_prealloc_seconds (const BigvmPlan *plan)
{
  /* Proxmox budgets a second per GiB; a thread does about that. */
  guint64 seconds = (plan->ram_bytes / BIGVM_GiB + plan->prealloc_threads - 1)
                    / MAX (1u, plan->prealloc_threads);
  return MAX (seconds, G_GUINT64_CONSTANT (1));
}

/* ---- what the host lacks ---------------------------------------------- */

static void
check_huge_pages_total (const BigvmPlan *plan, const BigvmFlavor *flavor,
                        const BigvmHost *host, GPtrArray *findings)
{
  g_autofree char *size = bigvm_format_size_exact (plan->page_size);
  guint64 needed = plan->ram_bytes / plan->page_size;
  const BigvmHugePool *pool = bigvm_host_find_pool (host->hugepages, plan->page_size);
  guint64 free = pool != NULL ? pool->free : 0;

  if (free < needed)
    g_ptr_array_add (findings,
                     bigvm_flavor_message (flavor, "hw:mem_page_size",
                                           "%" G_GUINT64_FORMAT " pages of %s needed, %"
                                           G_GUINT64_FORMAT " free on this host%s", needed,
                                           size, free,
                                           pool == NULL ? " (it has no such pages)" : ""));
}

static gboolean
same_nodes (const BigvmMemBackend *a, const BigvmMemBackend *b)
{
  return a->host_nodes->len == b->host_nodes->len
         && memcmp (a->host_nodes->data, b->host_nodes->data,
                    a->host_nodes->len * sizeof (guint)) == 0;
}

/* Per set of host nodes guest nodes are bound to: their free pages
 * against what all those guest nodes need. */
static void
check_huge_pages_per_node_set (const BigvmPlan *plan, const BigvmFlavor *flavor,
                               const BigvmHost *host, GPtrArray *findings)
{
  g_autofree char *size = bigvm_format_size_exact (plan->page_size);
  g_autoptr (GHashTable) counted = g_hash_table_new (NULL, NULL);

  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      guint64 needed = 0;
      guint guests = 0;
      g_autoptr (GString) names = g_string_new (NULL);

      if (backend->host_nodes->len == 0 || g_hash_table_contains (counted, backend))
        continue;
      for (guint o = b; o < plan->mem_backends->len; o++)
        {
          const BigvmMemBackend *other = plan->mem_backends->pdata[o];
          if (!same_nodes (backend, other))
            continue;
          g_hash_table_add (counted, (gpointer) other);
          needed += other->size / plan->page_size;
          g_string_append_printf (names, "%s%u", guests++ > 0 ? "," : "", other->node);
        }
      guint64 free = free_pages_on (host, backend->host_nodes, plan->page_size);
      if (free >= needed)
        continue;
      g_autofree char *key = g_strdup_printf ("bigvm:numa_host_nodes.%u", backend->node);
      g_ptr_array_add (findings,
                       bigvm_flavor_message (flavor, key,
                                             "guest node%s %s need%s %" G_GUINT64_FORMAT
                                             " pages of %s, %s host nodes have %"
                                             G_GUINT64_FORMAT " free", guests > 1 ? "s" : "",
                                             names->str, guests > 1 ? "" : "s", needed, size,
                                             guests > 1 ? "their" : "its", free));
    }
}

/* QEMU's dirty-page bitmaps: DIRTY_MEMORY_NUM (3) bitmaps of a bit per
 * 4 KiB page, written when RAM is added (softmmu/physmem.c
 * ram_block_add(), dirty_memory_extend()): 96 MiB per TiB, resident even
 * for sparse RAM. */
static guint64
dirty_bitmap_bytes (guint64 ram_bytes)
{
  return ram_bytes / (4 * BIGVM_KiB) * 3 / 8;
}

static void
check_small_pages (const BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                   GPtrArray *findings)
{
  if (plan->sparse_ram)
    {
      guint64 bitmaps = dirty_bitmap_bytes (plan->ram_bytes);
      if (bitmaps <= host->mem_available)
        return;
      g_autofree char *ram = bigvm_format_size_human (plan->ram_bytes);
      g_autofree char *need = bigvm_format_size_human (bitmaps);
      g_autofree char *available = bigvm_format_size_human (host->mem_available);
      g_ptr_array_add (findings,
                       bigvm_flavor_message (flavor, "ram",
                                             "%s of sparse RAM still takes %s of host memory "
                                             "for QEMU's dirty-page bitmaps, more than the %s "
                                             "this host has available", ram, need, available));
      return;
    }
  if (plan->ram_bytes <= host->mem_available)
    return;
  g_autofree char *ram = bigvm_format_size_human (plan->ram_bytes);
  g_autofree char *available = bigvm_format_size_human (host->mem_available);
  g_ptr_array_add (findings,
                   bigvm_flavor_message (flavor, "ram",
                                         "%s is more than the %s this host has available "
                                         "(use huge pages, or --sparse-ram to map it "
                                         "without reserving it)", ram, available));
}

gboolean
bigvm_plan_check_capacity (const BigvmPlan *plan, const BigvmFlavor *flavor,
                           const BigvmHost *host, GError **error)
{
  g_autoptr (GPtrArray) findings = g_ptr_array_new_with_free_func (g_free);

  if (!host->has_memory)
    return TRUE;
  if (plan->page_size != 0)
    {
      check_huge_pages_total (plan, flavor, host, findings);
      check_huge_pages_per_node_set (plan, flavor, host, findings);
    }
  else
    check_small_pages (plan, flavor, host, findings);

  if (findings->len == 0)
    return TRUE;
  g_ptr_array_add (findings, NULL);
  g_autofree char *message = g_strjoinv ("\n", (char **) findings->pdata);
  g_set_error_literal (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, message);
  return FALSE;
}
