// libbz2, as Debian's libbz2-dev installs it.
#include <bzlib.h>
