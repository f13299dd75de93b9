/*
 * crc32.c — the one CRC-32 every checksummed on-image structure uses.
 *
 * A thin wrapper over zlib's crc32(), which is table-driven (and vectorised on
 * recent zlib builds), so that no layer carries its own copy and an image written
 * on one machine checks on every other (the polynomial is IEEE 802.3).
 */
#include "util.h"

#include <limits.h>
#include <zlib.h>

uint32_t util_crc32(uint32_t crc, const void *data, size_t len)
{
    const unsigned char *p = data;
    /* zlib takes uInt lengths: feed very large buffers in pieces. */
    while (len > 0) {
        uInt chunk = len > UINT_MAX ? UINT_MAX : (uInt)len;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return crc;
}
