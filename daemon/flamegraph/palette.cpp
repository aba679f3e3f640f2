#include "flamegraph/palette.h"

#include <cstdint>
#include <cstdio>

namespace waitprof {

namespace pb = perftools::profiles;

Result<Palette> parse_palette(std::string_view name) {
  if (name == "hot") return Palette::kHot;
  if (name == "cold") return Palette::kCold;
  if (name == "io") return Palette::kIo;
  return Error{"unknown palette \"" + std::string(name) + "\": use hot, cold or io"};
}

const char* palette_name(Palette p) {
  switch (p) {
    case Palette::kHot:
      return "hot";
    case Palette::kCold:
      return "cold";
    case Palette::kIo:
      return "io";
  }
  return "hot";
}

Palette derive_palette(const pb::Profile& p, const SampleIndex& index) {
  auto str = [&](int64_t i) -> const std::string& { return p.string_table(static_cast<int>(i)); };
  bool cpu = str(p.period_type().type()) == "cpu", bytes = false;
  for (const pb::ValueType& vt : p.sample_type()) {
    cpu = cpu || str(vt.type()) == "cpu";
    bytes = bytes || str(vt.unit()) == "bytes";
  }
  if (cpu) return Palette::kHot;
  if (bytes) return Palette::kIo;
  for (const char* wait : {"delay", "contentions", "switches", "wait", "block", "offcpu", "lock"}) {
    if (index.type.find(wait) != std::string::npos) return Palette::kCold;
  }
  // A nanosecond value that is not CPU time is time spent waiting (Go's block and mutex
  // profiles call it "delay", other tools "wait" or "off-cpu").
  if (index.unit == "nanoseconds") return Palette::kCold;
  return Palette::kHot;
}

std::string frame_color(Palette palette, std::string_view name) {
  // FNV-1a: stable across platforms and runs (std::hash is neither promised).
  uint64_t h = 1469598103934665603ull;
  for (char c : name) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  // Three independent-looking fractions in [0, 1) from different bits of the hash.
  const double v1 = static_cast<double>((h >> 8) & 0xffff) / 65536.0;
  const double v2 = static_cast<double>((h >> 24) & 0xffff) / 65536.0;
  const double v3 = static_cast<double>((h >> 40) & 0xffff) / 65536.0;
  int r = 0, g = 0, b = 0;
  switch (palette) {
    case Palette::kHot:  // flamegraph.pl's "hot"
      r = 205 + static_cast<int>(50 * v3);
      g = static_cast<int>(230 * v1);
      b = static_cast<int>(55 * v2);
      break;
    case Palette::kCold:  // between flamegraph.pl's "blue" and "aqua", light for black text
      r = 80 + static_cast<int>(60 * v1);
      g = 155 + static_cast<int>(65 * v2);
      b = 215 + static_cast<int>(40 * v3);
      break;
    case Palette::kIo:  // soft greens, light enough for black text
      r = 80 + static_cast<int>(70 * v1);
      g = 180 + static_cast<int>(60 * v2);
      b = 70 + static_cast<int>(60 * v3);
      break;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "rgb(%d,%d,%d)", r, g, b);
  return buf;
}

}  // namespace waitprof
