#ifndef VITKIT_CCAIRO_SHIM_H
#define VITKIT_CCAIRO_SHIM_H
// cairo's image surfaces, paths and toy text API, for ViTPlot's PNG figures.
#include <cairo.h>
#endif
