// letterhead store copy --from A.toml --to B.toml: moves a whole installation between
// stores (SQLite <-> PostgreSQL), verified by per-table counts and hashes, resumable
// (store/copy.hpp). Progress goes to stderr, the verification table to stdout.
//
// The source must be stopped first, or mail it accepted during the copy would be lost
// in the copy: the copy holds both data directories' serve lock (app/serve_lock.hpp)
// exclusively, so it refuses while a `serve` runs on either, and no `serve` starts on
// them until it ends.
#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/serve_lock.hpp"
#include "store/copy.hpp"

namespace letterhead::app {

namespace {

core::result<store::store_options> store_of(const std::string& config_file) {
  auto cfg = read_config(config_file);
  if (!cfg) return std::unexpected(cfg.error());
  return store_options_of(*cfg);
}

int run_copy(const std::string& from_file, const std::string& to_file, std::size_t batch) {
  auto from = store_of(from_file);
  if (!from) return report(from.error());
  auto to = store_of(to_file);
  if (!to) return report(to.error());
  auto source_lock = serve_lock::acquire(from->data_dir, serve_lock::mode::copy);
  if (!source_lock) return report(source_lock.error());
  std::optional<serve_lock> target_lock;
  std::error_code ec;
  if (!std::filesystem::exists(to->data_dir, ec) || !std::filesystem::equivalent(from->data_dir, to->data_dir, ec)) {
    auto held = serve_lock::acquire(to->data_dir, serve_lock::mode::copy);
    if (!held) return report(held.error());
    target_lock.emplace(std::move(*held));
  }
  store::copy_settings settings;
  settings.batch_rows = batch;
  settings.progress = [](const std::string& line) { std::cerr << "letterhead: store copy: " << line << '\n'; };
  auto result = store::copy_store(*from, *to, settings);
  if (!result) return report(result.error());

  std::cout << fmt::format("{:<24} {:>10} {:>10}  {}\n", "table", "source", "target", "check");
  for (const auto& t : result->tables) {
    std::cout << fmt::format("{:<24} {:>10} {:>10}  {}\n", t.table, t.source_rows, t.target_rows,
                             t.ok() ? "OK" : "MISMATCH");
  }
  if (result->blobs_shared) {
    std::cout << "blobs: shared directory, not copied\n";
  } else {
    std::cout << fmt::format("blobs: {} copied, {} present\n", result->blobs_copied, result->blobs_present);
  }
  if (!result->ok()) {
    std::cerr << "letterhead: store copy: verification failed; the target keeps its copy marker, so a rerun "
                 "resumes\n";
    return 1;
  }
  // Recorded in the target, the installation that goes on.
  auto target = store::open(*to);
  if (!target) return report(target.error());
  auto audited = (*target)->audit("cli", "store.copy",
                                  fmt::format("from {} ({} tables verified, {} blobs copied)", result->source,
                                              result->tables.size(), result->blobs_copied));
  if (!audited) return report(audited.error());
  std::cout << "verified: OK\n";
  return 0;
}

}  // namespace

void add_store_commands(CLI::App& app, globals& g) {
  struct opts {
    std::string from, to;
    std::size_t batch = 500;
  };
  auto o = std::make_shared<opts>();
  auto* st = app.add_subcommand("store", "the store itself / 存储");
  st->require_subcommand(1);
  auto* copy = st->add_subcommand(
      "copy", "copy a whole installation to another store (stop the source first); resumable, verified");
  copy->add_option("--from", o->from, "config file of the source installation")->required();
  copy->add_option("--to", o->to, "config file of the target (a new, empty installation)")->required();
  copy->add_option("--batch", o->batch, "rows per target transaction (default 500)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  copy->callback([&g, o] { g.status = run_copy(o->from, o->to, o->batch); });
}

}  // namespace letterhead::app
