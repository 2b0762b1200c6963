#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libpng reports errors by longjmp, which Swift cannot do: the whole decode runs here, in
// C, and Swift gets a result code and a message. Everything is per call (thread-safe).

enum cpng_result {
    CPNG_OK = 0,
    CPNG_TRUNCATED = 1,   // the bytes ended before the image (or its IEND chunk) did
    CPNG_TOO_LARGE = 2,   // the header declares more pixels than allowed; nothing decoded
    CPNG_DAMAGED = 3,     // libpng's error (bad CRC, bad zlib data, bad chunk, …) in message
    CPNG_NO_MEMORY = 4,
};

struct cpng_source {
    const unsigned char *bytes;
    size_t length;
    size_t offset;
    int ended_early;
    char *message;
    size_t message_capacity;
};

static inline void cpng_read_bytes(png_structp png, png_bytep out, size_t count) {
    struct cpng_source *source = (struct cpng_source *)png_get_io_ptr(png);
    if (source->length - source->offset < count) {
        source->ended_early = 1;
        png_error(png, "the data ends early");
    }
    memcpy(out, source->bytes + source->offset, count);
    source->offset += count;
}

static inline void cpng_on_error(png_structp png, png_const_charp message) {
    struct cpng_source *source = (struct cpng_source *)png_get_error_ptr(png);
    if (source->message_capacity > 0) snprintf(source->message, source->message_capacity, "%s", message);
    png_longjmp(png, 1);
}

// Warnings are about ancillary details; anything that matters is an error (see crc_action).
static inline void cpng_on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/// Decodes a whole PNG held in memory: every row of every pass, then the chunks up to IEND,
/// with every chunk's CRC checked. Refuses images wider than max_width or taller than
/// max_height after reading the header, before decoding any row. width/height get the
/// header's dimensions when it was read.
static inline int cpng_decode(const unsigned char *bytes, size_t length, uint32_t max_width, uint32_t max_height,
                              uint32_t *width, uint32_t *height, char *message, size_t message_capacity) {
    struct cpng_source source = {bytes, length, 0, 0, message, message_capacity};
    if (message_capacity > 0) message[0] = 0;
    *width = 0;
    *height = 0;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, cpng_on_error, cpng_on_warning);
    if (png == NULL) return CPNG_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CPNG_NO_MEMORY;
    }
    unsigned char *volatile row = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(row);
        png_destroy_read_struct(&png, &info, NULL);
        return source.ended_early ? CPNG_TRUNCATED : CPNG_DAMAGED;
    }
    png_set_read_fn(png, &source, cpng_read_bytes);
    // Our own limit applies (below), with our own message; libpng's would refuse first otherwise.
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    // A bad CRC in any chunk, critical or ancillary, is an error.
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    if (*width > max_width || *height > max_height) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_TOO_LARGE;
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    row = (unsigned char *)malloc(row_bytes > 0 ? row_bytes : 1);
    if (row == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_NO_MEMORY;
    }
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < *height; y++) png_read_row(png, row, NULL);
    }
    png_read_end(png, NULL);
    free(row);
    png_destroy_read_struct(&png, &info, NULL);
    return CPNG_OK;
}
