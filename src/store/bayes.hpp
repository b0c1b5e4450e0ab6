#pragma once
// Records of the Bayesian spam classifier (filter/bayes.hpp): per-scope token
// counts and the messages each account has trained, so that a message is counted
// once and a reclassification (spam → ham) moves its counts instead of adding.
//
// A token is a 64-bit hash of a word (filter/ decides how); the store never sees
// the words, which keeps rows small and the tables' size bounded by the number of
// distinct hashes.

#include <compare>
#include <cstdint>

#include "store/types.hpp"

namespace letterhead::store {

enum class bayes_class : int { spam = 1, ham = 2 };

// Whose statistics: a whole domain's (the company) or one account's (the user).
enum class bayes_scope_kind : int { domain = 1, account = 2 };

struct bayes_scope {
  bayes_scope_kind kind = bayes_scope_kind::domain;
  id_t id = 0;
  auto operator<=>(const bayes_scope&) const = default;
};

struct bayes_counts {
  std::uint32_t spam = 0;  // trained spam messages that held the token
  std::uint32_t ham = 0;
};

// A scope's statistics for the tokens asked about.
struct bayes_table {
  std::uint64_t spam_messages = 0;  // messages trained as spam in this scope
  std::uint64_t ham_messages = 0;
  std::vector<bayes_counts> tokens;  // in the order of the tokens asked; zeros when unseen
};

enum class bayes_training {
  trained,    // counted for the first time
  unchanged,  // this account had trained the message as this class already
  moved,      // it had been trained as the other class: its counts moved over
};

// How much of its company's statistics one account's training may make up, so that
// one employee (or a stolen account) cannot teach the whole company that its
// invoices are spam: a message the account trains counts in its domain's tables
// only while the messages of that class it has counted there are fewer than
// max(floor, share × the domain's total of that class). Its own tables always count.
struct bayes_company_limit {
  double share = 0.25;
  std::uint64_t floor = 50;
};

struct bayes_train_result {
  bayes_training outcome = bayes_training::trained;
  bool company = false;  // whether the message now counts in the domain's tables
};

}  // namespace letterhead::store
