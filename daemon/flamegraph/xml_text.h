// Text that goes into the SVG. C++ names are full of '<', '>' and '&' ("std::map<K, V>::
// operator[]", "operator&&"), and a profile's strings are not promised to be valid UTF-8; one
// bad byte would make the browser refuse the whole file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace waitprof {

// Escapes & < > " ' for use in element text and attribute values, and replaces each invalid
// UTF-8 byte and each control character XML 1.0 forbids with U+FFFD.
std::string xml_escape(std::string_view text);

// Code points in valid UTF-8 (each invalid byte counts as one): a label's length as the
// browser sees it.
size_t utf8_length(std::string_view text);

// The first `n` code points of `text` (never splitting a multi-byte sequence).
std::string_view utf8_prefix(std::string_view text, size_t n);

}  // namespace waitprof
