// DKIM signing keys (RFC 6376 §3.6.1), kept in the store so that every node of a
// cluster signs with the same keys.

#include <string>

#include "store/detail/names.hpp"
#include "store/detail/try.hpp"
#include "store/sql/codes.hpp"
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

#define STORE_SQL_DKIM_COLUMNS \
  "k.id, d.name, k.selector, k.algorithm, k.private_key_pem, k.public_key, k.status, k.created, k.retired"

namespace letterhead::store::sql {

namespace {

// Far above any real key (an RSA-4096 PKCS#8 PEM is about 3.3 KB): a bound, not a policy.
constexpr std::size_t max_key_text = 64 * 1024;

bool is_let_dig(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ), each a DNS label
// (RFC 5321 §4.1.2 Let-dig [Ldh-str]) of at most 63 octets. Lower case here.
bool is_selector(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    auto label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || !is_let_dig(label.front()) || !is_let_dig(label.back())) return false;
    for (char c : label) {
      if (!is_let_dig(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

dkim_key read_dkim_key(const statement& st) {
  dkim_key k;
  k.id = st.i64(0);
  k.domain = st.text(1);
  k.selector = st.text(2);
  k.algorithm = st.text(3);
  k.private_key_pem = st.text(4);
  k.public_key = st.text(5);
  k.status = dkim_status_from_name(st.text(6));
  k.created = st.i64(7);
  k.retired = st.i64(8);
  return k;
}

}  // namespace

core::result<dkim_key> sql_store::add_dkim_key(const dkim_key& k) {
  STORE_TRY_ASSIGN(auto domain_name, detail::normalize_domain(k.domain));
  auto selector = detail::ascii_lower(k.selector);
  if (!is_selector(selector)) {
    return core::fail(core::errc::invalid, "DKIM selector \"" + k.selector + "\" is not a DNS name");
  }
  if (k.algorithm != "rsa-sha256" && k.algorithm != "ed25519-sha256") {
    return core::fail(core::errc::invalid, "unknown DKIM algorithm \"" + k.algorithm + "\"");
  }
  if (k.private_key_pem.empty() || k.public_key.empty()) {
    return core::fail(core::errc::invalid, "DKIM key " + selector + "._domainkey." + domain_name + " is empty");
  }
  if (k.private_key_pem.size() > max_key_text || k.public_key.size() > max_key_text) {
    return core::fail(core::errc::limit, "DKIM key " + selector + "._domainkey." + domain_name + " is too long");
  }
  return write([&](write_context& ctx) -> core::result<dkim_key> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
    {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT 1 FROM dkim_keys WHERE domain_id = ? AND selector = ?", d.id,
                                         selector));
      STORE_TRY_ASSIGN(bool taken, st.step());
      if (taken) {
        return core::fail(core::errc::exists,
                          "domain " + d.name + " has a DKIM key with selector \"" + selector + "\" already");
      }
    }
    dkim_key out = k;
    out.domain = d.name;
    out.selector = selector;
    if (out.created == 0) out.created = now();
    if (out.status == dkim_key::state::active) out.retired = 0;
    STORE_TRY_ASSIGN(out.id, db.run_returning("INSERT INTO dkim_keys (domain_id, selector, algorithm, private_key_pem, public_key, status,"
                     " created, retired) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     d.id, out.selector, out.algorithm, out.private_key_pem, out.public_key,
                     dkim_status_name(out.status), out.created, out.retired));
    return out;
  });
}

core::result<std::vector<dkim_key>> sql_store::list_dkim_keys(std::string_view domain_name) {
  return read([&](connection& db) -> core::result<std::vector<dkim_key>> {
    id_t domain_id = 0;
    if (!domain_name.empty()) {
      STORE_TRY_ASSIGN(auto d, load_domain(db, domain_name));
      domain_id = d.id;
    }
    STORE_TRY_ASSIGN(auto st, db.query("SELECT " STORE_SQL_DKIM_COLUMNS " FROM dkim_keys k"
                                       " JOIN domains d ON d.id = k.domain_id"
                                       " WHERE CAST(?1 AS BIGINT) = 0 OR k.domain_id = ?1 ORDER BY k.created, k.id",
                                       domain_id));
    std::vector<dkim_key> out;
    for (;;) {
      STORE_TRY_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(read_dkim_key(st));
    }
    return out;
  });
}

core::result<void> sql_store::retire_dkim_key(id_t id, unix_time when) {
  return write([&](write_context& ctx) -> core::result<void> {
    auto& db = ctx.db;
    STORE_TRY_ASSIGN(auto st, db.query("SELECT status FROM dkim_keys WHERE id = ?", id));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "DKIM key " + std::to_string(id) + " does not exist");
    // The first retirement time stands: it says since when the key no longer signs.
    if (dkim_status_from_name(st.text(0)) == dkim_key::state::retired) return {};
    st = {};
    return db.run("UPDATE dkim_keys SET status = 'retired', retired = ? WHERE id = ?", when, id);
  });
}

}  // namespace letterhead::store::sql
