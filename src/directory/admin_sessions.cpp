// Admin API sessions: see admin_sessions.hpp.

#include "directory/admin_sessions.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>

namespace letterhead::directory {

namespace {

store::unix_time now() { return static_cast<store::unix_time>(::time(nullptr)); }

std::string hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

// 256 random bits as base64url: no character that needs quoting in a cookie.
std::string random_token() {
  std::array<unsigned char, 32> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::string token_hash(std::string_view token) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return hex(digest.data(), digest.size());
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

core::error denied(std::string text) { return core::error{core::errc::denied, std::move(text)}; }
// No (longer a) session: the client must log in, unlike a refusal to a logged-in admin.
core::error logged_out(std::string text) { return core::error{core::errc::not_found, std::move(text)}; }

// Tokens are base64url of 32 bytes: anything else is refused before touching the store.
bool plausible_token(std::string_view t) {
  if (t.size() != 43) return false;
  return std::ranges::all_of(t, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

bool is_admin_role(std::string_view role) noexcept {
  return role == role_super_admin || role == role_domain_admin || role == role_department_admin;
}

core::result<admin_login_result> admin_sessions::login(std::string_view address, std::string_view password,
                                                       std::string_view totp_code, login_context& ctx) {
  ctx.protocol = login_protocol::http;
  ctx.second_factor_pending = true;
  auto acc = dir_.authenticate(address, password, ctx);
  if (!acc) return std::unexpected(acc.error());
  auto grants = dir_.store().list_roles(acc->id);
  if (!grants) return std::unexpected(grants.error());
  std::vector<store::role_grant> admin;
  for (const auto& g : *grants) {
    if (is_admin_role(g.role)) admin.push_back(g);
  }
  if (admin.empty()) {
    // Said like a wrong password: the answer must not confirm a right one.
    (void)dir_.store().audit(acc->address, "admin.login.refused", "not an administrator");
    dir_.note_second_factor_failure(ctx, *acc);
    return std::unexpected(denied(std::string(invalid_credentials_message)));
  }
  auto enrolled = dir_.totp_enabled(acc->address);
  if (!enrolled) return std::unexpected(enrolled.error());
  const bool required = std::ranges::any_of(admin, [&](const store::role_grant& g) {
    return std::ranges::find(options_.totp_required_roles, g.role) != options_.totp_required_roles.end();
  });
  if (*enrolled) {
    if (totp_code.empty()) {
      dir_.note_second_factor_failure(ctx, *acc);
      return std::unexpected(denied("a TOTP code is required / 需要动态验证码"));
    }
    if (auto ok = dir_.verify_totp(acc->address, totp_code, now()); !ok) {
      if (ok.error().code != core::errc::denied) return std::unexpected(ok.error());
      dir_.note_second_factor_failure(ctx, *acc);
      return std::unexpected(ok.error());
    }
  } else if (required) {
    (void)dir_.store().audit(acc->address, "admin.login.refused", "TOTP required but not enrolled");
    return std::unexpected(denied("your role requires two-factor authentication: enrol TOTP first / "
                                  "您的角色要求两步验证：请先启用动态验证码"));
  }
  dir_.complete_login(ctx, *acc);
  admin_login_result out;
  out.token = random_token();
  out.csrf_token = random_token();
  const auto t = now();
  store::admin_session s;
  s.token_hash = token_hash(out.token);
  s.account_id = acc->id;
  s.csrf_token = out.csrf_token;
  s.remote_ip = ctx.remote_ip;
  s.created = t;
  s.last_seen = t;
  s.expires = t + options_.lifetime.count();
  if (auto added = dir_.store().add_admin_session(s, t - options_.idle.count()); !added) {
    return std::unexpected(added.error());
  }
  (void)dir_.store().audit(acc->address, "admin.login", ctx.remote_ip.empty() ? "" : "from " + ctx.remote_ip);
  out.account = *acc;
  out.roles = std::move(admin);
  out.expires = s.expires;
  return out;
}

core::result<admin_principal> admin_sessions::check(std::string_view token, std::string_view csrf, bool need_csrf) {
  if (!plausible_token(token)) return std::unexpected(logged_out("not logged in / 未登录"));
  auto s = dir_.store().get_admin_session(token_hash(token));
  if (!s) {
    if (s.error().code == core::errc::not_found) return std::unexpected(logged_out("not logged in / 未登录"));
    return std::unexpected(s.error());
  }
  const auto t = now();
  if (t >= s->expires || s->last_seen + options_.idle.count() <= t) {
    (void)dir_.store().remove_admin_session(s->token_hash);
    return std::unexpected(logged_out("session expired, log in again / 会话已过期，请重新登录"));
  }
  if (need_csrf && !same(csrf, s->csrf_token)) {
    return std::unexpected(core::error{core::errc::denied, "missing or wrong CSRF token / CSRF 令牌缺失或错误"});
  }
  auto acc = dir_.store().get_account(s->account_id);
  if (!acc) return std::unexpected(acc.error());
  auto active = dir_.account_active(acc->id);
  if (!active) return std::unexpected(active.error());
  if (acc->disabled || !*active) {
    (void)dir_.store().remove_admin_session(s->token_hash);
    return std::unexpected(logged_out("account disabled / 账户已停用"));
  }
  auto grants = dir_.store().list_roles(acc->id);
  if (!grants) return std::unexpected(grants.error());
  admin_principal p;
  for (const auto& g : *grants) {
    if (is_admin_role(g.role)) p.roles.push_back(g);
  }
  if (p.roles.empty()) return std::unexpected(denied("not an administrator / 不是管理员"));
  // One write a minute at most per session, not one per request.
  if (t - s->last_seen >= 60) (void)dir_.store().touch_admin_session(s->token_hash, t);
  p.account = std::move(*acc);
  p.who = actor{p.account.address, p.account.id};
  p.csrf_token = s->csrf_token;
  return p;
}

core::result<void> admin_sessions::logout(std::string_view token) {
  if (!plausible_token(token)) return {};
  return dir_.store().remove_admin_session(token_hash(token));
}

}  // namespace letterhead::directory
