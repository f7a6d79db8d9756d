/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "pipeline.h"

#include "argv.h"
#include "cache.h"
#include "errors.h"
#include "files.h"
#include "util.h"

/* Where the stages leave what they found on the way. */
typedef struct {
  BigvmPipeline *out;
  BigvmPipelineInput *in;
  BigvmAccel accel;            /* the accelerator the guest will use */
  GPtrArray *machine_warnings;
  GPtrArray *host_short;       /* what the host lacks, when it is only a warning */
  GPtrArray *abi_warnings;     /* how the guest differs from its record, when only a warning */
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

/* Where the guest's own files go by default: its UEFI variables, its
 * ABI record. */
static char *
state_dir (const Run *run)
{
  g_autofree char *default_dir = run->in->state_dir == NULL
                                 ? g_build_filename (g_get_user_state_dir (), "bigvm", NULL)
                                 : NULL;
  return g_canonicalize_filename (run->in->state_dir ?: default_dir, NULL);
}

/* The record the guest is held to: its own, written at its first run,
 * or one given (another host's, for a migration). */
static gboolean
load_record (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  g_autofree char *dir = state_dir (run);
  const char *path;

  if ((p->abi_path = bigvm_abi_path (p->flavor, dir, error)) == NULL)
    return FALSE;
  path = run->in->abi_record ?: p->abi_path;
  if (run->in->incoming != NULL && run->in->abi_record == NULL
      && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT,
                   "%s: a guest arriving by migration is held to its ABI record, and %s does "
                   "not exist: copy the source's record there, or give it with --abi",
                   p->flavor->path, path);
      return FALSE;
    }
  if (run->in->abi_record == NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      note (run, "ABI record: none yet (%s: the guest's first run writes it)", path);
      return TRUE;
    }
  if ((p->record = bigvm_abi_load (path, error)) == NULL)
    return FALSE;
  g_autofree char *digest = bigvm_abi_digest (p->record);
  note (run, "ABI record: %s, %s, recorded %s", path, digest, p->record->recorded_time);
  return TRUE;
}

static gboolean
make_plan (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  g_autofree char *dir = state_dir (run);
  const char *record = run->in->abi_record ?: p->abi_path;
  BigvmPlanOptions options = { .accel = run->in->accel, .sparse_ram = run->in->sparse_ram,
                               .nvram_dir = dir, .record = record,
                               .incoming = run->in->incoming,
                               .incoming_tls_dir = run->in->incoming == NULL ? NULL
                                                   : run->in->incoming_tls_dir
                                                     ?: p->flavor->migrate_tls_dir };

  if (p->flavor->mem_path != NULL)
    options.mem_path_page_size = bigvm_hugetlbfs_page_size (p->flavor->mem_path);
  if (p->record != NULL && !run->in->abi_update)
    options.pinned_machine = p->record->machine;
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

/* The guest CPU as QEMU builds it, from a paused QEMU of the guest's
 * machine, accelerator, -cpu and -smp (cpu-probe.h), kept in the cache:
 * what it would lose decides before the launch.  Only this QEMU under
 * the guest's accelerator can say: not another host's KVM. */
static gboolean
probe_cpu (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  BigvmPlan *plan = p->plan;
  const char *accel = bigvm_accel_name (plan->accel);
  g_autofree char *cpu = bigvm_argv_cpu (plan);
  g_autofree char *smp = bigvm_argv_smp (plan);
  BigvmCpuConfig config = { plan->machine, accel, cpu, smp };
  g_autofree char *key = bigvm_cpu_config_key (&config);
  g_autoptr (GError) probe_error = NULL;
  gboolean probed = FALSE;
  guint first_note = plan->notes->len;

  if (!g_str_equal (p->caps->accel, accel))
    {
      note (run, "guest CPU: not known before it starts (QEMU here runs %s, the guest %s on %s); "
            "bigvm check --preflight on that host reads it", p->caps->accel, accel,
            p->host->source);
      return TRUE;
    }
  if (run->in->cpu_states != NULL)
    {
      const BigvmCpuState *recorded = g_hash_table_lookup (run->in->cpu_states, key);
      if (recorded == NULL)
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "no CPU recorded for %s", key);
          return FALSE;
        }
      g_autoptr (GVariant) copy = bigvm_cpu_state_to_variant (recorded);
      p->cpu = bigvm_cpu_state_from_variant (copy, NULL);
    }
  else
    {
      g_autofree char *default_dir = run->in->cache_dir == NULL ? bigvm_cache_dir () : NULL;
      p->cpu = bigvm_cache_get_cpu (p->caps->path, &config,
                                    plan->accel == BIGVM_ACCEL_KVM ? p->host->kvm_identity : NULL,
                                    run->in->cache_dir ?: default_dir, run->in->probe_timeout_ms,
                                    run->machine_warnings, &probed, &probe_error);
    }
  if (p->cpu == NULL)
    {
      /* QEMU's reason whole: qmp.c keeps only the end of its stderr. */
      bigvm_flavor_set_error (p->flavor, error, BIGVM_ERROR_UNAVAILABLE,
                              p->flavor->cpu_flags[0] != NULL ? "bigvm:cpu_flags"
                                                              : "bigvm:cpu_model",
                              "QEMU cannot build the guest CPU -cpu %s: %s", cpu,
                              probe_error->message);
      return FALSE;
    }
  note (run, "guest CPU: %s family %" G_GINT64_FORMAT " model %" G_GINT64_FORMAT " stepping %"
        G_GINT64_FORMAT ", %u features, %u physical address bits (%s)", p->cpu->vendor,
        p->cpu->family, p->cpu->model, p->cpu->stepping, g_strv_length (p->cpu->features),
        p->cpu->phys_bits, run->in->cpu_states != NULL ? "recorded" : probed
        ? "QEMU asked just now" : "from the cache");
  gboolean ok = bigvm_plan_check_lost_features (plan, p->flavor,
                                                (const char *const *) p->cpu->lost,
                                                p->cpu->lost_unnamed, error);
  for (guint i = first_note; i < plan->notes->len; i++)
    note (run, "%s", (char *) plan->notes->pdata[i]);
  return ok;
}

/* The flavor key behind a difference from the record, so that each line
 * points at what to look at. */
static const char *
difference_key (const BigvmFlavor *flavor, const char *line)
{
  static const struct { const char *prefix; const char *key; } keys[] = {
    { "machine type", "hw_machine_type" }, { "phys-bits", "hw:maxphysaddr_bits" },
    { "vCPUs", "vcpus" }, { "RAM", "ram" }, { "maxmem", "bigvm:maxmem" },
    { "memory slots", "bigvm:mem_slots" }, { "page size", "hw:mem_page_size" },
    { "NUMA", "hw:numa_nodes" }, { "firmware", "hw_firmware_type" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_has_prefix (line, keys[i].prefix))
      return keys[i].key;
  if (g_str_has_prefix (line, "sockets") || g_str_has_prefix (line, "cores")
      || g_str_has_prefix (line, "threads"))
    return bigvm_plan_topology_key (flavor);
  return flavor->cpu_flags[0] != NULL ? "bigvm:cpu_flags" : "bigvm:cpu_model";
}

/* The guest as it starts now against its record: a guest that changed
 * is refused by run and check (each difference on its own line), shown
 * with warnings by show and explain. */
static gboolean
compare_record (Run *run, GError **error)
{
  BigvmPipeline *p = run->out;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  const char *record = run->in->abi_record ?: p->abi_path;

  p->abi = bigvm_abi_new (p->plan, p->cpu, p->caps, p->host, now);
  if (p->record == NULL)
    return TRUE;
  bigvm_abi_compare (p->record, p->abi, p->abi_changed, p->abi_gained);
  if (run->in->purpose == BIGVM_PURPOSE_ABI)
    return TRUE;
  /* A running guest would see its CPU change under it (QEMU migrates no
   * CPUID): for a migration, what it would gain is a difference too. */
  if (run->in->incoming != NULL)
    {
      g_ptr_array_extend_and_steal (p->abi_changed, g_steal_pointer (&p->abi_gained));
      p->abi_gained = g_ptr_array_new_with_free_func (g_free);
    }
  for (guint i = 0; i < p->abi_gained->len; i++)
    g_ptr_array_add (run->abi_warnings,
                     bigvm_flavor_message (p->flavor, difference_key (p->flavor,
                                                                      p->abi_gained->pdata[i]),
                                           "%s: the guest would gain it, and could not move "
                                           "back to where %s was recorded", (char *) p->abi_gained->pdata[i],
                                           record));
  if (p->abi_changed->len == 0)
    {
      note (run, "ABI: the guest is the one %s holds", record);
      return TRUE;
    }
  GString *lines = g_string_new (NULL);
  for (guint i = 0; i < p->abi_changed->len; i++)
    {
      const char *line = p->abi_changed->pdata[i];
      g_autofree char *located = bigvm_flavor_locate (p->flavor, difference_key (p->flavor, line));
      g_string_append_printf (lines, "%s: %s\n", located, line);
    }
  if (run->in->incoming != NULL)
    g_string_append_printf (lines, "the guest as it would start here is not the one the ABI "
                            "record %s holds: this host cannot take it by migration", record);
  else if (run->in->abi_record != NULL)
    g_string_append_printf (lines, "the guest is not the one the ABI record %s holds", record);
  else
    g_string_append_printf (lines, "the guest is not the one its ABI record %s holds; bigvm abi "
                            "--update %s accepts the change", record, p->flavor->path);
  if (run->in->purpose == BIGVM_PURPOSE_RUN)
    {
      g_set_error_literal (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, lines->str);
      g_string_free (lines, TRUE);
      return FALSE;
    }
  g_auto (GStrv) split = g_strsplit (lines->str, "\n", -1);
  for (char **line = split; *line != NULL; line++)
    g_ptr_array_add (run->abi_warnings, g_strdup (*line));
  g_string_free (lines, TRUE);
  return TRUE;
}

static void
run_stages (Run *run)
{
  BigvmPipeline *p = run->out;
  GError **error = &p->refusal;

  if (run->in->flavor_path != NULL && (!load_flavor (run, error) || !load_record (run, error)))
    return;
  if (!probe_host (run, error) || !probe_qemu (run, error) || p->flavor == NULL)
    return;
  load_firmware (run);
  if (!make_plan (run, error) || !check_capacity (run, error)
      || !check_files (run, error) || !probe_cpu (run, error) || !compare_record (run, error))
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
  g_autoptr (GPtrArray) abi_warnings = g_ptr_array_new_with_free_func (g_free);
  Run run = { p, input, BIGVM_ACCEL_TCG, machine_warnings, host_short, abi_warnings };

  p->notes = g_ptr_array_new_with_free_func (g_free);
  p->warnings = g_ptr_array_new_with_free_func (g_free);
  p->abi_changed = g_ptr_array_new_with_free_func (g_free);
  p->abi_gained = g_ptr_array_new_with_free_func (g_free);
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
  append_all (p->warnings, abi_warnings);
  return p;
}

void
bigvm_pipeline_free (BigvmPipeline *p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->argv, g_ptr_array_unref);
  g_clear_pointer (&p->abi, bigvm_abi_free);
  g_clear_pointer (&p->record, bigvm_abi_free);
  g_free (p->abi_path);
  g_ptr_array_unref (p->abi_changed);
  g_ptr_array_unref (p->abi_gained);
  g_clear_pointer (&p->cpu, bigvm_cpu_state_free);
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
