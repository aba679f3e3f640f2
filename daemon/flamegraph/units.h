// Values as people read them: a flamegraph says "1.23 s" and "4.5 MiB", not "1234567890".
// The SVG's script formats matched totals the same way (svg_script.cpp mirrors these rules),
// so the numbers a user compares on one page agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace waitprof {

// 1234567 → "1,234,567" (always ',' whatever the locale: output must not depend on it).
std::string with_thousands(int64_t n);

// A value in a pprof unit, scaled to a readable one:
//   time ("nanoseconds", "microseconds", "milliseconds", "seconds"): "850 ns", "1.23 µs",
//     "45.6 ms", "403.9 s", "1,234 s";
//   "bytes": "512 B", "1.50 KiB", "45.6 MiB", "1.00 GiB" (1024-based, as heap profilers do);
//   "count" or empty: "12,345"; any other unit is appended: "12,345 objects".
// Scaled values carry two decimals below 10, one below 1000, none above.
std::string format_value(int64_t value, std::string_view unit);

// part/total as "45.6%" (one decimal from 1%, two below, "<0.01%" for a sliver, "0%" for none).
std::string format_percent(int64_t part, int64_t total);

}  // namespace waitprof
