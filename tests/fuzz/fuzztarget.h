// SPDX-License-Identifier: BSD-3-Clause
// The one function every fuzz target defines, libFuzzer's entry point. Built two ways: with
// -DLIVESTORE_FUZZ=ON (clang), libFuzzer drives it; otherwise fuzzsmoke.cpp's main() replays the
// checked-in corpus and a fixed number of mutations of it, in the default test run.
#ifndef LIVESTORE_FUZZTARGET_H
#define LIVESTORE_FUZZTARGET_H

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

#endif // LIVESTORE_FUZZTARGET_H
