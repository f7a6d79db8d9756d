/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The QMP recipe is QEMU 7.2's (migration/migration.c, docs/devel/
 * migration.rst), measured here: capabilities and parameters before
 * "migrate", query-migrate to follow it, migrate-start-postcopy when
 * precopy cannot finish, migrate_cancel to give up (the source runs on). */
#include "config.h"

#include "migrate.h"

#include "errors.h"
#include "json-in.h"
#include "qmp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* QEMU's default downtime limit (migration.c DEFAULT_MIGRATE_SET_DOWNTIME),
 * which bigvm keeps. */
#define DEFAULT_DOWNTIME_MS 300
/* How long one QMP command may take. */
#define COMMAND_TIMEOUT_S 30
/* Between two looks at the migration. */
#define SAMPLE_INTERVAL_MS 500
/* How long bigvm waits for a destination that does not listen yet: it
 * may still be starting (run --incoming). */
#define CONNECT_WAIT_S 10
/* The id of the TLS credentials bigvm gives QEMU. */
#define TLS_ID "bigvm-migrate-tls"

gboolean
bigvm_migrate_check_uri (const char *uri, const char *what, gboolean listen, GError **error)
{
  if (g_str_has_prefix (uri, "unix:"))
    {
      const char *path = uri + strlen ("unix:");
      if (path[0] == '/' && strlen (path) <= 107)
        return TRUE;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_USAGE,
                   "%s %s: unix: takes an absolute socket path of at most 107 bytes", what, uri);
      return FALSE;
    }
  if (g_str_has_prefix (uri, "tcp:"))
    {
      const char *colon = strrchr (uri + strlen ("tcp:"), ':');
      guint64 port;
      /* A listener may leave the host out (all addresses); a peer not. */
      gboolean host = colon != NULL && (colon > uri + strlen ("tcp:") || listen);
      if (host && bigvm_parse_uint (colon + 1, 1, 65535, &port, NULL))
        return TRUE;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_USAGE,
                   "%s %s: tcp: takes HOST:PORT, the port from 1 to 65535", what, uri);
      return FALSE;
    }
  g_autofree char *shown = bigvm_echo (uri);
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_USAGE,
               "%s %s: not unix:PATH or tcp:HOST:PORT", what, shown);
  return FALSE;
}

gboolean
bigvm_migrate_check_tls_dir (const char *dir, const char *endpoint, GError **error)
{
  const char *files[] = { "ca-cert.pem", g_str_equal (endpoint, "server") ? "server-cert.pem"
                                                                        : "client-cert.pem",
                          g_str_equal (endpoint, "server") ? "server-key.pem" : "client-key.pem" };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      if (access (path, R_OK) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                       "TLS: the %s needs %s: %s", endpoint, path, g_strerror (saved_errno));
          return FALSE;
        }
    }
  return TRUE;
}

char *
bigvm_migrate_lock_path (void)
{
  const char *dir = g_file_test ("/run/lock", G_FILE_TEST_IS_DIR) ? "/run/lock" : g_get_tmp_dir ();
  return g_build_filename (dir, "bigvm-migrate.lock", NULL);
}

void
bigvm_migrate_settings_init (BigvmMigrateSettings *s, const BigvmFlavor *flavor)
{
  if (s->tls_dir == NULL)
    s->tls_dir = flavor->migrate_tls_dir;
  if (s->bandwidth == 0)
    s->bandwidth = flavor->migrate_bandwidth;
  if (s->downtime_ms == 0)
    s->downtime_ms = flavor->migrate_downtime_ms != 0 ? flavor->migrate_downtime_ms
                                                       : DEFAULT_DOWNTIME_MS;
  s->qmp = flavor->qmp;
}

void
bigvm_migrate_sample_clear (BigvmMigrateSample *sample)
{
  g_clear_pointer (&sample->error, g_free);
}

static guint64
member_uint (JsonObject *o, const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;
  if (!bigvm_json_holds (node, G_TYPE_INT64)
      || json_node_get_int (node) < 0)
    return 0;
  return json_node_get_int (node);
}

static gint64
member_int_or (JsonObject *o, const char *name, gint64 absent)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;
  if (!bigvm_json_holds (node, G_TYPE_INT64))
    return absent;
  return json_node_get_int (node);
}

void
bigvm_migrate_sample_read (JsonNode *reply, BigvmMigrateSample *s)
{
  JsonObject *o = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply)
                                                                   : NULL;
  JsonNode *ram_node = o != NULL ? json_object_get_member (o, "ram") : NULL;
  JsonObject *ram = ram_node != NULL && JSON_NODE_HOLDS_OBJECT (ram_node)
                    ? json_node_get_object (ram_node) : NULL;
  JsonNode *status_node = o != NULL ? json_object_get_member (o, "status") : NULL;
  const char *status = bigvm_json_holds (status_node, G_TYPE_STRING)
                       ? json_node_get_string (status_node) : NULL;

  g_strlcpy (s->status, status != NULL ? status : "none", sizeof s->status);
  s->pass = member_uint (ram, "dirty-sync-count");
  s->total = member_uint (ram, "total");
  s->transferred = member_uint (ram, "transferred");
  s->remaining = member_uint (ram, "remaining");
  s->zero_pages = member_uint (ram, "duplicate");
  s->normal_pages = member_uint (ram, "normal");
  s->dirty_rate = member_uint (ram, "dirty-pages-rate");
  s->postcopy_requests = member_uint (ram, "postcopy-requests");
  JsonNode *mbps = ram != NULL ? json_object_get_member (ram, "mbps") : NULL;
  s->mbps = mbps != NULL && JSON_NODE_HOLDS_VALUE (mbps) ? json_node_get_double (mbps) : 0;
  s->expected_downtime_ms = member_int_or (o, "expected-downtime", -1);
  s->downtime_ms = member_int_or (o, "downtime", -1);
  s->total_time_ms = member_int_or (o, "total-time", -1);
  g_clear_pointer (&s->error, g_free);
  JsonNode *error_node = o != NULL ? json_object_get_member (o, "error-desc") : NULL;
  if (bigvm_json_holds (error_node, G_TYPE_STRING))
    s->error = g_strdup (json_node_get_string (error_node));
}

/* The first pass sends all of RAM: its expected downtime only echoes the
 * limit (migration.c: it is computed once a pass ends). */
gboolean
bigvm_migrate_not_converging (BigvmConvergence *c, const BigvmMigrateSample *s)
{
  if (!g_str_equal (s->status, "active") || s->pass < 2 || s->pass == c->last_pass)
    return FALSE;
  c->last_pass = s->pass;
  c->over_limit = s->expected_downtime_ms > (gint64) s->downtime_limit_ms ? c->over_limit + 1 : 0;
  return c->over_limit >= BIGVM_MIGRATE_SYNCS_BEFORE_POSTCOPY;
}

/* ---- talking to the source QEMU ---------------------------------------- */

static JsonNode *
command (BigvmQmp *qmp, const char *name, JsonObject *arguments, GError **error)
{
  bigvm_qmp_set_deadline (qmp, g_get_monotonic_time () + COMMAND_TIMEOUT_S * G_USEC_PER_SEC);
  return bigvm_qmp_execute (qmp, name, arguments, error);
}

static gboolean
command_ok (BigvmQmp *qmp, const char *name, JsonObject *arguments, GError **error)
{
  g_autoptr (JsonNode) reply = command (qmp, name, arguments, error);
  return reply != NULL;
}

/* The guest is there to move: running or paused, nothing blocking a
 * migration, none under way. */
static gboolean
check_source (BigvmQmp *qmp, GError **error)
{
  g_autoptr (JsonNode) status = command (qmp, "query-status", NULL, error);
  g_autoptr (JsonNode) migration = status != NULL ? command (qmp, "query-migrate", NULL, error)
                                                  : NULL;
  if (migration == NULL)
    return FALSE;
  g_auto (BigvmMigrateSample) run_state = { 0 };
  /* The same reading of a "status" member as query-migrate's. */
  bigvm_migrate_sample_read (status, &run_state);
  const char *state = run_state.status;
  if (!g_str_equal (state, "running") && !g_str_equal (state, "paused"))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "the guest is %s, not running or paused: there is nothing to move", state);
      return FALSE;
    }
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (migration) ? json_node_get_object (migration) : NULL;
  g_auto (BigvmMigrateSample) before = { 0 };
  bigvm_migrate_sample_read (migration, &before);
  const char *now = before.status;
  if ((g_str_equal (now, "setup") || g_str_equal (now, "active")
                      || g_str_has_prefix (now, "postcopy") || g_str_equal (now, "device")
                      || g_str_equal (now, "pre-switchover") || g_str_equal (now, "cancelling")))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "a migration of this guest is already %s", now);
      return FALSE;
    }
  /* query-migrate lists what blocks migration (qapi/migration.json
   * MigrationInfo blocked-reasons, QEMU 6.0 on). */
  JsonNode *blocked = o != NULL ? json_object_get_member (o, "blocked-reasons") : NULL;
  if (blocked != NULL && JSON_NODE_HOLDS_ARRAY (blocked)
      && json_array_get_length (json_node_get_array (blocked)) > 0)
    {
      GString *reasons = g_string_new (NULL);
      JsonArray *array = json_node_get_array (blocked);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          if (bigvm_json_holds (item, G_TYPE_STRING))
            g_string_append_printf (reasons, "\nQEMU: %s", json_node_get_string (item));
        }
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "QEMU cannot migrate this guest:%s", reasons->str);
      g_string_free (reasons, TRUE);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_up (BigvmQmp *qmp, const BigvmMigrateSettings *s, GError **error)
{
  if (s->tls_dir != NULL)
    {
      g_autoptr (JsonObject) del = json_object_new ();
      g_autoptr (JsonObject) add = json_object_new ();
      json_object_set_string_member (del, "id", TLS_ID);
      /* Left by an earlier attempt, maybe with another directory. */
      g_autoptr (JsonNode) ignored = command (qmp, "object-del", del, NULL);
      json_object_set_string_member (add, "qom-type", "tls-creds-x509");
      json_object_set_string_member (add, "id", TLS_ID);
      json_object_set_string_member (add, "dir", s->tls_dir);
      json_object_set_string_member (add, "endpoint", "client");
      json_object_set_boolean_member (add, "verify-peer", TRUE);
      if (!command_ok (qmp, "object-add", add, error))
        return FALSE;
    }

  /* postcopy with multifd completes, then aborts the destination
   * (util/yank.c assertion, QEMU 7.2): multifd is off, always. */
  static const char *const names[] = { "events", "return-path", "postcopy-ram", "multifd" };
  gboolean states[] = { TRUE, TRUE, s->postcopy, FALSE };
  g_autoptr (JsonObject) caps = json_object_new ();
  JsonArray *list = json_array_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonObject *cap = json_object_new ();
      json_object_set_string_member (cap, "capability", names[i]);
      json_object_set_boolean_member (cap, "state", states[i]);
      json_array_add_object_element (list, cap);
    }
  json_object_set_array_member (caps, "capabilities", list);
  if (!command_ok (qmp, "migrate-set-capabilities", caps, error))
    return FALSE;

  /* max-bandwidth 0 is no limit (qemu-file.c qemu_file_rate_limit()),
   * not QEMU's default of 128 MiB/s; "" turns TLS off. */
  g_autoptr (JsonObject) params = json_object_new ();
  json_object_set_int_member (params, "max-bandwidth", s->bandwidth);
  json_object_set_int_member (params, "downtime-limit", s->downtime_ms);
  json_object_set_string_member (params, "tls-creds", s->tls_dir != NULL ? TLS_ID : "");
  json_object_set_string_member (params, "tls-hostname", s->tls_hostname ?: "");
  return command_ok (qmp, "migrate-set-parameters", params, error);
}

/* One migration per source host: it owns the host's memory bandwidth,
 * and Nova serialises them too (nova/compute/manager.py). */
static int
open_lock (const char *path)
{
  /* Every user's migrations share the lock: made 0666 (the umask would
   * narrow it), never through a link; where it is another user's and the
   * kernel keeps O_CREAT off it (fs.protected_regular), read-only does
   * for flock(). */
  int fd = open (path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd >= 0)
        fchmod (fd, 0666);
      else if (errno == EEXIST)
        fd = open (path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    }
  if (fd < 0 && errno == EACCES)
    fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  return fd;
}

static int
take_lock (const char *path, BigvmMigrateNotice notice, gpointer data, GError **error)
{
  int fd = open_lock (path);

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "cannot open the migration "
                   "lock %s: %s", path, g_strerror (saved_errno));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      char holder[32] = "";
      ssize_t n = pread (fd, holder, sizeof holder - 1, 0);
      holder[MAX (n, 0)] = '\0';
      g_strstrip (holder);
      g_autofree char *message = g_strdup_printf ("another migration from this host is under way"
                                                  "%s%s; waiting for it to end (%s)",
                                                  *holder != '\0' ? ", bigvm PID " : "", holder,
                                                  path);
      notice (message, data);
      while (flock (fd, LOCK_EX) < 0 && errno == EINTR)
        ;
    }
  /* Who holds it, for the next one to say; a read-only lock cannot. */
  char pid[32];
  int len = g_snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
  if (ftruncate (fd, 0) == 0)
    (void) !pwrite (fd, pid, len, 0);
  return fd;
}

static void
sleep_ms (guint ms)
{
  g_usleep ((gulong) ms * 1000);
}

/* Cancels, and waits until QEMU says where the guest runs: the status
 * the migration settled in ("cancelled", "failed", or "completed" when it
 * finished before the cancel took), or NULL when QEMU did not say. */
static char *
cancel (BigvmQmp *qmp)
{
  g_autoptr (JsonNode) ignored = command (qmp, "migrate_cancel", NULL, NULL);
  for (int i = 0; i < 100; i++)
    {
      g_auto (BigvmMigrateSample) s = { 0 };
      g_autoptr (JsonNode) reply = command (qmp, "query-migrate", NULL, NULL);
      if (reply == NULL)
        return NULL;
      bigvm_migrate_sample_read (reply, &s);
      if (g_str_equal (s.status, "cancelled") || g_str_equal (s.status, "failed")
          || g_str_equal (s.status, "completed"))
        return g_strdup (s.status);
      sleep_ms (100);
    }
  return NULL;
}

/* The end of a migration that completed: the figures QEMU fills in just
 * after the state changes (migration.c migration_calculate_complete()),
 * as far as it gives them. */
static void
completed (BigvmQmp *qmp, BigvmMigrateSample *sample, gint64 start,
           BigvmMigrateProgress progress, gpointer data, BigvmMigrateResult *result)
{
  for (int i = 0; i < 20 && sample->downtime_ms <= 0; i++)
    {
      sleep_ms (50);
      g_autoptr (JsonNode) again = command (qmp, "query-migrate", NULL, NULL);
      if (again == NULL)
        break;
      bigvm_migrate_sample_read (again, sample);
    }
  sample->elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  progress (sample, data);
  result->total_time_ms = sample->total_time_ms;
  result->downtime_ms = sample->downtime_ms;
  result->transferred = sample->transferred;
}

/* Gives up on a migration in precopy: cancels it, unless it completed
 * meanwhile (then TRUE: the guest runs there). */
static gboolean
give_up (BigvmQmp *qmp, GError **error, const char *why)
{
  g_autofree char *status = cancel (qmp);

  if (g_strcmp0 (status, "completed") == 0)
    return TRUE;
  if (status == NULL)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "%s, and QEMU did not say whether "
                 "the cancel took: see where the guest runs (query-migrate, query-status) "
                 "before anything else", why);
  else
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s: cancelled; the guest runs "
                 "on here", why);
  return FALSE;
}

/* Follows the migration to its end. */
static gboolean
follow (BigvmQmp *qmp, const BigvmMigrateSettings *s, BigvmMigrateProgress progress, gpointer data,
        BigvmMigrateResult *result, GError **error)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = s->timeout_s != 0 ? start + (gint64) s->timeout_s * G_USEC_PER_SEC : G_MAXINT64;
  BigvmConvergence convergence = { 0 };
  g_auto (BigvmMigrateSample) sample = { 0 };

  for (;; sleep_ms (SAMPLE_INTERVAL_MS))
    {
      g_autoptr (GError) query_error = NULL;
      g_autoptr (JsonNode) reply = command (qmp, "query-migrate", NULL, &query_error);
      if (reply == NULL)
        {
          /* Nobody would watch a migration that goes on: stop it if QEMU
           * still listens. */
          g_autofree char *why = g_strdup_printf ("bigvm lost the source QEMU during the "
                                                  "migration (%s)", query_error->message);
          if (give_up (qmp, error, why))
            continue;
          return FALSE;
        }
      bigvm_migrate_sample_read (reply, &sample);
      sample.elapsed_ms = (g_get_monotonic_time () - start) / 1000;
      sample.downtime_limit_ms = s->downtime_ms;
      if (g_str_equal (sample.status, "completed"))
        {
          completed (qmp, &sample, start, progress, data, result);
          return TRUE;
        }
      if (g_str_equal (sample.status, "failed") || g_str_equal (sample.status, "cancelled"))
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                       "the migration %s: %s; the guest runs on here (the destination QEMU's "
                       "standard error holds the rest: here QEMU often sees only a broken pipe)",
                       sample.status, sample.error != NULL ? sample.error : "no reason given");
          return FALSE;
        }
      if (g_str_has_prefix (sample.status, "postcopy-paused")
          || g_str_has_prefix (sample.status, "postcopy-recover"))
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL,
                       "the migration broke in postcopy (%s): the guest is stopped here and its "
                       "memory is split between both hosts; only migrate-recover on the "
                       "destination and migrate with resume can bring it back",
                       sample.status);
          return FALSE;
        }
      if (g_str_equal (sample.status, "postcopy-active"))
        result->postcopy = TRUE;
      progress (&sample, data);

      /* Postcopy cannot be undone: the guest runs there already. */
      if (g_get_monotonic_time () >= deadline && !result->postcopy)
        {
          g_autofree char *why = g_strdup_printf ("the migration did not end within %u s",
                                                  s->timeout_s);
          if (give_up (qmp, error, why))
            continue;
          return FALSE;
        }
      if (s->postcopy && !result->postcopy && bigvm_migrate_not_converging (&convergence, &sample))
        {
          g_autoptr (GError) postcopy_error = NULL;
          if (command_ok (qmp, "migrate-start-postcopy", NULL, &postcopy_error))
            result->postcopy = TRUE;
          else if (!give_up (qmp, error, postcopy_error->message))
            return FALSE;
        }
    }
}

/* Everything from the setup on, under the lock. */
static gboolean
migrate_locked (BigvmQmp *qmp, const BigvmMigrateSettings *s, BigvmMigrateProgress progress,
                gpointer data, BigvmMigrateResult *result, GError **error)
{
  g_autoptr (JsonObject) arguments = json_object_new ();

  /* The wait may have been long: the guest may be gone or moved. */
  if (!check_source (qmp, error) || !set_up (qmp, s, error))
    return FALSE;
  json_object_set_string_member (arguments, "uri", s->uri);
  gint64 connect_until = g_get_monotonic_time () + CONNECT_WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      if (!command_ok (qmp, "migrate", arguments, error))
        return FALSE;
      if (follow (qmp, s, progress, data, result, &local_error))
        break;
      /* migration.c: "Failed to connect to ..." before a byte moved. */
      if (strstr (local_error->message, ": Failed to connect to ") == NULL
          || g_get_monotonic_time () >= connect_until)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      sleep_ms (SAMPLE_INTERVAL_MS);
    }
  /* The guest runs there: this QEMU has nothing left to do. */
  g_autoptr (JsonNode) quit = command (qmp, "quit", NULL, NULL);
  return TRUE;
}

gboolean
bigvm_migrate (const BigvmMigrateSettings *s, BigvmMigrateProgress progress,
               BigvmMigrateNotice notice, gpointer data, BigvmMigrateResult *result,
               GError **error)
{
  g_autoptr (BigvmQmp) qmp = NULL;

  memset (result, 0, sizeof *result);
  if (s->tls_dir != NULL && !bigvm_migrate_check_tls_dir (s->tls_dir, "client", error))
    return FALSE;
  if (s->tls_dir != NULL && s->tls_hostname == NULL && g_str_has_prefix (s->uri, "unix:"))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_USAGE,
                   "TLS over %s needs --tls-hostname: the name the destination's certificate "
                   "holds (a unix: URI has no host to check)", s->uri);
      return FALSE;
    }
  qmp = bigvm_qmp_connect (s->qmp, g_get_monotonic_time () + COMMAND_TIMEOUT_S * G_USEC_PER_SEC,
                           error);
  if (qmp == NULL || !check_source (qmp, error))
    return FALSE;
  int lock = take_lock (s->lock_path, notice, data, error);
  if (lock < 0)
    return FALSE;
  gboolean ok = migrate_locked (qmp, s, progress, data, result, error);
  close (lock);
  return ok;
}
