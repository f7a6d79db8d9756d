/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cache.h"

#include "errors.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A cache file is a few tens of KiB. */
#define MAX_CACHE_BYTES (16 * 1024 * 1024)

gboolean
bigvm_binary_id (const char *path, BigvmBinaryId *ret_id, GError **error)
{
  struct stat st;

  if (stat (path, &st) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  ret_id->path = g_strdup (path);
  ret_id->size = st.st_size;
  ret_id->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                     + st.st_mtim.tv_nsec;
  ret_id->inode = st.st_ino;
  ret_id->device = st.st_dev;
  return TRUE;
}

void
bigvm_binary_id_clear (BigvmBinaryId *id)
{
  g_clear_pointer (&id->path, g_free);
}

char *
bigvm_cache_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "bigvm", NULL);
}

char *
bigvm_cache_file (const char *cache_dir, const BigvmBinaryId *id, const char *accel)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id->path, -1);
  g_autofree char *name = g_strdup_printf ("qemu-%.16s-%s.caps", digest, accel);
  return g_build_filename (cache_dir, name, NULL);
}

/* Every cache file: a marker saying what it holds, the bigvm that wrote
 * it, the binary's identity, the key of what it answers (the CPU
 * configuration; "" for capabilities) and the answer, as one GVariant in
 * binary form, which loads without parsing. */
#define ENTRY_TYPE "(ss(sttxt)sv)"
#define CAPS_MARKER "bigvm capability cache 2"
#define CPU_MARKER "bigvm CPU cache 1"

/* The answer in FILE, when FILE is MARKER's, by this bigvm, for ID and
 * KEY. */
static GVariant *
load_entry (const char *file, const char *marker, const BigvmBinaryId *id, const char *key,
            GError **error)
{
  g_autoptr (GMappedFile) mapped = g_mapped_file_new (file, FALSE, error);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) entry = NULL;
  const char *file_marker, *writer, *path, *file_key;
  guint64 size, inode, device;
  gint64 mtime_ns;
  GVariant *payload;

  if (mapped == NULL)
    return NULL;
  bytes = g_mapped_file_get_bytes (mapped);
  if (g_bytes_get_size (bytes) > MAX_CACHE_BYTES)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "%s: too large", file);
      return NULL;
    }
  /* Untrusted: GVariant checks every access against the bytes' bounds and
   * answers defaults for what does not fit the type. */
  entry = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (ENTRY_TYPE), bytes, FALSE));
  g_variant_get (entry, "(&s&s(&sttxt)&sv)", &file_marker, &writer, &path, &size, &inode,
                 &mtime_ns, &device, &file_key, &payload);
  if (!g_str_equal (file_marker, marker) || !g_str_equal (writer, PACKAGE_VERSION))
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL,
                 "%s: not written by this version of bigvm", file);
  else if (!g_str_equal (path, id->path) || size != id->size || inode != id->inode
           || mtime_ns != id->mtime_ns || device != id->device)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "%s: for another build of %s", file,
                 id->path);
  else if (!g_str_equal (file_key, key))
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "%s: for another question", file);
  else
    return payload;
  g_variant_unref (payload);
  return NULL;
}

static gboolean
store_entry (const char *file, const char *marker, const BigvmBinaryId *id, const char *key,
             GVariant *payload, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (file);
  g_autoptr (GVariant) entry = g_variant_ref_sink (
    g_variant_new (ENTRY_TYPE, marker, PACKAGE_VERSION, id->path, id->size, id->inode,
                   id->mtime_ns, id->device, key, payload));

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "cannot create %s: %s", dir,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* g_file_set_contents() writes a temporary file and renames it over
   * FILE: readers see the old cache or the new one, never half of one. */
  return g_file_set_contents_full (file, g_variant_get_data (entry), g_variant_get_size (entry),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

BigvmQemuCaps *
bigvm_cache_load (const char *file, const BigvmBinaryId *id, GError **error)
{
  g_autoptr (GVariant) payload = load_entry (file, CAPS_MARKER, id, "", error);
  if (payload == NULL)
    return NULL;
  BigvmQemuCaps *caps = bigvm_qemu_caps_from_variant (payload, error);
  if (caps != NULL && g_strcmp0 (caps->path, id->path) != 0)
    {
      bigvm_qemu_caps_free (caps);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "%s: for another binary", file);
      return NULL;
    }
  return caps;
}

gboolean
bigvm_cache_store (const char *file, const BigvmBinaryId *id, const BigvmQemuCaps *caps,
                   GError **error)
{
  g_autoptr (GVariant) payload = bigvm_qemu_caps_to_variant (caps);
  return store_entry (file, CAPS_MARKER, id, "", payload, error);
}

/* Every model in MODELS that CAPS has and has not expanded. */
static gboolean
lacks_models (const BigvmQemuCaps *caps, const char *const *models)
{
  for (const char *const *model = models; model != NULL && *model != NULL; model++)
    if (bigvm_qemu_find_expansion (caps, *model) == NULL
        && bigvm_qemu_find_cpu_model (caps, *model) != NULL)
      return TRUE;
  return FALSE;
}

BigvmQemuCaps *
bigvm_cache_get_caps (const char *path, const char *accel, const char *const *models,
                      const char *cache_dir, guint timeout_ms, GPtrArray *warnings,
                      gboolean *ret_probed, GError **error)
{
  g_auto (BigvmBinaryId) id = { 0 };
  g_autofree char *file = NULL;
  g_autoptr (BigvmQemuCaps) caps = NULL;
  g_autoptr (GError) store_error = NULL;

  *ret_probed = FALSE;
  if (!bigvm_binary_id (path, &id, error))
    return NULL;
  file = bigvm_cache_file (cache_dir, &id, accel);
  caps = bigvm_cache_load (file, &id, NULL);
  if (caps != NULL && !lacks_models (caps, models))
    return g_steal_pointer (&caps);

  *ret_probed = TRUE;
  if (caps != NULL)
    {
      if (!bigvm_qemu_expand_models (caps, models, timeout_ms, error))
        return NULL;
    }
  else if ((caps = bigvm_qemu_probe (path, accel, models, timeout_ms, error)) == NULL)
    return NULL;

  if (!bigvm_cache_store (file, &id, caps, &store_error))
    g_ptr_array_add (warnings, g_strdup_printf ("cannot keep QEMU's capabilities for next "
                                                "time: %s", store_error->message));
  return g_steal_pointer (&caps);
}

BigvmCpuState *
bigvm_cache_get_cpu (const char *path, const BigvmCpuConfig *config, const char *host_identity,
                     const char *cache_dir, guint timeout_ms, GPtrArray *warnings,
                     gboolean *ret_probed, GError **error)
{
  g_auto (BigvmBinaryId) id = { 0 };
  g_autofree char *config_key = bigvm_cpu_config_key (config);
  g_autofree char *key = g_strconcat (config_key, "\n", host_identity ?: "", NULL);
  g_autofree char *both = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *name = NULL;
  g_autofree char *file = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GError) store_error = NULL;
  BigvmCpuState *state = NULL;

  *ret_probed = FALSE;
  if (!bigvm_binary_id (path, &id, error))
    return NULL;
  /* One file per binary path and question: a rebuilt QEMU replaces its
   * answers instead of piling up beside them. */
  both = g_strconcat (path, "\n", key, NULL);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, both, -1);
  name = g_strdup_printf ("cpu-%.32s.state", digest);
  file = g_build_filename (cache_dir, name, NULL);
  payload = load_entry (file, CPU_MARKER, &id, key, NULL);
  if (payload != NULL && (state = bigvm_cpu_state_from_variant (payload, NULL)) != NULL)
    return state;

  *ret_probed = TRUE;
  state = bigvm_cpu_probe (path, config, timeout_ms, error);
  if (state == NULL)
    return NULL;
  g_autoptr (GVariant) fresh = bigvm_cpu_state_to_variant (state);
  if (!store_entry (file, CPU_MARKER, &id, key, fresh, &store_error))
    g_ptr_array_add (warnings, g_strdup_printf ("cannot keep the guest CPU QEMU built for next "
                                                "time: %s", store_error->message));
  return state;
}
