// cairo (PDF surfaces) and pango (text layout, shaping, bidi) for Swift: the macros Swift
// does not import, as plain functions.
#ifndef CERTPORTAL_CCAIRO_SHIM_H
#define CERTPORTAL_CCAIRO_SHIM_H

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

/// PANGO_SCALE: pango units per device unit.
static inline int cp_pango_scale(void) { return PANGO_SCALE; }

/// Releases a GObject (a PangoLayout or PangoContext); g_object_unref takes a gpointer.
static inline void cp_g_object_unref(void *object) { g_object_unref(object); }

#endif
