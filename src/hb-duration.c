/* hb-duration.c: not written yet */
#include "config.h"
#include "hb-duration.h"
