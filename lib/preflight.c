/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "preflight.h"

#include "argv.h"
#include "errors.h"
#include "nvram.h"
#include "qmp.h"

#include <glib/gstdio.h>
#include <string.h>

/* What the first vCPU got. */
typedef struct {
  guint phys_bits;
  gboolean host_phys_bits;
  gboolean pdpe1gb;
  char *vendor;
} Preflight;

static void
preflight_clear (Preflight *preflight)
{
  g_clear_pointer (&preflight->vendor, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Preflight, preflight_clear)

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
ask (BigvmQmp *qmp, Preflight *ret, GError **error)
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

/* Starts ARGV, which has its QMP monitor on SOCKET_PATH, and asks. */
static gboolean
run_stopped (GPtrArray *argv, const char *socket_path, guint timeout_ms, Preflight *ret,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ok;

  g_ptr_array_add (argv, NULL);
  {
    g_autoptr (BigvmQmp) qmp = bigvm_qmp_start_socket ((const char *const *) argv->pdata,
                                                       socket_path, deadline, &local_error);
    ok = qmp != NULL && ask (qmp, ret, &local_error);
  }
  g_unlink (socket_path);
  if (!ok)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "preflight: %s%s",
                 local_error->message, hint_for (local_error->message));
  return ok;
}

gboolean
bigvm_preflight_check (const BigvmPlan *plan, const BigvmQemuCaps *caps,
                       const char *const *qemu_args, guint probe_timeout_ms, char **ret_note,
                       GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bigvm-preflight-XXXXXX", &local_error);
  g_auto (Preflight) got = { 0 };
  gboolean exists = FALSE;

  if (dir == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "preflight: %s",
                   local_error->message);
      return FALSE;
    }
  /* The guest's variables, or the template for a guest that has none
   * yet: read-only either way. */
  const char *vars = plan->firmware == NULL ? NULL
                     : bigvm_nvram_check (plan->nvram, &exists, NULL) && exists ? plan->nvram
                     : plan->firmware->vars_template;
  g_autofree char *socket_path = g_build_filename (dir, "qmp.sock", NULL);
  g_autoptr (GPtrArray) argv = bigvm_argv_build_preflight (plan, caps->path, qemu_args, vars,
                                                           socket_path);
  /* Huge pages are preallocated before QEMU answers. */
  guint timeout_ms = probe_timeout_ms;
  if (plan->page_size != 0)
    timeout_ms += bigvm_plan_prealloc_seconds (plan) * 1000;
  gboolean started = run_stopped (argv, socket_path, timeout_ms, &got, error);
  g_rmdir (dir);
  if (!started)
    return FALSE;

  *ret_note = g_strdup_printf ("preflight: QEMU started; the guest CPU got %u physical address "
                               "bits, vendor %s, %s1 GiB pages", got.phys_bits, got.vendor,
                               got.pdpe1gb ? "" : "no ");
  const char *planned_vendor = bigvm_cpu_vendor_id (plan->guest_vendor);
  if (got.phys_bits != plan->guest_phys_bits || got.pdpe1gb != plan->guest_pdpe1gb
      || (planned_vendor != NULL && g_strcmp0 (got.vendor, planned_vendor) != 0))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "preflight: QEMU gave the guest CPU %u bits, vendor %s and %s1 GiB pages; "
                   "the plan was %u bits, vendor %s and %s1 GiB pages", got.phys_bits,
                   got.vendor, got.pdpe1gb ? "" : "no ", plan->guest_phys_bits,
                   planned_vendor != NULL ? planned_vendor : "other",
                   plan->guest_pdpe1gb ? "" : "no ");
      return FALSE;
    }
  return TRUE;
}
