/* The CPU part of the plan: the model and its features, vendor, 64-bit
 * or not, 1 GiB pages, physical address bits, and the topology with the
 * APIC IDs it gives.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "plan-private.h"

#include "errors.h"
#include "util.h"

#include <string.h>

/* target/i386/cpu.c x86_cpu_realizefn(): a 64-bit CPU without phys-bits
 * gets TCG_PHYS_ADDR_BITS, under TCG and KVM alike. */
#define QEMU_DEFAULT_PHYS_BITS 40

/* hw/i386/x86.c x86_cpus_init(): without KVM's kernel irqchip and x2APIC
 * API, QEMU refuses a topology whose APIC IDs reach 255 ("current -smp
 * configuration requires kernel irqchip and X2APIC API support"). */
#define TCG_MAX_APIC_ID 254

static gboolean
is_host_cpu_model (const char *model)
{
  /* Under KVM, "max" is "host" (target/i386/host-cpu.c). */
  return g_str_equal (model, "host") || g_str_equal (model, "max");
}

/* What bigvm:cpu_flags says of a feature known by NAMES (its QEMU
 * aliases): +1 on, -1 off, 0 nothing.  QEMU applies every + before every
 * - (target/i386/cpu.c x86_cpu_expand_features()), so - wins. */
static int
flag_setting (const BigvmFlavor *flavor, const char *const *names)
{
  int setting = 0;

  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    if (g_strv_contains (names, *flag + 1))
      setting = **flag == '-' ? -1 : setting == 0 ? 1 : setting;
  return setting;
}

static gboolean
feature (const BigvmFlavor *flavor, const char *const *names, gboolean model_has)
{
  int setting = flag_setting (flavor, names);
  return setting != 0 ? setting > 0 : model_has;
}

static const char *const LM[] = { "lm", "i64", NULL };
static const char *const PSE36[] = { "pse36", NULL };
static const char *const PDPE1GB[] = { "pdpe1gb", NULL };

/* Each +NAME and -NAME must be one of the model's boolean properties:
 * QEMU sets them with object_property_set_bool() by their exact name
 * (target/i386/cpu.c x86_cpu_expand_features()) and refuses anything else
 * at start ("Property ... not found", "Parameter 'phys-bits' expects
 * uint64"; +realized even crashes it). */
static gboolean
check_flags (const BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmQemuCaps *caps,
             GError **error)
{
  static const struct { const char *name; const char *instead; } bigvm_sets[] = {
    { "host-phys-bits", "hw:maxphysaddr_mode sets it" },
    { "phys-bits", "hw:maxphysaddr_bits sets it" },
    { "check", "bigvm sets how QEMU treats features the accelerator lacks" },
    { "enforce", "bigvm sets how QEMU treats features the accelerator lacks" },
  };

  if (caps->cpu_flags == NULL)
    return TRUE;  /* capabilities without the list: QEMU says it at start */
  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    {
      const char *name = *flag + 1;
      for (gsize i = 0; i < G_N_ELEMENTS (bigvm_sets); i++)
        if (g_str_equal (name, bigvm_sets[i].name))
          {
            bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "bigvm:cpu_flags",
                                    "%s: %s is not a CPU feature bigvm passes on: %s", *flag,
                                    name, bigvm_sets[i].instead);
            return FALSE;
          }
      if (bigvm_qemu_cpu_flag_known (caps, plan->cpu_model, name))
        continue;
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "bigvm:cpu_flags",
                              "%s: QEMU's CPU model %s has no feature %s that +/- can switch "
                              "(a boolean CPU property, named exactly)", *flag, plan->cpu_model,
                              name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
plan_model (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
            const BigvmQemuCaps *caps, const BigvmCpuExpansion **ret_expansion, GError **error)
{
  const BigvmCpuModel *model = bigvm_qemu_find_cpu_model (caps, plan->cpu_model);
  const BigvmCpuExpansion *expansion = bigvm_qemu_find_expansion (caps, plan->cpu_model);
  gboolean kvm = plan->accel == BIGVM_ACCEL_KVM;

  if (g_str_equal (plan->cpu_model, "host") && !kvm)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "bigvm:cpu_model",
                              "the host CPU model needs KVM, and this guest would "
                              "run under TCG (%s)", plan->accel_reason);
      return FALSE;
    }
  if (model == NULL)
    {
      g_autofree char *close = bigvm_qemu_close_names (bigvm_qemu_cpu_models (caps), plan->cpu_model);
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "bigvm:cpu_model",
                              "%s has no CPU model %s%s%s", caps->path, plan->cpu_model,
                              close != NULL ? "; close: " : "", close != NULL ? close : "");
      return FALSE;
    }
  if (expansion == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL,
                   "no expansion of CPU model %s was probed", plan->cpu_model);
      return FALSE;
    }
  if (!check_flags (plan, flavor, caps, error))
    return FALSE;
  if (model->deprecated)
    g_ptr_array_add (plan->warnings,
                     bigvm_flavor_message (flavor, "bigvm:cpu_model",
                                           "QEMU deprecates CPU model %s", model->name));
  /* Under KVM every model takes the host's vendor
   * (target/i386/host-cpu.c host_cpu_instance_init()), and only the
   * host's features. */
  plan->guest_vendor = kvm ? host->vendor : bigvm_cpu_vendor_from_id (expansion->vendor_id);
  plan->guest_lm = feature (flavor, LM, expansion->lm);
  /* 1 GiB pages under KVM: what KVM offers, which QEMU's expansion of
   * "host" says when it was probed under KVM here (a nested KVM may not
   * pass on what CPUID shows), else the host's CPUID. */
  const BigvmCpuExpansion *kvm_host = g_str_equal (caps->accel, "kvm")
                                      ? bigvm_qemu_find_expansion (caps, "host") : NULL;
  plan->accel_pdpe1gb = !kvm || (kvm_host != NULL ? kvm_host->pdpe1gb : host->pdpe1gb);
  plan->guest_pdpe1gb = plan->accel_pdpe1gb
                        && feature (flavor, PDPE1GB, expansion->pdpe1gb
                                                     || (kvm && is_host_cpu_model (plan->cpu_model)));
  bigvm_plan_note (plan, "CPU model %s: %s, %s%s", plan->cpu_model,
                   kvm ? host->vendor_id : expansion->vendor_id,
                   plan->guest_lm ? "64-bit" : "32-bit", plan->guest_pdpe1gb ? ", 1 GiB pages" : "");
  *ret_expansion = expansion;
  return TRUE;
}

/* The guest CPU's address width.  libvirt maps emulate to phys-bits=N and
 * passthrough to host-phys-bits=on (src/qemu/qemu_command.c
 * qemuBuildCpuCommandLine); QEMU turns host-phys-bits on by itself for the
 * host and max models under KVM (target/i386/host-cpu.c
 * host_cpu_max_instance_init), where phys-bits alone would silently give
 * the guest the host's bits, so emulate also says host-phys-bits=off. */
static gboolean
plan_phys_bits (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                const BigvmQemuCaps *caps, const BigvmCpuExpansion *expansion, GError **error)
{
  gboolean kvm = plan->accel == BIGVM_ACCEL_KVM;

  /* target/i386/cpu.c x86_cpu_realizefn(): "phys-bits is not
   * user-configurable in 32 bit". */
  if (!plan->guest_lm && flavor->phys_addr_mode != BIGVM_PHYS_ADDR_DEFAULT)
    {
      if (flag_setting (flavor, LM) < 0)
        bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "bigvm:cpu_flags",
                                "-lm makes the guest CPU 32-bit, whose physical address bits "
                                "QEMU does not let anyone set (hw:maxphysaddr_mode)");
      else
        bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "bigvm:cpu_model",
                                "%s is a 32-bit CPU model, whose physical address bits "
                                "QEMU does not let anyone set", plan->cpu_model);
      return FALSE;
    }

  if (flavor->phys_addr_mode != BIGVM_PHYS_ADDR_DEFAULT && !caps->cpu_phys_bits)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:maxphysaddr_mode",
                              "%s has no phys-bits and host-phys-bits CPU properties",
                              caps->path);
      return FALSE;
    }

  switch (flavor->phys_addr_mode)
    {
    case BIGVM_PHYS_ADDR_DEFAULT:
      /* x86_cpu_realizefn(): 40 bits for 64-bit models, 36 or 32 for
       * 32-bit ones (PSE-36 or not); the host's for host and max under
       * KVM. */
      if (!plan->guest_lm)
        plan->guest_phys_bits = feature (flavor, PSE36, expansion->pse36) ? 36 : 32;
      else if (kvm && is_host_cpu_model (plan->cpu_model))
        plan->guest_phys_bits = host->phys_bits;
      else
        plan->guest_phys_bits = QEMU_DEFAULT_PHYS_BITS;
      return TRUE;

    case BIGVM_PHYS_ADDR_PASSTHROUGH:
      if (!kvm)
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE,
                                  "hw:maxphysaddr_mode",
                                  "passthrough needs KVM, and this guest would run "
                                  "under TCG (%s)", plan->accel_reason);
          return FALSE;
        }
      if (!g_str_equal (plan->cpu_model, "host"))
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR,
                                  "bigvm:cpu_model",
                                  "hw:maxphysaddr_mode = passthrough needs the host "
                                  "CPU model, not %s", plan->cpu_model);
          return FALSE;
        }
      /* QEMU gives the host's CPUID figure (target/i386/host-cpu.c
       * host_cpu_phys_bits()); what fits is checked against the kernel's. */
      g_ptr_array_add (plan->cpu_props, g_strdup ("host-phys-bits=on"));
      plan->guest_phys_bits = host->phys_bits;
      return TRUE;

    case BIGVM_PHYS_ADDR_EMULATE:
      /* libvirt refuses more bits than the host has under KVM
       * (src/qemu/qemu_validate.c: "cannot exceed the number supported by
       * the host CPU"): the guest would address memory that is not there. */
      if (kvm && flavor->phys_addr_bits > host->effective_phys_bits)
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE,
                                  "hw:maxphysaddr_bits",
                                  "%u bits exceed the %u the host CPU supports (%s); "
                                  "under KVM a guest cannot have more",
                                  flavor->phys_addr_bits, host->effective_phys_bits,
                                  host->source);
          return FALSE;
        }
      if (kvm && is_host_cpu_model (plan->cpu_model))
        g_ptr_array_add (plan->cpu_props, g_strdup ("host-phys-bits=off"));
      g_ptr_array_add (plan->cpu_props,
                       g_strdup_printf ("phys-bits=%u", flavor->phys_addr_bits));
      plan->guest_phys_bits = flavor->phys_addr_bits;
      return TRUE;
    }
  g_assert_not_reached ();
}

gboolean
bigvm_plan_cpu (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                const BigvmQemuCaps *caps, GError **error)
{
  const BigvmCpuExpansion *expansion = NULL;

  if (!plan_model (plan, flavor, host, caps, &expansion, error)
      || !plan_phys_bits (plan, flavor, host, caps, expansion, error))
    return FALSE;
  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    g_ptr_array_add (plan->cpu_props, g_strdup (*flag));
  return TRUE;
}

/* Which key asked for a feature: bigvm:cpu_flags when a +flag named it
 * (QEMU's names, or the flag's with '_' for '-'), else the model. */
static const char *
lost_key (const BigvmFlavor *flavor, const char *const *lost)
{
  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    {
      g_autofree char *name = g_strdup (*flag + 1);
      g_strdelimit (name, "_", '-');
      if (**flag == '+' && g_strv_contains (lost, name))
        return "bigvm:cpu_flags";
    }
  return "bigvm:cpu_model";
}

gboolean
bigvm_plan_check_lost_features (BigvmPlan *plan, const BigvmFlavor *flavor,
                                const char *const *lost, guint unnamed, GError **error)
{
  guint named = g_strv_length ((char **) lost);
  gboolean kvm = plan->accel == BIGVM_ACCEL_KVM;
  const char *where = kvm ? "under this host's KVM" : "under TCG";
  g_autofree char *list = g_strjoinv (", ", (char **) lost);
  g_autofree char *unnamed_text = unnamed == 0 ? g_strdup ("")
                                  : g_strdup_printf ("%s%u bit%s QEMU has no name for",
                                                     named > 0 ? ", and " : "", unnamed,
                                                     unnamed == 1 ? "" : "s");
  guint total = named + unnamed;
  const char *key = lost_key (flavor, lost);

  if (total == 0)
    {
      bigvm_plan_note (plan, "CPU features: the guest gets all %s asks for %s", plan->cpu_model,
                       where);
      return TRUE;
    }
  switch (plan->cpu_check)
    {
    case BIGVM_CPU_CHECK_ENFORCE:
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, key,
                              "%s %s would lose %u feature%s: %s%s; bigvm:cpu_check = warn "
                              "starts it without them", plan->cpu_model, where, total,
                              total == 1 ? "" : "s", list, unnamed_text);
      return FALSE;
    case BIGVM_CPU_CHECK_WARN:
      g_ptr_array_add (plan->warnings,
                       bigvm_flavor_message (flavor, key, "%s %s loses %u feature%s, which the "
                                             "guest will not have: %s%s", plan->cpu_model,
                                             where, total, total == 1 ? "" : "s", list,
                                             unnamed_text));
      return TRUE;
    case BIGVM_CPU_CHECK_NONE:
      bigvm_plan_note (plan, "CPU features: %s %s loses %u (bigvm:cpu_check = none): %s%s",
                       plan->cpu_model, where, total, list, unnamed_text);
      return TRUE;
    }
  g_assert_not_reached ();
}

/* -smp with Nova's choice of topology (nova/virt/hardware.py
 * _get_possible_cpu_topologies, _sort_possible_cpu_topologies): of all
 * sockets x cores x threads = vcpus, ordered by sockets*cores, then
 * sockets, then threads, descending, the first that matches the most
 * given values.  Nova drops a preference it cannot meet; bigvm refuses
 * it, since it is a typo more often than a wish.  Without any, -smp with
 * the count alone leaves the topology to QEMU. */
gboolean
bigvm_plan_topology (BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
{
  guint want[3] = { flavor->cpu_sockets, flavor->cpu_cores, flavor->cpu_threads };
  guint given = (want[0] != 0) + (want[1] != 0) + (want[2] != 0);
  guint best[3] = { 0, 0, 0 };
  guint best_score = 0;
  guint v = flavor->vcpus;

  if (given == 0)
    return TRUE;
  /* Candidates in Nova's order: sockets*cores descending means threads
   * ascending; then sockets descending. */
  for (guint t = 1; t <= v; t++)
    {
      if (v % t != 0)
        continue;
      for (guint s = v / t; s >= 1; s--)
        {
          if ((v / t) % s != 0)
            continue;
          guint c = v / t / s;
          guint score = (want[0] == s) + (want[1] == c) + (want[2] == t);
          if (best[0] == 0 || score > best_score)
            {
              best[0] = s;
              best[1] = c;
              best[2] = t;
              best_score = score;
            }
        }
    }
  if (best_score < given)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR,
                              bigvm_plan_topology_key (flavor),
                              "sockets x cores x threads cannot make %u vCPUs with the values "
                              "given", v);
      return FALSE;
    }
  plan->sockets = best[0];
  plan->cores = best[1];
  plan->threads = best[2];
  return TRUE;
}

const char *
bigvm_plan_topology_key (const BigvmFlavor *flavor)
{
  return flavor->cpu_sockets != 0 ? "hw:cpu_sockets" : flavor->cpu_cores != 0 ? "hw:cpu_cores"
         : flavor->cpu_threads != 0 ? "hw:cpu_threads" : "vcpus";
}

/* Bits of an APIC ID for COUNT things: include/hw/i386/topology.h
 * apicid_bitwidth_for_count(), ceil(log2 COUNT). */
static guint
apic_width (guint count)
{
  return count <= 1 ? 0 : bigvm_bit_length (count - 1);
}

guint
bigvm_plan_sockets (const BigvmPlan *plan, const BigvmMachine *machine)
{
  /* hw/core/machine-smp.c machine_parse_smp_config(): -smp N alone is one
   * socket of N cores from machine types 6.2 on, N sockets before
   * (smp_props.prefer_sockets). */
  if (plan->sockets != 0)
    return plan->sockets;
  return machine->major * 100 + machine->minor >= 602 ? 1 : plan->vcpus;
}

gboolean
bigvm_plan_check_apic_ids (const BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
{
  /* -smp N alone: the APIC ID is the vCPU's index either way. */
  guint cores = plan->sockets != 0 ? plan->cores : plan->vcpus;
  guint threads = plan->sockets != 0 ? plan->threads : 1;
  guint i = plan->vcpus - 1;
  /* include/hw/i386/topology.h x86_topo_ids_from_idx(),
   * x86_apicid_from_topo_ids(): socket, core and thread, each in the bits
   * its count rounds up to (one die: bigvm sets none). */
  guint64 apic_id = ((guint64) (i / (cores * threads)) << (apic_width (threads) + apic_width (cores)))
                    | ((i / threads) % cores) << apic_width (threads) | (i % threads);

  if (plan->accel != BIGVM_ACCEL_TCG || apic_id <= TCG_MAX_APIC_ID)
    return TRUE;
  if (plan->sockets == 0)
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "vcpus",
                            "%u vCPUs are more than QEMU takes under TCG (255: it needs KVM's "
                            "kernel irqchip and x2APIC API for APIC IDs from 255 on)",
                            plan->vcpus);
  else
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE,
                            bigvm_plan_topology_key (flavor),
                            "%u socket%s x %u core%s x %u thread%s give the last vCPU APIC ID %"
                            G_GUINT64_FORMAT " (cores and threads take whole powers of two), "
                            "and QEMU under TCG takes APIC IDs up to 254 (it needs KVM's kernel "
                            "irqchip and x2APIC API beyond)", plan->sockets,
                            plan->sockets == 1 ? "" : "s", plan->cores, plan->cores == 1 ? "" : "s",
                            plan->threads, plan->threads == 1 ? "" : "s", apic_id);
  return FALSE;
}
