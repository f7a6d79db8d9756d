/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "preflight.h"

#include "argv.h"
#include "errors.h"
#include "nvram.h"
#include "cpu-probe.h"
#include "qmp.h"

#include <glib/gstdio.h>
#include <string.h>

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

/* Starts ARGV, which has its QMP monitor on SOCKET_PATH, and asks. */
static BigvmCpuState *
run_stopped (GPtrArray *argv, const char *socket_path, const char *model, guint timeout_ms,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  BigvmCpuState *got = NULL;

  g_ptr_array_add (argv, NULL);
  {
    g_autoptr (BigvmQmp) qmp = bigvm_qmp_start_socket ((const char *const *) argv->pdata,
                                                       socket_path, deadline, &local_error);
    if (qmp != NULL)
      got = bigvm_cpu_state_read (qmp, model, &local_error);
  }
  g_unlink (socket_path);
  if (got == NULL)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "preflight: %s%s",
                 local_error->message, hint_for (local_error->message));
  return got;
}

static char *
joined (char **names)
{
  return names[0] == NULL ? g_strdup ("none") : g_strjoinv (", ", names);
}

/* Where the real guest's CPU differs from the one predicted before the
 * launch (cpu-probe.h), or NULL: either is a bug in bigvm. */
static char *
prediction_miss (const BigvmCpuState *predicted, const BigvmCpuState *got)
{
  g_autoptr (GVariant) a = bigvm_cpu_state_to_variant (predicted);
  g_autoptr (GVariant) b = bigvm_cpu_state_to_variant (got);

  if (g_variant_equal (a, b))
    return NULL;
  g_autofree char *lost_predicted = joined (predicted->lost);
  g_autofree char *lost_got = joined (got->lost);
  if (!g_str_equal (lost_predicted, lost_got))
    return g_strdup_printf ("predicted the guest to lose %s; it lost %s", lost_predicted,
                            lost_got);
  for (guint i = 0; predicted->feature_words[i] != NULL && got->feature_words[i] != NULL; i++)
    if (!g_str_equal (predicted->feature_words[i], got->feature_words[i]))
      return g_strdup_printf ("predicted CPUID %s; it got %s", predicted->feature_words[i],
                              got->feature_words[i]);
  return g_strdup ("predicted another CPU (vendor, signature, level or features)");
}

gboolean
bigvm_preflight_check (const BigvmPipeline *p, const char *const *qemu_args,
                       guint probe_timeout_ms, char **ret_note, GError **error)
{
  const BigvmPlan *plan = p->plan;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bigvm-preflight-XXXXXX", &local_error);
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
  g_autoptr (GPtrArray) argv = bigvm_argv_build_preflight (plan, p->caps->path, qemu_args, vars,
                                                           socket_path);
  /* Huge pages are preallocated before QEMU answers. */
  guint timeout_ms = probe_timeout_ms;
  if (plan->page_size != 0)
    timeout_ms += bigvm_plan_prealloc_seconds (plan) * 1000;
  g_autoptr (BigvmCpuState) got = run_stopped (argv, socket_path, plan->cpu_model, timeout_ms,
                                               error);
  g_rmdir (dir);
  if (got == NULL)
    return FALSE;

  gboolean pdpe1gb = g_strv_contains ((const char *const *) got->features, "pdpe1gb");
  g_autofree char *lost = joined (got->lost);
  *ret_note = g_strdup_printf ("preflight: QEMU started; the guest CPU got %u physical address "
                               "bits, vendor %s, %s1 GiB pages; it lost %s%s", got->phys_bits,
                               got->vendor, pdpe1gb ? "" : "no ", lost,
                               p->cpu != NULL ? ", as predicted" : "");
  const char *planned_vendor = bigvm_cpu_vendor_id (plan->guest_vendor);
  if (got->phys_bits != plan->guest_phys_bits || pdpe1gb != plan->guest_pdpe1gb
      || (planned_vendor != NULL && g_strcmp0 (got->vendor, planned_vendor) != 0))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "preflight: QEMU gave the guest CPU %u bits, vendor %s and %s1 GiB pages; "
                   "the plan was %u bits, vendor %s and %s1 GiB pages", got->phys_bits,
                   got->vendor, pdpe1gb ? "" : "no ", plan->guest_phys_bits,
                   planned_vendor != NULL ? planned_vendor : "other",
                   plan->guest_pdpe1gb ? "" : "no ");
      return FALSE;
    }
  g_autofree char *miss = p->cpu != NULL ? prediction_miss (p->cpu, got) : NULL;
  if (miss != NULL && qemu_args != NULL && qemu_args[0] != NULL)
    {
      /* QEMU arguments after -- may say anything of the CPU: theirs, not
       * bigvm's, prediction. */
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "preflight: the guest CPU is not the one bigvm predicted, which the QEMU "
                   "arguments after -- may have changed: it %s", miss);
      return FALSE;
    }
  if (miss != NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL,
                   "preflight: bigvm's prediction of the guest CPU was wrong, a bug in bigvm "
                   "(please report it with this line and the flavor): it %s", miss);
      return FALSE;
    }
  return TRUE;
}
