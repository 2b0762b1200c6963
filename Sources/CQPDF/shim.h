#include <qpdf/qpdf-c.h>

// QPDF_ERRORS and QPDF_WARNINGS are `1 << n` macros; Swift sees these functions instead.
static inline QPDF_ERROR_CODE cqpdf_errors(void) { return QPDF_ERRORS; }
static inline QPDF_ERROR_CODE cqpdf_warnings(void) { return QPDF_WARNINGS; }
