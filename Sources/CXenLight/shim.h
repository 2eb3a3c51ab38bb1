#ifndef DISPO_CXENLIGHT_SHIM_H
#define DISPO_CXENLIGHT_SHIM_H
// libxenlight, libxenstore and libxentoollog (Debian libxen-dev), plus libyajl (libyajl-dev) for libxl's JSON
// generator. Macros and variadic functions that Swift cannot call are wrapped below as static inline functions.
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/fs.h>
#include <xentoollog.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <yajl/yajl_version.h>  // before libxl_json.h: it picks the yajl 2 API from YAJL_MAJOR
#include <libxl_json.h>
#include <xenstore.h>

/// LIBXL_VERSION, the version libxl_ctx_alloc expects (a macro).
static inline int dispo_libxl_version(void) { return LIBXL_VERSION; }

/// INVALID_DOMID as a uint32_t (a macro, `~0`).
static inline uint32_t dispo_invalid_domid(void) { return (uint32_t)INVALID_DOMID; }

/// XBT_NULL: "no transaction" for xenstore calls (a macro).
static inline xs_transaction_t dispo_xbt_null(void) { return XBT_NULL; }

/// The FICLONE ioctl: `dest` becomes a reflink (copy-on-write clone) of `source`; ioctl is variadic, so wrapped.
static inline int dispo_ficlone(int dest, int source) { return ioctl(dest, FICLONE, source); }

/// Names the calling thread (as `top -H` shows it); prctl is variadic, so wrapped.
static inline int dispo_xen_name_thread(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

// MARK: - A xentoollog logger that keeps the last error (for error messages) and echoes errors to stderr

typedef struct {
    xentoollog_logger vtable;
    xentoollog_level echo_level;
    char last_error[1024];
} dispo_xtl_logger;

static inline void dispo_xtl_vmessage(xentoollog_logger *logger, xentoollog_level level, int errnoval, const char *context,
                               const char *format, va_list al) {
    dispo_xtl_logger *self = (dispo_xtl_logger *)logger;
    char text[1024];
    vsnprintf(text, sizeof text, format, al);
    if (level >= XTL_ERROR) {
        if (errnoval >= 0)
            snprintf(self->last_error, sizeof self->last_error, "%s: %s", text, strerror(errnoval));
        else
            snprintf(self->last_error, sizeof self->last_error, "%s", text);
    }
    if (level >= self->echo_level)
        fprintf(stderr, "%s: %s: %s\n", context ? context : "libxl", xtl_level_to_string(level), text);
}

static inline void dispo_xtl_progress(xentoollog_logger *logger, const char *context, const char *doing_what, int percent,
                               unsigned long done, unsigned long total) {
    (void)logger; (void)context; (void)doing_what; (void)percent; (void)done; (void)total;
}

static inline void dispo_xtl_destroy(xentoollog_logger *logger) { free(logger); }

/// A logger that remembers the last error-level message and prints messages at `echo_level` and above on stderr.
static inline dispo_xtl_logger *dispo_xtl_create(xentoollog_level echo_level) {
    dispo_xtl_logger *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->vtable.vmessage = dispo_xtl_vmessage;
    self->vtable.progress = dispo_xtl_progress;
    self->vtable.destroy = dispo_xtl_destroy;
    self->echo_level = echo_level;
    return self;
}

static inline xentoollog_logger *dispo_xtl_base(dispo_xtl_logger *self) { return &self->vtable; }

/// The last error-level message ("" when none), then forgets it.
static inline void dispo_xtl_take_last_error(dispo_xtl_logger *self, char *out, size_t size) {
    snprintf(out, size, "%s", self->last_error);
    self->last_error[0] = 0;
}

// MARK: - JSON rendering of libxl types (yajl), needing no libxl ctx

/// Renders a domain config with libxl's own generator; returns a malloc'd string (free it) or NULL.
static inline char *dispo_domain_config_json(libxl_domain_config *config, int beautify) {
    yajl_gen gen = yajl_gen_alloc(NULL);
    if (!gen) return NULL;
    yajl_gen_config(gen, yajl_gen_beautify, beautify);
    char *result = NULL;
    if (libxl_domain_config_gen_json(gen, config) == yajl_gen_status_ok) {
        const unsigned char *buffer = NULL;
        size_t length = 0;
        if (yajl_gen_get_buf(gen, &buffer, &length) == yajl_gen_status_ok) {
            result = malloc(length + 1);
            if (result) {
                memcpy(result, buffer, length);
                result[length] = 0;
            }
        }
    }
    yajl_gen_free(gen);
    return result;
}
#endif
