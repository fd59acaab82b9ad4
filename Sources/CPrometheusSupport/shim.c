// The C target needs one translation unit; the interesting code is inline in the header.
#include "CPrometheusSupport.h"
