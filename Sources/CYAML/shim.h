#ifndef DISPO_CYAML_SHIM_H
#define DISPO_CYAML_SHIM_H
#include <yaml.h>
#endif
