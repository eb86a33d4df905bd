// Intel ISA-L's inflate (Debian's libisal-dev), loaded when the process first asks for it: with the header
// present at build time and libisal.so.2 at run time, gzip is inflated by ISA-L; otherwise `cisal_available()`
// is 0 and pgsift keeps to zlib. Nothing here links against ISA-L, so a machine without it still builds and
// runs.
#ifndef PGSIFT_CISAL_SHIM_H
#define PGSIFT_CISAL_SHIM_H
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define CISAL_HEADER 1

typedef void (*cisal_init_fn)(struct inflate_state *);
typedef int (*cisal_inflate_fn)(struct inflate_state *);

struct cisal_functions {
  int loaded;
  cisal_init_fn init;
  cisal_init_fn reset;
  cisal_inflate_fn inflate;
};

static inline struct cisal_functions *cisal_functions(void) {
  static struct cisal_functions functions = {-1, 0, 0, 0};
  if (functions.loaded < 0) {
    void *library = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libisal.so", RTLD_NOW | RTLD_LOCAL);
    if (library) {
      functions.init = (cisal_init_fn)dlsym(library, "isal_inflate_init");
      functions.reset = (cisal_init_fn)dlsym(library, "isal_inflate_reset");
      functions.inflate = (cisal_inflate_fn)dlsym(library, "isal_inflate");
    }
    functions.loaded = functions.init && functions.reset && functions.inflate;
  }
  return &functions;
}
#else
#define CISAL_HEADER 0
#endif

/// 1 when ISA-L's inflate can be used in this process.
static inline int cisal_available(void) {
#if CISAL_HEADER
  return cisal_functions()->loaded;
#else
  return 0;
#endif
}

/// A gzip inflater (header parsed, CRC checked), or NULL. Its state is opaque to Swift (and need not be known when
/// the header is missing).
static inline void *cisal_gzip_new(void) {
#if CISAL_HEADER
  if (!cisal_available()) return NULL;
  struct inflate_state *state = (struct inflate_state *)malloc(sizeof(struct inflate_state));
  if (!state) return NULL;
  cisal_functions()->init(state);
  state->crc_flag = ISAL_GZIP;
  return state;
#else
  return NULL;
#endif
}

static inline void cisal_gzip_free(void *state) { free(state); }

/// Starts the next gzip member.
static inline void cisal_gzip_reset(void *opaque) {
#if CISAL_HEADER
  struct inflate_state *state = (struct inflate_state *)opaque;
  cisal_functions()->reset(state);
  state->crc_flag = ISAL_GZIP;
#endif
}

/// Inflates from `in` into `out`; sets how much was consumed and produced and whether the member ended.
/// Returns ISA-L's code: 0 or positive to go on, negative for corrupt data.
static inline int cisal_gzip_inflate(
    void *opaque, const uint8_t *in, uint32_t in_count, uint8_t *out, uint32_t out_count, uint32_t *consumed,
    uint32_t *produced, int *ended) {
#if CISAL_HEADER
  struct inflate_state *state = (struct inflate_state *)opaque;
  state->next_in = (uint8_t *)in;
  state->avail_in = in_count;
  state->next_out = out;
  state->avail_out = out_count;
  int rc = cisal_functions()->inflate(state);
  *consumed = in_count - state->avail_in;
  *produced = out_count - state->avail_out;
  *ended = state->block_state == ISAL_BLOCK_FINISH;
  return rc;
#else
  *consumed = 0;
  *produced = 0;
  *ended = 0;
  return -100;
#endif
}
#endif
