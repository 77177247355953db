/* hb-config.c: not written yet */
#include "config.h"
#include "hb-config.h"
