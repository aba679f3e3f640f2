// target-server: the bundled victim. A prefork HTTP/1.1 server whose GET /read returns a
// random pre-serialized product, picking the index under one global mutex (--rng locked,
// the incident) or from a pre-drawn pool (--rng pool, the fix).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "index_picker.h"
#include "product_pool.h"
#include "request_handler.h"
#include "server_config.h"
#include "stats_region.h"
#include "supervisor.h"

int main(int argc, char** argv) {
  tsrv::ServerConfig config;
  config.workers = std::max(1u, std::thread::hardware_concurrency());

  CLI::App app{
      "target-server: prefork HTTP/1.1 server reproducing a global-RNG-mutex incident.\n"
      "GET /read returns a random ~4.5 KB JSON product; GET /stats returns request and\n"
      "lock-wait counters per worker and in total."};
  app.add_option("--bind", config.bind_address, "Address to listen on")->capture_default_str();
  app.add_option("--port", config.port, "TCP port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--workers", config.workers,
                 "Prefork worker processes (SO_REUSEPORT); 0 serves from this process")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1024u));
  app.add_option("--threads", config.threads, "Event-loop threads per serving process")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  std::string rng = "locked";
  app.add_option("--rng", rng,
                 "locked: one global RNG behind one mutex (the incident); "
                 "pool: 1M pre-drawn indices and an atomic cursor (the fix)")
      ->check(CLI::IsMember({"locked", "pool"}))
      ->capture_default_str();
  app.add_option("--seed", config.seed, "Seed for the products and the RNG")->capture_default_str();
  app.add_option("--products", config.products, "Products in the pool")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--rng-draws", config.rng_draws,
                 "Locked mode: generator draws per pick while holding the lock")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--idle-timeout", config.idle_timeout_s,
                 "Seconds before an idle or stalled connection is closed")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
  app.add_flag("--quiet", config.quiet, "Print nothing but errors");
  CLI11_PARSE(app, argc, argv);
  config.rng = rng == "pool" ? tsrv::RngMode::kPool : tsrv::RngMode::kLocked;

  const tsrv::ProductPool products = tsrv::ProductPool::generate(config.seed, config.products);
  tsrv::g_product_index_pool.init(config.seed, products.size());
  std::string error;
  std::unique_ptr<tsrv::StatsRegion> stats(tsrv::StatsRegion::create(
      config.workers, config.threads, tsrv::rng_mode_name(config.rng), &error));
  if (!stats) {
    fprintf(stderr, "target-server: %s\n", error.c_str());
    return 1;
  }
  const tsrv::RequestHandler handler(products, config.rng, *stats);
  return config.workers == 0 ? tsrv::run_single_process(config, handler, *stats)
                             : tsrv::run_supervisor(config, handler, *stats);
}
