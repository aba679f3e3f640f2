// The style and script inlined into every flamegraph SVG (see svg_script.cpp).
#pragma once

namespace waitprof {

extern const char kSvgStyle[];
extern const char kSvgScript[];

}  // namespace waitprof
