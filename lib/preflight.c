/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "preflight.h"

#include "errors.h"
#include "qmp.h"

#include <glib/gstdio.h>
#include <string.h>

void
bigvm_preflight_clear (BigvmPreflight *preflight)
{
  g_clear_pointer (&preflight->vendor, g_free);
}

static JsonNode *
qom_get (BigvmQmp *qmp, const char *path, const char *property, GError **error)
{
  g_autoptr (JsonObject) arguments = json_object_new ();

  json_object_set_string_member (arguments, "path", path);
  json_object_set_string_member (arguments, "property", property);
  return bigvm_qmp_execute (qmp, "qom-get", arguments, error);
}

static gboolean
value_of (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* QEMU 7.2 with -cpu host under nested KVM aborts with "failed to set MSR
 * 0x10a" (IA32_ARCH_CAPABILITIES, which the outer hypervisor refuses). */
static const char *
hint_for (const char *message)
{
  if (strstr (message, "failed to set MSR 0x10a") != NULL)
    return "; KVM refuses the CPU's arch-capabilities (nested KVM?): add "
           "bigvm:cpu_flags = -arch-capabilities";
  return "";
}

static gboolean
ask (BigvmQmp *qmp, BigvmPreflight *ret, GError **error)
{
  g_autoptr (JsonNode) cpus = bigvm_qmp_execute (qmp, "query-cpus-fast", NULL, error);
  const char *path = NULL;

  if (cpus == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (cpus) && json_array_get_length (json_node_get_array (cpus)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (cpus), 0);
      if (JSON_NODE_HOLDS_OBJECT (first))
        path = json_object_get_string_member_with_default (json_node_get_object (first),
                                                           "qom-path", NULL);
    }
  if (path == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "QEMU started, but query-cpus-fast names no vCPU");
      return FALSE;
    }

  g_autoptr (JsonNode) bits = qom_get (qmp, path, "phys-bits", error);
  if (bits == NULL)
    return FALSE;
  g_autoptr (JsonNode) host_bits = qom_get (qmp, path, "host-phys-bits", error);
  if (host_bits == NULL)
    return FALSE;
  g_autoptr (JsonNode) pdpe1gb = qom_get (qmp, path, "pdpe1gb", error);
  if (pdpe1gb == NULL)
    return FALSE;
  g_autoptr (JsonNode) vendor = qom_get (qmp, path, "vendor", error);
  if (vendor == NULL)
    return FALSE;
  if (!value_of (bits, G_TYPE_INT64) || !value_of (host_bits, G_TYPE_BOOLEAN)
      || !value_of (pdpe1gb, G_TYPE_BOOLEAN) || !value_of (vendor, G_TYPE_STRING))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "QEMU's vCPU properties are not of the types bigvm knows");
      return FALSE;
    }
  ret->phys_bits = json_node_get_int (bits);
  ret->host_phys_bits = json_node_get_boolean (host_bits);
  ret->pdpe1gb = json_node_get_boolean (pdpe1gb);
  ret->vendor = g_strdup (json_node_get_string (vendor));
  return TRUE;
}

gboolean
bigvm_preflight_run (const GPtrArray *argv, guint timeout_ms, BigvmPreflight *ret_preflight,
                     GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bigvm-preflight-XXXXXX", &local_error);
  g_autofree char *socket_path = NULL;
  g_autofree char *qmp_arg = NULL;
  g_autoptr (GPtrArray) full = g_ptr_array_new ();
  gboolean ok;

  if (dir == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "preflight: %s",
                   local_error->message);
      return FALSE;
    }
  socket_path = g_build_filename (dir, "qmp.sock", NULL);
  qmp_arg = g_strdup_printf ("unix:%s,server=on,wait=off", socket_path);
  for (guint i = 0; i < argv->len; i++)
    g_ptr_array_add (full, argv->pdata[i]);
  g_ptr_array_add (full, "-S");
  g_ptr_array_add (full, "-qmp");
  g_ptr_array_add (full, qmp_arg);
  g_ptr_array_add (full, NULL);

  {
    gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
    g_autoptr (BigvmQmp) qmp = bigvm_qmp_start_socket ((const char *const *) full->pdata,
                                                       socket_path, deadline, &local_error);
    ok = qmp != NULL && ask (qmp, ret_preflight, &local_error);
  }
  g_unlink (socket_path);
  g_rmdir (dir);
  if (!ok)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "preflight: %s%s",
                 local_error->message, hint_for (local_error->message));
  return ok;
}
