/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "util.h"

#include <string.h>

#define BASE "name = db1\nram = 64G\nvcpus = 8\n"

typedef struct {
  const char *host;            /* test host name */
  BigvmKvmState kvm;           /* overrides the dump state when not FROM_DUMP */
  BigvmAccel accel;
  gboolean sparse;
  BigvmVersion version;        /* 0.0.0: the recorded 7.2.22 */
  gboolean no_reserve;         /* memory-backend-ram without "reserve" */
} Setup;

static BigvmPlan *
plan_for (const char *text, const Setup *setup, GError **error)
{
  g_autoptr (BigvmFlavor) flavor = test_flavor (text);
  g_autoptr (BigvmHost) host = test_host_new (setup->host != NULL ? setup->host : "intel-46");
  g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
  static GPtrArray *firmware;
  BigvmPlanOptions options = { .accel = setup->accel, .sparse_ram = setup->sparse, .nvram_dir = "/state/bigvm" };

  if (firmware == NULL)
    firmware = test_firmware_new ();  /* kept: plans point into it */
  if (setup->kvm != BIGVM_KVM_FROM_DUMP)
    {
      host->kvm = setup->kvm;
      g_free (host->kvm_detail);
      host->kvm_detail = g_strdup (setup->kvm == BIGVM_KVM_USABLE ? "/dev/kvm is usable"
                                   : "cannot open /dev/kvm: No such file or directory");
    }
  if (setup->version.major != 0)
    caps->version = setup->version;
  if (setup->no_reserve)
    caps->ram_reserve = FALSE;
  return bigvm_plan_new (flavor, host, caps, firmware, &options, error);
}

static char *
cpu_props (const BigvmPlan *plan)
{
  GString *s = g_string_new (plan->cpu_model);
  for (guint i = 0; i < plan->cpu_props->len; i++)
    g_string_append_printf (s, ",%s", (char *) plan->cpu_props->pdata[i]);
  return g_string_free (s, FALSE);
}

static void
assert_refused (const char *text, const Setup *setup, int code, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmPlan) plan = plan_for (text, setup, &error);

  ck_assert_msg (plan == NULL, "planned:\n%s", text);
  ck_assert_msg (g_error_matches (error, BIGVM_ERROR, code), "code %d: %s", error->code,
                 error->message);
  ck_assert_msg (g_str_equal (error->message, message), "\ngot:  %s\nwant: %s", error->message,
                 message);
}

START_TEST (test_accel_choice)
{
  static const struct { Setup setup; BigvmAccel want; } cases[] = {
    { { .host = "intel-46", .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_AUTO }, BIGVM_ACCEL_KVM },
    { { .host = "novirt-46", .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_AUTO }, BIGVM_ACCEL_TCG },
    { { .host = "novirt-46", .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_KVM }, BIGVM_ACCEL_KVM },
    { { .host = "intel-46", .kvm = BIGVM_KVM_USABLE, .accel = BIGVM_ACCEL_AUTO }, BIGVM_ACCEL_KVM },
    { { .host = "intel-46", .kvm = BIGVM_KVM_MISSING, .accel = BIGVM_ACCEL_AUTO }, BIGVM_ACCEL_TCG },
    { { .host = "intel-46", .kvm = BIGVM_KVM_USABLE, .accel = BIGVM_ACCEL_TCG }, BIGVM_ACCEL_TCG },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BigvmPlan) plan = plan_for (BASE, &cases[i].setup, &error);
      ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
      ck_assert_msg (plan->accel == cases[i].want, "case %zu", i);
      ck_assert_str_eq (plan->cpu_model, cases[i].want == BIGVM_ACCEL_KVM ? "host" : "max");
    }
}
END_TEST

START_TEST (test_kvm_unusable)
{
  Setup setup = { .host = "intel-46", .kvm = BIGVM_KVM_DENIED, .accel = BIGVM_ACCEL_KVM };
  assert_refused (BASE, &setup, BIGVM_ERROR_UNAVAILABLE,
                  "--accel=kvm: KVM is not usable here: cannot open /dev/kvm: No such file or directory");
}
END_TEST

START_TEST (test_emulate)
{
  static const struct { const char *extra; Setup setup; const char *cpu; } cases[] = {
    { "", { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG }, "max,phys-bits=42" },
    /* QEMU turns host-phys-bits on for host and max under KVM. */
    { "", { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_KVM },
      "host,host-phys-bits=off,phys-bits=42" },
    { "bigvm:cpu_model = max\n", { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_KVM },
      "max,host-phys-bits=off,phys-bits=42" },
    { "bigvm:cpu_model = Westmere\nbigvm:cpu_flags = +pdpe1gb\n",
      { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_KVM }, "Westmere,phys-bits=42,+pdpe1gb" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strconcat (BASE "hw:maxphysaddr_mode = emulate\n"
                                           "hw:maxphysaddr_bits = 42\n", cases[i].extra, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (BigvmPlan) plan = plan_for (text, &cases[i].setup, &error);
      ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
      g_autofree char *cpu = cpu_props (plan);
      ck_assert_str_eq (cpu, cases[i].cpu);
    }
}
END_TEST

START_TEST (test_emulate_above_host)
{
  Setup kvm = { .host = "intel-39", .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_KVM };
  Setup tcg = { .host = "intel-39", .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG };
  const char *text = BASE "hw:maxphysaddr_mode = emulate\nhw:maxphysaddr_bits = 42\n";
  g_autoptr (BigvmPlan) plan = NULL;

  assert_refused (text, &kvm, BIGVM_ERROR_UNAVAILABLE,
                  "test.flavor:5: hw:maxphysaddr_bits: 42 bits exceed the 39 the host CPU "
                  "supports (intel-39); under KVM a guest cannot have more");
  /* TCG emulates any width. */
  plan = plan_for (text, &tcg, NULL);
  ck_assert_ptr_nonnull (plan);
}
END_TEST

START_TEST (test_passthrough)
{
  const char *text = BASE "hw:maxphysaddr_mode = passthrough\n";
  Setup kvm = { .kvm = BIGVM_KVM_USABLE, .accel = BIGVM_ACCEL_AUTO };
  Setup tcg = { .kvm = BIGVM_KVM_MISSING, .accel = BIGVM_ACCEL_AUTO };
  g_autoptr (BigvmPlan) plan = plan_for (text, &kvm, NULL);
  g_autofree char *cpu = cpu_props (plan);

  ck_assert_str_eq (cpu, "host,host-phys-bits=on");
  assert_refused (text, &tcg, BIGVM_ERROR_UNAVAILABLE,
                  "test.flavor:4: hw:maxphysaddr_mode: passthrough needs KVM, and this guest "
                  "would run under TCG (--accel=auto: cannot open /dev/kvm: No such file or directory)");
  assert_refused (BASE "hw:maxphysaddr_mode = passthrough\nbigvm:cpu_model = EPYC\n", &kvm,
                  BIGVM_ERROR_FLAVOR,
                  "test.flavor:5: bigvm:cpu_model: hw:maxphysaddr_mode = passthrough needs the "
                  "host CPU model, not EPYC");
}
END_TEST

START_TEST (test_host_model_needs_kvm)
{
  Setup tcg = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG };
  assert_refused (BASE "bigvm:cpu_model = host\n", &tcg, BIGVM_ERROR_UNAVAILABLE,
                  "test.flavor:4: bigvm:cpu_model: the host CPU model needs KVM, and this "
                  "guest would run under TCG (--accel=tcg)");
}
END_TEST

START_TEST (test_qemu_versions)
{
  Setup no_reserve = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG, .sparse = TRUE,
                       .version = { 6, 0, 0 }, .no_reserve = TRUE };
  Setup reserve = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG, .sparse = TRUE,
                    .version = { 6, 1, 0 } };
  g_autoptr (BigvmPlan) plan = NULL;

  assert_refused (BASE, &no_reserve, BIGVM_ERROR_UNAVAILABLE,
                  "--sparse-ram: /usr/bin/qemu-system-x86_64 (QEMU 6.0.0) cannot map RAM without "
                  "reserving it: its memory-backend-ram has no reserve property (QEMU 6.1 and newer)");
  plan = plan_for (BASE, &reserve, NULL);
  ck_assert (plan != NULL && plan->sparse_ram);
}
END_TEST

START_TEST (test_uefi)
{
  Setup setup = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG };
  g_autoptr (BigvmPlan) plan = plan_for (BASE "hw_firmware_type = uefi\n", &setup, NULL);
  g_autoptr (BigvmPlan) own = plan_for (BASE "hw_firmware_type = uefi\nbigvm:nvram = /srv/db1.fd\n",
                                        &setup, NULL);
  g_autoptr (BigvmPlan) bios = plan_for (BASE, &setup, NULL);

  ck_assert_str_eq (plan->firmware->code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  ck_assert_str_eq (plan->nvram, "/state/bigvm/db1_VARS.fd");
  ck_assert_str_eq (own->nvram, "/srv/db1.fd");
  ck_assert_ptr_null (bios->firmware);
  ck_assert_ptr_null (bios->nvram);

  assert_refused ("name = a/b\nram = 64G\nvcpus = 8\nhw_firmware_type = uefi\n", &setup,
                  BIGVM_ERROR_FLAVOR,
                  "test.flavor:1: name: contains '/', so it cannot name the guest's UEFI "
                  "variable file; set bigvm:nvram");
  assert_refused (BASE "hw_firmware_type = uefi\nhw_machine_type = microvm\n", &setup,
                  BIGVM_ERROR_FLAVOR,
                  "test.flavor:5: hw_machine_type: bigvm plans pc-q35 and pc-i440fx machine "
                  "types (q35, pc), not microvm");

  /* No descriptor at all. */
  g_autoptr (BigvmFlavor) flavor = test_flavor (BASE "hw_firmware_type = uefi\n");
  g_autoptr (BigvmHost) host = test_host_new ("intel-46");
  g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  BigvmPlanOptions options = { .accel = BIGVM_ACCEL_TCG, .nvram_dir = "/state/bigvm" };
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (bigvm_plan_new (flavor, host, caps, none, &options, &error));
  ck_assert_str_eq (error->message,
                    "test.flavor:4: hw_firmware_type: no QEMU firmware descriptor offers UEFI "
                    "for x86_64 pc-q35-7.2 without SMM or Secure Boot (install ovmf)");
}
END_TEST

/* What a host with 1060 free 1 GiB pages (540 on node 0, 520 on node 1)
 * and 1.1 TiB available can hold (tests/data/sysroot/epyc-2node). */
START_TEST (test_capacity)
{
  static const struct { const char *flavor; gboolean sparse; const char *finding; } cases[] = {
    { "ram = 1T\nhw:mem_page_size = 1GB\n", FALSE, NULL },
    { "ram = 1100G\nhw:mem_page_size = 1GB\n", FALSE,
      "test.flavor:3: hw:mem_page_size: 1100 pages of 1 GiB needed, 1060 free on this host" },
    { "ram = 1T\nhw:mem_page_size = 1GB\nhw:numa_nodes = 2\nbigvm:numa_host_nodes.0 = 1\n"
      "bigvm:numa_host_nodes.1 = 1\n", FALSE,
      "test.flavor:5: bigvm:numa_host_nodes.0: guest nodes 0,1 need 1024 pages of 1 GiB, "
      "their host nodes have 520 free" },
    { "ram = 1042G\nhw:mem_page_size = 1GB\nhw:numa_nodes = 2\nbigvm:numa_host_nodes.0 = 0\n"
      "bigvm:numa_host_nodes.1 = 1\n", FALSE,
      "test.flavor:6: bigvm:numa_host_nodes.1: guest node 1 needs 521 pages of 1 GiB, its host "
      "nodes have 520 free" },
    { "ram = 2T\n", FALSE,
      "test.flavor:2: ram: 2 TiB is more than the 1.1 TiB this host has available (use huge "
      "pages, or --sparse-ram to map it without reserving it)" },
    { "ram = 2T\n", TRUE, NULL },
    /* Sparse RAM still writes QEMU's dirty-page bitmaps: 96 MiB a TiB. */
    { "ram = 4T\n", TRUE, NULL },
    { "ram = 4T\n", TRUE, "SMALL" },
  };
  g_autofree char *root = g_build_filename (test_srcdir (), "data", "sysroot", "epyc-2node", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strconcat ("name = c\n", cases[i].flavor,
                                           "vcpus = 8\nhw:maxphysaddr_mode = emulate\n"
                                           "hw:maxphysaddr_bits = 43\n", NULL);
      g_autoptr (BigvmFlavor) flavor = test_flavor (text);
      g_autoptr (BigvmHost) host = test_host_new ("amd-48");
      g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
      g_autoptr (GPtrArray) firmware = test_firmware_new ();
      BigvmPlanOptions options = { .accel = BIGVM_ACCEL_KVM, .sparse_ram = cases[i].sparse,
                                   .nvram_dir = "/state" };
      g_autoptr (GError) error = NULL;

      bigvm_host_read_system (host, root);
      const char *finding = cases[i].finding;
      if (g_strcmp0 (finding, "SMALL") == 0)
        {
          host->mem_available = 256 * BIGVM_MiB;
          finding = "test.flavor:2: ram: 4 TiB of sparse RAM still takes 384 MiB of host memory "
                    "for QEMU's dirty-page bitmaps, more than the 256 MiB this host has available";
        }
      g_autoptr (BigvmPlan) plan = bigvm_plan_new (flavor, host, caps, firmware, &options, &error);
      ck_assert_msg (plan != NULL, "case %zu: %s", i, error ? error->message : "");
      gboolean fits = bigvm_plan_check_capacity (plan, flavor, host, &error);
      if (finding == NULL)
        ck_assert_msg (fits, "case %zu: %s", i, error ? error->message : "");
      else
        {
          ck_assert_msg (!fits, "case %zu fits", i);
          ck_assert_msg (strstr (error->message, finding) != NULL, "case %zu: %s", i,
                         error->message);
        }
    }
}
END_TEST

/* Strict overcommit: the kernel reserves what QEMU maps, sparse or not. */
START_TEST (test_sparse_strict_overcommit)
{
  g_autoptr (BigvmFlavor) flavor = test_flavor (BASE);
  g_autoptr (BigvmHost) host = test_host_new ("intel-46");
  g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
  g_autoptr (GPtrArray) firmware = g_ptr_array_new ();
  BigvmPlanOptions options = { .accel = BIGVM_ACCEL_TCG, .sparse_ram = TRUE, .nvram_dir = "/s" };
  g_autoptr (GError) error = NULL;

  host->has_memory = TRUE;
  host->overcommit_memory = 2;
  g_autoptr (BigvmPlan) plan = bigvm_plan_new (flavor, host, caps, firmware, &options, &error);
  ck_assert_ptr_null (plan);
  ck_assert_str_eq (error->message, "--sparse-ram: this host's vm.overcommit_memory is 2 "
                    "(strict), under which QEMU cannot map RAM without reserving it");
}
END_TEST

/* Nova's even split (nova/virt/hardware.py _get_numa_topology_auto). */
START_TEST (test_numa_even_split)
{
  Setup setup = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG };
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmPlan) plan = plan_for (BASE "hw:numa_nodes = 2\n", &setup, &error);

  ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
  ck_assert (plan->numa);
  ck_assert_uint_eq (plan->mem_backends->len, 2);
  for (guint n = 0; n < 2; n++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[n];
      ck_assert_uint_eq (backend->size, 32 * BIGVM_GiB);
      ck_assert_uint_eq (backend->cpus->len, 4);
      ck_assert_uint_eq (g_array_index (backend->cpus, guint, 0), 4 * n);
    }
}
END_TEST

/* Nova's choices (nova/virt/hardware.py _get_desirable_cpu_topologies). */
START_TEST (test_topology)
{
  static const struct { const char *given; guint s, c, t; } cases[] = {
    { "", 0, 0, 0 },
    { "hw:cpu_sockets = 2\n", 2, 4, 1 },
    { "hw:cpu_cores = 2\n", 4, 2, 1 },
    { "hw:cpu_threads = 2\n", 4, 1, 2 },
    { "hw:cpu_sockets = 2\nhw:cpu_cores = 2\n", 2, 2, 2 },
    { "hw:cpu_sockets = 1\nhw:cpu_cores = 4\nhw:cpu_threads = 2\n", 1, 4, 2 },
  };
  Setup setup = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strconcat (BASE, cases[i].given, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (BigvmPlan) plan = plan_for (text, &setup, &error);
      ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
      ck_assert_msg (plan->sockets == cases[i].s && plan->cores == cases[i].c
                     && plan->threads == cases[i].t, "%s-> %u:%u:%u", cases[i].given,
                     plan->sockets, plan->cores, plan->threads);
    }
}
END_TEST

/* What the planner decides and cannot: refused with the flavor's key. */
static const struct { const char *text; const char *message; } undecidable[] = {
  { "name = x\nram = 1025M\nvcpus = 1\nhw:mem_page_size = 1GB\n",
    "test.flavor:4: hw:mem_page_size: ram is not a whole number of 1 GiB pages" },
  { BASE "hw:numa_nodes = 3\n",
    "test.flavor:4: hw:numa_nodes: 8 vCPUs and 65536 MiB do not split evenly over 3 nodes; "
    "assign them with hw:numa_cpus.N and hw:numa_mem.N" },
  { "name = x\nram = 4G\nvcpus = 2\nhw:mem_page_size = 2MB\nhw:numa_nodes = 2\n"
    "hw:numa_cpus.0 = 0\nhw:numa_mem.0 = 1025\nhw:numa_cpus.1 = 1\nhw:numa_mem.1 = 3071\n",
    "test.flavor:4: hw:mem_page_size: node 0's memory is not a whole number of 2 MiB pages" },
  { BASE "hw:cpu_sockets = 3\n",
    "test.flavor:4: hw:cpu_sockets: sockets x cores x threads cannot make 8 vCPUs with the values "
    "given" },
  { BASE "hw:cpu_sockets = 2\nhw:cpu_cores = 2\nhw:cpu_threads = 4\n",
    "test.flavor:4: hw:cpu_sockets: sockets x cores x threads cannot make 8 vCPUs with the values "
    "given" },
};

START_TEST (test_undecidable)
{
  Setup setup = { .kvm = BIGVM_KVM_FROM_DUMP, .accel = BIGVM_ACCEL_TCG };
  assert_refused (undecidable[_i].text, &setup, BIGVM_ERROR_FLAVOR, undecidable[_i].message);
}
END_TEST

Suite *
suite_plan (void)
{
  Suite *s = suite_create ("plan");
  TCase *tc = tcase_create ("decisions");
  tcase_add_test (tc, test_accel_choice);
  tcase_add_test (tc, test_kvm_unusable);
  tcase_add_test (tc, test_emulate);
  tcase_add_test (tc, test_emulate_above_host);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_host_model_needs_kvm);
  tcase_add_test (tc, test_qemu_versions);
  tcase_add_test (tc, test_uefi);
  tcase_add_test (tc, test_numa_even_split);
  tcase_add_test (tc, test_sparse_strict_overcommit);
  tcase_add_test (tc, test_topology);
  tcase_add_loop_test (tc, test_undecidable, 0, G_N_ELEMENTS (undecidable));
  tcase_add_test (tc, test_capacity);
  suite_add_tcase (s, tc);
  return s;
}
