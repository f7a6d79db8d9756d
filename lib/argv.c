/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "argv.h"

#include "util.h"

#include <json-glib/json-glib.h>
#include <string.h>

static void
add_args (GPtrArray *argv, ...) G_GNUC_NULL_TERMINATED;

static void
add_args (GPtrArray *argv, ...)
{
  va_list args;
  const char *arg;

  va_start (args, argv);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
}

static void
add_option_printf (GPtrArray *argv, const char *option, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static void
add_option_printf (GPtrArray *argv, const char *option, const char *format, ...)
{
  va_list args;

  g_ptr_array_add (argv, g_strdup (option));
  va_start (args, format);
  g_ptr_array_add (argv, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
add_cpu (GPtrArray *argv, const BigvmPlan *plan)
{
  GString *cpu = g_string_new (plan->cpu_model);

  for (guint i = 0; i < plan->cpu_props->len; i++)
    g_string_append_printf (cpu, ",%s", (const char *) plan->cpu_props->pdata[i]);
  g_ptr_array_add (argv, g_strdup ("-cpu"));
  g_ptr_array_add (argv, g_string_free (cpu, FALSE));
}

/* Guest RAM through an explicit backend, so its size and how the host
 * provides it are stated, not left to -m's defaults. */
static void
add_memory (GPtrArray *argv, const BigvmPlan *plan)
{
  g_autofree char *ram = bigvm_format_size (plan->ram_bytes);

  if (plan->maxmem_bytes != 0)
    {
      g_autofree char *maxmem = bigvm_format_size (plan->maxmem_bytes);
      add_option_printf (argv, "-m", "size=%s,slots=%u,maxmem=%s", ram,
                         plan->mem_slots, maxmem);
    }
  else
    add_option_printf (argv, "-m", "size=%s", ram);
  add_option_printf (argv, "-object", "memory-backend-ram,id=ram0,size=%s%s", ram,
                     plan->sparse_ram ? ",reserve=off" : "");
}

static void
add_firmware (GPtrArray *argv, const BigvmPlan *plan)
{
  g_autofree char *code = NULL;
  g_autofree char *nvram = NULL;

  if (plan->firmware == NULL)
    return;
  code = bigvm_qemu_opt_escape (plan->firmware->code);
  nvram = bigvm_qemu_opt_escape (plan->nvram);
  add_option_printf (argv, "-drive", "if=pflash,unit=0,format=%s,readonly=on,file=%s",
                     plan->firmware->code_format, code);
  add_option_printf (argv, "-drive", "if=pflash,unit=1,format=%s,file=%s",
                     plan->firmware->vars_format, nvram);
}

GPtrArray *
bigvm_argv_build (const BigvmPlan *plan, const char *qemu_path,
                  const char *const *extra)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name = bigvm_qemu_opt_escape (plan->name);

  g_ptr_array_add (argv, g_strdup (qemu_path));
  /* Nothing from /etc/qemu or QEMU's default devices: the command line is
   * the whole guest. */
  add_args (argv, "-no-user-config", "-nodefaults", NULL);
  add_option_printf (argv, "-name", "guest=%s", name);
  add_option_printf (argv, "-machine", "%s,memory-backend=ram0", plan->machine);
  add_args (argv, "-accel", bigvm_accel_name (plan->accel), NULL);
  add_cpu (argv, plan);
  add_option_printf (argv, "-smp", "%u", plan->vcpus);
  add_memory (argv, plan);
  add_firmware (argv, plan);
  /* A launcher in a terminal or under a supervisor: the serial console on
   * stdio with the monitor muxed (Ctrl-A c), no window. */
  add_args (argv, "-display", "none", "-serial", "mon:stdio", NULL);

  for (const char *const *arg = extra; arg != NULL && *arg != NULL; arg++)
    g_ptr_array_add (argv, g_strdup (*arg));
  return argv;
}

/* Words made only of these need no quoting: flatpak's
 * flatpak_argument_needs_quoting() rule without '~', which a shell expands
 * at the start of a word, plus ',' '+' '@' '%', which it never expands. */
static gboolean
needs_quoting (const char *word)
{
  if (*word == '\0')
    return TRUE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-/:._=,+@%", *p) == NULL)
      return TRUE;
  return FALSE;
}

char *
bigvm_argv_to_shell (const GPtrArray *argv)
{
  GString *line = g_string_new (NULL);

  for (guint i = 0; i < argv->len; i++)
    {
      const char *word = argv->pdata[i];
      if (i > 0)
        g_string_append_c (line, ' ');
      if (needs_quoting (word))
        {
          g_autofree char *quoted = g_shell_quote (word);
          g_string_append (line, quoted);
        }
      else
        g_string_append (line, word);
    }
  return g_string_free (line, FALSE);
}

static void
add_string_array (JsonBuilder *builder, const char *member, const GPtrArray *strings)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < strings->len; i++)
    json_builder_add_string_value (builder, strings->pdata[i]);
  json_builder_end_array (builder);
}

char *
bigvm_argv_to_json (const GPtrArray *argv, const GPtrArray *warnings)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_string_array (builder, "argv", argv);
  add_string_array (builder, "warnings", warnings);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}
