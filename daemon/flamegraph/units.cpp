#include "flamegraph/units.h"

#include <cmath>
#include <cstdio>

namespace waitprof {

namespace {

struct Scale {
  double factor;  // how many base units one of these is
  const char* suffix;
};

// Two decimals below 10, one below 1000, none from there (with separators): three or four
// significant digits, enough to compare frames and few enough to read at a glance.
std::string scaled(double v, const char* suffix) {
  char buf[64];
  const double mag = std::fabs(v);
  if (mag >= 999.95) {
    return with_thousands(static_cast<int64_t>(std::llround(v))) + " " + suffix;
  }
  snprintf(buf, sizeof buf, "%.*f %s", mag < 9.995 ? 2 : 1, v, suffix);
  return buf;
}

std::string format_time_ns(double ns) {
  static constexpr Scale kScales[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}};
  const double mag = std::fabs(ns);
  for (const Scale& s : kScales) {
    // Rounds up into the bigger unit: 999.96 ms reads "1.00 s", not "1000.0 ms".
    if (mag >= s.factor * 0.99995) return scaled(ns / s.factor, s.suffix);
  }
  return with_thousands(static_cast<int64_t>(std::llround(ns))) + " ns";
}

std::string format_bytes(int64_t bytes) {
  static constexpr Scale kScales[] = {{1125899906842624.0, "PiB"},
                                      {1099511627776.0, "TiB"},
                                      {1073741824.0, "GiB"},
                                      {1048576.0, "MiB"},
                                      {1024.0, "KiB"}};
  const double v = static_cast<double>(bytes);
  for (const Scale& s : kScales) {
    if (std::fabs(v) >= s.factor * 0.99995) return scaled(v / s.factor, s.suffix);
  }
  return std::to_string(bytes) + " B";
}

}  // namespace

std::string with_thousands(int64_t n) {
  // Through the unsigned magnitude: -INT64_MIN does not fit an int64_t.
  uint64_t mag = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(mag);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3 + 1);
  if (n < 0) out += '-';
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_value(int64_t value, std::string_view unit) {
  const double v = static_cast<double>(value);
  if (unit == "nanoseconds" || unit == "ns") return format_time_ns(v);
  if (unit == "microseconds" || unit == "us") return format_time_ns(v * 1e3);
  if (unit == "milliseconds" || unit == "ms") return format_time_ns(v * 1e6);
  if (unit == "seconds" || unit == "s") return format_time_ns(v * 1e9);
  if (unit == "bytes" || unit == "B") return format_bytes(value);
  if (unit.empty() || unit == "count") return with_thousands(value);
  return with_thousands(value) + " " + std::string(unit);
}

std::string format_percent(int64_t part, int64_t total) {
  if (total == 0 || part == 0) return "0%";
  const double pct = 100.0 * static_cast<double>(part) / static_cast<double>(total);
  char buf[32];
  if (std::fabs(pct) < 0.005) return "<0.01%";
  snprintf(buf, sizeof buf, "%.*f%%", std::fabs(pct) < 0.995 ? 2 : 1, pct);
  return buf;
}

}  // namespace waitprof
