/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "prealloc-watch.h"

#include "errors.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* How often the counts are read: the pages are freed as soon as QEMU
 * exits, and the guest's console follows the last page at once.  A
 * terminal's bar is redrawn each time, a log gets a line every few
 * seconds. */
#define SAMPLE_INTERVAL_MS 50
#define BAR_INTERVAL_MS 500
#define LINE_INTERVAL_S 5

/* One pool of free pages: a host node's, or the host's (node -1). */
typedef struct {
  int node;
  guint64 start_free;
  guint64 taken;
} Pool;

struct BigvmPreallocWatch {
  char *root;
  guint64 page_size;
  guint64 needed;              /* pages QEMU takes */
  guint64 ram_bytes;
  guint64 estimate_s;          /* the plan's estimate of the time it takes */
  GArray *pools;               /* Pool */
};

static gboolean
read_free (const BigvmPreallocWatch *watch, int node, guint64 *ret)
{
  g_autofree char *pool = g_strdup_printf ("hugepages-%" G_GUINT64_FORMAT "kB",
                                           watch->page_size / BIGVM_KiB);
  g_autofree char *node_dir = g_strdup_printf ("node%d", node);
  g_autofree char *path = node < 0
    ? g_build_filename (watch->root, "sys/kernel/mm/hugepages", pool, "free_hugepages", NULL)
    : g_build_filename (watch->root, "sys/devices/system/node", node_dir, "hugepages", pool,
                        "free_hugepages", NULL);
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL)
         && g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, G_MAXUINT64, ret, NULL);
}

BigvmPreallocWatch *
bigvm_prealloc_watch_new (const BigvmPlan *plan, const char *root)
{
  BigvmPreallocWatch *watch = g_new0 (BigvmPreallocWatch, 1);
  gboolean all_bound = TRUE;
  g_autoptr (GHashTable) nodes = g_hash_table_new (NULL, NULL);

  watch->root = g_strdup (root);
  watch->page_size = plan->page_size;
  watch->needed = plan->ram_bytes / plan->page_size;
  watch->ram_bytes = plan->ram_bytes;
  watch->estimate_s = bigvm_plan_prealloc_seconds (plan);
  watch->pools = g_array_new (FALSE, FALSE, sizeof (Pool));

  /* Per host node where all RAM is bound to nodes, else the host's. */
  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      all_bound &= backend->host_nodes->len > 0;
      for (guint i = 0; i < backend->host_nodes->len; i++)
        g_hash_table_add (nodes, GUINT_TO_POINTER (g_array_index (backend->host_nodes, guint, i) + 1));
    }
  if (!all_bound || g_hash_table_size (nodes) == 0)
    {
      Pool pool = { -1, 0, 0 };
      g_array_append_val (watch->pools, pool);
    }
  else
    for (guint id = 1; id <= G_MAXUINT16 && watch->pools->len < g_hash_table_size (nodes); id++)
      if (g_hash_table_contains (nodes, GUINT_TO_POINTER (id)))
        {
          Pool pool = { (int) id - 1, 0, 0 };
          g_array_append_val (watch->pools, pool);
        }
  for (guint i = 0; i < watch->pools->len; i++)
    {
      Pool *pool = &g_array_index (watch->pools, Pool, i);
      read_free (watch, pool->node, &pool->start_free);
    }
  return watch;
}

void
bigvm_prealloc_watch_free (BigvmPreallocWatch *watch)
{
  if (watch == NULL)
    return;
  g_free (watch->root);
  g_array_unref (watch->pools);
  g_free (watch);
}

guint64
bigvm_prealloc_watch_sample (BigvmPreallocWatch *watch)
{
  guint64 total = 0;

  for (guint i = 0; i < watch->pools->len; i++)
    {
      Pool *pool = &g_array_index (watch->pools, Pool, i);
      guint64 free;
      /* Another process may free pages meanwhile: never below nothing. */
      if (read_free (watch, pool->node, &free))
        pool->taken = free < pool->start_free ? pool->start_free - free : 0;
      total += pool->taken;
    }
  return MIN (total, watch->needed);
}

char *
bigvm_prealloc_watch_line (const BigvmPreallocWatch *watch, guint64 taken, gdouble seconds,
                           gboolean bar)
{
  g_autofree char *ram = bigvm_format_size_human (watch->ram_bytes);
  g_autofree char *page = bigvm_format_size_exact (watch->page_size);
  guint percent = watch->needed > 0 ? (guint) (taken * 100 / watch->needed) : 100;
  /* Whole and tenth seconds in integers: no locale puts a comma in. */
  guint64 tenths = (guint64) (seconds * 10);
  GString *line = g_string_new (NULL);

  if (taken >= watch->needed)
    g_string_append_printf (line, "bigvm: preallocated %s in %" G_GUINT64_FORMAT " pages of %s "
                            "in %" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT " s", ram,
                            watch->needed, page, tenths / 10, tenths % 10);
  else if (bar)
    {
      char cells[21];
      guint filled = percent / 5;
      for (guint i = 0; i < 20; i++)
        cells[i] = i < filled ? '#' : '.';
      cells[20] = '\0';
      g_string_append_printf (line, "bigvm: preallocating %s [%s] %3u%% %" G_GUINT64_FORMAT "/%"
                              G_GUINT64_FORMAT " pages of %s, %" G_GUINT64_FORMAT " s", ram, cells,
                              percent, taken, watch->needed, page, tenths / 10);
    }
  else
    g_string_append_printf (line, "bigvm: preallocating %s in %" G_GUINT64_FORMAT " pages of %s: "
                            "%u%% (%" G_GUINT64_FORMAT " pages) after %" G_GUINT64_FORMAT " s",
                            ram, watch->needed, page, percent, taken, tenths / 10);
  if (watch->pools->len > 1 || g_array_index (watch->pools, Pool, 0).node >= 0)
    for (guint i = 0; i < watch->pools->len; i++)
      {
        const Pool *pool = &g_array_index (watch->pools, Pool, i);
        g_string_append_printf (line, "%s node %d: %" G_GUINT64_FORMAT, i == 0 ? ";" : ",",
                                pool->node, pool->taken);
      }
  return g_string_free (line, FALSE);
}

/* Writes the progress after TAKEN pages to FD: a bar redrawn in place,
 * ended once the pages are all taken, or a line. */
static void
show (const BigvmPreallocWatch *watch, int fd, gboolean bar, guint64 taken, gint64 start)
{
  gdouble seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  gboolean done = taken >= watch->needed;
  g_autofree char *line = bigvm_prealloc_watch_line (watch, taken, seconds, bar && !done);
  g_autofree char *out = bar ? g_strdup_printf ("\r%s\033[K%s", line, done ? "\r\n" : "")
                             : g_strdup_printf ("%s\n", line);
  bigvm_write_all (fd, out, strlen (out));
}

static gboolean
qemu_exited (int pidfd, pid_t qemu, int ms)
{
  struct pollfd p = { pidfd, POLLIN, 0 };

  if (pidfd >= 0)
    return poll (&p, 1, ms) > 0;
  /* Without pidfd_open (Linux 5.3), kill 0 says whether it is there. */
  g_usleep (ms * 1000);
  return kill (qemu, 0) < 0;
}

/* The watcher's life: until the pages are taken, QEMU (PID) is gone, or
 * the deadline. */
static void
watch_loop (BigvmPreallocWatch *watch, pid_t qemu, int fd)
{
  gboolean bar = isatty (fd);
  int pidfd = (int) syscall (SYS_pidfd_open, qemu, 0);
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) (3 * watch->estimate_s + 60) * G_USEC_PER_SEC;
  gint64 next_show = start;
  guint64 taken = 0;

  while (taken < watch->needed && g_get_monotonic_time () < deadline)
    {
      if (g_get_monotonic_time () >= next_show)
        {
          show (watch, fd, bar, taken, start);
          next_show = g_get_monotonic_time ()
                      + (bar ? BAR_INTERVAL_MS * 1000 : LINE_INTERVAL_S * G_USEC_PER_SEC);
        }
      if (qemu_exited (pidfd, qemu, SAMPLE_INTERVAL_MS))
        break;
      taken = bigvm_prealloc_watch_sample (watch);
    }
  /* Done, or QEMU stopped before it was (it says why itself). */
  if (taken >= watch->needed)
    show (watch, fd, bar, taken, start);
  else if (bar)
    bigvm_write_all (fd, "\r\n", 2);
}

gboolean
bigvm_prealloc_watch_spawn (BigvmPreallocWatch *watch, int fd, GError **error)
{
  g_autoptr (BigvmPreallocWatch) owned = watch;
  pid_t qemu = getpid ();
  pid_t child = fork ();

  if (child < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "cannot start the preallocation "
                   "watcher: %s", g_strerror (saved_errno));
      return FALSE;
    }
  if (child == 0)
    {
      /* The child leaves at once; its own child, orphaned, is the watcher
       * and never QEMU's to reap. */
      if (fork () != 0)
        _exit (0);
      int out = 3;
      dup2 (fd, out);
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, STDIN_FILENO);
      dup2 (null, STDOUT_FILENO);
      dup2 (null, STDERR_FILENO);
      /* Nothing else of bigvm's: QEMU's streams close when QEMU's do. */
      close_range (out + 1, ~0U, 0);
      watch_loop (owned, qemu, out);
      _exit (0);
    }
  while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
    ;
  return TRUE;
}
