// cpp-httplib as Debian ships it (libcpp-httplib-dev 0.11.4): a header of declarations and a
// shared library holding the code. The library was built with OpenSSL, zlib and Brotli support
// (see /usr/lib/x86_64-linux-gnu/pkgconfig/cpp-httplib.pc), and those macros change the layout of
// shared types (Request gains an `SSL*` member), so every file that includes the header must
// define them exactly as the library's build did, or the two disagree on object layouts.
// Debian's header cannot be used header-only (it holds no definitions), so this is the one way
// in: include this file, never <httplib.h> directly.
#pragma once

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>
