/* hb-context.c: not written yet */
#include "config.h"
#include "hb-context.h"
