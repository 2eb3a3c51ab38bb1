#include "CBuildInfo.h"

#if defined(__has_include)
#if __has_include(<dispo_build_info.h>)
#include <dispo_build_info.h>
#endif
#endif

#ifndef DISPO_BUILD_COMMIT
#define DISPO_BUILD_COMMIT "unknown"
#endif

const char *dispo_build_commit(void) { return DISPO_BUILD_COMMIT; }
