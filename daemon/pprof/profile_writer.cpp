#include "pprof/profile_writer.h"

#include <string>

#include "pprof/profile_check.h"
#include "util/atomic_file.h"
#include "util/gzip.h"
#include "util/read_file.h"

namespace waitprof {

namespace pb = perftools::profiles;

namespace {

// Readers accept a default naming no sample type and silently show the last type instead, so
// a typo in our header would go unnoticed unless we refuse it here.
Status check_default_sample_type(const pb::Profile& p) {
  if (p.default_sample_type() == 0) return {};
  const std::string& name = p.string_table(static_cast<int>(p.default_sample_type()));
  for (const pb::ValueType& vt : p.sample_type()) {
    if (p.string_table(static_cast<int>(vt.type())) == name) return {};
  }
  return Error{"default_sample_type \"" + name + "\" is not one of the sample types"};
}

}  // namespace

Result<std::string> encode_profile(const pb::Profile& profile) {
  if (Status st = check_profile(profile); !st) return st.error();
  if (Status st = check_default_sample_type(profile); !st) return st.error();
  // Serialization is deterministic for this schema (it has no map fields), which the
  // byte-identical-output guarantee relies on.
  std::string bytes;
  if (!profile.SerializeToString(&bytes)) {
    return Error{"serializing failed (protobuf messages must stay below 2 GiB)"};
  }
  return gzip_compress(bytes);
}

Status write_profile(const pb::Profile& profile, const std::filesystem::path& path) {
  Result<std::string> gz = encode_profile(profile);
  if (!gz) return Error{"writing " + path.string() + ": " + gz.error().message};
  return write_file_atomically(path, *gz);
}

Result<pb::Profile> read_profile(const std::filesystem::path& path) {
  Result<std::string> data = read_text_file(path);
  if (!data) return data.error();
  const std::string where = "reading " + path.string();
  if (looks_gzipped(*data)) {
    Result<std::string> plain = gzip_decompress(*data);
    if (!plain) return Error{where + ": " + plain.error().message};
    *data = std::move(*plain);
  }
  pb::Profile profile;
  if (!profile.ParseFromString(*data)) {
    return Error{where + ": not a pprof profile (protobuf parsing failed)"};
  }
  if (Status st = check_profile(profile); !st) return Error{where + ": " + st.error().message};
  return profile;
}

}  // namespace waitprof
