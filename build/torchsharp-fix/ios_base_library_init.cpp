// Part of the TorchSharp fix for systems whose libstdc++ predates GLIBCXX_3.4.32 (GCC 13), e.g. Debian 12
// (README: "Known platform issues"). TorchSharp 0.107's libLibTorchSharp.so uses one symbol of that version,
// std::ios_base_library_init(), which GCC 13's <iostream> calls to set up the standard streams. This library
// defines it the way GCC 13 does: by constructing a static std::ios_base::Init.
#include <ios>

namespace std
{
    __attribute__((visibility("default"))) void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
