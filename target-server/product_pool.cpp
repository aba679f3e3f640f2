// Fake catalogue in the spirit of gofakeit's Product: the incident server held 500 of these,
// each ~4.5 KB once serialized, and the size is what matters for the write path we profile,
// so every document is grown to a per-product byte target rather than to a fixed shape.
//
// All randomness goes through our own generator and range reduction, and every number is
// formatted from integers (cents, tenths, grams), so the bytes are identical whatever the
// standard library or compiler: std::uniform_*_distribution and floating-point printing are
// not specified tightly enough for that.
#include "product_pool.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

namespace tsrv {
namespace {

using Words = std::span<const std::string_view>;

// ---------------------------------------------------------------------------------------------
// Word lists. Some entries carry quotes, apostrophes or non-ASCII UTF-8 on purpose, so the
// escaping path is exercised by real documents and not only by tests.
// ---------------------------------------------------------------------------------------------

struct Category {
  std::string_view name;
  std::string_view code;  // SKU prefix
  std::array<std::string_view, 5> subcategories;
  std::array<std::string_view, 12> nouns;
  int64_t min_cents;
  int64_t max_cents;
};

constexpr std::array kCategories = {
    Category{"Home & Kitchen",
             "HKT",
             {"Cookware", "Small Appliances", "Tableware", "Storage", "Cutlery"},
             {"Chef's Knife", "Cutting Board", "Saucepan", "Dutch Oven", "Coffee Grinder",
              "French Press", "Mixing Bowl", "Serving Tray", "Spice Rack", "Kettle", "Colander",
              "Salad Spinner"},
             899,
             24999},
    Category{"Furniture",
             "FRN",
             {"Office", "Living Room", "Bedroom", "Outdoor", "Entryway"},
             {"Desk Lamp", "Bookshelf", "Side Table", "Armchair", "Bar Stool", "Coffee Table",
              "Nightstand", "Standing Desk", "Ottoman", "Bench", "Floor Lamp", "Shoe Rack"},
             3999,
             89999},
    Category{"Electronics",
             "ELC",
             {"Audio", "Accessories", "Smart Home", "Computing", "Charging"},
             {"Bluetooth Speaker", "Wireless Earbuds", "Headphones", "Charging Dock", "USB-C Hub",
              "Mechanical Keyboard", "Wireless Mouse", "Webcam", "Power Bank", "Smart Plug",
              "Monitor Stand", "Phone Case"},
             1499,
             39999},
    Category{"Clothing",
             "CLO",
             {"Men", "Women", "Outerwear", "Accessories", "Loungewear"},
             {"Jacket", "Hoodie", "Sweater", "T-Shirt", "Scarf", "Beanie", "Gloves", "Socks",
              "Chinos", "Rain Coat", "Vest", "Belt"},
             999,
             29999},
    Category{"Sports & Outdoors",
             "SPO",
             {"Camping", "Fitness", "Cycling", "Hiking", "Water Sports"},
             {"Water Bottle", "Yoga Mat", "Backpack", "Tent", "Sleeping Bag", "Trekking Poles",
              "Dumbbell Set", "Jump Rope", "Bike Helmet", "Camping Chair", "Headlamp", "Cooler"},
             1299,
             49999},
    Category{"Beauty & Personal Care",
             "BPC",
             {"Skincare", "Hair Care", "Bath", "Grooming", "Fragrance"},
             {"Hair Brush", "Shaving Kit", "Soap Dish", "Face Roller", "Bath Towel", "Makeup Bag",
              "Comb", "Vanity Mirror", "Toiletry Bag", "Nail Kit", "Bath Caddy", "Hair Dryer"},
             599,
             12999},
    Category{
        "Toys & Games",
        "TOY",
        {"Board Games", "Puzzles", "Building Sets", "Outdoor Play", "Plush"},
        {"Jigsaw Puzzle", "Chess Set", "Building Blocks", "Kite", "Yo-Yo", "Hand Puppet",
         "Train Set", "Dice Set", "Spinning Top", "Marble Run", "Kaleidoscope", "Stacking Rings"},
        699,
        14999},
    Category{
        "Garden",
        "GDN",
        {"Planters", "Tools", "Watering", "Decor", "Lighting"},
        {"Planter", "Watering Can", "Garden Trowel", "Pruning Shears", "Bird Feeder", "Hose Reel",
         "Wind Chime", "Garden Kneeler", "Seed Tray", "Lantern", "Hanging Basket", "Garden Gloves"},
        799,
        19999},
    Category{
        "Office Supplies",
        "OFS",
        {"Writing", "Desk Accessories", "Paper", "Organization", "Filing"},
        {"Notebook", "Fountain Pen", "Desk Organizer", "Pencil Case", "Letter Tray", "Bookends",
         "Clipboard", "Planner", "Paperweight", "Stapler", "Desk Pad", "Pen Holder"},
        499,
        9999},
    Category{
        "Pet Supplies",
        "PET",
        {"Dogs", "Cats", "Beds", "Feeding", "Travel"},
        {"Dog Bed", "Cat Tree", "Pet Bowl", "Leash", "Collar", "Scratching Post", "Pet Carrier",
         "Chew Toy", "Litter Box", "Grooming Brush", "Travel Crate", "Pet Fountain"},
        599,
        17999},
};

// clang-format off
constexpr std::string_view kAdjectives[] = {
    "Ergonomic", "Sleek", "Rustic", "Handcrafted", "Modern", "Vintage", "Compact", "Portable",
    "Premium", "Classic", "Lightweight", "Durable", "Minimalist", "Deluxe", "Essential", "Everyday",
    "Heavy-Duty", "Foldable", "Adjustable", "Smart", "Elegant", "Refined", "Rugged", "Artisan",
    "Heritage", "Nordic", "Urban", "Coastal", "Studio", "Signature", "Ultralight", "Weatherproof",
    "Insulated", "Modular", "Stackable", "Reversible", "Convertible", "Cordless", "Whisper-Quiet",
    "Bold", "Soft-Touch", "Textured", "Matte", "Polished", "Brushed", "Hand-Thrown", "Eco-Friendly",
    "Organic", "Recycled", "Professional", "Travel", "Mini", "Oversized", "Slim", "Cozy",
    "Breathable", "Waterproof", "Luxe", "Retro", "Scandinavian", "Bohemian", "Belle Époque",
    "Industrial", "Mid-Century"};

constexpr std::string_view kMaterials[] = {
    "Bamboo", "Oak", "Walnut", "Maple", "Teak", "Birch", "Acacia", "Cherry Wood", "Steel",
    "Stainless Steel", "Cast Iron", "Aluminum", "Copper", "Brass", "Titanium", "Ceramic",
    "Porcelain", "Stoneware", "Glass", "Marble", "Granite", "Slate", "Concrete", "Cork", "Leather",
    "Vegan Leather", "Suede", "Cotton", "Organic Cotton", "Linen", "Wool", "Merino Wool",
    "Cashmere", "Hemp", "Canvas", "Denim", "Velvet", "Felt", "Silicone", "Rubber",
    "Recycled Plastic", "Nylon", "Rattan", "Wicker", "Jute", "Carbon Fiber", "Terracotta",
    "Papier-Mâché"};

constexpr std::string_view kColors[] = {
    "Black", "White", "Charcoal", "Slate Gray", "Navy", "Midnight Blue", "Sky Blue", "Teal", "Sage",
    "Olive", "Forest Green", "Mint", "Mustard", "Saffron", "Terracotta", "Rust", "Burgundy",
    "Crimson", "Coral", "Blush", "Dusty Rose", "Lavender", "Plum", "Ivory", "Cream", "Crème Brûlée",
    "Café au Lait", "Sand", "Taupe", "Mocha", "Espresso", "Walnut Brown", "Copper", "Gold",
    "Silver", "Graphite", "Oatmeal", "Stone", "Fog", "Pine", "Cobalt", "Indigo", "Peach", "Lemon",
    "Tangerine", "Matte Black", "Pearl", "Bone", "Seafoam", "Brick"};

constexpr std::string_view kFirstNames[] = {
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Benjamin", "Harper", "Henry", "Evelyn", "Theodore", "Abigail",
    "Oliver", "Chloé", "José", "Zoë", "Søren", "Renée", "Aiden", "Priya", "Arjun", "Mei", "Hiroshi",
    "Fatima", "Omar", "Ingrid", "Lars", "Camila", "Diego", "Nadia", "Yusuf", "Grace", "Samuel",
    "Hannah", "Daniel", "Leah", "Caleb", "Nora", "Isaac", "Ruby", "Owen", "Aaliyah", "Wyatt",
    "Stella", "Julian", "Hazel", "Levi", "Violet", "Ezra", "Aurora", "Miles", "Ivy", "Felix"};

constexpr std::string_view kLastNames[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Müller", "Núñez", "O'Brien", "Østergaard", "Brontë", "Zhao",
    "Kowalski", "Novak", "Schmidt", "Rossi", "Dubois", "Kim", "Park", "Tanaka", "Singh", "Patel",
    "Okafor", "Haddad", "Larsen", "Fitzgerald"};

// Coined brand roots: gofakeit's Company mixes surnames with suffixes, and real storefronts add
// invented single-word brands, so both shapes appear.
constexpr std::string_view kBrandRoots[] = {
    "Aurora", "Birchwood", "Cedar", "Harbor", "Summit", "Atlas", "Nimbus", "Lumen", "Kestrel",
    "Maplecrest", "Meridian", "Halcyon", "Juniper", "Tidal", "Ember", "Willow", "Granite",
    "Evergreen", "Polar", "Vireo", "Solstice", "Quill", "Hearth", "Alder", "Cobalt", "Fjord",
    "Nova", "Pioneer", "Crescent", "Zephyr", "Lark", "Haven", "Orchard", "Beacon", "Canyon",
    "Drift", "Saltbox", "Ironbark", "Northwind", "Bramble", "Lodestar", "Kōbō"};

constexpr std::string_view kBrandSuffixes[] = {
    "Co.", "Goods", "Supply", "Works", "Labs", "Studio", "Collective", "Outfitters", "Trading Co.",
    "Home", "Design", "Brothers", "& Sons", "Manufacturing", "Industries", "Provisions", "Atelier",
    "Craft", "Inc.", "LLC", "Mercantile", "House", "Company", "Workshop"};

constexpr std::string_view kTags[] = {
    "bestseller", "new-arrival", "gift-idea", "eco-friendly", "limited-edition", "staff-pick",
    "sale", "clearance", "handmade", "sustainable", "vegan", "plastic-free", "fair-trade",
    "made-in-usa", "imported", "small-batch", "award-winning", "trending", "back-in-stock",
    "exclusive", "holiday", "summer", "winter", "spring", "fall", "outdoor", "indoor", "travel",
    "kids", "pets", "minimalist", "vintage", "modern", "rustic", "luxury", "budget", "premium",
    "durable", "lightweight", "compact", "waterproof", "wireless", "rechargeable",
    "dishwasher-safe", "machine-washable", "organic", "recycled", "customizable", "bundle",
    "free-shipping", "top-rated", "editor's-choice", "housewarming", "wedding-registry",
    "back-to-school", "father's-day", "mother's-day", "cyber-monday", "black-friday",
    "work-from-home"};

constexpr std::string_view kFeatures[] = {
    "water-resistant coating", "non-slip base", "USB-C rechargeable battery",
    "dishwasher-safe finish", "machine-washable cover", "BPA-free construction",
    "scratch-resistant surface", "reinforced stitching", "soft-close hinge", "magnetic closure",
    "adjustable strap", "tool-free assembly", "hidden storage compartment",
    "stain-resistant fabric", "tip-over protection", "quick-release latch", "ergonomic grip",
    "double-wall insulation", "UV-resistant finish", "hand-rubbed oil finish", "removable liner",
    "anti-microbial treatment", "breathable mesh panel", "collapsible frame",
    "built-in cable management", "auto shut-off", "low-energy LED", "whisper-quiet motor",
    "reinforced corners", "padded interior", "lifetime warranty", "replaceable parts",
    "weighted base", "stackable design", "leak-proof lid", "rust-proof hardware", "360° swivel",
    "fold-flat design", "wide-mouth opening", "cushioned handle"};

constexpr std::string_view kAudiences[] = {
    "busy families", "home cooks", "weekend adventurers", "remote workers", "college students",
    "design lovers", "minimalists", "first-time homeowners", "frequent travelers", "pet parents",
    "gift shoppers", "new parents", "outdoor enthusiasts", "avid readers", "coffee lovers",
    "fitness fans", "small-space dwellers", "creative professionals", "gardeners",
    "hosts who entertain", "kids and grown-ups", "early risers", "night owls", "DIY tinkerers",
    "commuters", "campers", "collectors", "teachers", "apartment renters", "retirees",
    "students on a budget", "serious hobbyists", "anyone who loves order",
    "people who work standing up", "beginners", "seasoned pros", "tea drinkers", "cyclists",
    "bakers", "music lovers"};

constexpr std::string_view kBenefits[] = {
    "all-day comfort", "years of reliable use", "effortless cleanup", "a clutter-free space",
    "peace of mind", "better sleep", "faster mornings", "a calmer workspace", "consistent results",
    "easy portability", "everyday durability", "a warm, inviting look", "less waste",
    "more room to breathe", "precise control", "lasting freshness", "a lighter load",
    "quiet operation", "simple maintenance", "improved posture", "a polished finish",
    "smarter storage", "weather-ready toughness", "room to grow", "better organization",
    "gentle care", "reliable performance", "a personal touch", "easy sharing", "a timeless style",
    "hassle-free setup", "fewer trips to the store", "more time outdoors", "a cozier home",
    "a tidier desk", "safer handling", "even heating", "steady support", "instant comfort",
    "a focused routine"};

constexpr std::string_view kUses[] = {
    "morning coffee", "weekend camping trips", "holiday gatherings", "the daily commute",
    "late-night study sessions", "Sunday brunch", "backyard barbecues", "road trips",
    "movie nights", "quick weeknight dinners", "rainy afternoons", "video calls",
    "family game night", "spring cleaning", "long flights", "beach days", "dinner parties",
    "afternoon tea", "weekend projects", "early-morning runs", "school mornings",
    "picnics in the park", "home workouts", "craft sessions", "reading in bed", "meal prep",
    "trail hikes", "birthday parties", "office hours", "lazy Sundays", "après-ski evenings",
    "garden parties", "bike commutes", "overnight guests", "snow days", "festival weekends",
    "quiet evenings", "busy workdays", "lake weekends", "cozy nights in"};

constexpr std::string_view kPlaces[] = {
    "kitchen", "home office", "studio apartment", "patio", "living room", "bedroom", "entryway",
    "dorm room", "garage", "balcony", "guest room", "nursery", "bathroom", "cabin", "RV",
    "campsite", "workshop", "craft room", "reading nook", "pantry", "mudroom", "sunroom",
    "backyard", "laundry room", "dining room", "loft", "corner office", "tiny house", "boat",
    "garden shed"};

constexpr std::string_view kDurations[] = {
    "two weeks", "a month", "six weeks", "three months", "six months", "eight months", "a year",
    "two years", "a full season", "a few weeks"};

constexpr std::string_view kWarranties[] = {
    "one-year", "two-year", "three-year", "five-year", "lifetime", "90-day"};

constexpr std::string_view kCurrencies[] = {
    "USD", "USD", "USD", "USD", "USD", "USD", "EUR", "EUR", "GBP", "CAD", "AUD"};

constexpr std::string_view kCarriers[] = {
    "UPS", "FedEx", "USPS", "DHL", "OnTrac", "LaserShip", "Amazon Logistics", "Canada Post"};

constexpr std::string_view kShipsFrom[] = {
    "Portland, OR", "Austin, TX", "Columbus, OH", "Reno, NV", "Memphis, TN", "Louisville, KY",
    "Atlanta, GA", "Denver, CO", "Phoenix, AZ", "Salt Lake City, UT", "Kansas City, MO",
    "Indianapolis, IN", "Charlotte, NC", "Allentown, PA", "Edison, NJ", "Ontario, CA",
    "Stockton, CA", "Seattle, WA", "Minneapolis, MN", "Chicago, IL", "Dallas, TX",
    "Jacksonville, FL", "Nashville, TN", "Boise, ID", "Albuquerque, NM", "Omaha, NE",
    "Richmond, VA", "Baltimore, MD", "Hartford, CT", "Buffalo, NY", "Montréal, QC", "Toronto, ON",
    "Vancouver, BC", "Calgary, AB", "Rotterdam, NL", "Leipzig, DE", "Manchester, UK", "Kraków, PL",
    "Melbourne, AU", "Auckland, NZ"};

constexpr std::string_view kDescriptionTemplates[] = {
    "The {name} is crafted from {material} for {benefit}.",
    "Designed with {audience} in mind, it brings {benefit} to any {place}.",
    "Its {adj} profile pairs naturally with {color} accents and {material} details.",
    "Whether it's {use} or {use}, this {noun} keeps up without missing a beat.",
    "Every piece is inspected by the {brand} team before it leaves the workshop.",
    "Thoughtful touches like the {feature} make everyday use feel effortless.",
    "Finished in {color}, it adds a quiet pop of character to your {place}.",
    "We chose responsibly sourced {material} so you can enjoy {benefit} with a clear conscience.",
    "Pair it with other pieces from the {brand} {subcategory} line for a cohesive look.",
    "Backed by a {warranty} warranty, it's built for {benefit}.",
    "Customers love how the {feature} simplifies {use}.",
    "Tested through {duration} of real-world use, it holds its shape and its finish.",
    "From {use} to {use}, it adapts to the way you live.",
    "The {adj} design earned it a spot on our list of favorites for {audience}.",
    "Simply wipe it clean with a damp cloth; no special care is required.",
    "Generous proportions make it ideal for {use}, while the {feature} adds peace of mind.",
    "It makes a thoughtful gift for {audience}, especially around the holidays.",
    "Each one varies slightly, because the {material} is finished by hand.",
    "Colors can look different on screen — the real \"{color}\" is a touch warmer in person.",
    "Made in small batches, the {name} reflects {brand's} commitment to {benefit}.",
    "Slide it into your {place} and enjoy {benefit} from day one.",
    "It arrives ready to use, with no tools and no complicated assembly.",
    "The {feature} and {feature} set it apart from ordinary {subcategory} gear.",
    "Our {subcategory} team spent {duration} refining every curve and seam.",
    "Use it for {use}, then tuck it away neatly in the {place}.",
    "It's the kind of {noun} that quietly becomes part of your routine.",
    "The {material} ages beautifully, developing a richer character over time.",
    "Fans of {adj} style will appreciate the clean lines and honest materials."};

constexpr std::string_view kPositiveTitles[] = {
    "Love it!", "Exactly as pictured", "Worth every penny", "Better than expected", "Great quality",
    "Five stars — no regrets", "Perfect gift", "Bought a second one", "So well made",
    "Highly recommend", "Looks amazing in my space", "My new favorite", "Solid and beautiful",
    "Exceeded expectations", "Great value", "\"Where did you get that?\"", "Would buy again",
    "Sturdy and stylish", "Just what I needed", "Impressed", "A real upgrade",
    "Fantastic customer service", "Beautiful craftsmanship", "Does the job perfectly",
    "Lives up to the hype", "Très chic", "Fast shipping, great product", "Quality you can feel",
    "Gorgeous color", "Simple and effective"};

constexpr std::string_view kCriticalTitles[] = {
    "Not what I expected", "Smaller than it looks", "Decent, but overpriced", "Arrived damaged",
    "Color is off", "Okay for the price", "Had higher hopes", "Returned it", "Mixed feelings",
    "Instructions were useless", "Flimsy", "It's fine, I guess", "Didn't last", "Meh",
    "Good idea, poor execution"};

constexpr std::string_view kPositiveSentences[] = {
    "I bought this for {use} and it has exceeded my expectations.",
    "The {material} feels solid and the {color} finish looks even better in person.",
    "After {duration} of daily use it still looks brand new.", "It fits perfectly in my {place}.",
    "Honestly worth every penny, and I've already ordered a second one as a gift.",
    "Customer service from {brand} was friendly and answered my question within a day.",
    "My partner called it \"the best {noun} we've ever owned\" and I have to agree.",
    "The {feature} is a small detail that makes a big difference.",
    "Great for {audience}; my sister loved hers so much she bought one too.",
    "Packaging was minimal and completely plastic-free, which I appreciated.",
    "You can tell someone actually thought about how people use a {noun}.",
    "It has made {use} noticeably easier in our house.", "Guests always ask where we got it.",
    "The quality is on par with pieces that cost twice as much.",
    "I was hesitant at this price, but it's clearly built to last.",
    "Setup took less than five minutes and everything lined up perfectly.",
    "It's sturdy, looks great, and does exactly what it promises.",
    "We use it every single day without a single issue so far.",
    "The {color} is rich and even, with no streaks or blemishes.",
    "Definitely recommending {brand} to friends."};

constexpr std::string_view kCriticalSentences[] = {
    "It's a bit smaller than I expected, so double-check the dimensions before ordering.",
    "The {feature} stopped working after {duration}.",
    "The {color} looked much brighter in the photos than it does in real life.",
    "One corner arrived scuffed, and the replacement took almost two weeks.",
    "For the price I expected the {material} to feel a little more substantial.",
    "The instructions were vague and one of the screws was missing.",
    "It wobbles slightly unless it's on a perfectly flat surface.",
    "There was a strong chemical smell for the first few days.",
    "It works, but I don't think it's any better than a generic {noun}.",
    "Returning it through {brand} was easy, at least.",
    "The stitching started to fray after {duration}.",
    "It's fine for occasional {use}, but I wouldn't rely on it every day."};

constexpr std::string_view kNeutralSentences[] = {
    "Shipping was quick and it arrived a day early.",
    "I ordered the {color} version to match our {place}.", "We mostly use it for {use}.",
    "It's slightly heavier than I expected, which is not a bad thing.",
    "Cleaning it is straightforward with a damp cloth.",
    "I compared several brands before settling on this one.",
    "The box was a lot bigger than the product, so be ready for some recycling.",
    "My kids have already claimed it for {use}.", "I've had it for about {duration} now.",
    "It replaced an older {noun} that finally gave out.", "Update: still using it daily.",
    "For reference, I'm using it in a small {place}."};

constexpr std::string_view kAssembly[] = {
    "None required", "Minimal (under 10 minutes)", "Required, tools included",
    "Required, about 30 minutes", "Snap-together, no tools"};

constexpr std::string_view kCareInstructions[] = {
    "Wipe clean with a damp cloth", "Machine wash cold, tumble dry low", "Hand wash only",
    "Dishwasher safe (top rack)", "Spot clean only", "Re-oil every six months",
    "Do not bleach; air dry", "Dust with a soft, dry cloth",
    "Rinse after each use and dry thoroughly", "Dry clean recommended"};

constexpr std::string_view kCountries[] = {
    "United States", "Portugal", "Vietnam", "India", "Mexico", "Italy", "China", "Denmark", "Japan",
    "Türkiye", "Germany", "Canada", "Poland", "Sweden", "Taiwan", "Indonesia", "Peru", "Morocco",
    "Thailand", "Colombia"};

constexpr std::string_view kCertifications[] = {
    "FSC®-certified", "OEKO-TEX® Standard 100", "BPA-free", "UL Listed", "CE marked",
    "Fair Trade Certified™", "GOTS organic", "ENERGY STAR®", "Prop 65 compliant", "Leaping Bunny",
    "Climate Neutral Certified", "bluesign® approved"};

constexpr std::string_view kPackageExtras[] = {
    "care card", "quick-start guide", "dust bag", "mounting hardware", "spare parts kit",
    "gift box", "microfiber cloth", "user manual", "cotton storage pouch", "warranty card"};
// clang-format on

// ---------------------------------------------------------------------------------------------
// Randomness: xoshiro256** seeded through splitmix64, as their authors recommend.
// ---------------------------------------------------------------------------------------------

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) {
      word = splitmix64(seed);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Unbiased value in [0, n): rejecting the short tail keeps every residue equally likely.
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    uint64_t x;
    do {
      x = next();
    } while (x < threshold);
    return x % n;
  }

  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  bool chance(uint64_t percent) { return below(100) < percent; }

  std::string_view pick(Words words) { return words[below(words.size())]; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

// ---------------------------------------------------------------------------------------------
// Formatting.
// ---------------------------------------------------------------------------------------------

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // Bytes >= 0x80 pass through: the word lists are valid UTF-8 and JSON allows it raw.
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// A non-negative fixed-point number, e.g. (12999, 2) -> "129.99": prices and measurements are
// kept as integers so no floating-point formatting can differ between platforms.
void append_fixed(std::string& out, int64_t scaled, int decimals) {
  int64_t div = 1;
  for (int i = 0; i < decimals; ++i) {
    div *= 10;
  }
  append_int(out, scaled / div);
  out += '.';
  int64_t frac = scaled % div;
  for (int64_t d = div / 10; d > 0; d /= 10) {
    out += static_cast<char>('0' + frac / d);
    frac %= d;
  }
}

void append_2digits(std::string& out, int64_t v) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

// Howard Hinnant's civil_from_days: proleptic Gregorian date from days since 1970-01-01.
void civil_from_days(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

void append_date(std::string& out, int64_t epoch_seconds) {
  int64_t y, m, d;
  civil_from_days(epoch_seconds / 86400, y, m, d);
  append_int(out, y);
  out += '-';
  append_2digits(out, m);
  out += '-';
  append_2digits(out, d);
}

void append_timestamp(std::string& out, int64_t epoch_seconds) {
  append_date(out, epoch_seconds);
  const int64_t sod = epoch_seconds % 86400;
  out += 'T';
  append_2digits(out, sod / 3600);
  out += ':';
  append_2digits(out, sod / 60 % 60);
  out += ':';
  append_2digits(out, sod % 60);
  out += 'Z';
}

void append_lower_ascii(std::string& out, std::string_view s) {
  for (const char c : s) {
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

// Writes `"key":` with the comma the previous member needs; values are appended by the caller.
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  void close() { out_ += '}'; }

  std::string& key(std::string_view k) {
    if (!first_) {
      out_ += ',';
    }
    first_ = false;
    out_ += '"';
    out_ += k;  // keys are our own identifiers and never need escaping
    out_ += "\":";
    return out_;
  }
  void string(std::string_view k, std::string_view v) {
    key(k) += '"';
    append_json_escaped(out_, v);
    out_ += '"';
  }
  void integer(std::string_view k, int64_t v) { append_int(key(k), v); }
  void fixed(std::string_view k, int64_t scaled, int decimals) {
    append_fixed(key(k), scaled, decimals);
  }
  void boolean(std::string_view k, bool v) { key(k) += v ? "true" : "false"; }

 private:
  std::string& out_;
  bool first_ = true;
};

// ---------------------------------------------------------------------------------------------
// Product assembly.
// ---------------------------------------------------------------------------------------------

// What the prose templates refer to, so sentences talk about the product they describe.
struct ProductContext {
  std::string name;
  std::string_view noun;
  std::string_view material;
  std::string_view color;
  std::string_view subcategory;
  std::string brand;
};

// Expands {placeholders} into `out` (raw text, escaped later by the caller).
void expand(std::string& out, std::string_view tmpl, const ProductContext& p, Rng& rng) {
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find('{', i);
    if (open == std::string_view::npos) {
      out += tmpl.substr(i);
      return;
    }
    out += tmpl.substr(i, open - i);
    const size_t close = tmpl.find('}', open);
    const std::string_view key = tmpl.substr(open + 1, close - open - 1);
    i = close + 1;
    if (key == "name") {
      out += p.name;
    } else if (key == "noun") {
      append_lower_ascii(out, p.noun);
    } else if (key == "material") {
      append_lower_ascii(out, p.material);
    } else if (key == "color") {
      append_lower_ascii(out, p.color);
    } else if (key == "subcategory") {
      append_lower_ascii(out, p.subcategory);
    } else if (key == "brand") {
      out += p.brand;
    } else if (key == "brand's") {
      out += p.brand;
      out += p.brand.back() == 's' ? "'" : "'s";
    } else if (key == "adj") {
      append_lower_ascii(out, rng.pick(kAdjectives));
    } else if (key == "audience") {
      out += rng.pick(kAudiences);
    } else if (key == "benefit") {
      out += rng.pick(kBenefits);
    } else if (key == "use") {
      out += rng.pick(kUses);
    } else if (key == "place") {
      out += rng.pick(kPlaces);
    } else if (key == "feature") {
      out += rng.pick(kFeatures);
    } else if (key == "duration") {
      out += rng.pick(kDurations);
    } else if (key == "warranty") {
      out += rng.pick(kWarranties);
    }
  }
}

// Picks an entry not yet in `used`, so a paragraph never repeats itself word for word. The
// bitmask limits such lists to 64 entries, and callers keep their picks below the list size.
std::string_view pick_unused(Words words, uint64_t& used, Rng& rng) {
  uint64_t i;
  do {
    i = rng.below(words.size());
  } while (used & (uint64_t{1} << i));
  used |= uint64_t{1} << i;
  return words[i];
}

static_assert(std::size(kDescriptionTemplates) <= 64 && std::size(kPositiveSentences) <= 64 &&
              std::size(kCriticalSentences) <= 64 && std::size(kNeutralSentences) <= 64 &&
              std::size(kTags) <= 64 && std::size(kFeatures) <= 64 &&
              std::size(kCertifications) <= 64);

std::string make_brand(Rng& rng) {
  std::string brand;
  switch (rng.below(4)) {
    case 0:
      brand += rng.pick(kLastNames);
      brand += ' ';
      brand += rng.pick(kBrandSuffixes);
      break;
    case 1:
      brand += rng.pick(kLastNames);
      brand += " & ";
      brand += rng.pick(kLastNames);
      break;
    case 2:
      brand += rng.pick(kBrandRoots);
      brand += ' ';
      brand += rng.pick(kBrandSuffixes);
      break;
    default:
      brand += rng.pick(kBrandRoots);
      break;
  }
  return brand;
}

// URL slug: ASCII letters and digits joined by dashes, with the Latin-1 letters our word lists
// use folded to their base letter so "Papier-Mâché" becomes "papier-mache".
std::string make_slug(std::string_view name) {
  // Base letters for U+00C0..U+00FF, indexed by the UTF-8 continuation byte after 0xC3.
  static constexpr std::string_view kFold =
      "aaaaaaaceeeeiiiidnooooo-ouuuuyts"
      "aaaaaaaceeeeiiiidnooooo-ouuuuyty";
  std::string slug;
  bool dash = false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto u = static_cast<unsigned char>(name[i]);
    char c = 0;
    if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9')) {
      c = static_cast<char>(u);
    } else if (u >= 'A' && u <= 'Z') {
      c = static_cast<char>(u - 'A' + 'a');
    } else if (u == 0xC3 && i + 1 < name.size()) {
      const auto next = static_cast<unsigned char>(name[++i]);
      if (next >= 0x80 && next <= 0xBF && kFold[next - 0x80] != '-') {
        c = kFold[next - 0x80];
      }
    }
    if (c == 0) {
      dash = !slug.empty();
      continue;
    }
    if (dash) {
      slug += '-';
    }
    dash = false;
    slug += c;
  }
  return slug;
}

void append_string_array(std::string& out, Words words, int64_t count, Rng& rng) {
  uint64_t used = 0;
  out += '[';
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) {
      out += ',';
    }
    out += '"';
    append_json_escaped(out, pick_unused(words, used, rng));
    out += '"';
  }
  out += ']';
}

// One review as a JSON object; its rating steers which phrases it uses.
void append_review(std::string& out, const ProductContext& p, int64_t created_at, Rng& rng) {
  // Star ratings on real storefronts skew high: 1..5 stars with these percentages.
  static constexpr std::array<uint64_t, 5> kRatingWeights = {4, 6, 12, 30, 48};
  int64_t rating = 1;
  for (uint64_t roll = rng.below(100); roll >= kRatingWeights[rating - 1]; ++rating) {
    roll -= kRatingWeights[rating - 1];
  }
  const bool happy = rating >= 4;

  JsonObject review(out);
  std::string author(rng.pick(kFirstNames));
  author += ' ';
  const std::string_view last = rng.pick(kLastNames);
  if (rng.chance(50)) {
    author += last;
  } else {
    // The initial is a whole UTF-8 sequence: "Østergaard" must not become a lone lead byte.
    size_t len = 1;
    while (len < last.size() && (static_cast<unsigned char>(last[len]) & 0xC0) == 0x80) {
      ++len;
    }
    author += last.substr(0, len);
    author += '.';
  }
  review.string("author", author);
  review.integer("rating", rating);
  review.string("title", rng.pick(happy ? Words(kPositiveTitles) : Words(kCriticalTitles)));

  std::string body;
  uint64_t used_neutral = 0;
  uint64_t used_toned = 0;
  const int64_t sentences = rng.between(3, 5);
  for (int64_t s = 0; s < sentences; ++s) {
    if (s > 0) {
      body += ' ';
    }
    if (rng.chance(30)) {
      expand(body, pick_unused(kNeutralSentences, used_neutral, rng), p, rng);
    } else {
      const Words toned = happy ? Words(kPositiveSentences) : Words(kCriticalSentences);
      expand(body, pick_unused(toned, used_toned, rng), p, rng);
    }
  }
  review.string("body", body);
  review.boolean("verified_purchase", rng.chance(85));
  const int64_t helpful = rng.chance(40) ? rng.between(1, 250) : 0;
  review.integer("helpful_votes", helpful);
  const int64_t posted = created_at + rng.between(7, 700) * 86400;
  append_date(review.key("date") += '"', posted);
  out += '"';
  review.close();
}

// The description starts at product-copy length and the review list at "a few"; whatever room
// the size target leaves after that goes to more reviews, then to single sentences, which are
// small enough to land within a few dozen bytes of the target.
constexpr int64_t kDescriptionSentencesMin = 4;
constexpr int64_t kDescriptionSentencesMax = 6;
constexpr size_t kReviewsMin = 2;
constexpr size_t kReviewsMax = 6;

std::string make_product(uint64_t seed, size_t index) {
  // Per-product stream, so generate(seed, 37) is a prefix of generate(seed, 500).
  uint64_t mix = seed ^ (0x6a09e667f3bcc909ULL * (index + 1));
  Rng rng(splitmix64(mix));

  // Sum of three uniforms: a bell-ish spread that never leaves [4185, 4875] bytes. Filling
  // stops a little short of the target, hence a centre (4530) above the 4.5 KB we aim for.
  size_t target = 4185;
  for (int i = 0; i < 3; ++i) {
    target += rng.below(231);
  }

  const Category& cat = kCategories[rng.below(kCategories.size())];
  ProductContext p;
  p.noun = rng.pick(cat.nouns);
  p.material = rng.pick(kMaterials);
  p.color = rng.pick(kColors);
  p.subcategory = rng.pick(cat.subcategories);
  p.brand = make_brand(rng);
  p.name = rng.pick(kAdjectives);
  p.name += ' ';
  p.name += p.material;
  p.name += ' ';
  p.name += p.noun;
  const int64_t id = static_cast<int64_t>(100001 + index);

  // Whole units plus a retail ending: .99 mostly, sometimes .49 or .00.
  int64_t price = rng.between(cat.min_cents / 100, cat.max_cents / 100) * 100;
  price += rng.chance(70) ? 99 : rng.chance(50) ? 49 : 0;
  const int64_t compare_at = price + price * rng.between(10, 45) / 100;
  const int64_t rating_tenths = rng.between(28, 50);
  const int64_t review_count = rng.between(12, 4800);
  const int64_t stock = rng.chance(8) ? 0 : rng.between(1, 950);
  const int64_t created_at = rng.between(1546300800, 1735689599);  // 2019..2024, UTC

  std::string out;
  out.reserve(target + 512);
  JsonObject doc(out);
  doc.integer("id", id);
  {
    std::string sku(cat.code);
    sku += '-';
    static constexpr std::string_view kSkuChars = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 8; ++i) {
      sku += kSkuChars[rng.below(kSkuChars.size())];
    }
    doc.string("sku", sku);
  }
  {
    std::string upc;
    for (int i = 0; i < 12; ++i) {
      upc += static_cast<char>('0' + rng.below(10));
    }
    doc.string("upc", upc);
  }
  const std::string slug = make_slug(p.name);
  doc.string("slug", slug);
  doc.string("name", p.name);
  doc.string("brand", p.brand);
  doc.string("category", cat.name);
  doc.string("subcategory", p.subcategory);
  doc.fixed("price", price, 2);
  doc.fixed("compare_at_price", compare_at, 2);
  doc.string("currency", rng.pick(kCurrencies));
  doc.fixed("rating", rating_tenths, 1);
  doc.integer("review_count", review_count);
  doc.integer("stock", stock);
  doc.string("availability", stock == 0 ? "out_of_stock" : stock < 20 ? "low_stock" : "in_stock");
  append_string_array(doc.key("tags"), kTags, rng.between(3, 7), rng);
  {
    JsonObject attrs(doc.key("attributes"));
    attrs.string("color", p.color);
    attrs.string("material", p.material);
    JsonObject dims(attrs.key("dimensions"));
    dims.fixed("length_cm", rng.between(50, 1800), 1);
    dims.fixed("width_cm", rng.between(30, 1200), 1);
    dims.fixed("height_cm", rng.between(10, 1500), 1);
    dims.close();
    attrs.fixed("weight_kg", rng.between(40, 25000), 3);
    attrs.string("warranty", rng.pick(kWarranties));
    attrs.close();
  }
  append_string_array(doc.key("features"), kFeatures, rng.between(3, 6), rng);
  {
    JsonObject specs(doc.key("specifications"));
    std::string model(cat.code);
    model += '-';
    append_int(model, rng.between(100, 9999));
    specs.string("model_number", model);
    specs.string("assembly", rng.pick(kAssembly));
    specs.string("care", rng.pick(kCareInstructions));
    specs.string("country_of_origin", rng.pick(kCountries));
    append_string_array(specs.key("certifications"), kCertifications, rng.between(1, 3), rng);
    std::string contents = "1 × ";
    contents += p.name;
    contents += ", ";
    contents += rng.pick(kPackageExtras);
    specs.string("package_contents", contents);
    specs.close();
  }
  {
    std::string& images = doc.key("images");
    images += '[';
    static constexpr std::string_view kViews[] = {"front", "side", "back", "detail", "lifestyle"};
    const int64_t n = rng.between(2, 5);
    for (int64_t i = 0; i < n; ++i) {
      if (i > 0) {
        images += ',';
      }
      JsonObject image(images);
      std::string url = "https://images.example.com/products/";
      append_int(url, id);
      url += '/';
      url += slug;
      url += '-';
      url += kViews[i];
      url += ".jpg";
      image.string("url", url);
      std::string alt = p.name;
      alt += " in ";
      alt += p.color;
      alt += ", ";
      alt += kViews[i];
      alt += " view";
      image.string("alt", alt);
      image.integer("width", 1200);
      image.integer("height", rng.chance(50) ? 1200 : 1500);
      image.close();
    }
    images += ']';
  }

  std::string shipping_json;
  {
    JsonObject shipping(shipping_json);
    const bool free_shipping = price >= 3500 || rng.chance(20);
    shipping.boolean("free_shipping", free_shipping);
    shipping.fixed("cost", free_shipping ? 0 : rng.between(4, 14) * 100 + 99, 2);
    shipping.string("carrier", rng.pick(kCarriers));
    const int64_t min_days = rng.between(1, 5);
    shipping.integer("estimated_days_min", min_days);
    shipping.integer("estimated_days_max", min_days + rng.between(1, 6));
    shipping.string("ships_from", rng.pick(kShipsFrom));
    shipping.boolean("international", rng.chance(35));
    shipping.integer("return_window_days", rng.chance(60) ? 30 : rng.chance(50) ? 60 : 90);
    shipping.close();
  }

  // Description and reviews are sized against the target before being spliced in.
  std::string description;  // escaped
  std::string reviews;      // escaped, comma-separated objects
  std::string scratch;
  uint64_t used_templates = 0;
  int64_t sentences = 0;
  size_t review_objects = 0;
  static constexpr std::string_view kGlue =
      ",\"description\":\"\",\"reviews\":[],\"shipping\":,\"created_at\":\"\"}";
  static constexpr size_t kTimestampSize = 20;  // "2019-01-01T00:00:00Z"
  auto total = [&] {
    return out.size() + description.size() + reviews.size() + shipping_json.size() + kGlue.size() +
           kTimestampSize;
  };
  auto add_sentence = [&](bool must) {
    scratch.clear();
    if (!description.empty()) {
      scratch += ' ';
    }
    expand(scratch, pick_unused(kDescriptionTemplates, used_templates, rng), p, rng);
    const size_t before = description.size();
    append_json_escaped(description, scratch);
    if (!must && total() > target) {
      description.resize(before);
      return false;
    }
    ++sentences;
    return true;
  };
  auto add_review = [&](bool must) {
    const size_t before = reviews.size();
    if (!reviews.empty()) {
      reviews += ',';
    }
    append_review(reviews, p, created_at, rng);
    if (!must && total() > target) {
      reviews.resize(before);
      return false;
    }
    ++review_objects;
    return true;
  };

  const int64_t base_sentences = rng.between(kDescriptionSentencesMin, kDescriptionSentencesMax);
  while (sentences < base_sentences) {
    add_sentence(true);
  }
  while (review_objects < kReviewsMin) {
    add_review(true);
  }
  for (int misses = 0; misses < 3 && review_objects < kReviewsMax;) {
    if (!add_review(false)) {
      ++misses;
    }
  }
  // A rejected sentence still marks its template used, which also bounds this loop.
  constexpr auto kTemplates = static_cast<int64_t>(std::size(kDescriptionTemplates));
  for (int misses = 0; misses < 8 && std::popcount(used_templates) < kTemplates;) {
    if (!add_sentence(false)) {
      ++misses;
    }
  }

  out += ",\"description\":\"";
  out += description;
  out += "\",\"reviews\":[";
  out += reviews;
  out += "],\"shipping\":";
  out += shipping_json;
  doc.key("created_at") += '"';
  append_timestamp(out, created_at);
  out += '"';
  doc.close();
  return out;
}

}  // namespace

ProductPool ProductPool::generate(uint64_t seed, size_t count) {
  ProductPool pool;
  pool.json_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    pool.json_.push_back(make_product(seed, i));
  }
  return pool;
}

}  // namespace tsrv
