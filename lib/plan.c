/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "plan.h"

#include "errors.h"
#include "util.h"

#include <string.h>

#define DEFAULT_MACHINE "q35"

/* memory-backend-ram's "reserve" property (backends/hostmem.c) came with
 * QEMU 6.1; the "memory-backend" machine property with 5.0. */
#define QEMU_RESERVE_VERSION BIGVM_VERSION_CODE (6, 1, 0)
#define QEMU_MEMORY_BACKEND_VERSION BIGVM_VERSION_CODE (5, 0, 0)

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
  g_free (plan->nvram);
  g_ptr_array_unref (plan->warnings);
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

static gboolean
host_has_kvm (const BigvmHost *host)
{
  if (host->kvm == BIGVM_KVM_FROM_DUMP)
    return host->vmx || host->svm;
  return host->kvm == BIGVM_KVM_USABLE;
}

static gboolean
choose_accel (BigvmPlan *plan, const BigvmHost *host, BigvmAccel requested,
              GError **error)
{
  switch (requested)
    {
    case BIGVM_ACCEL_TCG:
      plan->accel = BIGVM_ACCEL_TCG;
      plan->accel_reason = g_strdup ("--accel=tcg");
      return TRUE;
    case BIGVM_ACCEL_KVM:
      /* For a dumped host, --accel=kvm is the operator's word that it has KVM. */
      if (host->kvm != BIGVM_KVM_USABLE && host->kvm != BIGVM_KVM_FROM_DUMP)
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                       "--accel=kvm: KVM is not usable here: %s", host->kvm_detail);
          return FALSE;
        }
      plan->accel = BIGVM_ACCEL_KVM;
      plan->accel_reason = g_strdup ("--accel=kvm");
      return TRUE;
    case BIGVM_ACCEL_AUTO:
      break;
    }
  plan->accel = host_has_kvm (host) ? BIGVM_ACCEL_KVM : BIGVM_ACCEL_TCG;
  plan->accel_reason = g_strdup_printf ("--accel=auto: %s", host->kvm_detail);
  return TRUE;
}

/* Under KVM the guest can only have the host's CPU; under TCG "max" is
 * everything QEMU emulates. */
static const char *
default_cpu_model (BigvmAccel accel)
{
  return accel == BIGVM_ACCEL_KVM ? "host" : "max";
}

static gboolean
is_host_cpu_model (const char *model)
{
  /* Under KVM, "max" is "host" (target/i386/host-cpu.c). */
  return g_str_equal (model, "host") || g_str_equal (model, "max");
}

/* The guest CPU's address width.  libvirt maps emulate to phys-bits=N and
 * passthrough to host-phys-bits=on (src/qemu/qemu_command.c
 * qemuBuildCpuModelArgStr); QEMU turns host-phys-bits on by itself for the
 * host and max models under KVM (target/i386/host-cpu.c
 * host_cpu_max_instance_init), where phys-bits alone would silently give
 * the guest the host's bits, so emulate also says host-phys-bits=off. */
static gboolean
plan_phys_bits (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                GError **error)
{
  gboolean kvm = plan->accel == BIGVM_ACCEL_KVM;

  switch (flavor->phys_addr_mode)
    {
    case BIGVM_PHYS_ADDR_DEFAULT:
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
      g_ptr_array_add (plan->cpu_props, g_strdup ("host-phys-bits=on"));
      return TRUE;

    case BIGVM_PHYS_ADDR_EMULATE:
      /* libvirt refuses more bits than the host has under KVM
       * (src/qemu/qemu_validate.c: "cannot exceed the number supported by
       * the host CPU"): the guest would address memory that is not there. */
      if (kvm && flavor->phys_addr_bits > host->phys_bits)
        {
          bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE,
                                  "hw:maxphysaddr_bits",
                                  "%u bits exceed the %u the host CPU supports (%s); "
                                  "under KVM a guest cannot have more",
                                  flavor->phys_addr_bits, host->phys_bits, host->source);
          return FALSE;
        }
      if (kvm && is_host_cpu_model (plan->cpu_model))
        g_ptr_array_add (plan->cpu_props, g_strdup ("host-phys-bits=off"));
      g_ptr_array_add (plan->cpu_props,
                       g_strdup_printf ("phys-bits=%u", flavor->phys_addr_bits));
      return TRUE;
    }
  g_assert_not_reached ();
}

/* The name QEMU resolves the q35 and pc aliases to: the machine type of
 * its own release (hw/i386/pc_q35.c, pc_piix.c: the newest versioned
 * type carries the alias). */
static char *
resolve_machine (const char *machine, const BigvmQemuCaps *caps)
{
  if (g_str_equal (machine, "q35"))
    return g_strdup_printf ("pc-q35-%u.%u", caps->version.major, caps->version.minor);
  if (g_str_equal (machine, "pc"))
    return g_strdup_printf ("pc-i440fx-%u.%u", caps->version.major, caps->version.minor);
  return g_strdup (machine);
}

static gboolean
plan_firmware (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmQemuCaps *caps,
               GPtrArray *firmware, const BigvmPlanOptions *options, GError **error)
{
  g_autofree char *machine = resolve_machine (plan->machine, caps);
  const BigvmFirmware *chosen;

  if (flavor->firmware != BIGVM_FIRMWARE_UEFI)
    return TRUE;

  chosen = bigvm_firmware_select (firmware, machine);
  if (chosen == NULL)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "hw_firmware_type",
                              "no QEMU firmware descriptor offers UEFI for x86_64 "
                              "%s without SMM or Secure Boot (install ovmf)", machine);
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

static gboolean
plan_memory (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmQemuCaps *caps,
             const BigvmPlanOptions *options, GError **error)
{
  guint version = BIGVM_VERSION_TO_CODE (caps->version);

  plan->ram_bytes = flavor->ram_bytes;
  plan->maxmem_bytes = flavor->maxmem_bytes;
  plan->mem_slots = flavor->mem_slots;
  plan->sparse_ram = options->sparse_ram;

  if (version < QEMU_MEMORY_BACKEND_VERSION)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s is QEMU %u.%u.%u, which cannot back guest RAM with a memory "
                   "backend (-machine memory-backend needs 5.0 or newer)",
                   caps->path, caps->version.major, caps->version.minor,
                   caps->version.micro);
      return FALSE;
    }
  if (options->sparse_ram && version < QEMU_RESERVE_VERSION)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "--sparse-ram: %s is QEMU %u.%u.%u, which cannot map RAM without "
                   "reserving it (memory-backend-ram reserve=off needs 6.1 or newer)",
                   caps->path, caps->version.major, caps->version.minor,
                   caps->version.micro);
      return FALSE;
    }
  return TRUE;
}

BigvmPlan *
bigvm_plan_new (const BigvmFlavor *flavor, const BigvmHost *host,
                const BigvmQemuCaps *caps, GPtrArray *firmware,
                const BigvmPlanOptions *options, GError **error)
{
  g_autoptr (BigvmPlan) plan = g_new0 (BigvmPlan, 1);

  plan->cpu_props = g_ptr_array_new_with_free_func (g_free);
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < flavor->warnings->len; i++)
    g_ptr_array_add (plan->warnings, g_strdup (flavor->warnings->pdata[i]));

  plan->name = g_strdup (flavor->name);
  plan->vcpus = flavor->vcpus;
  plan->machine = g_strdup (flavor->machine_type ?: DEFAULT_MACHINE);

  if (!choose_accel (plan, host, options->accel, error))
    return NULL;
  plan->cpu_model = g_strdup (flavor->cpu_model ?: default_cpu_model (plan->accel));
  if (g_str_equal (plan->cpu_model, "host") && plan->accel != BIGVM_ACCEL_KVM)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_UNAVAILABLE, "bigvm:cpu_model",
                              "the host CPU model needs KVM, and this guest would "
                              "run under TCG (%s)", plan->accel_reason);
      return NULL;
    }

  if (!plan_phys_bits (plan, flavor, host, error)
      || !plan_memory (plan, flavor, caps, options, error)
      || !plan_firmware (plan, flavor, caps, firmware, options, error))
    return NULL;

  for (char **flag = flavor->cpu_flags; *flag != NULL; flag++)
    g_ptr_array_add (plan->cpu_props, g_strdup (*flag));

  return g_steal_pointer (&plan);
}
