/* hb-llm-host.c: not written yet */
#include "config.h"
#include "hb-llm.h"
