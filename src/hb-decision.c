/* hb-decision.c: not written yet */
#include "config.h"
#include "hb-decision.h"
