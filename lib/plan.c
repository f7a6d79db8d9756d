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


void
bigvm_plan_free (BigvmPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->accel_reason);
  g_free (plan->name);
  g_free (plan->machine);
  g_free (plan->cpu_model);
  g_free (plan->incoming);
  g_free (plan->incoming_tls_dir);
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

void
bigvm_plan_note (BigvmPlan *plan, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (plan->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

/* ---- machine and CPU model ------------------------------------------ */

/* The machine type the guest keeps: the recorded one while the flavor
 * names its family by alias (q35 stays pc-q35-7.2 after QEMU's q35
 * moves on), else the flavor's, resolved. */
static const BigvmMachineType *
pinned_machine (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmQemuCaps *caps,
                const BigvmPlanOptions *options, const BigvmMachineType *type, GError **error)
{
  const char *given = flavor->machine_type ?: DEFAULT_MACHINE;
  BigvmMachine now, recorded;

  if (options->pinned_machine == NULL || g_str_equal (given, type->name)
      || g_str_equal (options->pinned_machine, type->name)
      || !bigvm_machine_parse (type->name, &now)
      || !bigvm_machine_parse (options->pinned_machine, &recorded) || now.family != recorded.family)
    return type;
  const BigvmMachineType *pinned = bigvm_qemu_find_machine (caps, options->pinned_machine);
  if (pinned == NULL)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw_machine_type",
                              "%s was %s at the guest's first boot (%s), which %s no longer "
                              "has; bigvm abi --update %s moves the guest to %s", given,
                              options->pinned_machine, options->record, caps->path,
                              flavor->path, type->name);
      return NULL;
    }
  bigvm_plan_note (plan, "machine type %s stays %s, the guest's since its first boot (%s; "
                   "QEMU's %s is now %s)", given, pinned->name, options->record, given,
                   type->name);
  return pinned;
}

static gboolean
plan_machine (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmQemuCaps *caps,
              const BigvmPlanOptions *options, BigvmMachine *ret_machine, GError **error)
{
  const char *given = flavor->machine_type ?: DEFAULT_MACHINE;
  const BigvmMachineType *type = bigvm_qemu_find_machine (caps, given);

  if (type == NULL)
    {
      g_autofree char *close = bigvm_qemu_close_names (bigvm_qemu_machines (caps), given);
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw_machine_type",
                              "%s has no machine type %s%s%s", caps->path, given,
                              close != NULL ? "; close: " : "", close != NULL ? close : "");
      return FALSE;
    }
  /* libvirt uses the full name too (qemuCanonicalizeMachine()): the plan
   * is for that machine version, whatever the alias means later. */
  const BigvmMachineType *resolved = type;
  if ((type = pinned_machine (plan, flavor, caps, options, type, error)) == NULL)
    return FALSE;
  plan->machine = g_strdup (type->name);
  if (type == resolved && !g_str_equal (given, type->name))
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

/* ---- address bits ----------------------------------------------------- */

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

/* Why the guest's USABLE bits are too few, naming what to change. */
static void
refuse_too_few_bits (const BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                     guint usable, GError **error)
{
  g_autofree char *ram = bigvm_format_size_human (flavor->ram_bytes);

  switch (flavor->phys_addr_mode)
    {
    case BIGVM_PHYS_ADDR_EMULATE:
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw:maxphysaddr_bits",
                              "%u bits are too few: %s: needs %u bits",
                              plan->guest_phys_bits, plan->min_bits_reason,
                              plan->min_phys_bits);
      return;
    case BIGVM_PHYS_ADDR_PASSTHROUGH:
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw:maxphysaddr_mode",
                              "passthrough gives the guest the host's %u bits (%s), too "
                              "few: %s: needs %u bits", usable, host->source,
                              plan->min_bits_reason, plan->min_phys_bits);
      return;
    case BIGVM_PHYS_ADDR_DEFAULT:
      break;
    }
  if (!plan->guest_lm)
    bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "ram",
                            "%s needs %u physical address bits, more than the %u the 32-bit "
                            "CPU model %s addresses (PSE-36): %s; use a 64-bit CPU model",
                            ram, plan->min_phys_bits, plan->guest_phys_bits, plan->cpu_model,
                            plan->min_bits_reason);
  else if (plan->accel == BIGVM_ACCEL_KVM && plan->min_phys_bits > host->effective_phys_bits)
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
}

/* OVMF for x86_64 (OvmfPkgX64) switches to long mode in its first
 * instructions, and maps what its own rules say (plan_ovmf): the bits
 * the guest needs may be more than QEMU's. */
static gboolean
plan_uefi_bits (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                GError **error)
{
  if (!plan->guest_lm)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "hw_firmware_type",
                              "OVMF for x86_64 needs a 64-bit CPU, and the guest's (%s%s) is "
                              "32-bit", plan->cpu_model,
                              g_strv_contains ((const char *const *) flavor->cpu_flags, "-lm")
                              ? ",-lm" : "");
      return FALSE;
    }
  if (!plan_ovmf (plan, flavor, host, error))
    return FALSE;
  if (plan->firmware_min_bits == 0)
    {
      g_autofree char *ram = bigvm_format_size_human (flavor->ram_bytes);
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
                                               G_GINT64_MODIFIER "x", view.window_end - 1);
    }
  return TRUE;
}

static gboolean
plan_address_space (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                    const BigvmQemuCaps *caps, const BigvmMachine *machine, GError **error)
{
  BigvmLayoutInput input = { *machine, plan->guest_vendor, flavor->ram_bytes,
                             flavor->maxmem_bytes, flavor->mem_slots };

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
      if (!plan_uefi_bits (plan, flavor, host, error))
        return FALSE;
    }
  /* hw/i386/pc.c pc_max_used_gpa(): for a CPU of 32 address bits or
   * fewer QEMU checks nothing and starts any RAM; the guest then reaches
   * only its first 4 GiB. */
  else if (plan->guest_phys_bits <= 32)
    {
      if (plan->layout->ram_end > 4 * BIGVM_GiB)
        g_ptr_array_add (plan->warnings,
                         bigvm_flavor_message (flavor, "ram",
                                               "the guest CPU (%s) addresses 32 bits, 4 GiB: "
                                               "the RAM QEMU puts above 4 GiB is out of its "
                                               "reach", plan->cpu_model));
      bigvm_plan_note (plan, "address bits: QEMU checks none for a CPU of 32 bits (%s)",
                       plan->cpu_model);
      return TRUE;
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
  refuse_too_few_bits (plan, flavor, host, usable, error);
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

/* QEMU 7.2 describes RAM to the guest in SMBIOS tables of at most 65535
 * bytes, a record per 16 GiB: about 18.5 TiB with one socket.  Beyond,
 * it refuses to start; beyond 61392 GiB it aborts on an assertion. */
static gboolean
check_smbios (const BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmMachine *machine,
              GError **error)
{
  guint sockets = bigvm_plan_sockets (plan, machine);
  gsize length = bigvm_smbios_length (machine, plan->machine, plan->ram_bytes, sockets);

  if (length <= BIGVM_SMBIOS_MAX_LENGTH)
    return TRUE;
  /* The most RAM that fits, in whole 16 GiB records: the length grows
   * with the RAM, so a binary search over the record count finds it. */
  guint64 low = 0, high = plan->ram_bytes / (16 * BIGVM_GiB);
  while (low < high)
    {
      guint64 mid = low + (high - low + 1) / 2;
      if (bigvm_smbios_length (machine, plan->machine, mid * 16 * BIGVM_GiB, sockets)
          <= BIGVM_SMBIOS_MAX_LENGTH)
        low = mid;
      else
        high = mid - 1;
    }
  guint64 fits = low * 16 * BIGVM_GiB;
  g_autofree char *ram = bigvm_format_size_exact (plan->ram_bytes);
  g_autofree char *most = bigvm_format_size_exact (fits);
  bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "ram",
                          "%s is more than QEMU's SMBIOS tables hold: a record per 16 GiB and "
                          "%u socket%s make %zu bytes, over the %d of their 32-bit entry point "
                          "(hw/smbios/smbios.c); at most %s with %u socket%s", ram, sockets,
                          sockets == 1 ? "" : "s", length, BIGVM_SMBIOS_MAX_LENGTH, most, sockets,
                          sockets == 1 ? "" : "s");
  return FALSE;
}

static BigvmPlan *
plan_build (const BigvmFlavor *flavor, const BigvmHost *host, const BigvmQemuCaps *caps,
            GPtrArray *firmware, const BigvmPlanOptions *options, gboolean keep_partial,
            GError **error)
{
  g_autoptr (BigvmPlan) plan = g_new0 (BigvmPlan, 1);
  BigvmMachine machine;

  plan->cpu_props = g_ptr_array_new_with_free_func (g_free);
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  plan->notes = g_ptr_array_new_with_free_func (g_free);

  plan->name = g_strdup (flavor->name);
  plan->vcpus = flavor->vcpus;
  plan->cpu_check = flavor->cpu_check;
  plan->incoming = g_strdup (options->incoming);
  plan->incoming_tls_dir = g_strdup (options->incoming_tls_dir);

  if (!bigvm_plan_choose_accel (host, options->accel, &plan->accel, &plan->accel_reason, error))
    return NULL;
  bigvm_plan_note (plan, "accelerator %s (%s)", bigvm_accel_name (plan->accel), plan->accel_reason);
  plan->cpu_model = g_strdup (bigvm_plan_cpu_model (flavor, plan->accel));

  if (!bigvm_plan_topology (plan, flavor, error)
      || !bigvm_plan_memory (plan, flavor, host, caps, options, error)
      || !plan_machine (plan, flavor, caps, options, &machine, error)
      || !bigvm_plan_check_apic_ids (plan, flavor, error)
      || !bigvm_plan_cpu (plan, flavor, host, caps, error)
      || !check_smbios (plan, flavor, &machine, error))
    return NULL;

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
