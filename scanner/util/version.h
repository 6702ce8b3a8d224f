#ifndef AK_UTIL_VERSION_H
#define AK_UTIL_VERSION_H
#define AK_VERSION "0.1.0"
#endif
