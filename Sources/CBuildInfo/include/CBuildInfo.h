#ifndef DISPO_CBUILDINFO_H
#define DISPO_CBUILDINFO_H

/// The git commit this binary was built from ("unknown" for a plain `swift build`).
///
/// `make` writes `.build/build-info/dispo_build_info.h` (outside git) defining DISPO_BUILD_COMMIT and passes
/// `-Xcc -I.build/build-info`; build_info.c includes it when present. Only that C file depends on the header, so a
/// new commit recompiles one file, not the Swift modules.
const char *dispo_build_commit(void);

#endif
