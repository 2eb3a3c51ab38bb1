#ifndef DISPO_CINOTIFYTOOLS_SHIM_H
#define DISPO_CINOTIFYTOOLS_SHIM_H
// libinotifytools (libinotifytools0-dev ships no pkg-config file) and the kernel headers the watcher needs
// next to it: the IN_* masks, eventfd for waking the watcher thread, poll, prctl for the thread's name.
#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <poll.h>
#include <inotifytools/inotifytools.h>

/// Names the calling thread (as `top -H` and /proc/self/task/*/comm show it); prctl is variadic, so wrapped.
static inline int dispo_name_current_thread(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
#endif
