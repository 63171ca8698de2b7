#pragma once
// Sizes for people: "512 B", "43.9 MB".

#include <cstdint>
#include <string>

namespace pgpart {

// Bytes in binary units with one decimal: "512 B", "1.5 kB", "43.9 MB", "2.0 GB".
std::string HumanBytes(int64_t bytes);

}  // namespace pgpart
