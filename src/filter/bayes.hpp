#pragma once
// A Bayesian spam classifier in the manner of SpamBayes and SpamAssassin's Bayes:
// words of a message become tokens, each token's spam probability comes from how
// often it appeared in trained spam and ham (Robinson's f(w) with a prior), and the
// strongest clues are combined with Fisher's chi-square method into one
// probability. The classifier only votes once a scope holds enough trained
// messages of each class; its probability becomes one BAYES_* rule in scoring.
//
// Scopes: per domain (the company) and per account (the user), kept in the store
// (store/bayes.hpp). Training comes from users moving mail into or out of Junk
// (app/bayes_trainer.*); classification happens at the MX (make_bayes_rules).
//
// Untrusted input: the whole message. Bounds: at most `max_text` bytes of decoded
// text are tokenised, words of more than `max_word` code points are dropped, and
// at most `max_tokens` distinct tokens are kept per message.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "filter/scoring.hpp"
#include "mime/message.hpp"
#include "store/store.hpp"

namespace letterhead::filter {

struct bayes_options {
  std::uint64_t min_spam = 200;  // trained spam messages a scope needs before it votes
  std::uint64_t min_ham = 200;
  std::size_t max_text = 64 * 1024;  // decoded body text tokenised, in bytes
  std::size_t max_word = 40;         // longer words (in code points) are dropped
  std::size_t max_tokens = 2000;     // distinct tokens kept per message
  // Robinson's prior: strength s and assumed probability x of an unseen token.
  double prior_strength = 0.45;
  double unknown_prob = 0.5;
  // Only tokens at least this far from 0.5 are clues; at most max_clues of them,
  // the most extreme first (SpamBayes' minimum_prob_strength and max_discriminators).
  double min_strength = 0.1;
  std::size_t max_clues = 150;
};

// The words of UTF-8 text: lower-cased (Unicode case folding), split at word
// boundaries by ICU's word BreakIterator, which segments Chinese and Japanese
// with its dictionary and Thai, Lao, Khmer and Burmese with theirs. Punctuation
// and spaces are dropped, as are single Latin letters or digits and words longer
// than max_word code points.
[[nodiscard]] std::vector<std::string> bayes_words(std::string_view utf8, const bayes_options& o = {});

// The tokens of a message as strings with a prefix saying where they came from:
// "s:" subject words, "b:" body words (the readable text/plain and text/html parts,
// decoded to UTF-8, HTML as its text), "url:" the host names its links point to
// (spam changes its words more easily than its sites), "from:" and "to:" address
// domains. Distinct, at most max_tokens. `texts` are the message's readable parts
// when the caller has them already (message_input::texts()), else they are decoded.
[[nodiscard]] std::vector<std::string> bayes_token_strings(std::string_view bytes, const mime::message& parsed,
                                                           const bayes_options& o = {},
                                                           const std::vector<detail::text_part>* texts = nullptr);

// 64-bit FNV-1a of each token string, sorted and distinct: what the store keeps.
[[nodiscard]] std::uint64_t bayes_hash(std::string_view token) noexcept;
[[nodiscard]] std::vector<std::uint64_t> bayes_tokens(std::string_view bytes, const mime::message& parsed,
                                                      const bayes_options& o = {},
                                                      const std::vector<detail::text_part>* texts = nullptr);

// Robinson's f(w) for a token seen in `spam` of `spam_total` spam messages and
// `ham` of `ham_total` ham messages.
[[nodiscard]] double bayes_token_probability(std::uint32_t spam, std::uint32_t ham, std::uint64_t spam_total,
                                             std::uint64_t ham_total, const bayes_options& o = {});

// Fisher's combining of the clues' probabilities: (1 + S - H) / 2 with S and H
// from the inverse chi-square of -2 Σ ln(1 - p) and -2 Σ ln p (2n degrees of
// freedom). 0.5 for no clues.
[[nodiscard]] double bayes_combine(std::span<const double> probabilities);

// Whether a scope has been trained enough to vote: at least min_spam spam and
// min_ham ham messages (and one of each).
[[nodiscard]] bool bayes_can_vote(const store::bayes_table& table, const bayes_options& o = {}) noexcept;

// The spam probability from a scope's table for `tokens` (same order), or nullopt
// when the scope has fewer than min_spam spam or min_ham ham messages, or when no
// token it has seen is a clue (nothing to say about this message: another scope may).
[[nodiscard]] std::optional<double> bayes_classify(const store::bayes_table& table, const bayes_options& o = {});

// The BAYES_* rule for a probability, or empty in the undecided middle band.
[[nodiscard]] std::string_view bayes_rule(double probability) noexcept;

// The scopes to train for an account: its own and its domain's.
[[nodiscard]] std::vector<store::bayes_scope> bayes_training_scopes(const store::account& a);

// Trains the message `bytes` (stored under `blob_hash`) as `cls` for `a` and its
// domain, the domain within `limit` (users' moves into and out of Junk; none for an
// administrator's `spam train`).
[[nodiscard]] core::result<store::bayes_train_result> bayes_train(
    store::store& st, const store::account& a, std::string_view blob_hash, std::string_view bytes,
    store::bayes_class cls, const bayes_options& o = {},
    const std::optional<store::bayes_company_limit>& limit = std::nullopt);

// The rule source for the MX. Which statistics it asks (README.md): when every
// recipient is one account whose own tables can vote, that account's; otherwise
// the domain of the first local recipient.
[[nodiscard]] std::unique_ptr<rule_source> make_bayes_rules(store::store& st, bayes_options o);

}  // namespace letterhead::filter
