#ifndef DISPO_BENCH_CYAML_SHIM_H
#define DISPO_BENCH_CYAML_SHIM_H
#include <yaml.h>
#endif
