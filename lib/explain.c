/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "explain.h"

#include "json-out.h"
#include "util.h"

static char *
hex (guint64 value)
{
  return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", value);
}

static const char *
region_what (const BigvmPlan *plan, const BigvmRegion *region)
{
  if (region->kind == BIGVM_REGION_RAM_HIGH && plan->layout->amd_relocated)
    return "RAM above 4 GiB, moved to 1 TiB";
  return bigvm_region_name (region->kind);
}

static const char *
mode_name (const BigvmPlan *plan)
{
  for (guint i = 0; i < plan->cpu_props->len; i++)
    {
      const char *prop = plan->cpu_props->pdata[i];
      if (g_str_has_prefix (prop, "phys-bits="))
        return "hw:maxphysaddr_mode = emulate";
      if (g_str_equal (prop, "host-phys-bits=on"))
        return "hw:maxphysaddr_mode = passthrough";
    }
  return "CPU model default";
}

char *
bigvm_explain_text (const BigvmPlan *plan)
{
  GString *out = g_string_new (NULL);
  g_autofree char *ram = bigvm_format_size_human (plan->ram_bytes);
  g_autofree char *max_gpa = hex (plan->layout->max_gpa);
  gint headroom = (gint) plan->guest_phys_bits - (gint) plan->min_phys_bits;

  g_string_append_printf (out, "%s: %s RAM, machine %s, CPU %s (%s%s), %s\n\n", plan->name, ram,
                          plan->machine, plan->cpu_model,
                          bigvm_cpu_vendor_name (plan->guest_vendor),
                          plan->guest_pdpe1gb ? ", 1 GiB pages" : "",
                          plan->accel == BIGVM_ACCEL_KVM ? "KVM" : "TCG");
  g_string_append_printf (out, "  %-16s %-16s %-10s %s\n", "START", "END", "SIZE", "REGION");
  for (guint i = 0; i < plan->layout->regions->len; i++)
    {
      const BigvmRegion *r = &g_array_index (plan->layout->regions, BigvmRegion, i);
      g_autofree char *start = hex (r->start);
      g_autofree char *end = hex (r->start + r->size - 1);
      g_autofree char *size = bigvm_format_size_exact (r->size);
      g_string_append_printf (out, "  %-16s %-16s %-10s %s\n", start, end, size,
                              region_what (plan, r));
    }
  g_string_append_c (out, '\n');
  g_string_append_printf (out, "  %-28s %s: %u bits\n", "highest address QEMU uses", max_gpa,
                          plan->qemu_min_bits);
  if (plan->firmware_min_bits != 0)
    {
      g_autofree char *start = hex (plan->ovmf.window_start);
      g_autofree char *end = hex (plan->ovmf.window_end - 1);
      BigvmOvmfView without;
      bigvm_ovmf_view (plan->layout, plan->firmware_min_bits, plan->guest_vendor, FALSE, &without);
      g_string_append_printf (out, "  %-28s %u bits%s\n", "what OVMF needs",
                              plan->firmware_min_bits,
                              without.fits ? "" : " and 1 GiB pages");
      g_string_append_printf (out, "  %-28s %s-%s\n", "OVMF's 64-bit PCI window", start, end);
    }
  g_string_append_printf (out, "  %-28s %u\n", "bits needed", plan->min_phys_bits);
  g_string_append_printf (out, "  %-28s %u (%s)\n", "bits the guest gets",
                          plan->guest_phys_bits, mode_name (plan));
  if (headroom >= 0)
    {
      g_autofree char *space = bigvm_format_size_human (G_GUINT64_CONSTANT (1) << plan->guest_phys_bits);
      g_string_append_printf (out, "  %-28s %d bit%s (the guest addresses %s)\n", "headroom",
                              headroom, headroom == 1 ? "" : "s", space);
    }
  else
    g_string_append_printf (out, "  %-28s none: %d bit%s short\n", "headroom", -headroom,
                            headroom == -1 ? "" : "s");
  return g_string_free (out, FALSE);
}

static void
add_hex (JsonBuilder *b, const char *member, guint64 value)
{
  g_autofree char *text = hex (value);
  bigvm_json_add_string (b, member, text);
}

char *
bigvm_explain_json (const BigvmPlan *plan, const GPtrArray *warnings, const GError *refusal)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  bigvm_json_add_string (b, "name", plan->name);
  bigvm_json_add_string (b, "machine", plan->machine);
  bigvm_json_add_string (b, "cpu_model", plan->cpu_model);
  bigvm_json_add_string (b, "cpu_vendor", bigvm_cpu_vendor_name (plan->guest_vendor));
  bigvm_json_add_string (b, "accel", bigvm_accel_name (plan->accel));
  bigvm_json_add_int (b, "ram", plan->ram_bytes);
  json_builder_set_member_name (b, "regions");
  json_builder_begin_array (b);
  for (guint i = 0; i < plan->layout->regions->len; i++)
    {
      const BigvmRegion *r = &g_array_index (plan->layout->regions, BigvmRegion, i);
      json_builder_begin_object (b);
      add_hex (b, "start", r->start);
      add_hex (b, "end", r->start + r->size - 1);
      bigvm_json_add_int (b, "size", r->size);
      bigvm_json_add_string (b, "what", region_what (plan, r));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  add_hex (b, "max_gpa", plan->layout->max_gpa);
  bigvm_json_add_int (b, "qemu_min_phys_bits", plan->qemu_min_bits);
  json_builder_set_member_name (b, "firmware_window");
  if (plan->firmware_min_bits != 0)
    {
      json_builder_begin_object (b);
      add_hex (b, "start", plan->ovmf.window_start);
      add_hex (b, "end", plan->ovmf.window_end - 1);
      bigvm_json_add_int (b, "min_phys_bits", plan->firmware_min_bits);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  bigvm_json_add_int (b, "min_phys_bits", plan->min_phys_bits);
  bigvm_json_add_int (b, "guest_phys_bits", plan->guest_phys_bits);
  bigvm_json_add_int (b, "headroom_bits",
                      (gint64) plan->guest_phys_bits - (gint64) plan->min_phys_bits);
  bigvm_json_add_string (b, "refused", refusal != NULL ? refusal->message : NULL);
  bigvm_json_add_strings (b, "warnings", (const char *const *) warnings->pdata, warnings->len);
  json_builder_end_object (b);
  return bigvm_json_to_string (b);
}
