/* bigvm: moving a running guest to another QEMU, from the source side,
 * over the guest's own QMP monitor: checked before a byte moves,
 * postcopy when precopy cannot finish, TLS, and the source left running
 * whenever the move fails.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "flavor.h"

#include <glib.h>
#include <json-glib/json-glib.h>

/* "unix:/PATH" (a socket name of at most 107 bytes) or "tcp:HOST:PORT",
 * HOST optional to LISTEN ("tcp::4444": every address); anything else is
 * BIGVM_ERROR_USAGE naming WHAT ("URI", "--incoming"). */
gboolean bigvm_migrate_check_uri (const char *uri, const char *what, gboolean listen,
                                  GError **error);

/* The files QEMU's tls-creds-x509 reads from DIR for ENDPOINT ("server"
 * or "client": crypto/tlscredsx509.h), each checked to be readable;
 * BIGVM_ERROR_UNAVAILABLE naming the first that is not. */
gboolean bigvm_migrate_check_tls_dir (const char *dir, const char *endpoint, GError **error);

typedef struct {
  const char *qmp;             /* the running guest's QMP socket */
  const char *uri;
  const char *tls_dir;         /* NULL: no TLS */
  const char *tls_hostname;    /* NULL: the URI's host */
  guint64 bandwidth;           /* bytes per second; 0: unlimited */
  guint downtime_ms;
  gboolean postcopy;           /* switch when precopy does not converge */
  guint timeout_s;             /* 0: none */
  const char *lock_path;       /* one migration at a time per source host */
} BigvmMigrateSettings;

/* Where the host's migration lock is: /run/lock, or the temporary
 * directory where there is none. */
char *bigvm_migrate_lock_path (void);

/* The settings for FLAVOR: each from the command line when given there
 * (non-NULL / non-zero), else the flavor's bigvm:migrate_* key, else the
 * default (no TLS, unlimited bandwidth, 300 ms, postcopy auto). */
void bigvm_migrate_settings_init (BigvmMigrateSettings *settings, const BigvmFlavor *flavor);

/* One look at the migration (query-migrate on the source). */
typedef struct {
  gint64 elapsed_ms;           /* since bigvm started it */
  char status[32];             /* QEMU's MigrationStatus: active, postcopy-active, ... */
  guint64 pass;                /* dirty-sync-count: 1 for the first full pass */
  guint64 total, transferred, remaining;   /* bytes */
  guint64 zero_pages, normal_pages;        /* QEMU's duplicate and normal */
  guint64 dirty_rate;          /* pages per second */
  double mbps;                 /* megabits per second */
  gint64 expected_downtime_ms; /* -1 when QEMU gives none */
  guint downtime_limit_ms;
  guint64 postcopy_requests;
  gint64 downtime_ms;          /* once completed; -1 before */
  gint64 total_time_ms;
  char *error;                 /* error-desc, when failed */
} BigvmMigrateSample;

void bigvm_migrate_sample_clear (BigvmMigrateSample *sample);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BigvmMigrateSample, bigvm_migrate_sample_clear)

/* Reads REPLY, query-migrate's return value, into SAMPLE (pure). */
void bigvm_migrate_sample_read (JsonNode *reply, BigvmMigrateSample *sample);

/* The postcopy switch: precopy does not converge when QEMU's expected
 * downtime stays above the limit for SYNCS dirty syncs in a row after the
 * first full pass (pure; call once per sample). */
typedef struct {
  guint64 last_pass;
  guint over_limit;
} BigvmConvergence;

#define BIGVM_MIGRATE_SYNCS_BEFORE_POSTCOPY 2

gboolean bigvm_migrate_not_converging (BigvmConvergence *state, const BigvmMigrateSample *sample);

typedef void (*BigvmMigrateProgress) (const BigvmMigrateSample *sample, gpointer data);
typedef void (*BigvmMigrateNotice) (const char *message, gpointer data);

typedef struct {
  gboolean postcopy;           /* it finished in postcopy */
  gint64 total_time_ms, downtime_ms;
  guint64 transferred;
} BigvmMigrateResult;

/* Migrates the guest: checks it (running, nothing blocking migration, no
 * migration already under way), waits for the host's migration lock
 * (saying so through NOTICE), sets QEMU up (TLS, capabilities without
 * multifd, bandwidth, downtime limit), starts it and reports a sample
 * through PROGRESS about every half second until it ends.  On success the
 * source QEMU is told to quit.  On failure or timeout it is cancelled
 * where it can be and the guest runs on here: BIGVM_ERROR_UNAVAILABLE
 * with QEMU's reason; a guest frozen between the hosts in postcopy is
 * BIGVM_ERROR_INTERNAL. */
gboolean bigvm_migrate (const BigvmMigrateSettings *settings, BigvmMigrateProgress progress,
                        BigvmMigrateNotice notice, gpointer data, BigvmMigrateResult *result,
                        GError **error);
