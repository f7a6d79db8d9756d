/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "plan.h"

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
#define MAX_PHYS_BITS 52

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

static void
note (BigvmPlan *plan, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
note (BigvmPlan *plan, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (plan->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

static BigvmCpuVendor
vendor_of (const char *vendor_id)
{
  /* hw/i386/pc.c uses IS_AMD_CPU(): exactly "AuthenticAMD", so Hygon's
   * "HygonGenuine" is not AMD here. */
  if (g_str_equal (vendor_id, "AuthenticAMD"))
    return BIGVM_VENDOR_AMD;
  if (g_str_equal (vendor_id, "GenuineIntel"))
    return BIGVM_VENDOR_INTEL;
  return BIGVM_VENDOR_OTHER;
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
    note (plan, "machine type %s is %s", given, type->name);
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
  plan->guest_vendor = kvm ? host->vendor : vendor_of (expansion->vendor_id);
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
  note (plan, "CPU model %s: %s, %s%s", plan->cpu_model,
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
  for (guint bits = from; bits <= MAX_PHYS_BITS; bits++)
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
          note (plan, "added +pdpe1gb: OVMF maps beyond 1 TiB only with 1 GiB pages, and "
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

  if (caps->version.major > QEMU_LAYOUT_CHECKED_MAJOR
      || (caps->version.major == QEMU_LAYOUT_CHECKED_MAJOR
          && caps->version.minor > QEMU_LAYOUT_CHECKED_MINOR))
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
      note (plan, "address bits: %u needed (%s), the guest gets %u", plan->min_phys_bits,
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
  note (plan, "firmware %s from %s", chosen->code, chosen->path);

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

static void
backend_free (gpointer data)
{
  BigvmMemBackend *backend = data;
  if (backend->cpus != NULL)
    g_array_unref (backend->cpus);
  g_array_unref (backend->host_nodes);
  g_free (backend);
}

/* Huge page sizes the host has, largest first, that divide every
 * backend; from a CPUID dump only what the CPU can page with. */
static GArray *
usable_page_sizes (const BigvmPlan *plan, const BigvmHost *host)
{
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));

  if (host->has_memory)
    for (guint i = host->hugepages->len; i > 0; i--)
      g_array_append_val (sizes, g_array_index (host->hugepages, BigvmHugePool, i - 1).page_size);
  else
    {
      guint64 giga = BIGVM_GiB, two = 2 * BIGVM_MiB;
      if (host->pdpe1gb)
        g_array_append_val (sizes, giga);
      g_array_append_val (sizes, two);
    }
  for (guint i = sizes->len; i > 0; i--)
    for (guint b = 0; b < plan->mem_backends->len; b++)
      if (((BigvmMemBackend *) plan->mem_backends->pdata[b])->size
          % g_array_index (sizes, guint64, i - 1) != 0)
        {
          g_array_remove_index (sizes, i - 1);
          break;
        }
  return sizes;
}

static guint64
free_bytes (GArray *pools, guint64 page_size)
{
  const BigvmHugePool *pool = bigvm_host_find_pool (pools, page_size);
  return pool != NULL ? pool->free * page_size : 0;
}

/* Whether the host has free pages of SIZE for all of the guest, and for
 * each guest node on the host nodes it is bound to. */
static gboolean
has_room (const BigvmPlan *plan, const BigvmHost *host, guint64 size)
{
  if (free_bytes (host->hugepages, size) < plan->ram_bytes)
    return FALSE;
  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      guint64 room = 0;
      for (guint i = 0; i < backend->host_nodes->len; i++)
        for (guint n = 0; n < host->nodes->len; n++)
          {
            const BigvmHostNode *node = host->nodes->pdata[n];
            if (node->id == g_array_index (backend->host_nodes, guint, i))
              room += free_bytes (node->hugepages, size);
          }
      if (backend->host_nodes->len > 0 && room < backend->size)
        return FALSE;
    }
  return TRUE;
}

/* hw:mem_page_size, as Nova means it (nova/virt/hardware.py
 * _numa_get_pagesize_constraints): large is the largest huge page size
 * with room for the guest, any the same or small pages. */
static gboolean
plan_page_size (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                GError **error)
{
  g_autoptr (GArray) sizes = NULL;

  switch (flavor->page_request)
    {
    case BIGVM_PAGES_UNSET:
    case BIGVM_PAGES_SMALL:
      plan->page_size = 0;
      return TRUE;
    case BIGVM_PAGES_SIZE:
      plan->page_size = flavor->page_size_bytes == 4 * BIGVM_KiB ? 0 : flavor->page_size_bytes;
      return TRUE;
    case BIGVM_PAGES_LARGE:
    case BIGVM_PAGES_ANY:
      break;
    }

  sizes = usable_page_sizes (plan, host);
  for (guint i = 0; i < sizes->len; i++)
    {
      guint64 size = g_array_index (sizes, guint64, i);
      if (!host->has_memory || has_room (plan, host, size))
        {
          g_autofree char *human = bigvm_format_size_exact (size);
          plan->page_size = size;
          note (plan, "hw:mem_page_size = %s: %s pages%s",
                flavor->page_request == BIGVM_PAGES_LARGE ? "large" : "any", human,
                host->has_memory ? ", the largest the host has room in"
                : " (the CPU's largest; another host's free pages are unknown)");
          return TRUE;
        }
    }
  if (flavor->page_request == BIGVM_PAGES_ANY)
    {
      plan->page_size = 0;
      note (plan, "hw:mem_page_size = any: small pages, no huge page size has room");
      return TRUE;
    }
  if (sizes->len == 0)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:mem_page_size",
                              "large: the host has no huge page size that divides the guest's "
                              "memory");
      return FALSE;
    }
  /* None has room: the largest, and the capacity check says what is short. */
  plan->page_size = g_array_index (sizes, guint64, 0);
  return TRUE;
}

static guint
count_cpus_of_nodes (const BigvmHost *host, GArray *nodes)
{
  guint count = 0;
  for (guint i = 0; i < nodes->len; i++)
    for (guint n = 0; n < host->nodes->len; n++)
      {
        const BigvmHostNode *node = host->nodes->pdata[n];
        if (node->id == g_array_index (nodes, guint, i))
          count += node->cpu_count;
      }
  return count;
}

static gboolean
plan_memory (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
             const BigvmQemuCaps *caps, const BigvmPlanOptions *options, GError **error)
{
  plan->ram_bytes = flavor->ram_bytes;
  plan->maxmem_bytes = flavor->maxmem_bytes;
  plan->mem_slots = flavor->mem_slots;
  plan->sparse_ram = options->sparse_ram;
  plan->mem_backends = g_ptr_array_new_with_free_func (backend_free);

  /* One backend per guest NUMA node (-numa node,memdev=), or one for all. */
  plan->numa = flavor->numa_nodes->len > 0;
  for (guint n = 0; n < MAX (1u, flavor->numa_nodes->len); n++)
    {
      BigvmMemBackend *backend = g_new0 (BigvmMemBackend, 1);
      backend->node = n;
      backend->host_nodes = g_array_new (FALSE, FALSE, sizeof (guint));
      if (plan->numa)
        {
          const BigvmNumaNode *node = flavor->numa_nodes->pdata[n];
          backend->size = node->mem_bytes;
          backend->cpus = g_array_ref (node->cpus);
          g_array_append_vals (backend->host_nodes, node->host_nodes->data,
                               node->host_nodes->len);
        }
      else
        backend->size = flavor->ram_bytes;
      g_ptr_array_add (plan->mem_backends, backend);
    }

  /* The host nodes a guest node is bound to must be there. */
  for (guint b = 0; b < plan->mem_backends->len && host->has_memory; b++)
    {
      BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      for (guint i = 0; i < backend->host_nodes->len; i++)
        {
          guint id = g_array_index (backend->host_nodes, guint, i);
          gboolean found = FALSE;
          for (guint n = 0; n < host->nodes->len; n++)
            found |= ((BigvmHostNode *) host->nodes->pdata[n])->id == id;
          if (!found)
            {
              g_autofree char *key = g_strdup_printf ("bigvm:numa_host_nodes.%u", backend->node);
              GString *ids = g_string_new (NULL);
              for (guint n = 0; n < host->nodes->len; n++)
                g_string_append_printf (ids, "%s%u", n > 0 ? ", " : "",
                                        ((BigvmHostNode *) host->nodes->pdata[n])->id);
              bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, key,
                                      "the host has no NUMA node %u (it has %s)", id,
                                      host->nodes->len > 0 ? ids->str : "none");
              g_string_free (ids, TRUE);
              return FALSE;
            }
        }
    }

  if (!plan_page_size (plan, flavor, host, error))
    return FALSE;
  if (plan->page_size == 0)
    {
      if (flavor->prealloc_threads != 0)
        g_ptr_array_add (plan->warnings,
                         bigvm_flavor_message (flavor, "bigvm:prealloc_threads",
                                               "ignored: small pages are not preallocated"));
      /* memory-backend-ram's "reserve" (backends/hostmem.c, QEMU 6.1). */
      if (options->sparse_ram && !caps->ram_reserve)
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                       "--sparse-ram: %s (QEMU %u.%u.%u) cannot map RAM without reserving "
                       "it: its memory-backend-ram has no reserve property (QEMU 6.1 and newer)",
                       caps->path, caps->version.major, caps->version.minor,
                       caps->version.micro);
          return FALSE;
        }
      return TRUE;
    }

  /* Huge pages: always preallocated, so a guest never meets a shortage
   * later; QEMU refuses prealloc=on with reserve=off (backends/hostmem.c). */
  if (options->sparse_ram)
    {
      g_autofree char *size = bigvm_format_size_exact (plan->page_size);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_USAGE,
                   "--sparse-ram maps small pages without reserving them; %s huge pages "
                   "(hw:mem_page_size) are always preallocated", size);
      return FALSE;
    }
  if (flavor->mem_path != NULL)
    {
      if (options->mem_path_page_size != plan->page_size)
        {
          g_autofree char *want = bigvm_format_size_exact (plan->page_size);
          g_autofree char *have = bigvm_format_size_exact (options->mem_path_page_size);
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "bigvm:mem_path",
                                  options->mem_path_page_size == 0
                                  ? "%s is not on a hugetlbfs mount"
                                  : "%s holds %s pages, not %s",
                                  flavor->mem_path, have, want);
          return FALSE;
        }
      plan->mem_path = g_strdup (flavor->mem_path);
    }
  else if (!caps->memfd_hugetlb)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:mem_page_size",
                              "%s has no memory-backend-memfd hugetlb; name a hugetlbfs "
                              "mount in bigvm:mem_path", caps->path);
      return FALSE;
    }

  /* prealloc-threads: the host's CPUs, or bigvm:prealloc_threads; bound
   * to the backend's host nodes through a thread-context (QEMU 7.2). */
  plan->prealloc_threads = flavor->prealloc_threads != 0 ? flavor->prealloc_threads
                           : MAX (1u, host->online_cpus);
  if (!caps->prealloc_threads)
    plan->prealloc_threads = 1;
  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      backend->thread_context = caps->prealloc_context && backend->host_nodes->len > 0
                                && count_cpus_of_nodes (host, backend->host_nodes) > 0;
    }
  return TRUE;
}

/* -smp with Nova's topology (the flavor has worked it out). */
static void
plan_topology (BigvmPlan *plan, const BigvmFlavor *flavor)
{
  plan->sockets = flavor->cpu_sockets;
  plan->cores = flavor->cpu_cores;
  plan->threads = flavor->cpu_threads;
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

gboolean
bigvm_plan_check_capacity (const BigvmPlan *plan, const BigvmFlavor *flavor,
                           const BigvmHost *host, GError **error)
{
  g_autoptr (GPtrArray) findings = g_ptr_array_new_with_free_func (g_free);

  if (!host->has_memory)
    return TRUE;

  if (plan->page_size != 0)
    {
      g_autofree char *size = bigvm_format_size_exact (plan->page_size);
      guint64 needed = plan->ram_bytes / plan->page_size;
      const BigvmHugePool *pool = bigvm_host_find_pool (host->hugepages, plan->page_size);
      guint64 free_pages = pool != NULL ? pool->free : 0;

      if (free_pages < needed)
        g_ptr_array_add (findings,
                         bigvm_flavor_message (flavor, "hw:mem_page_size",
                                               "%" G_GUINT64_FORMAT " pages of %s needed, %"
                                               G_GUINT64_FORMAT " free on this host%s", needed,
                                               size, free_pages,
                                               pool == NULL ? " (it has no such pages)" : ""));
      /* Per set of host nodes guest nodes are bound to: their free pages
       * against what all those guest nodes need. */
      g_autoptr (GHashTable) counted = g_hash_table_new (NULL, NULL);
      for (guint b = 0; b < plan->mem_backends->len; b++)
        {
          const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
          guint64 set_needed = 0, set_free = 0;
          GString *guests = g_string_new (NULL);

          if (backend->host_nodes->len == 0 || g_hash_table_contains (counted, backend))
            {
              g_string_free (guests, TRUE);
              continue;
            }
          for (guint o = b; o < plan->mem_backends->len; o++)
            {
              const BigvmMemBackend *other = plan->mem_backends->pdata[o];
              if (other->host_nodes->len != backend->host_nodes->len
                  || memcmp (other->host_nodes->data, backend->host_nodes->data,
                             backend->host_nodes->len * sizeof (guint)) != 0)
                continue;
              g_hash_table_add (counted, (gpointer) other);
              set_needed += other->size / plan->page_size;
              g_string_append_printf (guests, "%s%u", guests->len > 0 ? "," : "", other->node);
            }
          for (guint i = 0; i < backend->host_nodes->len; i++)
            for (guint n = 0; n < host->nodes->len; n++)
              {
                const BigvmHostNode *node = host->nodes->pdata[n];
                const BigvmHugePool *p = bigvm_host_find_pool (node->hugepages, plan->page_size);
                if (node->id == g_array_index (backend->host_nodes, guint, i) && p != NULL)
                  set_free += p->free;
              }
          if (set_free < set_needed)
            {
              g_autofree char *key = g_strdup_printf ("bigvm:numa_host_nodes.%u", backend->node);
              g_ptr_array_add (findings,
                               bigvm_flavor_message (flavor, key,
                                                     "guest node%s %s need%s %" G_GUINT64_FORMAT
                                                     " pages of %s, %s host nodes have %"
                                                     G_GUINT64_FORMAT " free",
                                                     strchr (guests->str, ',') ? "s" : "",
                                                     guests->str,
                                                     strchr (guests->str, ',') ? "" : "s",
                                                     set_needed, size,
                                                     strchr (guests->str, ',') ? "their" : "its",
                                                     set_free));
            }
          g_string_free (guests, TRUE);
        }
    }
  else if (plan->ram_bytes > host->mem_available && !plan->sparse_ram)
    {
      g_autofree char *ram = bigvm_format_size_human (plan->ram_bytes);
      g_autofree char *available = bigvm_format_size_human (host->mem_available);
      g_ptr_array_add (findings,
                       bigvm_flavor_message (flavor, "ram",
                                             "%s is more than the %s this host has available "
                                             "(use huge pages, or --sparse-ram to map it "
                                             "without reserving it)", ram, available));
    }

  if (findings->len == 0)
    return TRUE;
  g_ptr_array_add (findings, NULL);
  g_autofree char *message = g_strjoinv ("\n", (char **) findings->pdata);
  g_set_error_literal (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, message);
  return FALSE;
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
  for (guint i = 0; i < flavor->warnings->len; i++)
    g_ptr_array_add (plan->warnings, g_strdup (flavor->warnings->pdata[i]));

  plan->name = g_strdup (flavor->name);
  plan->vcpus = flavor->vcpus;

  if (!bigvm_plan_choose_accel (host, options->accel, &plan->accel, &plan->accel_reason, error))
    return NULL;
  note (plan, "accelerator %s (%s)", bigvm_accel_name (plan->accel), plan->accel_reason);
  plan->cpu_model = g_strdup (bigvm_plan_cpu_model (flavor, plan->accel));

  if (!plan_memory (plan, flavor, host, caps, options, error)
      || !plan_machine (plan, flavor, caps, &machine, error)
      || !plan_cpu_model (plan, flavor, host, caps, &expansion, error)
      || !plan_phys_bits (plan, flavor, host, caps, expansion, error))
    return NULL;

  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    g_ptr_array_add (plan->cpu_props, g_strdup (*flag));

  plan_topology (plan, flavor);
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
