/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cache.h"

#include "errors.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The cache file's own format; another is re-probed. */
#define CACHE_FORMAT 1
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
  g_autofree char *name = g_strdup_printf ("qemu-%.16s-%s.json", digest, accel);
  return g_build_filename (cache_dir, name, NULL);
}

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_INT64 ? json_node_get_int (node) : -1;
}

BigvmQemuCaps *
bigvm_cache_load (const char *file, const BigvmBinaryId *id, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *root, *binary;
  JsonNode *node;

  if (!g_file_get_contents (file, &data, &len, error))
    return NULL;
  if (len > MAX_CACHE_BYTES || memchr (data, '\0', len) != NULL
      || !json_parser_load_from_data (parser, data, len, NULL)
      || (node = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "%s: not JSON", file);
      return NULL;
    }
  root = json_node_get_object (node);
  node = json_object_get_member (root, "binary");
  binary = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  if (member_int (root, "bigvm-cache") != CACHE_FORMAT
      || g_strcmp0 (json_object_get_string_member_with_default (root, "bigvm", ""),
                    PACKAGE_VERSION) != 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL,
                   "%s: written by another version of bigvm", file);
      return NULL;
    }
  if (binary == NULL
      || g_strcmp0 (json_object_get_string_member_with_default (binary, "path", ""), id->path) != 0
      || member_int (binary, "size") != (gint64) id->size
      || member_int (binary, "mtime_ns") != id->mtime_ns
      || member_int (binary, "inode") != (gint64) id->inode
      || member_int (binary, "device") != (gint64) id->device)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL,
                   "%s: for another build of %s", file, id->path);
      return NULL;
    }
  BigvmQemuCaps *caps = bigvm_qemu_caps_from_json (json_object_get_member (root, "caps"), error);
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
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (file);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "bigvm-cache");
  json_builder_add_int_value (b, CACHE_FORMAT);
  json_builder_set_member_name (b, "bigvm");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "binary");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, id->path);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, id->size);
  json_builder_set_member_name (b, "mtime_ns");
  json_builder_add_int_value (b, id->mtime_ns);
  json_builder_set_member_name (b, "inode");
  json_builder_add_int_value (b, id->inode);
  json_builder_set_member_name (b, "device");
  json_builder_add_int_value (b, id->device);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "caps");
  json_builder_add_value (b, bigvm_qemu_caps_to_json (caps));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  g_autofree char *text = json_generator_to_data (generator, NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "cannot create %s: %s", dir,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* g_file_set_contents() writes a temporary file and renames it over
   * FILE: readers see the old cache or the new one, never half of one. */
  return g_file_set_contents_full (file, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
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
