#ifndef VITKIT_CZLIB_SHIM_H
#define VITKIT_CZLIB_SHIM_H
// zlib's raw-deflate inflater and CRC-32, for ZIP members (.npz, torch.save files).
#include <zlib.h>

/// `inflateInit2(stream, -MAX_WBITS)`: a raw deflate stream (no zlib header), as ZIP stores it.
/// The macro cannot be called from Swift.
static inline int vitkit_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -MAX_WBITS);
}
#endif
