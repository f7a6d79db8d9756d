/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "spawn.h"

#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void
child_setup (gpointer parent_pid)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* bigvm may have died before prctl. */
  if (getppid () != GPOINTER_TO_INT (parent_pid))
    _exit (127);
}

gboolean
bigvm_spawn (const char *const *argv, GSpawnFlags flags, GPid *ret_pid,
             int *ret_stdin, int *ret_stdout, int *ret_stderr, GError **error)
{
  g_autoptr (GError) spawn_error = NULL;

  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL, flags | G_SPAWN_DO_NOT_REAP_CHILD,
                                         child_setup, GINT_TO_POINTER (getpid ()),
                                         -1, -1, -1, NULL, NULL, 0, ret_pid,
                                         ret_stdin, ret_stdout, ret_stderr, &spawn_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "cannot run %s: %s", argv[0],
                   spawn_error->message);
      return FALSE;
    }
  /* Either this or the child's own setpgid comes first; after its exec,
   * this one fails harmlessly.  Until one has, bigvm_spawn_kill misses. */
  setpgid (*ret_pid, *ret_pid);
  int *fds[] = { ret_stdin, ret_stdout, ret_stderr };
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    if (fds[i] != NULL)
      fcntl (*fds[i], F_SETFD, FD_CLOEXEC);
  return TRUE;
}

void
bigvm_spawn_kill (GPid pid)
{
  kill (-pid, SIGKILL);
}

static gboolean
drain (int fd, GString *out)
{
  char buf[65536];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return TRUE;
  if (n <= 0)
    return FALSE;
  if (out->len < BIGVM_SPAWN_MAX_OUTPUT)
    g_string_append_len (out, buf, MIN ((gsize) n, BIGVM_SPAWN_MAX_OUTPUT - out->len));
  return TRUE;
}

gboolean
bigvm_spawn_capture (const char *const *argv, guint timeout_ms,
                     char **ret_stdout, char **ret_stderr,
                     int *ret_wait_status, GError **error)
{
  GPid pid;
  int out_fd = -1, err_fd = -1;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) err = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int wait_status = 0;

  if (!bigvm_spawn (argv, G_SPAWN_STDIN_FROM_DEV_NULL, &pid, NULL, &out_fd, &err_fd, error))
    return FALSE;

  struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
  gboolean timed_out = FALSE;
  while (fds[0].fd >= 0 || fds[1].fd >= 0)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      if (left_ms <= 0)
        {
          timed_out = TRUE;
          break;
        }
      int n = poll (fds, 2, (int) MIN (left_ms, G_MAXINT));
      if (n < 0 && errno != EINTR)
        break;
      for (guint i = 0; i < 2 && n > 0; i++)
        if (fds[i].fd >= 0 && fds[i].revents != 0
            && !drain (fds[i].fd, i == 0 ? out : err))
          {
            close (fds[i].fd);
            fds[i].fd = -1;
          }
    }
  for (guint i = 0; i < 2; i++)
    if (fds[i].fd >= 0)
      close (fds[i].fd);

  /* Output closed is not exit: give the process the rest of the time. */
  while (!timed_out)
    {
      pid_t r = waitpid (pid, &wait_status, WNOHANG);
      if (r == pid || (r < 0 && errno != EINTR))
        break;
      if (g_get_monotonic_time () >= deadline)
        timed_out = TRUE;
      else
        g_usleep (1000);
    }
  if (timed_out)
    {
      bigvm_spawn_kill (pid);
      while (waitpid (pid, &wait_status, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (pid);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s did not finish within %u.%u s; killed it", argv[0],
                   timeout_ms / 1000, timeout_ms % 1000 / 100);
      return FALSE;
    }
  g_spawn_close_pid (pid);

  if (ret_stdout != NULL)
    *ret_stdout = g_string_free (g_steal_pointer (&out), FALSE);
  if (ret_stderr != NULL)
    *ret_stderr = g_string_free (g_steal_pointer (&err), FALSE);
  *ret_wait_status = wait_status;
  return TRUE;
}

char *
bigvm_describe_wait_status (int wait_status)
{
  if (WIFEXITED (wait_status))
    return g_strdup_printf ("exited with status %d", WEXITSTATUS (wait_status));
  if (WIFSIGNALED (wait_status))
    return g_strdup_printf ("was killed by signal %d (%s)", WTERMSIG (wait_status),
                            strsignal (WTERMSIG (wait_status)));
  return g_strdup_printf ("ended with wait status 0x%x", (unsigned) wait_status);
}
