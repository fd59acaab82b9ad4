// Linux system calls that Swift cannot reach directly, for the system layer (PrometheusSystem) only.
// Kept out of CPrometheusSupport so that the core module, which imports that one for its atomics,
// cannot make a system call except through PrometheusSystem.
#ifndef C_PROMETHEUS_SYSTEM_CALLS_H
#define C_PROMETHEUS_SYSTEM_CALLS_H

#include "CPrometheusServing.h"
#include "CPrometheusLifecycle.h"

#endif
