// A minimal check macro for the C++ unit tests: a failed check prints its location and is counted;
// main returns check_failures() == 0 ? 0 : 1.
#pragma once

#include <cstdio>

inline int& check_failures() {
  static int failures = 0;
  return failures;
}

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++check_failures();                                                  \
    }                                                                      \
  } while (0)
