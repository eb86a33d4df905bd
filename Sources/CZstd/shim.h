// libzstd, as Debian's libzstd-dev installs it.
#include <zstd.h>
