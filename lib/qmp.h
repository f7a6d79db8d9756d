/* bigvm: a minimal QMP client for probing QEMU (docs/interop/qmp-spec).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct BigvmQmp BigvmQmp;

/* Starts ARGV (which must include "-qmp stdio"), reads the greeting and
 * leaves capabilities negotiation.  Everything, up to bigvm_qmp_close(),
 * must finish by DEADLINE (g_get_monotonic_time() microseconds); past it
 * QEMU is killed.  Failures are BIGVM_ERROR_UNAVAILABLE and say what QEMU
 * did (exited, crashed, hung, spoke something else), with the end of its
 * stderr. */
BigvmQmp *bigvm_qmp_start (const char *const *argv, gint64 deadline, GError **error);

/* Starts ARGV, which must include "-qmp unix:SOCKET_PATH,server=on,wait=off",
 * with stdin and stdout on /dev/null, and speaks QMP over that socket.
 * Otherwise as bigvm_qmp_start(). */
BigvmQmp *bigvm_qmp_start_socket (const char *const *argv, const char *socket_path,
                                  gint64 deadline, GError **error);

/* Speaks QMP with the QEMU already listening on SOCKET_PATH (a guest's
 * own monitor).  Closing it closes the connection only: that QEMU runs
 * on. */
BigvmQmp *bigvm_qmp_connect (const char *socket_path, gint64 deadline, GError **error);

/* Moves the deadline of what follows. */
void bigvm_qmp_set_deadline (BigvmQmp *qmp, gint64 deadline);

int bigvm_qmp_pid (const BigvmQmp *qmp);

/* Runs COMMAND with ARGUMENTS (a JSON object, or NULL) and returns the
 * "return" value. */
JsonNode *bigvm_qmp_execute (BigvmQmp *qmp, const char *command, JsonObject *arguments,
                             GError **error);

/* Asks QEMU to quit, waits for it until the deadline, kills it after. */
void bigvm_qmp_close (BigvmQmp *qmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmQmp, bigvm_qmp_close)

/* One line QEMU sent, classified (pure).  An event sets *RET_EVENT; a
 * reply sets *RET_RETURN, or fails with the QMP error it carries; anything
 * else fails too. */
gboolean bigvm_qmp_parse_line (const char *line, gsize len, gboolean *ret_event,
                               JsonNode **ret_return, GError **error);
