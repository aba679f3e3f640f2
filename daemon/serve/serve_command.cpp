#include "serve/serve_command.h"

#include <malloc.h>
#include <poll.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_checks.h"
#include "preflight.h"
#include "record/record_command.h"
#include "record/stop_signals.h"
#include "serve/http_server.h"
#include "serve/live_recording.h"
#include "serve/pprof_handler.h"
#include "util/read_file.h"

namespace waitprof {

namespace {

// The token a non-loopback listener requires: the file's first line, from a file only its
// owner can read (anyone who can read it can read every target's stacks).
Result<std::string> read_token(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return errno_error("--token-file " + path);
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return Error{"--token-file " + path + " is readable by other users: chmod 600 " + path};
  }
  Result<std::string> text = read_text_file(path);
  if (!text) return text.error();
  std::string token = text->substr(0, text->find('\n'));
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.size() < 16) {
    return Error{"--token-file " + path + ": the token (its first line) must have at least 16 "
                 "characters, e.g. head -c 32 /dev/urandom | base64 > " + path};
  }
  return token;
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeOptions& options) {
  CLI::App* sub = app.add_subcommand(
      "serve", "Keep recording a process tree and serve Go's /debug/pprof endpoints for all of "
               "it (profile, block, mutex, goroutine, and offcpu, lock, send)");
  sub->add_option("-p,--pid", options.record.pids, "Process to record (repeatable)")
      ->check(process_id_check())
      ->required();
  sub->add_flag("-c,--children", options.record.children,
                "Also record every descendant, including ones forked while serving");
  sub->add_option("--listen", options.listen,
                  "HOST:PORT to serve on; an address other than loopback needs --token-file")
      ->capture_default_str();
  sub->add_option("--token-file", options.token_file,
                  "File whose first line is the bearer token every request must send "
                  "(Authorization: Bearer TOKEN); mode 600");
  sub->add_option("--max-seconds", options.max_seconds,
                  "Longest seconds= a request may ask for")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  sub->add_option("--max-connections", options.max_connections, "Open connections at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->add_option("--max-in-flight", options.max_in_flight,
                  "Requests answered at once; more get 429")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->add_option("--retain-exited", options.retain_exited_s,
                  "Seconds an exited process's samples stay after its exit (then its map "
                  "entries and symbol caches are freed); at least --max-seconds")
      ->check(CLI::Range(1.0, 7 * 86400.0))
      ->capture_default_str();
  add_recording_flags(sub, options.record);
  return sub;
}

Status run_serve(const ServeOptions& given) {
  ServeOptions options = given;
  if (Status s = check_pids_exist(options.record.pids); !s) return s.error();
  if (options.retain_exited_s < static_cast<double>(options.max_seconds)) {
    return Error{"--retain-exited must be at least --max-seconds (" +
                 std::to_string(options.max_seconds) + "): a window may not lose a process "
                 "that exited inside it"};
  }
  Result<ListenAddress> listen = parse_listen_address(options.listen);
  if (!listen) return listen.error();
  HttpServerOptions http;
  http.listen = *listen;
  http.max_connections = options.max_connections;
  http.max_in_flight = options.max_in_flight;
  if (!options.token_file.empty()) {
    Result<std::string> token = read_token(options.token_file);
    if (!token) return token.error();
    http.token = std::move(*token);
  } else if (!listen->loopback) {
    return Error{"--listen " + options.listen + " is reachable from other hosts: give "
                 "--token-file FILE (a bearer token clients must send), or listen on "
                 "127.0.0.1"};
  }
  if (Status s = check_privileges(); !s) return s.error();
  if (Status s = check_btf(); !s) return s.error();
  Result<std::vector<std::string>> mounted = ensure_kernel_filesystems();
  if (!mounted) return mounted.error();
  for (const std::string& m : *mounted) fprintf(stderr, "waitprof: mounted %s\n", m.c_str());

  // Every connection has its own thread, and glibc gives threads their own malloc arenas (up
  // to 8 per core), each keeping what a reading of the maps once needed: the soak's RSS grew
  // by 10-40 MiB per arena until all were warm. Two arenas, trimmed after each answer
  // (PprofHandler::handle), keep the daemon's memory flat.
  mallopt(M_ARENA_MAX, 2);
  Result<std::unique_ptr<LiveRecording>> live = LiveRecording::start(
      options.record, static_cast<uint64_t>(options.retain_exited_s * 1e9));
  if (!live) return live.error();
  // Blocked before the server's threads start, so they inherit the mask and the signals
  // reach the loop below.
  StopSignals signals;
  if (signals.fd() < 0) return errno_error("creating a signalfd for SIGINT/SIGTERM");
  PprofHandler handler(**live, RequestLimits{options.max_seconds});
  http.on_response = [&handler](int status) { handler.count_response(status); };
  Result<std::unique_ptr<HttpServer>> server = HttpServer::start(
      http, [&handler](const HttpRequest& request) { return handler.handle(request); });
  if (!server) return server.error();
  std::string shown = options.listen;
  if (const size_t colon = shown.rfind(':'); shown.substr(colon + 1) == "0") {
    shown = shown.substr(0, colon + 1) + std::to_string((*server)->port());
  }
  if (shown.front() == ':') shown = "0.0.0.0" + shown;
  fprintf(stderr, "waitprof: serving http://%s/debug/pprof/ for pid%s", shown.c_str(),
          options.record.pids.size() == 1 ? "" : "s");
  for (pid_t pid : options.record.pids) fprintf(stderr, " %d", pid);
  fprintf(stderr, "%s; Ctrl-C to stop\n",
          options.record.children ? " and their children" : "");

  bool said_all_exited = false;
  for (;;) {
    pollfd fds[] = {{(*live)->event_fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    if (::poll(fds, 2, 1000) < 0 && errno != EINTR) return errno_error("waiting for events");
    if (Status s = (*live)->handle_events(); !s) return s.error();
    if (int sig = signals.pending()) {
      fprintf(stderr, "waitprof: %s: answering the requests in progress with what they have, "
              "then stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    if (!said_all_exited && (*live)->all_exited()) {
      said_all_exited = true;
      fprintf(stderr, "waitprof: every target has exited; what they did stays served until "
              "Ctrl-C\n");
    }
  }
  handler.stop();
  server->reset();  // waits for the connections' threads
  return {};
}

}  // namespace waitprof
