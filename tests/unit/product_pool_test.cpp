// The pool stands in for the incident's catalogue, so these tests pin what made it matter:
// ~4.5 KB of valid JSON per product, reproducible from a seed, varied enough to look real.
#include "product_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tsrv {
namespace {

using nlohmann::json;

// Generated once: every test reads the same pool, as the server would.
const ProductPool& seed1_pool() {
  static const ProductPool pool = ProductPool::generate(1);
  return pool;
}

const std::vector<json>& seed1_parsed() {
  static const std::vector<json> docs = [] {
    std::vector<json> out;
    const ProductPool& pool = seed1_pool();
    for (size_t i = 0; i < pool.size(); ++i) {
      out.push_back(json::parse(pool.json(i)));
    }
    return out;
  }();
  return docs;
}

// Hand-rolled instead of std::regex, whose GCC 12 implementation warns under -O2 with sanitizers.
bool has_whitespace_outside_strings(std::string_view doc) {
  bool in_string = false;
  for (size_t i = 0; i < doc.size(); ++i) {
    const char c = doc[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      return true;
    }
  }
  return false;
}

bool is_iso8601_utc(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kShape.size()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const bool ok = kShape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == kShape[i];
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Digits after the decimal point of the first number keyed `key` in the raw text; -1 if the
// number has no fractional part or the key is absent.
int decimals_of(std::string_view doc, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  size_t i = doc.find(needle);
  if (i == std::string_view::npos) {
    return -1;
  }
  i += needle.size();
  while (i < doc.size() && doc[i] >= '0' && doc[i] <= '9') {
    ++i;
  }
  if (i == doc.size() || doc[i] != '.') {
    return -1;
  }
  const size_t point = i++;
  while (i < doc.size() && doc[i] >= '0' && doc[i] <= '9') {
    ++i;
  }
  return static_cast<int>(i - point - 1);
}

void expect_string(const json& obj, const char* key) {
  ASSERT_TRUE(obj.contains(key)) << key;
  ASSERT_TRUE(obj[key].is_string()) << key;
  EXPECT_FALSE(obj[key].get<std::string>().empty()) << key;
}

void expect_number(const json& obj, const char* key) {
  ASSERT_TRUE(obj.contains(key)) << key;
  EXPECT_TRUE(obj[key].is_number()) << key;
}

TEST(ProductPoolTest, EveryDocumentParsesAndIsCompact) {
  const ProductPool& pool = seed1_pool();
  for (size_t i = 0; i < pool.size(); ++i) {
    EXPECT_TRUE(json::accept(pool.json(i))) << "document " << i;
    EXPECT_FALSE(has_whitespace_outside_strings(pool.json(i))) << "document " << i;
  }
}

TEST(ProductPoolTest, DocumentsHaveExpectedFieldsAndTypes) {
  for (const json& p : seed1_parsed()) {
    SCOPED_TRACE(p.dump().substr(0, 80));
    ASSERT_TRUE(p.is_object());
    ASSERT_TRUE(p["id"].is_number_integer());
    for (const char* key : {"sku", "name", "brand", "category", "subcategory", "currency",
                            "description", "created_at"}) {
      expect_string(p, key);
    }
    expect_number(p, "price");
    expect_number(p, "compare_at_price");
    EXPECT_GT(p["price"].get<double>(), 0.0);
    EXPECT_GT(p["compare_at_price"].get<double>(), p["price"].get<double>());
    EXPECT_EQ(p["currency"].get<std::string>().size(), 3u);
    expect_number(p, "rating");
    EXPECT_GE(p["rating"].get<double>(), 1.0);
    EXPECT_LE(p["rating"].get<double>(), 5.0);
    ASSERT_TRUE(p["review_count"].is_number_integer());
    ASSERT_TRUE(p["stock"].is_number_integer());
    EXPECT_GE(p["stock"].get<int64_t>(), 0);
    EXPECT_TRUE(is_iso8601_utc(p["created_at"].get<std::string>()));

    ASSERT_TRUE(p["tags"].is_array());
    EXPECT_FALSE(p["tags"].empty());
    for (const json& tag : p["tags"]) {
      EXPECT_TRUE(tag.is_string());
    }

    const json& attrs = p["attributes"];
    ASSERT_TRUE(attrs.is_object());
    expect_string(attrs, "color");
    expect_string(attrs, "material");
    expect_number(attrs, "weight_kg");
    ASSERT_TRUE(attrs["dimensions"].is_object());
    for (const char* key : {"length_cm", "width_cm", "height_cm"}) {
      expect_number(attrs["dimensions"], key);
    }

    // Product copy, not a fragment: several sentences.
    const auto description = p["description"].get<std::string>();
    EXPECT_GE(std::count(description.begin(), description.end(), '.'), 3);

    ASSERT_TRUE(p["reviews"].is_array());
    ASSERT_FALSE(p["reviews"].empty());
    EXPECT_GE(p["review_count"].get<int64_t>(), static_cast<int64_t>(p["reviews"].size()));
    for (const json& r : p["reviews"]) {
      expect_string(r, "author");
      expect_string(r, "title");
      expect_string(r, "body");
      ASSERT_TRUE(r["rating"].is_number_integer());
      EXPECT_GE(r["rating"].get<int>(), 1);
      EXPECT_LE(r["rating"].get<int>(), 5);
    }

    const json& shipping = p["shipping"];
    ASSERT_TRUE(shipping.is_object());
    ASSERT_TRUE(shipping["free_shipping"].is_boolean());
    expect_number(shipping, "cost");
    expect_string(shipping, "carrier");
  }
}

// Money and ratings are printed from integers, so the raw text must show fixed decimals.
TEST(ProductPoolTest, PricesHaveTwoDecimalsAndRatingsOne) {
  const ProductPool& pool = seed1_pool();
  for (size_t i = 0; i < pool.size(); ++i) {
    EXPECT_EQ(decimals_of(pool.json(i), "price"), 2) << "document " << i;
    EXPECT_EQ(decimals_of(pool.json(i), "compare_at_price"), 2) << "document " << i;
    EXPECT_EQ(decimals_of(pool.json(i), "rating"), 1) << "document " << i;
  }
}

TEST(ProductPoolTest, SizesLandAroundFourAndAHalfKilobytes) {
  const ProductPool& pool = seed1_pool();
  size_t total = 0;
  for (size_t i = 0; i < pool.size(); ++i) {
    const size_t n = pool.json(i).size();
    EXPECT_GE(n, 4000u) << "document " << i;
    EXPECT_LE(n, 5000u) << "document " << i;
    total += n;
  }
  const double mean = static_cast<double>(total) / static_cast<double>(pool.size());
  EXPECT_GE(mean, 4300.0);
  EXPECT_LE(mean, 4700.0);
}

TEST(ProductPoolTest, SizesHoldAcrossSeeds) {
  for (const uint64_t seed : {0ULL, 2ULL, 42ULL, 0xFFFFFFFFFFFFFFFFULL}) {
    const ProductPool pool = ProductPool::generate(seed, 100);
    for (size_t i = 0; i < pool.size(); ++i) {
      EXPECT_GE(pool.json(i).size(), 4000u) << "seed " << seed << " document " << i;
      EXPECT_LE(pool.json(i).size(), 5000u) << "seed " << seed << " document " << i;
    }
  }
}

TEST(ProductPoolTest, SameSeedIsByteIdentical) {
  const ProductPool again = ProductPool::generate(1);
  const ProductPool& pool = seed1_pool();
  ASSERT_EQ(again.size(), pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    EXPECT_EQ(again.json(i), pool.json(i)) << i;
  }
}

TEST(ProductPoolTest, DifferentSeedGivesDifferentDocuments) {
  const ProductPool other = ProductPool::generate(2);
  const ProductPool& pool = seed1_pool();
  ASSERT_EQ(other.size(), pool.size());
  size_t differing = 0;
  for (size_t i = 0; i < pool.size(); ++i) {
    differing += other.json(i) != pool.json(i);
  }
  EXPECT_EQ(differing, pool.size());
}

TEST(ProductPoolTest, CountIsRespected) {
  EXPECT_EQ(seed1_pool().size(), kDefaultProductCount);
  EXPECT_EQ(kDefaultProductCount, 500u);
  EXPECT_EQ(ProductPool::generate(1, 1).size(), 1u);
  EXPECT_EQ(ProductPool::generate(1, 37).size(), 37u);
  EXPECT_EQ(ProductPool::generate(1, 0).size(), 0u);
}

// Each product draws from its own stream, so a smaller pool is a prefix of a larger one.
TEST(ProductPoolTest, SmallerPoolIsPrefixOfLarger) {
  const ProductPool small = ProductPool::generate(1, 37);
  for (size_t i = 0; i < small.size(); ++i) {
    EXPECT_EQ(small.json(i), seed1_pool().json(i)) << i;
  }
}

TEST(ProductPoolTest, IdsAreUnique) {
  std::set<int64_t> ids;
  for (const json& p : seed1_parsed()) {
    ids.insert(p["id"].get<int64_t>());
  }
  EXPECT_EQ(ids.size(), seed1_parsed().size());
}

TEST(ProductPoolTest, ProductsVary) {
  std::set<std::string> names, brands, descriptions, categories;
  for (const json& p : seed1_parsed()) {
    names.insert(p["name"].get<std::string>());
    brands.insert(p["brand"].get<std::string>());
    descriptions.insert(p["description"].get<std::string>());
    categories.insert(p["category"].get<std::string>());
  }
  EXPECT_GE(names.size(), 400u);
  EXPECT_GE(brands.size(), 300u);
  EXPECT_EQ(descriptions.size(), seed1_parsed().size());
  EXPECT_GE(categories.size(), 8u);
}

// Word lists carry quotes and non-ASCII text; they must come back intact through a parser.
TEST(ProductPoolTest, SpecialCharactersAreEscapedAndValidUtf8) {
  bool saw_quote = false;
  bool saw_non_ascii = false;
  for (const json& p : seed1_parsed()) {
    EXPECT_NO_THROW((void)p.dump()) << "invalid UTF-8 in " << p["id"];
    const std::string text = p.dump();
    saw_quote = saw_quote || p["description"].get<std::string>().find('"') != std::string::npos;
    for (const char c : text) {
      saw_non_ascii = saw_non_ascii || static_cast<unsigned char>(c) >= 0x80;
    }
  }
  EXPECT_TRUE(saw_quote);
  EXPECT_TRUE(saw_non_ascii);
}

// A loose bound that survives sanitizer builds; the real figure is ~10 ms at -O2.
TEST(ProductPoolTest, GenerationIsFast) {
  const auto start = std::chrono::steady_clock::now();
  const ProductPool pool = ProductPool::generate(7);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(pool.size(), kDefaultProductCount);
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace tsrv
