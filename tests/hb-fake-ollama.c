#include "config.h"
#include "hb-fake-ollama.h"
