/* hb-instructions.c: not written yet */
#include "config.h"
#include "hb-instructions.h"
