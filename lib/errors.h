/* bigvm: error domain whose codes are the program's exit statuses.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <sysexits.h>

#define BIGVM_ERROR (bigvm_error_quark ())
GQuark bigvm_error_quark (void);

/* Library code reports failures as a GError in this domain; its code is
 * the sysexits(3) status bigvm(1) documents, so cmd/ only has to exit
 * with it. */
typedef enum {
  BIGVM_ERROR_USAGE = EX_USAGE,             /* 64: bad command line */
  BIGVM_ERROR_FLAVOR = EX_DATAERR,          /* 65: bad flavor */
  BIGVM_ERROR_NO_INPUT = EX_NOINPUT,        /* 66: cannot read FLAVOR or dump */
  BIGVM_ERROR_UNAVAILABLE = EX_UNAVAILABLE, /* 69: host or QEMU cannot run it */
  BIGVM_ERROR_INTERNAL = EX_SOFTWARE,       /* 70: bug or unexpected failure */
} BigvmErrorCode;

int bigvm_error_exit_status (const GError *error);
