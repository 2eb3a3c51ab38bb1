/* e2e-unpause DOMAIN: time one libxl_domain_unpause of a paused domain (the bare cost dispo's hand-out
 * is compared with), and one xenstore round trip (the median of 20 xs_read of dom0's name: what each
 * step of a xenstore transaction costs here). DOMAIN is a name or a domid. Prints
 * "unpause_seconds=S rc=N domid=D xenstore_read_seconds=X" on stdout; exit 0 on success.
 * Built on the host against libxen-dev: gcc -O2 -o e2e-unpause unpause.c -lxenlight -lxentoollog -lxenstore */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the median of 20 reads of /local/domain/0/name over one connection; -1 when xenstore cannot be opened */
static double xenstore_read_seconds(double (*clock)(void)) {
    struct xs_handle *xs = xs_open(0);
    if (!xs) return -1;
    double t[20];
    for (int i = 0; i < 20; i++) {
        unsigned int len;
        double t0 = clock();
        free(xs_read(xs, XBT_NULL, "/local/domain/0/name", &len));
        t[i] = clock() - t0;
    }
    xs_close(xs);
    qsort(t, 20, sizeof t[0], by_value);
    return t[10];
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DOMAIN\n", argv[0]);
        return 2;
    }
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libxl_ctx *ctx;
    if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, (xentoollog_logger *)lg)) {
        fprintf(stderr, "libxl_ctx_alloc failed\n");
        return 1;
    }
    uint32_t domid;
    if (libxl_name_to_domid(ctx, argv[1], &domid) != 0) {
        char *end;
        unsigned long v = strtoul(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0') {
            fprintf(stderr, "no domain %s\n", argv[1]);
            return 1;
        }
        domid = (uint32_t)v;
    }
    libxl_dominfo info;
    libxl_dominfo_init(&info);
    if (libxl_domain_info(ctx, &info, domid) != 0 || !info.paused) {
        fprintf(stderr, "domain %s (%u) is not paused\n", argv[1], domid);
        return 1;
    }
    libxl_dominfo_dispose(&info);
    double t0 = now();
    int rc = libxl_domain_unpause(ctx, domid, NULL);
    double t1 = now();
    printf("unpause_seconds=%.6f rc=%d domid=%u xenstore_read_seconds=%.6f\n", t1 - t0, rc, domid,
           xenstore_read_seconds(now));
    libxl_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return rc == 0 ? 0 : 1;
}
