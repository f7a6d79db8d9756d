/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "pipeline.h"

#include "argv.h"
#include "cache.h"
#include "errors.h"
#include "files.h"

/* Where the stages leave what they found on the way. */
typedef struct {
  BigvmPipeline *out;
  BigvmPipelineInput *in;
  BigvmAccel accel;            /* the accelerator the guest will use */
  GPtrArray *machine_warnings;
  GPtrArray *host_short;       /* what the host lacks, when it is only a warning */
} Run;

static void
note (Run *run, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
note (Run *run, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (run->out->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

static gboolean
load_flavor (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;

  p->flavor = bigvm_flavor_load (run->in->flavor_path, error);
  if (p->flavor == NULL)
    return FALSE;
  note (run, "flavor: %s, %u keys", run->in->flavor_path, g_hash_table_size (p->flavor->lines));
  return TRUE;
}

static gboolean
probe_host (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  g_autofree char *reason = NULL;

  /* Making a VM to see that KVM works costs milliseconds: not under TCG,
   * except for bigvm host, which describes KVM whatever the guest uses. */
  gboolean ask_kvm = run->in->accel != BIGVM_ACCEL_TCG || run->in->flavor_path == NULL;

  if (p->host == NULL)
    p->host = run->in->cpuid_dump != NULL ? bigvm_host_from_dump (run->in->cpuid_dump, error)
                                          : bigvm_host_probe ("/", ask_kvm, error);
  if (p->host == NULL)
    return FALSE;
  const BigvmHost *host = p->host;
  note (run, "host CPU: %s (%s), %u physical address bits%s, %s", host->model_name,
        host->vendor_id, host->effective_phys_bits,
        host->kernel_phys_bits != 0 && host->kernel_phys_bits < host->phys_bits
        ? " (the kernel's figure; CPUID says more, memory encryption takes the rest)" : "",
        host->source);
  return bigvm_plan_choose_accel (host, run->in->accel, &run->accel, &reason, error);
}

/* QEMU is asked under the accelerator the guest will use, except for
 * another host's KVM, which this QEMU cannot see. */
static const char *
probe_accel (const Run *run)
{
  return run->accel == BIGVM_ACCEL_KVM && run->out->host->kvm == BIGVM_KVM_USABLE ? "kvm"
                                                                                   : "tcg";
}

static gboolean
probe_qemu (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  const char *accel = probe_accel (run);
  gboolean given = p->caps != NULL;
  gboolean probed = FALSE;

  if (!given)
    {
      g_autofree char *qemu = bigvm_qemu_find (run->in->qemu, error);
      g_autofree char *default_dir = run->in->cache_dir == NULL ? bigvm_cache_dir () : NULL;
      /* A guest's CPU model, and "host" under KVM: it says what KVM
       * offers (1 GiB pages, for one). */
      const char *models[] = {
        p->flavor != NULL ? bigvm_plan_cpu_model (p->flavor, run->accel) : NULL,
        p->flavor != NULL && g_str_equal (accel, "kvm") ? "host" : NULL, NULL
      };
      if (qemu == NULL)
        return FALSE;
      p->caps = bigvm_cache_get_caps (qemu, accel, models,
                                      run->in->cache_dir ?: default_dir,
                                      run->in->probe_timeout_ms, run->machine_warnings, &probed,
                                      error);
      if (p->caps == NULL)
        return FALSE;
    }
  note (run, "QEMU: %s %u.%u.%u (%s, probed under %s)", p->caps->path, p->caps->version.major,
        p->caps->version.minor, p->caps->version.micro,
        given ? "capabilities given" : probed ? "asked just now" : "capabilities from the cache",
        p->caps->accel);
  return TRUE;
}

static void
load_firmware (Run *run)
{
  BigvmPipeline *p = run->out;

  if (p->firmware != NULL)
    return;
  if (p->flavor->firmware != BIGVM_FIRMWARE_UEFI)
    {
      p->firmware = g_ptr_array_new ();
      return;
    }
  g_auto (GStrv) default_dirs = run->in->firmware_dirs == NULL
                                ? bigvm_firmware_search_dirs () : NULL;
  p->firmware = bigvm_firmware_load (run->in->firmware_dirs
                                     ?: (const char *const *) default_dirs, run->machine_warnings);
}

static gboolean
make_plan (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  g_autofree char *default_dir = run->in->state_dir == NULL
                                 ? g_build_filename (g_get_user_state_dir (), "bigvm", NULL)
                                 : NULL;
  g_autofree char *state_dir = g_canonicalize_filename (run->in->state_dir ?: default_dir,
                                                        NULL);
  BigvmPlanOptions options = { .accel = run->in->accel, .sparse_ram = run->in->sparse_ram,
                               .nvram_dir = state_dir };

  if (p->flavor->mem_path != NULL)
    options.mem_path_page_size = bigvm_hugetlbfs_page_size (p->flavor->mem_path);
  p->plan = run->in->purpose == BIGVM_PURPOSE_EXPLAIN
            ? bigvm_plan_explain (p->flavor, p->host, p->caps, p->firmware, &options, error)
            : bigvm_plan_new (p->flavor, p->host, p->caps, p->firmware, &options, error);
  if (p->plan == NULL)
    return FALSE;
  for (guint i = 0; i < p->plan->notes->len; i++)
    note (run, "%s", (char *) p->plan->notes->pdata[i]);
  return *error == NULL;
}

/* What this host lacks: a refusal for run and check, which are about to
 * use it; a warning for show and explain, which only print. */
static gboolean
check_capacity (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  g_autoptr (GError) short_host = NULL;

  if (!bigvm_plan_check_capacity (p->plan, p->flavor, p->host, &short_host))
    {
      if (run->in->purpose == BIGVM_PURPOSE_RUN)
        {
          g_propagate_error (error, g_steal_pointer (&short_host));
          return FALSE;
        }
      g_auto (GStrv) lines = g_strsplit (short_host->message, "\n", -1);
      for (char **line = lines; *line != NULL; line++)
        g_ptr_array_add (run->host_short, g_strdup (*line));
    }
  else if (p->host->has_memory)
    note (run, "capacity: the host has the memory this guest needs");
  else
    note (run, "capacity: not checked (%s is a CPUID dump)", p->host->source);
  return TRUE;
}

/* The files the guest names, for run and check, which are about to open
 * them; show only prints their names. */
static gboolean
check_files (Run *run, GError **error)
{
  const BigvmPlan *plan = run->out->plan;

  if (run->in->purpose != BIGVM_PURPOSE_RUN)
    return TRUE;
  if (!bigvm_files_check (plan, run->out->flavor, error))
    return FALSE;
  if (plan->disks->len > 0 || plan->cdrom != NULL || plan->firmware != NULL
      || plan->qmp != NULL || plan->pidfile != NULL)
    note (run, "files: the guest's disks, variable store and directories are there to use");
  return TRUE;
}

static void
run_stages (Run *run)
{
  BigvmPipeline *p = run->out;
  GError **error = &p->refusal;

  if (run->in->flavor_path != NULL && !load_flavor (run, error))
    return;
  if (!probe_host (run, error) || !probe_qemu (run, error) || p->flavor == NULL)
    return;
  load_firmware (run);
  if (!make_plan (run, error) || !check_capacity (run, error) || !check_files (run, error))
    return;
  p->argv = bigvm_argv_build (p->plan, p->caps->path, run->in->qemu_args);
}

static void
append_all (GPtrArray *to, const GPtrArray *from)
{
  for (guint i = 0; from != NULL && i < from->len; i++)
    g_ptr_array_add (to, g_strdup (from->pdata[i]));
}

BigvmPipeline *
bigvm_pipeline_new (BigvmPipelineInput *input)
{
  BigvmPipeline *p = g_new0 (BigvmPipeline, 1);
  g_autoptr (GPtrArray) machine_warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) host_short = g_ptr_array_new_with_free_func (g_free);
  Run run = { p, input, BIGVM_ACCEL_TCG, machine_warnings, host_short };

  p->notes = g_ptr_array_new_with_free_func (g_free);
  p->warnings = g_ptr_array_new_with_free_func (g_free);
  p->host = g_steal_pointer (&input->host);
  p->caps = g_steal_pointer (&input->caps);
  p->firmware = g_steal_pointer (&input->firmware);

  run_stages (&run);

  /* In the order the operator can act on them: the flavor's own, the
   * planner's, then what the machine could not do. */
  append_all (p->warnings, p->flavor != NULL ? p->flavor->warnings : NULL);
  append_all (p->warnings, p->plan != NULL ? p->plan->warnings : NULL);
  append_all (p->warnings, machine_warnings);
  append_all (p->warnings, host_short);
  return p;
}

void
bigvm_pipeline_free (BigvmPipeline *p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->argv, g_ptr_array_unref);
  g_clear_pointer (&p->plan, bigvm_plan_free);
  g_clear_pointer (&p->firmware, g_ptr_array_unref);
  g_clear_pointer (&p->caps, bigvm_qemu_caps_free);
  g_clear_pointer (&p->host, bigvm_host_free);
  g_clear_pointer (&p->flavor, bigvm_flavor_free);
  g_ptr_array_unref (p->notes);
  g_ptr_array_unref (p->warnings);
  g_clear_error (&p->refusal);
  g_free (p);
}
