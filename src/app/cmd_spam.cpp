// letterhead spam train --spam|--ham ADDRESS FILE...: seeds the Bayesian classifier
// from messages kept elsewhere (like SpamAssassin's sa-learn), so that it votes from
// the first day instead of after 200 spam and 200 ham moves into and out of Junk.
// Each file is one RFC 5322 message; it counts for ADDRESS's own statistics and its
// company's (domain), once per message, exactly as a move into or out of Junk would.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "app/bayes_trainer.hpp"
#include "app/commands.hpp"
#include "app/context.hpp"
#include "filter/bayes.hpp"
#include "store/blobs/fs_blob_store.hpp"

namespace letterhead::app {

void add_spam_commands(CLI::App& app, globals& g) {
  auto* spam = app.add_subcommand("spam", "spam filter / 垃圾邮件过滤");
  spam->require_subcommand(1);

  struct options {
    bool spam = false;
    bool ham = false;
    std::string address;
    std::vector<std::string> files;
  };
  auto o = std::make_shared<options>();
  auto* train = spam->add_subcommand("train", "train the Bayesian classifier with messages (one file each)");
  auto* as_spam = train->add_flag("--spam", o->spam, "the files are spam");
  auto* as_ham = train->add_flag("--ham", o->ham, "the files are wanted mail");
  as_spam->excludes(as_ham);
  train->add_option("ADDRESS", o->address, "whose statistics (and their company's)")->required();
  train->add_option("FILE", o->files, "messages, one per file")->required()->check(CLI::ExistingFile);
  train->callback([&g, o] {
    if (!o->spam && !o->ham) {
      g.status = report(core::error{core::errc::invalid, "say --spam or --ham / 请指定 --spam 或 --ham"});
      return;
    }
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto account = ctx->store->find_account(o->address);
    if (!account) { g.status = report(account.error()); return; }
    const auto options = bayes_options_from(ctx->config);
    const auto cls = o->spam ? store::bayes_class::spam : store::bayes_class::ham;
    std::size_t trained = 0;
    std::size_t unchanged = 0;
    for (const auto& file : o->files) {
      std::error_code ec;
      if (std::filesystem::file_size(file, ec) > ctx->config.limits.message_size || ec) {
        g.status = report(core::error{core::errc::invalid, file + ": unreadable or larger than [limits] message_size"});
        return;
      }
      std::ifstream in(file, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (in.bad()) {
        g.status = report(core::error{core::errc::io, "cannot read " + file});
        return;
      }
      // The content hash names the message, so that training it twice counts once.
      auto done = filter::bayes_train(*ctx->store, *account, store::sha256_hex(bytes), bytes, cls, options);
      if (!done) { g.status = report(done.error()); return; }
      (done->outcome == store::bayes_training::unchanged ? unchanged : trained) += 1;
    }
    std::cout << "trained " << trained << " message(s) as " << (o->spam ? "spam" : "ham") << " for "
              << account->address << " (" << unchanged << " already trained)\n";
  });
}

}  // namespace letterhead::app
