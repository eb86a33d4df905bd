// liblzma (xz), as Debian's liblzma-dev installs it.
#include <lzma.h>

// LZMA_STREAM_INIT is a macro; Swift cannot use macros, so give it a function.
static inline lzma_stream clzma_stream_init(void) {
  lzma_stream stream = LZMA_STREAM_INIT;
  return stream;
}
