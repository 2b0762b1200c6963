#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libpng reports errors by longjmp, which Swift cannot do: each step of the decode runs
// here, in C, and Swift gets a result code and a message. Everything is per decode (one
// struct cpng_stream), so decodes can run on many threads at once.

enum cpng_result {
    CPNG_OK = 0,
    CPNG_TRUNCATED = 1,   // the bytes ended before the image (or its IEND chunk) did
    CPNG_TOO_LARGE = 2,   // the header declares more pixels than allowed; nothing decoded
    CPNG_DAMAGED = 3,     // libpng's error (bad CRC, bad zlib data, bad chunk, …) in message
    CPNG_NO_MEMORY = 4,
};

/// The end of the IHDR chunk (signature, length, type, 13 bytes of data, CRC): the header is
/// checked against the limits there, whatever the pieces, before libpng reads any further.
enum { CPNG_HEADER_END = 8 + 8 + 13 + 4 };

/// libpng's progressive reader does not always come to the same verdict for the same bytes
/// cut differently (a zlib checksum error in the same inflate call as the last row leaves
/// that row out; a call later, it only warns). So libpng gets the bytes in the same blocks
/// whatever the pieces: up to CPNG_HEADER_END, then up to each multiple of CPNG_BLOCK, then
/// the rest at the finish. A piece's bytes past the last whole block wait for the next piece.
enum { CPNG_BLOCK = 64 * 1024 };

/// One image decoded as its bytes arrive (libpng's progressive reader): every row of every
/// pass, then the chunks up to IEND, with every chunk's CRC and the image data's zlib
/// checksum checked. Fed by one caller at a time, in order.
struct cpng_stream {
    png_structp png;
    png_infop info;
    uint32_t max_width;
    uint32_t max_height;
    uint64_t fed;           // bytes given to libpng so far
    unsigned char *pending; // bytes waiting for the rest of their block (CPNG_BLOCK of room)
    size_t pending_length;
    int result;             // CPNG_OK until the first error, then that error for good
    int header_checked;
    int final_pass;         // the pass of the image's last row: 6 when interlaced, else 0
    int rows_done;          // the last row of the last pass came out
    int ended;              // the end callback ran: IEND read, its CRC checked
    char warning[256];      // libpng's first warning, the reason when rows go missing
    char message[256];
};

static inline void cpng_stream_on_error(png_structp png, png_const_charp message) {
    struct cpng_stream *stream = (struct cpng_stream *)png_get_error_ptr(png);
    snprintf(stream->message, sizeof stream->message, "%s", message);
    png_longjmp(png, 1);
}

// Warnings (about ancillary details) don't refuse, but for the image data's zlib stream not
// ending with the last row and its checksum: libpng only warns when the stream breaks
// (ADLER32, for any bad data) or holds more than the image (then its checksum goes
// unchecked). The first other warning is kept in case rows go missing.
static inline void cpng_stream_on_warning(png_structp png, png_const_charp message) {
    struct cpng_stream *stream = (struct cpng_stream *)png_get_error_ptr(png);
    // A benign error comes as a chunk warning: "IDAT: IDAT: ADLER32 checksum mismatch".
    while (strncmp(message, "IDAT: IDAT: ", 12) == 0) message += 6;
    if (strstr(message, "ADLER32 checksum mismatch") != NULL || strstr(message, "Truncated compressed data") != NULL ||
        strstr(message, "Extra compressed data") != NULL) {
        png_error(png, message);
    }
    if (stream->warning[0] == 0) snprintf(stream->warning, sizeof stream->warning, "%s", message);
}

/// Refuses (longjmp, CPNG_TOO_LARGE) once the header is in and declares too many pixels.
static inline void cpng_stream_check_header(struct cpng_stream *stream) {
    if (stream->header_checked || png_get_image_width(stream->png, stream->info) == 0) return;
    stream->header_checked = 1;
    if (png_get_image_width(stream->png, stream->info) > stream->max_width ||
        png_get_image_height(stream->png, stream->info) > stream->max_height) {
        stream->result = CPNG_TOO_LARGE;
        png_longjmp(stream->png, 1);
    }
}

// At the first IDAT: the header is checked (if it was not whole at CPNG_HEADER_END) and the
// rows started.
static inline void cpng_stream_on_info(png_structp png, png_infop info) {
    struct cpng_stream *stream = (struct cpng_stream *)png_get_progressive_ptr(png);
    cpng_stream_check_header(stream);
    stream->final_pass = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7 ? 6 : 0;
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

// With interlace handling every pass calls back for every row of the image (empty passes
// included), so the image's last row comes last, in pass 6 when interlaced.
static inline void cpng_stream_on_row(png_structp png, png_bytep row, png_uint_32 number, int pass) {
    (void)row;
    struct cpng_stream *stream = (struct cpng_stream *)png_get_progressive_ptr(png);
    if (pass == stream->final_pass && number + 1 == png_get_image_height(png, stream->info)) stream->rows_done = 1;
}

// libpng calls this at IEND even when the zlib stream ended before the last row: such an
// image is damaged.
static inline void cpng_stream_on_end(png_structp png, png_infop info) {
    (void)info;
    struct cpng_stream *stream = (struct cpng_stream *)png_get_progressive_ptr(png);
    if (!stream->rows_done) png_error(png, stream->warning[0] ? stream->warning : "Not enough image data");
    stream->ended = 1;
}

/// A decode of an image at most max_width × max_height pixels, or NULL without memory.
static inline struct cpng_stream *cpng_stream_create(uint32_t max_width, uint32_t max_height) {
    struct cpng_stream *stream = (struct cpng_stream *)calloc(1, sizeof(struct cpng_stream));
    if (stream == NULL) return NULL;
    stream->max_width = max_width;
    stream->max_height = max_height;
    stream->pending = (unsigned char *)malloc(CPNG_BLOCK);
    if (stream->pending != NULL) {
        stream->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, stream, cpng_stream_on_error,
                                             cpng_stream_on_warning);
    }
    if (stream->png != NULL) stream->info = png_create_info_struct(stream->png);
    if (stream->info == NULL) {
        if (stream->png != NULL) png_destroy_read_struct(&stream->png, NULL, NULL);
        free(stream->pending);
        free(stream);
        return NULL;
    }
    // Our own limit applies, with our own message; libpng's would refuse first otherwise.
    // A bad CRC in any chunk, critical or ancillary, is an error.
    png_set_user_limits(stream->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_crc_action(stream->png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_set_progressive_read_fn(stream->png, stream, cpng_stream_on_info, cpng_stream_on_row, cpng_stream_on_end);
    return stream;
}

// One block to libpng (which reads the buffer without writing to it); the header checked
// when it ends at CPNG_HEADER_END.
static inline void cpng_stream_process(struct cpng_stream *stream, const unsigned char *bytes, size_t length) {
    if (length > 0 && !stream->ended) png_process_data(stream->png, stream->info, (png_bytep)bytes, length);
    stream->fed += length;
    if (stream->fed == CPNG_HEADER_END) cpng_stream_check_header(stream);
}

// Whole blocks to libpng straight from the piece, a part block kept in pending.
static inline void cpng_stream_take(struct cpng_stream *stream, const unsigned char *bytes, size_t length) {
    while (length > 0) {
        uint64_t at = stream->fed + stream->pending_length;
        uint64_t block_end = at < CPNG_HEADER_END ? CPNG_HEADER_END : (at / CPNG_BLOCK + 1) * CPNG_BLOCK;
        size_t missing = (size_t)(block_end - at);
        if (stream->pending_length == 0 && length >= missing) {
            cpng_stream_process(stream, bytes, missing);
        } else {
            size_t count = length < missing ? length : missing;
            memcpy(stream->pending + stream->pending_length, bytes, count);
            stream->pending_length += count;
            if (count == missing) {
                stream->pending_length = 0;
                cpng_stream_process(stream, stream->pending, (size_t)(block_end - stream->fed));
            }
            missing = count;
        }
        bytes += missing;
        length -= missing;
    }
}

static inline int cpng_stream_report(const struct cpng_stream *stream, char *message, size_t capacity) {
    if (capacity > 0) snprintf(message, capacity, "%s", stream->result == CPNG_DAMAGED ? stream->message : "");
    return stream->result;
}

/// Decodes the next piece: CPNG_OK while all is well so far, else the error (CPNG_TOO_LARGE
/// as soon as the header is in, before any row; CPNG_DAMAGED with libpng's message in
/// message), and the same error for every piece after it. Bytes after IEND are ignored.
static inline int cpng_stream_feed(struct cpng_stream *stream, const unsigned char *bytes, size_t length,
                                   char *message, size_t capacity) {
    if (stream->result == CPNG_OK) {
        if (setjmp(png_jmpbuf(stream->png))) {
            if (stream->result == CPNG_OK) stream->result = CPNG_DAMAGED;
        } else {
            cpng_stream_take(stream, bytes, length);
        }
    }
    return cpng_stream_report(stream, message, capacity);
}

/// After the last piece: CPNG_OK only if the image and IEND (with its CRC) were read, the
/// error if there was one, else CPNG_TRUNCATED.
static inline int cpng_stream_finish(struct cpng_stream *stream, char *message, size_t capacity) {
    if (stream->result == CPNG_OK) {
        if (setjmp(png_jmpbuf(stream->png))) {
            if (stream->result == CPNG_OK) stream->result = CPNG_DAMAGED;
        } else {
            size_t count = stream->pending_length;
            stream->pending_length = 0;
            cpng_stream_process(stream, stream->pending, count);
            if (!stream->ended) stream->result = CPNG_TRUNCATED;
        }
    }
    return cpng_stream_report(stream, message, capacity);
}

/// The header's width and height, 0 before the header is read.
static inline uint32_t cpng_stream_width(const struct cpng_stream *stream) {
    return png_get_image_width(stream->png, stream->info);
}

static inline uint32_t cpng_stream_height(const struct cpng_stream *stream) {
    return png_get_image_height(stream->png, stream->info);
}

static inline void cpng_stream_destroy(struct cpng_stream *stream) {
    if (stream == NULL) return;
    png_destroy_read_struct(&stream->png, &stream->info, NULL);
    free(stream->pending);
    free(stream);
}
