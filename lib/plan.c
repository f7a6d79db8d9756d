/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "plan-private.h"

#include "bounds.h"
#include "errors.h"
#include "util.h"

#include <string.h>

#define DEFAULT_MACHINE "q35"

/* The newest QEMU whose address layout bigvm's planner was checked against. */
#define QEMU_LAYOUT_CHECKED_MAJOR 7
#define QEMU_LAYOUT_CHECKED_MINOR 2

/* target/i386/cpu.c x86_cpu_realizefn(): a 64-bit CPU without phys-bits
 * gets TCG_PHYS_ADDR_BITS, under TCG and KVM alike. */
#define QEMU_DEFAULT_PHYS_BITS 40

void
bigvm_plan_free (BigvmPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->accel_reason);
  g_free (plan->name);
  g_free (plan->machine);
  g_free (plan->cpu_model);
  g_ptr_array_unref (plan->cpu_props);
  bigvm_layout_free (plan->layout);
  g_free (plan->min_bits_reason);
  g_free (plan->nvram);
  g_free (plan->mem_path);
  g_clear_pointer (&plan->mem_backends, g_ptr_array_unref);
  g_clear_pointer (&plan->disks, g_ptr_array_unref);
  g_free (plan->cdrom);
  g_free (plan->net_name);
  g_free (plan->mac);
  g_free (plan->qmp);
  g_free (plan->pidfile);
  g_ptr_array_unref (plan->warnings);
  g_ptr_array_unref (plan->notes);
  g_free (plan);
}

const char *
bigvm_accel_name (BigvmAccel accel)
{
  switch (accel)
    {
    case BIGVM_ACCEL_KVM: return "kvm";
    case BIGVM_ACCEL_TCG: return "tcg";
    case BIGVM_ACCEL_AUTO: break;
    }
  return "auto";
}

gboolean
bigvm_plan_choose_accel (const BigvmHost *host, BigvmAccel requested, BigvmAccel *ret_accel,
                         char **ret_reason, GError **error)
{
  switch (requested)
    {
    case BIGVM_ACCEL_TCG:
      *ret_accel = BIGVM_ACCEL_TCG;
      *ret_reason = g_strdup ("--accel=tcg");
      return TRUE;
    case BIGVM_ACCEL_KVM:
      /* For a dumped host, --accel=kvm is the operator's word that it has KVM. */
      if (host->kvm != BIGVM_KVM_USABLE && host->kvm != BIGVM_KVM_FROM_DUMP)
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                       "--accel=kvm: KVM is not usable here: %s", host->kvm_detail);
          return FALSE;
        }
      *ret_accel = BIGVM_ACCEL_KVM;
      *ret_reason = g_strdup ("--accel=kvm");
      return TRUE;
    case BIGVM_ACCEL_AUTO:
      break;
    }
  gboolean kvm = host->kvm == BIGVM_KVM_FROM_DUMP ? host->vmx || host->svm
                                                  : host->kvm == BIGVM_KVM_USABLE;
  *ret_accel = kvm ? BIGVM_ACCEL_KVM : BIGVM_ACCEL_TCG;
  *ret_reason = g_strdup_printf ("--accel=auto: %s", host->kvm_detail);
  return TRUE;
}

/* Under KVM the guest can only have the host's CPU; under TCG "max" is
 * everything QEMU emulates. */
const char *
bigvm_plan_cpu_model (const BigvmFlavor *flavor, BigvmAccel accel)
{
  if (flavor->cpu_model != NULL)
    return flavor->cpu_model;
  return accel == BIGVM_ACCEL_KVM ? "host" : "max";
}

static gboolean
is_host_cpu_model (const char *model)
{
  /* Under KVM, "max" is "host" (target/i386/host-cpu.c). */
  return g_str_equal (model, "host") || g_str_equal (model, "max");
}

void
bigvm_plan_note (BigvmPlan *plan, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (plan->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

/* ---- machine and CPU model ------------------------------------------ */

static gboolean
plan_machine (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmQemuCaps *caps,
              BigvmMachine *ret_machine, GError **error)
{
  const char *given = flavor->machine_type ?: DEFAULT_MACHINE;
  const BigvmMachineType *type = bigvm_qemu_find_machine (caps, given);

  if (type == NULL)
    {
      g_autofree char *close = bigvm_qemu_close_names (caps->machines, given);
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw_machine_type",
                              "%s has no machine type %s%s%s", caps->path, given,
                              close != NULL ? "; close: " : "", close != NULL ? close : "");
      return FALSE;
    }
  /* libvirt uses the full name too (qemuCanonicalizeMachine()): the plan
   * is for that machine version, whatever the alias means later. */
  plan->machine = g_strdup (type->name);
  if (!g_str_equal (given, type->name))
    bigvm_plan_note (plan, "machine type %s is %s", given, type->name);
  if (type->deprecated)
    g_ptr_array_add (plan->warnings,
                     bigvm_flavor_message (flavor, "hw_machine_type",
                                           "QEMU deprecates machine type %s", type->name));
  if (!bigvm_machine_parse (type->name, ret_machine))
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw_machine_type",
                              "bigvm plans pc-q35 and pc-i440fx machine types (q35, pc), "
                              "not %s", type->name);
      return FALSE;
    }
  if (type->cpu_max != 0 && flavor->vcpus > type->cpu_max)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "vcpus",
                              "%u vCPUs are more than machine type %s takes (%u)",
                              flavor->vcpus, type->name, type->cpu_max);
      return FALSE;
    }
  if (flavor->maxmem_bytes != 0
      && ret_machine->major * 100 + ret_machine->minor < BIGVM_LAYOUT_MIN_HOTPLUG_VERSION)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "bigvm:maxmem",
                              "memory hotplug needs machine type 2.5 or newer (%s lays "
                              "it out differently)", type->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
plan_cpu_model (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                const BigvmQemuCaps *caps, const BigvmCpuExpansion **ret_expansion,
                GError **error)
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
      g_autofree char *close = bigvm_qemu_close_names (caps->cpu_models, plan->cpu_model);
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
  if (model->deprecated)
    g_ptr_array_add (plan->warnings,
                     bigvm_flavor_message (flavor, "bigvm:cpu_model",
                                           "QEMU deprecates CPU model %s", model->name));
  /* The probe's accelerator is the plan's, or its list says nothing here. */
  if (g_str_equal (caps->accel, bigvm_accel_name (plan->accel)) && model->unavailable[0] != NULL
      && !g_str_equal (model->name, "host"))
    {
      g_autofree char *features = g_strjoinv (", ", model->unavailable);
      g_ptr_array_add (plan->warnings,
                       bigvm_flavor_message (flavor, "bigvm:cpu_model",
                                             "%s lacks features of CPU model %s, which the "
                                             "guest will not have: %s",
                                             kvm ? "this host's CPU" : "TCG",
                                             model->name, features));
    }

  /* Under KVM every model takes the host's vendor
   * (target/i386/host-cpu.c host_cpu_instance_init()), and only the
   * host's features. */
  plan->guest_vendor = kvm ? host->vendor : bigvm_cpu_vendor_from_id (expansion->vendor_id);
  /* 1 GiB pages under KVM: what KVM offers, which QEMU's expansion of
   * "host" says when it was probed under KVM here (a nested KVM may not
   * pass on what CPUID shows), else the host's CPUID. */
  const BigvmCpuExpansion *kvm_host = g_str_equal (caps->accel, "kvm")
                                      ? bigvm_qemu_find_expansion (caps, "host") : NULL;
  plan->accel_pdpe1gb = !kvm || (kvm_host != NULL ? kvm_host->pdpe1gb : host->pdpe1gb);
  plan->guest_pdpe1gb = is_host_cpu_model (plan->cpu_model) && kvm
                        ? plan->accel_pdpe1gb : expansion->pdpe1gb && plan->accel_pdpe1gb;
  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    if (g_str_equal (*flag + 1, "pdpe1gb"))
      plan->guest_pdpe1gb = **flag == '+' && plan->accel_pdpe1gb;
  bigvm_plan_note (plan, "CPU model %s: %s, %s%s", plan->cpu_model,
        kvm ? host->vendor_id : expansion->vendor_id, expansion->lm ? "64-bit" : "32-bit",
        plan->guest_pdpe1gb ? ", 1 GiB pages" : "");
  *ret_expansion = expansion;
  return TRUE;
}

/* ---- address bits ----------------------------------------------------- */

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

  if (!expansion->lm && flavor->phys_addr_mode != BIGVM_PHYS_ADDR_DEFAULT)
    {
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
       * 32-bit ones; the host's for host and max under KVM. */
      if (!expansion->lm)
        plan->guest_phys_bits = expansion->pse36 ? 36 : 32;
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

/* "RAM above 4 GiB and the 64-bit PCI hole after it end at 0x...", for
 * messages about the bits the layout needs. */
static char *
describe_top (const BigvmLayout *layout)
{
  const char *what;

  if (bigvm_layout_find (layout, BIGVM_REGION_HOTPLUG) != NULL)
    what = layout->amd_relocated
           ? "RAM (above 4 GiB moved to 1 TiB for an AMD CPU), the memory hotplug region and "
             "the 64-bit PCI hole after them end"
           : "RAM, the memory hotplug region and the 64-bit PCI hole after them end";
  else if (bigvm_layout_find (layout, BIGVM_REGION_RAM_HIGH) != NULL)
    what = layout->amd_relocated
           ? "RAM above 4 GiB (moved to 1 TiB for an AMD CPU) and the 64-bit PCI hole after "
             "it end"
           : "RAM above 4 GiB and the 64-bit PCI hole after it end";
  else
    what = "the 64-bit PCI hole ends";
  return g_strdup_printf ("%s at 0x%" G_GINT64_MODIFIER "x", what, layout->max_gpa);
}

/* The fewest bits at which OVMF can boot this layout, from FROM up, with
 * or without 1 GiB pages; 0 when no width does. */
static guint
ovmf_min_bits (const BigvmLayout *layout, guint from, BigvmCpuVendor vendor, gboolean pdpe1gb)
{
  for (guint bits = from; bits <= BIGVM_MAX_PHYS_BITS; bits++)
    {
      BigvmOvmfView view;
      bigvm_ovmf_view (layout, bits, vendor, pdpe1gb, &view);
      if (view.fits)
        return bits;
    }
  return 0;
}

/* UEFI above 1 TiB: OVMF 2022.11 maps at most 40 bits without 1 GiB pages
 * (OvmfPkg/Library/PlatformInitLib/MemDetect.c
 * PlatformAddressWidthFromCpuid()) and hangs silently when RAM or its
 * 64-bit PCI window lies beyond that.  bigvm gives the guest 1 GiB pages
 * where they are needed and the accelerator can, and refuses where it
 * cannot.  Sets firmware_min_bits; 0 when no width will do. */
static gboolean
plan_ovmf (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host, GError **error)
{
  guint from = plan->qemu_min_bits;
  gboolean flavor_refuses = g_strv_contains ((const char *const *) flavor->cpu_flags, "-pdpe1gb");
  gboolean can_add = !flavor_refuses && plan->accel_pdpe1gb;
  BigvmOvmfView without, with;

  bigvm_ovmf_view (plan->layout, plan->guest_phys_bits, plan->guest_vendor, FALSE, &without);
  bigvm_ovmf_view (plan->layout, plan->guest_phys_bits, plan->guest_vendor, TRUE, &with);

  if (plan->guest_pdpe1gb || (!without.fits && can_add))
    {
      if (!plan->guest_pdpe1gb)
        {
          g_ptr_array_add (plan->cpu_props, g_strdup ("+pdpe1gb"));
          bigvm_plan_note (plan, "added +pdpe1gb: OVMF maps beyond 1 TiB only with 1 GiB pages, and "
                      "hangs at boot without them (edk2 OvmfPkg PlatformInitLib)");
          plan->guest_pdpe1gb = TRUE;
        }
      plan->ovmf = with;
      plan->firmware_min_bits = ovmf_min_bits (plan->layout, from, plan->guest_vendor, TRUE);
      return TRUE;
    }

  plan->ovmf = without;
  plan->firmware_min_bits = ovmf_min_bits (plan->layout, from, plan->guest_vendor, FALSE);
  if (without.fits || plan->firmware_min_bits != 0
      || ovmf_min_bits (plan->layout, from, plan->guest_vendor, TRUE) == 0)
    return TRUE;

  /* Only 1 GiB pages would do, and the guest cannot have them: explain
   * shows where OVMF would want them. */
  plan->ovmf = with;
  plan->firmware_min_bits = ovmf_min_bits (plan->layout, from, plan->guest_vendor, TRUE);
  if (flavor_refuses)
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "bigvm:cpu_flags",
                            "-pdpe1gb: OVMF needs 1 GiB pages to map this guest's "
                            "address space beyond 1 TiB, or it hangs at boot");
  else
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "ram",
                            "OVMF needs 1 GiB pages to map this guest's address space "
                            "beyond 1 TiB, and KVM on %s offers none", host->source);
  return FALSE;
}

static gboolean
plan_address_space (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                    const BigvmQemuCaps *caps, const BigvmMachine *machine, GError **error)
{
  BigvmLayoutInput input = { *machine, plan->guest_vendor, flavor->ram_bytes,
                             flavor->maxmem_bytes, flavor->mem_slots };
  g_autofree char *ram = bigvm_format_size_human (flavor->ram_bytes);

  plan->layout = bigvm_layout_new (&input);
  plan->qemu_min_bits = plan->layout->min_phys_bits;
  plan->min_phys_bits = plan->qemu_min_bits;
  plan->min_bits_reason = describe_top (plan->layout);

  if (bigvm_version_compare (&caps->version, QEMU_LAYOUT_CHECKED_MAJOR,
                             QEMU_LAYOUT_CHECKED_MINOR + 1, 0) >= 0)
    g_ptr_array_add (plan->warnings,
                     g_strdup_printf ("bigvm's address map follows QEMU 7.2 (hw/i386/pc.c); "
                                      "QEMU %u.%u may lay memory out differently",
                                      caps->version.major, caps->version.minor));

  if (flavor->firmware == BIGVM_FIRMWARE_UEFI)
    {
      if (!plan_ovmf (plan, flavor, host, error))
        return FALSE;
      if (plan->firmware_min_bits == 0)
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "ram",
                                  "%s is more than OVMF can map (47 bits, 128 TiB); use "
                                  "hw_firmware_type = bios", ram);
          return FALSE;
        }
      if (plan->firmware_min_bits > plan->min_phys_bits)
        {
          BigvmOvmfView view;
          bigvm_ovmf_view (plan->layout, plan->firmware_min_bits, plan->guest_vendor,
                           plan->guest_pdpe1gb, &view);
          plan->min_phys_bits = plan->firmware_min_bits;
          g_free (plan->min_bits_reason);
          plan->min_bits_reason = g_strdup_printf ("OVMF's 64-bit PCI window ends at 0x%"
                                                   G_GINT64_MODIFIER "x",
                                                   view.window_end - 1);
        }
    }

  /* Under KVM a guest addresses at most what the host kernel can use. */
  guint usable = plan->accel == BIGVM_ACCEL_KVM
                 ? MIN (plan->guest_phys_bits, host->effective_phys_bits) : plan->guest_phys_bits;
  if (usable >= plan->min_phys_bits)
    {
      bigvm_plan_note (plan, "address bits: %u needed (%s), the guest gets %u", plan->min_phys_bits,
            plan->min_bits_reason, plan->guest_phys_bits);
      return TRUE;
    }

  switch (flavor->phys_addr_mode)
    {
    case BIGVM_PHYS_ADDR_EMULATE:
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw:maxphysaddr_bits",
                              "%u bits are too few: %s: needs %u bits",
                              plan->guest_phys_bits, plan->min_bits_reason,
                              plan->min_phys_bits);
      return FALSE;
    case BIGVM_PHYS_ADDR_PASSTHROUGH:
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:maxphysaddr_mode",
                              "passthrough gives the guest the host's %u bits (%s), too "
                              "few: %s: needs %u bits", usable, host->source,
                              plan->min_bits_reason, plan->min_phys_bits);
      return FALSE;
    case BIGVM_PHYS_ADDR_DEFAULT:
      break;
    }
  if (plan->accel == BIGVM_ACCEL_KVM && plan->min_phys_bits > host->effective_phys_bits)
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "ram",
                            "%s needs %u physical address bits, more than the host CPU's "
                            "%u (%s): %s", ram, plan->min_phys_bits, host->effective_phys_bits,
                            host->source, plan->min_bits_reason);
  else
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "ram",
                            "%s needs %u physical address bits, more than the %u CPU model "
                            "%s has: %s; add hw:maxphysaddr_mode = emulate and "
                            "hw:maxphysaddr_bits = %u", ram, plan->min_phys_bits,
                            plan->guest_phys_bits, plan->cpu_model, plan->min_bits_reason,
                            plan->min_phys_bits);
  return FALSE;
}

/* ---- firmware and memory ---------------------------------------------- */

static gboolean
plan_firmware (BigvmPlan *plan, const BigvmFlavor *flavor, GPtrArray *firmware,
               const BigvmPlanOptions *options, GError **error)
{
  const BigvmFirmware *chosen;

  if (flavor->firmware != BIGVM_FIRMWARE_UEFI)
    return TRUE;

  if (flavor->secure_boot)
    {
      BigvmMachine machine;
      if (!bigvm_machine_parse (plan->machine, &machine) || machine.family != BIGVM_MACHINE_Q35)
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR,
                                  flavor->secure_boot_key,
                                  "Secure Boot needs SMM, which bigvm gives q35 machine types "
                                  "only, not %s", plan->machine);
          return FALSE;
        }
    }
  chosen = bigvm_firmware_select (firmware, plan->machine, flavor->secure_boot);
  if (chosen == NULL && flavor->secure_boot)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE,
                              flavor->secure_boot_key,
                              "no QEMU firmware descriptor offers UEFI Secure Boot with keys "
                              "enrolled and SMM for x86_64 %s (install ovmf)", plan->machine);
      return FALSE;
    }
  if (chosen == NULL)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw_firmware_type",
                              "no QEMU firmware descriptor offers UEFI for x86_64 "
                              "%s without SMM or Secure Boot (install ovmf)", plan->machine);
      return FALSE;
    }
  if (!chosen->code_exists || !chosen->vars_template_exists)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw_firmware_type",
                              "firmware descriptor %s names %s, which does not exist",
                              chosen->path,
                              chosen->code_exists ? chosen->vars_template : chosen->code);
      return FALSE;
    }
  plan->firmware = chosen;
  bigvm_plan_note (plan, "firmware %s from %s", chosen->code, chosen->path);

  if (flavor->nvram != NULL)
    plan->nvram = g_strdup (flavor->nvram);
  else if (strchr (flavor->name, '/') != NULL)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "name",
                              "contains '/', so it cannot name the guest's UEFI "
                              "variable file; set bigvm:nvram");
      return FALSE;
    }
  else
    {
      g_autofree char *file = g_strconcat (flavor->name, "_VARS.fd", NULL);
      plan->nvram = g_build_filename (options->nvram_dir, file, NULL);
    }
  return TRUE;
}

static void
disk_free (gpointer data)
{
  BigvmDisk *disk = data;
  g_free (disk->path);
  g_free (disk);
}

/* -smp with Nova's choice of topology (nova/virt/hardware.py
 * _get_possible_cpu_topologies, _sort_possible_cpu_topologies): of all
 * sockets x cores x threads = vcpus, ordered by sockets*cores, then
 * sockets, then threads, descending, the first that matches the most
 * given values.  Nova drops a preference it cannot meet; bigvm refuses
 * it, since it is a typo more often than a wish.  Without any, -smp with
 * the count alone leaves the topology to QEMU. */
static gboolean
plan_topology (BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
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
      const char *key = want[0] != 0 ? "hw:cpu_sockets" : want[1] != 0 ? "hw:cpu_cores"
                                                                       : "hw:cpu_threads";
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, key,
                              "sockets x cores x threads cannot make %u vCPUs with the values "
                              "given", v);
      return FALSE;
    }
  plan->sockets = best[0];
  plan->cores = best[1];
  plan->threads = best[2];
  return TRUE;
}

static gboolean
plan_devices (BigvmPlan *plan, const BigvmFlavor *flavor, GError **error)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, flavor->name, -1);

  plan->disks = g_ptr_array_new_with_free_func (disk_free);
  for (guint i = 0; i < flavor->disks->len; i++)
    {
      const BigvmDisk *disk = flavor->disks->pdata[i];
      BigvmDisk *copy = g_new0 (BigvmDisk, 1);
      *copy = *disk;
      copy->path = g_strdup (disk->path);
      g_ptr_array_add (plan->disks, copy);
    }
  plan->cdrom = g_strdup (flavor->cdrom);
  plan->net = flavor->net;
  plan->net_name = g_strdup (flavor->net_name);
  /* A locally administered MAC in QEMU's 52:54:00 range, the same for
   * the same guest name every time. */
  plan->mac = g_strdup_printf ("52:54:00:%.2s:%.2s:%.2s", digest, digest + 2, digest + 4);
  plan->qmp = g_strdup (flavor->qmp);
  plan->pidfile = g_strdup (flavor->pidfile);

  plan->secure_boot = flavor->secure_boot;
  if (flavor->secure_boot)
    {
      /* docs/interop/firmware.json on requires-smm: the default 16 MiB
       * TSEG covers about 1 TiB of guest-physical address space; add 8 MiB
       * for each further TiB the guest uses. */
      guint64 tib = plan->layout->max_gpa / BIGVM_TiB + 1;
      if (tib > 1)
        plan->tseg_mbytes = 16 + 8 * (tib - 1);
    }
  return TRUE;
}

static BigvmPlan *
plan_build (const BigvmFlavor *flavor, const BigvmHost *host, const BigvmQemuCaps *caps,
            GPtrArray *firmware, const BigvmPlanOptions *options, gboolean keep_partial,
            GError **error)
{
  g_autoptr (BigvmPlan) plan = g_new0 (BigvmPlan, 1);
  const BigvmCpuExpansion *expansion = NULL;
  BigvmMachine machine;

  plan->cpu_props = g_ptr_array_new_with_free_func (g_free);
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  plan->notes = g_ptr_array_new_with_free_func (g_free);

  plan->name = g_strdup (flavor->name);
  plan->vcpus = flavor->vcpus;

  if (!bigvm_plan_choose_accel (host, options->accel, &plan->accel, &plan->accel_reason, error))
    return NULL;
  bigvm_plan_note (plan, "accelerator %s (%s)", bigvm_accel_name (plan->accel), plan->accel_reason);
  plan->cpu_model = g_strdup (bigvm_plan_cpu_model (flavor, plan->accel));

  if (!plan_topology (plan, flavor, error)
      || !bigvm_plan_memory (plan, flavor, host, caps, options, error)
      || !plan_machine (plan, flavor, caps, &machine, error)
      || !plan_cpu_model (plan, flavor, host, caps, &expansion, error)
      || !plan_phys_bits (plan, flavor, host, caps, expansion, error))
    return NULL;

  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    g_ptr_array_add (plan->cpu_props, g_strdup (*flag));

  if (!plan_address_space (plan, flavor, host, caps, &machine, error)
      || !plan_firmware (plan, flavor, firmware, options, error)
      || !plan_devices (plan, flavor, error))
    return keep_partial && plan->layout != NULL ? g_steal_pointer (&plan) : NULL;

  return g_steal_pointer (&plan);
}

BigvmPlan *
bigvm_plan_new (const BigvmFlavor *flavor, const BigvmHost *host,
                const BigvmQemuCaps *caps, GPtrArray *firmware,
                const BigvmPlanOptions *options, GError **error)
{
  return plan_build (flavor, host, caps, firmware, options, FALSE, error);
}

BigvmPlan *
bigvm_plan_explain (const BigvmFlavor *flavor, const BigvmHost *host,
                    const BigvmQemuCaps *caps, GPtrArray *firmware,
                    const BigvmPlanOptions *options, GError **error)
{
  return plan_build (flavor, host, caps, firmware, options, TRUE, error);
}
