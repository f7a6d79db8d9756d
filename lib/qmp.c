/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qmp.h"

#include "errors.h"
#include "json-in.h"
#include "json-out.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The largest single QMP line bigvm accepts (query-qmp-schema, which bigvm
 * does not ask for, is 200 KiB; query-cpu-definitions 50 KiB). */
#define MAX_LINE (4 * 1024 * 1024)
/* How much of QEMU's stderr an error message quotes. */
#define STDERR_TAIL 300

struct BigvmQmp {
  GPid pid;
  char *program;
  int in_fd;                   /* QEMU's stdin */
  int out_fd;                  /* QEMU's stdout: the QMP stream */
  int err_fd;
  GString *out;                /* bytes read, not yet a whole line */
  GString *err;
  gint64 deadline;
  gboolean exited;
  gboolean broken;             /* it misbehaved: no grace at the end */
  int wait_status;
};

gboolean
bigvm_qmp_parse_line (const char *line, gsize len, gboolean *ret_event,
                      JsonNode **ret_return, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *object;
  JsonNode *node;

  *ret_event = FALSE;
  *ret_return = NULL;
  if (memchr (line, '\0', len) != NULL || !json_parser_load_from_data (parser, line, len, NULL)
      || json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "answered with something other than QMP: \"%.60s\"", line);
      return FALSE;
    }
  object = json_node_get_object (json_parser_get_root (parser));

  if (json_object_has_member (object, "event"))
    {
      *ret_event = TRUE;
      return TRUE;
    }
  if ((node = json_object_get_member (object, "return")) != NULL)
    {
      *ret_return = json_node_copy (node);
      return TRUE;
    }
  if ((node = json_object_get_member (object, "error")) != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *qmp_error = json_node_get_object (node);
      const char *desc = bigvm_json_member_string (qmp_error, "desc");
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "answered with an error: %s",
                   desc != NULL ? desc : "(no description)");
      return FALSE;
    }
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
               "answered with a JSON object that is not a QMP reply: \"%.60s\"", line);
  return FALSE;
}

static char *
stderr_tail (BigvmQmp *qmp)
{
  const char *text = qmp->err->str;
  gsize len = qmp->err->len;

  while (len > 0 && g_ascii_isspace (text[len - 1]))
    len--;
  if (len == 0)
    return g_strdup ("");
  gsize start = len > STDERR_TAIL ? len - STDERR_TAIL : 0;
  g_autofree char *tail = g_strndup (text + start, len - start);
  g_strdelimit (tail, "\r\n", ' ');
  return g_strdup_printf (": %s%s", start > 0 ? "..." : "", tail);
}

static gboolean
fail (BigvmQmp *qmp, GError **error, const char *what)
{
  qmp->broken = TRUE;
  g_autofree char *tail = stderr_tail (qmp);
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s %s%s", qmp->program, what, tail);
  return FALSE;
}

/* Reads whatever QEMU has written to stdout or stderr, waiting until then
 * at most.  FALSE when both are closed or the deadline passed. */
static gboolean
pump (BigvmQmp *qmp, gint64 until)
{
  struct pollfd fds[2] = { { qmp->out_fd, POLLIN, 0 }, { qmp->err_fd, POLLIN, 0 } };
  gint64 left_ms = (until - g_get_monotonic_time ()) / 1000;
  char buf[65536];

  if ((qmp->out_fd < 0 && qmp->err_fd < 0) || left_ms <= 0)
    return FALSE;
  int n = poll (fds, 2, (int) MIN (left_ms, G_MAXINT));
  if (n < 0)
    return errno == EINTR;
  for (guint i = 0; i < 2; i++)
    {
      int *fd = i == 0 ? &qmp->out_fd : &qmp->err_fd;
      GString *into = i == 0 ? qmp->out : qmp->err;
      if (*fd < 0 || fds[i].revents == 0)
        continue;
      ssize_t got = read (*fd, buf, sizeof buf);
      if (got > 0)
        {
          /* stderr is only quoted: keep its start and its end. */
          if (i == 1 && into->len > 64 * 1024)
            g_string_erase (into, 0, into->len / 2);
          g_string_append_len (into, buf, got);
        }
      else if (got == 0 || (errno != EINTR && errno != EAGAIN))
        {
          close (*fd);
          *fd = -1;
        }
    }
  return TRUE;
}

static void
reap (BigvmQmp *qmp, gint64 until)
{
  while (!qmp->exited)
    {
      pid_t r = waitpid (qmp->pid, &qmp->wait_status, WNOHANG);
      if (r == qmp->pid || (r < 0 && errno != EINTR))
        {
          qmp->exited = TRUE;
          break;
        }
      if (g_get_monotonic_time () >= until)
        {
          bigvm_spawn_kill (qmp->pid);
          while (waitpid (qmp->pid, &qmp->wait_status, 0) < 0 && errno == EINTR)
            ;
          qmp->exited = TRUE;
          break;
        }
      /* Drain stderr meanwhile so a chatty QEMU cannot block on it. */
      if (!pump (qmp, MIN (until, g_get_monotonic_time () + 10000)))
        g_usleep (1000);
    }
}

/* The next reply or event line, without its line end. */
static char *
read_line (BigvmQmp *qmp, GError **error)
{
  for (;;)
    {
      char *newline = memchr (qmp->out->str, '\n', qmp->out->len);
      if (newline != NULL)
        {
          gsize len = newline - qmp->out->str;
          char *line = g_strndup (qmp->out->str, len);
          g_string_erase (qmp->out, 0, len + 1);
          g_strchomp (line);
          return line;
        }
      if (qmp->out->len > MAX_LINE)
        {
          fail (qmp, error, "sent a QMP line over 4 MiB long");
          return NULL;
        }
      if (qmp->out_fd < 0)
        {
          /* Its output ended: it exited or is about to. */
          reap (qmp, MIN (qmp->deadline, g_get_monotonic_time () + G_USEC_PER_SEC));
          g_autofree char *how = qmp->pid == 0 ? g_strdup ("closed the connection")
                                 : qmp->exited ? bigvm_describe_wait_status (qmp->wait_status)
                                 : g_strdup ("closed its output");
          fail (qmp, error, how);
          return NULL;
        }
      if (!pump (qmp, qmp->deadline) && g_get_monotonic_time () >= qmp->deadline)
        {
          fail (qmp, error, qmp->pid == 0 ? "did not answer in time"
                                          : "did not answer in time; killed it");
          return NULL;
        }
    }
}

static JsonNode *
read_reply (BigvmQmp *qmp, GError **error)
{
  for (;;)
    {
      g_autofree char *line = read_line (qmp, error);
      g_autoptr (GError) local_error = NULL;
      gboolean event;
      JsonNode *result;

      if (line == NULL)
        return NULL;
      if (!bigvm_qmp_parse_line (line, strlen (line), &event, &result, &local_error))
        {
          fail (qmp, error, local_error->message);
          return NULL;
        }
      if (!event)
        return result;
    }
}

static gboolean
send_command (BigvmQmp *qmp, const char *command, JsonObject *arguments, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  bigvm_json_add_string (builder, "execute", command);
  if (arguments != NULL)
    {
      json_builder_set_member_name (builder, "arguments");
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (node, arguments);
      json_builder_add_value (builder, node);
    }
  json_builder_end_object (builder);
  g_autofree char *text = bigvm_json_to_string (builder);
  g_autofree char *line = g_strconcat (text, "\n", NULL);

  if (!bigvm_write_all (qmp->in_fd, line, strlen (line)))
    return fail (qmp, error, "stopped reading its QMP input");
  return TRUE;
}

JsonNode *
bigvm_qmp_execute (BigvmQmp *qmp, const char *command, JsonObject *arguments, GError **error)
{
  if (!send_command (qmp, command, arguments, error))
    return NULL;
  return read_reply (qmp, error);
}

static BigvmQmp *
qmp_new (const char *program, gint64 deadline)
{
  BigvmQmp *qmp = g_new0 (BigvmQmp, 1);

  qmp->program = g_strdup (program);
  qmp->out = g_string_new (NULL);
  qmp->err = g_string_new (NULL);
  qmp->deadline = deadline;
  qmp->in_fd = qmp->out_fd = qmp->err_fd = -1;
  qmp->exited = TRUE;  /* until it runs */
  /* A QEMU that dies must not kill bigvm with SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);
  return qmp;
}

/* The greeting, {"QMP": {"version": ..., "capabilities": [...]}}, then out
 * of capabilities negotiation. */
static gboolean
negotiate (BigvmQmp *qmp, GError **error)
{
  g_autofree char *line = read_line (qmp, error);

  if (line == NULL)
    return FALSE;
  if (!g_str_has_prefix (line, "{\"QMP\":") && !g_str_has_prefix (line, "{\"QMP\" :"))
    {
      g_autofree char *what = g_strdup_printf ("did not greet with QMP: \"%.60s\"", line);
      return fail (qmp, error, what);
    }
  g_autoptr (JsonNode) negotiated = bigvm_qmp_execute (qmp, "qmp_capabilities", NULL, error);
  return negotiated != NULL;
}

BigvmQmp *
bigvm_qmp_start (const char *const *argv, gint64 deadline, GError **error)
{
  g_autoptr (BigvmQmp) qmp = qmp_new (argv[0], deadline);

  if (!bigvm_spawn (argv, 0, &qmp->pid, &qmp->in_fd, &qmp->out_fd, &qmp->err_fd, error))
    return NULL;
  qmp->exited = FALSE;
  return negotiate (qmp, error) ? g_steal_pointer (&qmp) : NULL;
}

/* PATH as a socket address; too long for one: CODE. */
static gboolean
socket_address (const char *path, struct sockaddr_un *address, int code, GError **error)
{
  *address = (struct sockaddr_un) { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof address->sun_path)
    {
      g_set_error (error, BIGVM_ERROR, code, "socket path too long: %s", path);
      return FALSE;
    }
  strcpy (address->sun_path, path);
  return TRUE;
}

BigvmQmp *
bigvm_qmp_start_socket (const char *const *argv, const char *socket_path, gint64 deadline,
                        GError **error)
{
  g_autoptr (BigvmQmp) qmp = qmp_new (argv[0], deadline);
  struct sockaddr_un address;

  if (!socket_address (socket_path, &address, BIGVM_ERROR_INTERNAL, error))
    return NULL;
  if (!bigvm_spawn (argv, G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL, &qmp->pid,
                    NULL, NULL, &qmp->err_fd, error))
    return NULL;
  qmp->exited = FALSE;

  /* QEMU listens once its command line is parsed; until then, and if it
   * dies first, keep reading its stderr. */
  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0 && connect (fd, (struct sockaddr *) &address, sizeof address) == 0)
        {
          qmp->out_fd = fd;
          qmp->in_fd = dup (fd);
          fcntl (qmp->in_fd, F_SETFD, FD_CLOEXEC);
          break;
        }
      if (fd >= 0)
        close (fd);
      pid_t r = waitpid (qmp->pid, &qmp->wait_status, WNOHANG);
      if (r == qmp->pid)
        {
          qmp->exited = TRUE;
          while (pump (qmp, g_get_monotonic_time () + 100000))
            ;
          g_autofree char *how = bigvm_describe_wait_status (qmp->wait_status);
          fail (qmp, error, how);
          return NULL;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          fail (qmp, error, "never opened its QMP socket; killed it");
          return NULL;
        }
      pump (qmp, g_get_monotonic_time () + 10000);
    }
  return negotiate (qmp, error) ? g_steal_pointer (&qmp) : NULL;
}

BigvmQmp *
bigvm_qmp_connect (const char *socket_path, gint64 deadline, GError **error)
{
  g_autofree char *program = g_strdup_printf ("the QEMU of %s", socket_path);
  g_autoptr (BigvmQmp) qmp = qmp_new (program, deadline);
  struct sockaddr_un address;

  if (!socket_address (socket_path, &address, BIGVM_ERROR_UNAVAILABLE, error))
    return NULL;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) < 0)
    {
      int saved_errno = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "cannot connect to %s: %s",
                   socket_path, g_strerror (saved_errno));
      return NULL;
    }
  qmp->out_fd = fd;
  qmp->in_fd = dup (fd);
  fcntl (qmp->in_fd, F_SETFD, FD_CLOEXEC);
  return negotiate (qmp, error) ? g_steal_pointer (&qmp) : NULL;
}

void
bigvm_qmp_set_deadline (BigvmQmp *qmp, gint64 deadline)
{
  qmp->deadline = deadline;
}

int
bigvm_qmp_pid (const BigvmQmp *qmp)
{
  return qmp->pid;
}

void
bigvm_qmp_close (BigvmQmp *qmp)
{
  if (qmp == NULL)
    return;
  if (!qmp->exited && qmp->broken)
    reap (qmp, g_get_monotonic_time ());
  if (!qmp->exited)
    {
      /* "quit" is answered after QEMU begins to exit; closing its input
       * ends it too. */
      if (qmp->in_fd >= 0)
        send_command (qmp, "quit", NULL, NULL);
      if (qmp->in_fd >= 0)
        close (qmp->in_fd);
      qmp->in_fd = -1;
      reap (qmp, MIN (qmp->deadline, g_get_monotonic_time () + 2 * G_USEC_PER_SEC));
    }
  if (qmp->in_fd >= 0)
    close (qmp->in_fd);
  if (qmp->out_fd >= 0)
    close (qmp->out_fd);
  if (qmp->err_fd >= 0)
    close (qmp->err_fd);
  g_spawn_close_pid (qmp->pid);
  g_string_free (qmp->out, TRUE);
  g_string_free (qmp->err, TRUE);
  g_free (qmp->program);
  g_free (qmp);
}
