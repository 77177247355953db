/* hb-prompt.c: not written yet */
#include "config.h"
#include "hb-prompt.h"
