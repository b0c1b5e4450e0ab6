// The Bayesian classifier's tables (migration v8, store/bayes.hpp).

#include <algorithm>
#include <ctime>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/detail/try.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

namespace {

// Tokens per lookup statement: the smallest of these sizes that holds the rest of
// the tokens, the last batch padded by repeating a token. A few statement texts,
// each prepared once per connection and cached; a short message does not bind 256
// values for its few dozen tokens.
constexpr std::size_t token_batches[] = {16, 64, 256};

// The index in token_batches of the batch for `remaining` tokens.
std::size_t token_batch_for(std::size_t remaining) {
  std::size_t k = 0;
  while (k + 1 < std::size(token_batches) && remaining > token_batches[k]) ++k;
  return k;
}

const std::string& token_lookup_sql(std::size_t k) {
  static const auto texts = [] {
    std::vector<std::string> out;
    for (const auto n : token_batches) {
      std::string s = "SELECT token, spam, ham FROM bayes_tokens WHERE scope_kind = ? AND scope_id = ? AND token IN (?";
      for (std::size_t i = 1; i < n; ++i) s += ", ?";
      s += ")";
      out.push_back(std::move(s));
    }
    return out;
  }();
  return texts[k];
}

// Adds `delta` (+1 or -1) to the spam or ham column of the scope's totals and of
// each token; counts never go below zero and token rows at zero are removed.
core::result<void> bayes_add(connection& db, const std::vector<bayes_scope>& scopes,
                             const std::vector<std::uint64_t>& tokens, bayes_class cls, int delta) {
  const bool spam = cls == bayes_class::spam;
  for (const auto& sc : scopes) {
    const auto kind = static_cast<int>(sc.kind);
    STORE_TRY(db.run("INSERT INTO bayes_totals (scope_kind, scope_id) VALUES (?, ?) ON CONFLICT DO NOTHING", kind, sc.id));
    STORE_TRY(db.run(spam ? "UPDATE bayes_totals SET spam = CASE WHEN spam + ?1 > 0 THEN spam + ?1 ELSE 0 END"
                            " WHERE scope_kind = ?2 AND scope_id = ?3"
                          : "UPDATE bayes_totals SET ham = CASE WHEN ham + ?1 > 0 THEN ham + ?1 ELSE 0 END"
                            " WHERE scope_kind = ?2 AND scope_id = ?3",
                     delta, kind, sc.id));
    for (const auto token : tokens) {
      const auto t = static_cast<std::int64_t>(token);
      if (delta > 0) {
        STORE_TRY(db.run(spam ? "INSERT INTO bayes_tokens (scope_kind, scope_id, token, spam, ham) VALUES (?, ?, ?, 1, 0)"
                                " ON CONFLICT (scope_kind, scope_id, token) DO UPDATE SET spam = bayes_tokens.spam + 1"
                              : "INSERT INTO bayes_tokens (scope_kind, scope_id, token, spam, ham) VALUES (?, ?, ?, 0, 1)"
                                " ON CONFLICT (scope_kind, scope_id, token) DO UPDATE SET ham = bayes_tokens.ham + 1",
                         kind, sc.id, t));
      } else {
        STORE_TRY(db.run(spam ? "UPDATE bayes_tokens SET spam = CASE WHEN spam > 0 THEN spam - 1 ELSE 0 END"
                                " WHERE scope_kind = ? AND scope_id = ? AND token = ?"
                              : "UPDATE bayes_tokens SET ham = CASE WHEN ham > 0 THEN ham - 1 ELSE 0 END"
                                " WHERE scope_kind = ? AND scope_id = ? AND token = ?",
                         kind, sc.id, t));
        STORE_TRY(db.run("DELETE FROM bayes_tokens WHERE scope_kind = ? AND scope_id = ? AND token = ?"
                         " AND spam = 0 AND ham = 0",
                         kind, sc.id, t));
      }
    }
  }
  return {};
}

}  // namespace

core::result<bayes_table> sql_store::bayes_lookup(const bayes_scope& scope,
                                                     const std::vector<std::uint64_t>& tokens) {
  return read([&](connection& db) -> core::result<bayes_table> {
    bayes_table out;
    const auto kind = static_cast<int>(scope.kind);
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT spam, ham FROM bayes_totals WHERE scope_kind = ? AND scope_id = ?",
                                         kind, scope.id));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (row) {
        out.spam_messages = st.u64(0);
        out.ham_messages = st.u64(1);
      }
    }
    out.tokens.resize(tokens.size());
    if (out.spam_messages == 0 && out.ham_messages == 0) return out;
    // One statement per batch of tokens instead of one per token: a message asks
    // about up to max_tokens (2,000) of them.
    std::unordered_map<std::int64_t, std::size_t> index;
    index.reserve(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) index.emplace(static_cast<std::int64_t>(tokens[i]), i);
    for (std::size_t first = 0, batch = 0; first < tokens.size(); first += batch) {
      const auto k = token_batch_for(tokens.size() - first);
      batch = token_batches[k];
      STORE_TRY_ASSIGN(auto st, db.prepare(token_lookup_sql(k)));
      st.bind(1, kind);
      st.bind(2, scope.id);
      for (std::size_t i = 0; i < batch; ++i) {
        st.bind(static_cast<int>(i + 3), static_cast<std::int64_t>(tokens[std::min(first + i, tokens.size() - 1)]));
      }
      for (;;) {
        STORE_TRY_ASSIGN(bool row, st.step());
        if (!row) break;
        const auto at = index.find(st.i64(0));
        if (at != index.end()) out.tokens[at->second] = bayes_counts{st.u32(1), st.u32(2)};
      }
    }
    return out;
  });
}

core::result<bayes_train_result> sql_store::bayes_train(id_t account, std::string_view blob_hash,
                                                         bayes_class cls, const std::vector<bayes_scope>& scopes,
                                                         const std::vector<std::uint64_t>& tokens,
                                                         const std::optional<bayes_company_limit>& limit) {
  return write([&](write_context& ctx) -> core::result<bayes_train_result> {
    auto& db = ctx.db;
    STORE_TRY(load_account(db, account));
    std::optional<bayes_class> before;
    bool before_company = false;
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT class, in_domain FROM bayes_trained"
                                         " WHERE account_id = ? AND blob_hash = ?",
                                         account, blob_hash));
      STORE_TRY_ASSIGN(bool row, st.step());
      if (row) {
        before = static_cast<bayes_class>(st.i64(0));
        before_company = st.i64(1) != 0;
      }
    }
    // The scopes a training counts in: the account's always, the domain's when `domain`.
    const auto scopes_with = [&](bool domain) {
      std::vector<bayes_scope> out;
      for (const auto& sc : scopes) {
        if (sc.kind != bayes_scope_kind::domain || domain) out.push_back(sc);
      }
      return out;
    };
    if (before == cls) return bayes_train_result{bayes_training::unchanged, before_company};
    if (before) STORE_TRY(bayes_add(db, scopes_with(before_company), tokens, *before, -1));

    // The share limit, against the domain's total of this class (store/bayes.hpp).
    bool company = std::ranges::any_of(scopes, [](const auto& sc) { return sc.kind == bayes_scope_kind::domain; });
    if (company && limit) {
      std::uint64_t mine = 0;
      {
        STORE_TRY_ASSIGN(auto st, db.query("SELECT COUNT(*) FROM bayes_trained"
                                           " WHERE account_id = ? AND class = ? AND in_domain = 1",
                                           account, static_cast<int>(cls)));
        STORE_TRY_ASSIGN(bool row, st.step());
        if (row) mine = st.u64(0);
      }
      std::uint64_t total = 0;
      for (const auto& sc : scopes) {
        if (sc.kind != bayes_scope_kind::domain) continue;
        STORE_TRY_ASSIGN(auto st, db.query(cls == bayes_class::spam
                                               ? "SELECT spam FROM bayes_totals WHERE scope_kind = ? AND scope_id = ?"
                                               : "SELECT ham FROM bayes_totals WHERE scope_kind = ? AND scope_id = ?",
                                           static_cast<int>(sc.kind), sc.id));
        STORE_TRY_ASSIGN(bool row, st.step());
        if (row) total = std::max(total, st.u64(0));
      }
      const auto allowed = std::max<double>(static_cast<double>(limit->floor), limit->share * static_cast<double>(total));
      company = static_cast<double>(mine) < allowed;
    }
    STORE_TRY(bayes_add(db, scopes_with(company), tokens, cls, +1));
    STORE_TRY(db.run("INSERT INTO bayes_trained (account_id, blob_hash, class, trained, in_domain) VALUES (?, ?, ?, ?, ?)"
                     " ON CONFLICT (account_id, blob_hash) DO UPDATE SET class = excluded.class,"
                     " trained = excluded.trained, in_domain = excluded.in_domain",
                     account, blob_hash, static_cast<int>(cls), static_cast<std::int64_t>(std::time(nullptr)),
                     company ? 1 : 0));
    return bayes_train_result{before ? bayes_training::moved : bayes_training::trained, company};
  });
}

}  // namespace letterhead::store::sql
