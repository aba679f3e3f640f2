#include "flamegraph/flamegraph.h"

#include <filesystem>

#include "flamegraph/folded.h"
#include "flamegraph/palette.h"
#include "flamegraph/sample_index.h"
#include "flamegraph/stack_tree.h"
#include "flamegraph/svg_render.h"
#include "flamegraph/units.h"
#include "pprof/profile_check.h"

namespace waitprof {

namespace pb = perftools::profiles;

namespace {

Result<SampleIndex> checked_index(const pb::Profile& profile, const FlamegraphOptions& options) {
  if (Status s = check_profile(profile); !s) return s.error();
  return select_sample_index(profile, options.sample_index);
}

std::string derive_title(const FlamegraphOptions& options, const SampleIndex& index) {
  const std::string stem = profile_stem(options.source);
  if (stem.empty() || stem == index.type) return index.type;
  return stem + ": " + index.type;
}

std::string subtitle(const pb::Profile& profile, const FlamegraphOptions& options,
                     const SampleIndex& index, const StackTree& tree) {
  std::string s = "Total " + index.type + ": " + format_value(tree.total(), index.unit);
  if (tree.skipped_samples() > 0) {
    // A diff profile's negative values have no width to draw; say so rather than hide them.
    s += " (" + with_thousands(tree.skipped_samples()) + " negative samples not drawn)";
  }
  if (profile.duration_nanos() > 0) {
    s += "  ·  profile duration " + format_value(profile.duration_nanos(), "nanoseconds");
  }
  if (!options.source.empty()) {
    s += "  ·  " + std::filesystem::path(options.source).filename().string();
  }
  return s;
}

}  // namespace

std::string profile_stem(const std::string& path) {
  std::filesystem::path name = std::filesystem::path(path).filename();
  if (name.extension() == ".gz") name = name.stem();
  return name.stem().string();
}

Result<std::string> render_folded(const pb::Profile& profile, const FlamegraphOptions& options) {
  Result<SampleIndex> index = checked_index(profile, options);
  if (!index) return index.error();
  return folded_stacks(StackTree::build(profile, index->index));
}

Result<std::string> render_svg(const pb::Profile& profile, const FlamegraphOptions& options) {
  Result<SampleIndex> index = checked_index(profile, options);
  if (!index) return index.error();
  Palette palette = derive_palette(profile, *index);
  if (!options.palette.empty()) {
    Result<Palette> chosen = parse_palette(options.palette);
    if (!chosen) return chosen.error();
    palette = *chosen;
  }
  const StackTree tree = StackTree::build(profile, index->index);
  SvgPage page;
  page.title = options.title.empty() ? derive_title(options, *index) : options.title;
  page.subtitle = subtitle(profile, options, *index, tree);
  for (int64_t c : profile.comment())
    page.notes.push_back(profile.string_table(static_cast<int>(c)));
  page.unit = index->unit;
  page.palette = palette;
  return render_svg_document(tree, page);
}

}  // namespace waitprof
