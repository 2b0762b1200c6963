#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg reports errors by longjmp, which Swift cannot do: the whole decode runs here, in
// C, and Swift gets a result code and a message. Everything is per call (thread-safe).

enum cjpeg_result {
    CJPEG_OK = 0,
    CJPEG_TRUNCATED = 1,  // the bytes ended before the image did
    CJPEG_TOO_LARGE = 2,  // the header declares more pixels than allowed; nothing decoded
    CJPEG_DAMAGED = 3,    // libjpeg's error or corrupt-data warning in message
};

struct cjpeg_error_manager {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    int ended_early;
    char message[JMSG_LENGTH_MAX];
};

static inline void cjpeg_error_exit(j_common_ptr cinfo) {
    struct cjpeg_error_manager *manager = (struct cjpeg_error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, manager->message);
    longjmp(manager->jump, 1);
}

// libjpeg only warns about corrupt data (and pads a truncated file with a fake end marker):
// such a warning ends the decode as an error. Warnings about metadata alone are let through.
static inline void cjpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    int code = cinfo->err->msg_code;
    if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC) return;
    struct cjpeg_error_manager *manager = (struct cjpeg_error_manager *)cinfo->err;
    if (code == JWRN_JPEG_EOF) manager->ended_early = 1;
    (*cinfo->err->format_message)(cinfo, manager->message);
    longjmp(manager->jump, 1);
}

/// Decodes a whole JPEG held in memory, every scanline, up to its end marker. Refuses images
/// wider than max_width or taller than max_height after reading the header, before decoding.
/// width/height get the header's dimensions when it was read.
static inline int cjpeg_decode(const unsigned char *bytes, size_t length, uint32_t max_width, uint32_t max_height,
                               size_t max_memory, uint32_t *width, uint32_t *height, char *message,
                               size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    struct cjpeg_error_manager manager;
    memset(&manager, 0, sizeof manager);
    JSAMPLE *volatile row = NULL;
    *width = 0;
    *height = 0;
    if (message_capacity > 0) message[0] = 0;
    cinfo.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = cjpeg_error_exit;
    manager.base.emit_message = cjpeg_emit_message;
    if (setjmp(manager.jump)) {
        free(row);
        jpeg_destroy_decompress(&cinfo);
        if (message_capacity > 0) snprintf(message, message_capacity, "%s", manager.message);
        return manager.ended_early ? CJPEG_TRUNCATED : CJPEG_DAMAGED;
    }
    jpeg_create_decompress(&cinfo);
    // Progressive images are buffered whole: bound that memory.
    cinfo.mem->max_memory_to_use = (long)max_memory;
    jpeg_mem_src(&cinfo, bytes, (unsigned long)length);
    jpeg_read_header(&cinfo, TRUE);
    *width = cinfo.image_width;
    *height = cinfo.image_height;
    if (*width > max_width || *height > max_height) {
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_TOO_LARGE;
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    row = (JSAMPLE *)malloc(row_bytes > 0 ? row_bytes : 1);
    if (row == NULL) ERREXIT1(&cinfo, JERR_OUT_OF_MEMORY, 0);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_decompress(&cinfo);
    free(row);
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}
