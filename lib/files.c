/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "files.h"

#include "errors.h"
#include "migrate.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* A file the guest uses, by the key that names it. */
typedef struct {
  char *key;
  const char *path;
  struct stat st;
  gboolean exists;
} Use;

static void
use_clear (Use *use)
{
  g_free (use->key);
}

/* Looks at PATH, which KEY names, for the guest to open (WRITABLE: read-
 * write, as QEMU opens disks); USES gets it for the look for twins. */
static void
check_image (GArray *uses, GPtrArray *findings, const BigvmFlavor *flavor, const char *key,
             const char *path, gboolean writable)
{
  Use use = { g_strdup (key), path, { 0 }, FALSE };

  if (stat (path, &use.st) < 0)
    g_ptr_array_add (findings, bigvm_flavor_message (flavor, key, "%s: %s", path,
                                                     g_strerror (errno)));
  else if (!S_ISREG (use.st.st_mode) && !S_ISBLK (use.st.st_mode))
    g_ptr_array_add (findings, bigvm_flavor_message (flavor, key, "%s is not a file or block "
                                                     "device", path));
  else if (access (path, writable ? R_OK | W_OK : R_OK) < 0)
    g_ptr_array_add (findings, bigvm_flavor_message (flavor, key, "cannot open %s %s: %s",
                                                     path, writable ? "read-write" : "to read",
                                                     g_strerror (errno)));
  else
    use.exists = TRUE;
  g_array_append_val (uses, use);
}

/* The directory a socket or file will be made in must be there. */
static void
check_parent (GPtrArray *findings, const BigvmFlavor *flavor, const char *key, const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;

  if (stat (dir, &st) < 0)
    g_ptr_array_add (findings, bigvm_flavor_message (flavor, key, "cannot make %s: %s: %s",
                                                     path, dir, g_strerror (errno)));
  else if (!S_ISDIR (st.st_mode))
    g_ptr_array_add (findings, bigvm_flavor_message (flavor, key, "cannot make %s: %s is not "
                                                     "a directory", path, dir));
}

/* The longest file name PATH's directory takes: its file system's
 * (statvfs f_namemax), asked of the nearest directory that exists, since
 * bigvm creates the state directory itself. */
static gulong
name_max (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct statvfs st;

  while (statvfs (dir, &st) < 0)
    {
      char *parent = g_path_get_dirname (dir);
      gboolean top = g_str_equal (parent, dir);
      g_free (dir);
      dir = parent;
      if (top)
        return 255;  /* NAME_MAX of every Linux file system */
    }
  return st.f_namemax;
}

/* The variable store is the guest's own: never the firmware's code or
 * template, which QEMU would open read-write for it (the same file under
 * another name counts), and a name the file system holds, or check would
 * say ok and run fail. */
static void
check_nvram (GArray *uses, GPtrArray *findings, const BigvmPlan *plan, const BigvmFlavor *flavor)
{
  const char *key = flavor->nvram != NULL ? "bigvm:nvram" : "name";
  const char *shared[] = { plan->firmware->code, plan->firmware->vars_template };
  g_autofree char *base = g_path_get_basename (plan->nvram);
  g_autofree char *shown = bigvm_echo (base);
  gulong max = name_max (plan->nvram);
  struct stat st;
  gboolean exists = stat (plan->nvram, &st) == 0;

  if (strlen (base) > max)
    g_ptr_array_add (findings,
                     bigvm_flavor_message (flavor, key, "%s cannot name the guest's UEFI "
                                           "variable file: %zu bytes, and its file system "
                                           "holds names of %lu%s", shown, strlen (base), max,
                                           flavor->nvram != NULL ? "" : "; set bigvm:nvram"));
  for (gsize i = 0; i < G_N_ELEMENTS (shared); i++)
    {
      struct stat other;
      if (g_str_equal (plan->nvram, shared[i])
          || (exists && stat (shared[i], &other) == 0 && other.st_dev == st.st_dev
              && other.st_ino == st.st_ino))
        {
          g_autofree char *also = g_str_equal (plan->nvram, shared[i]) ? g_strdup ("")
                                  : g_strdup_printf (" (%s)", shared[i]);
          g_ptr_array_add (findings,
                           bigvm_flavor_message (flavor, key, "%s is the firmware's %s%s: the "
                                                 "guest would write into every guest's "
                                                 "firmware", plan->nvram,
                                                 i == 0 ? "code" : "variable template", also));
        }
    }
  if (exists)
    {
      Use use = { g_strdup (key), plan->nvram, st, TRUE };
      g_array_append_val (uses, use);
    }
}

/* A guest arriving by migration brings its UEFI variables in the stream,
 * but QEMU opens the file and writes them to it once the guest runs here
 * (hw/block/pflash_cfi01.c postload_update_cb()): it must be the guest's
 * own, copied from the source, not one bigvm would make from the
 * template, which a failed migration would leave behind as if it were
 * the guest's.  And the TLS files the server side reads. */
static void
check_incoming (GPtrArray *findings, const BigvmPlan *plan, const BigvmFlavor *flavor)
{
  g_autoptr (GError) tls_error = NULL;

  if (plan->firmware != NULL && !g_file_test (plan->nvram, G_FILE_TEST_EXISTS))
    g_ptr_array_add (findings,
                     bigvm_flavor_message (flavor, flavor->nvram != NULL ? "bigvm:nvram" : "name",
                                           "%s does not exist: a guest arriving by migration "
                                           "needs its UEFI variable file copied from the "
                                           "source", plan->nvram));
  if (plan->incoming_tls_dir != NULL
      && !bigvm_migrate_check_tls_dir (plan->incoming_tls_dir, "server", &tls_error))
    g_ptr_array_add (findings, bigvm_flavor_message (flavor, "bigvm:migrate_tls_dir", "%s",
                                                     tls_error->message));
}

/* One file twice: QEMU locks images, and the second -drive fails. */
static void
check_twins (GArray *uses, GPtrArray *findings, const BigvmFlavor *flavor)
{
  for (guint i = 0; i < uses->len; i++)
    for (guint j = 0; j < i; j++)
      {
        const Use *a = &g_array_index (uses, Use, j), *b = &g_array_index (uses, Use, i);
        if (a->exists && b->exists && a->st.st_dev == b->st.st_dev
            && a->st.st_ino == b->st.st_ino)
          {
            g_ptr_array_add (findings,
                             bigvm_flavor_message (flavor, b->key, "%s is the same file as "
                                                   "%s (%s)", b->path, a->key, a->path));
            break;
          }
      }
}

gboolean
bigvm_files_check (const BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
{
  g_autoptr (GPtrArray) findings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) uses = g_array_new (FALSE, TRUE, sizeof (Use));

  g_array_set_clear_func (uses, (GDestroyNotify) use_clear);
  for (guint i = 0; i < plan->disks->len; i++)
    {
      const BigvmDisk *disk = plan->disks->pdata[i];
      g_autofree char *key = g_strdup_printf ("bigvm:disk.%u", disk->index);
      check_image (uses, findings, flavor, key, disk->path, TRUE);
    }
  if (plan->cdrom != NULL)
    check_image (uses, findings, flavor, "bigvm:cdrom", plan->cdrom, FALSE);
  if (plan->firmware != NULL)
    check_nvram (uses, findings, plan, flavor);
  check_twins (uses, findings, flavor);
  if (plan->qmp != NULL)
    check_parent (findings, flavor, "bigvm:qmp", plan->qmp);
  if (plan->pidfile != NULL)
    check_parent (findings, flavor, "bigvm:pidfile", plan->pidfile);
  if (plan->incoming != NULL)
    check_incoming (findings, plan, flavor);

  if (findings->len == 0)
    return TRUE;
  g_ptr_array_add (findings, NULL);
  g_autofree char *message = g_strjoinv ("\n", (char **) findings->pdata);
  g_set_error_literal (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, message);
  return FALSE;
}
