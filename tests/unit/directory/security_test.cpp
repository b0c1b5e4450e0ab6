// Account security (issue 6 part B) on a real SQLite store: password policy and
// history, common passwords, TOTP (RFC 6238 test vectors), SCRAM-SHA-256 (RFC 7677
// example), app passwords, brute-force limits, login history and the new-network
// mail, offboarding and restore.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include <gtest/gtest.h>

#include "directory/common_passwords.hpp"
#include "directory/detail/crypto.hpp"
#include "directory/directory.hpp"
#include "directory/notices.hpp"
#include "directory/scram.hpp"
#include "directory/secret_box.hpp"
#include "directory/totp.hpp"
#include "store/store.hpp"

namespace letterhead::directory {
namespace {

constexpr password_cost test_cost{1, 8192};

store::unix_time now() { return static_cast<store::unix_time>(::time(nullptr)); }

class security_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("letterhead-sec-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = store::open(store::store_options{.backend = "sqlite", .url = "", .data_dir = dir_.string()});
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    security_options o;
    o.max_failures_per_ip = 6;
    o.max_failures_per_account = 3;
    o.max_delay = std::chrono::milliseconds(2000);
    dir = std::make_unique<directory>(*store_, test_cost, o);
    ASSERT_TRUE(dir->add_domain("example.com", "test"));
    ASSERT_TRUE(dir->add_user({"alice@example.com", "Alice Wang", "Sunny-Garden-42", 0}, "test"));
    ASSERT_TRUE(dir->add_user({"bob@example.com", "Bob", "Quiet-River-77", 0}, "test"));
  }
  void TearDown() override {
    dir.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  store::account account(std::string_view address) { return *store_->find_account(address); }
  std::size_t inbox_count(std::string_view address) {
    auto acc = account(address);
    return store_->find_mailbox_by_role(acc.id, store::mailbox_role::inbox)->messages;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::store> store_;
  std::unique_ptr<directory> dir;
};

// --- password policy ---

TEST(password_rules, length_classes_name_and_common_passwords) {
  store::password_policy p;
  EXPECT_TRUE(check_password_policy("Sunny-Garden-42", "alice@example.com", "Alice Wang", p));
  EXPECT_FALSE(check_password_policy("Short-1", "alice@example.com", "", p));
  EXPECT_FALSE(check_password_policy("alllowercaseletters", "alice@example.com", "", p));
  EXPECT_FALSE(check_password_policy("My-alice-Pass-9", "alice@example.com", "", p));      // the address
  EXPECT_FALSE(check_password_policy("Wang-Rocks-2024!", "alice@example.com", "Alice Wang", p));  // the name
  EXPECT_FALSE(check_password_policy("Zhang.Wei.Secret9", "zhang.wei@example.com", "", p));  // part of it
  EXPECT_FALSE(check_password_policy("张伟的密码是好的12", "zw@example.com", "张伟", p));
  EXPECT_FALSE(check_password_policy(std::string(300, 'a') + "1", "a@example.com", "", p));
  // Common passwords, also dressed up.
  EXPECT_FALSE(check_password_policy("Password123!", "x@example.com", "", p));
  EXPECT_FALSE(check_password_policy("P@ssw0rd2024!", "x@example.com", "", p));
  EXPECT_FALSE(check_password_policy("Woaini1314!!", "x@example.com", "", p));
  EXPECT_FALSE(check_password_policy("1qaz2wsx!!", "x@example.com", "", p));
  EXPECT_FALSE(check_password_policy("Dragon2024!", "x@example.com", "", p));
  p.refuse_common = false;
  EXPECT_TRUE(check_password_policy("Dragon2024!x", "x@example.com", "", p));
  p.min_length = 16;
  EXPECT_FALSE(check_password_policy("Sunny-Garden-42", "x@example.com", "", p));
  p.min_length = 10;
  p.min_classes = 4;
  EXPECT_FALSE(check_password_policy("Sunny-Garden", "x@example.com", "", p));
  EXPECT_TRUE(check_password_policy("Sunny-Garden-42", "x@example.com", "", p));
}

TEST(password_rules, common_list_is_compiled_in) {
  EXPECT_GT(common_password_count(), 3400u);
  EXPECT_TRUE(is_common_password("123456"));
  EXPECT_TRUE(is_common_password("QWERTY"));
  EXPECT_TRUE(is_common_password("iloveyou!"));
  EXPECT_FALSE(is_common_password("Correct-Horse-42"));
  EXPECT_FALSE(is_common_password("Sunny-Garden-42"));
}

TEST_F(security_test, domain_policy_and_history) {
  store::password_policy p;
  p.min_length = 12;
  p.history = 2;
  ASSERT_TRUE(dir->set_password_policy("example.com", p, "test"));
  EXPECT_EQ(dir->password_policy("example.com")->min_length, 12u);
  p.min_length = 4;
  EXPECT_FALSE(dir->set_password_policy("example.com", p, "test"));
  auto r = dir->set_password("alice@example.com", "Short-Pass1", "test");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("12"), std::string::npos);
  ASSERT_TRUE(dir->set_password("alice@example.com", "Second-Garden-43", "test"));
  // The current one and the previous one are refused.
  EXPECT_FALSE(dir->set_password("alice@example.com", "Second-Garden-43", "test"));
  EXPECT_FALSE(dir->set_password("alice@example.com", "Sunny-Garden-42", "test"));
  ASSERT_TRUE(dir->set_password("alice@example.com", "Third-Garden-44", "test"));
  ASSERT_TRUE(dir->set_password("alice@example.com", "Fourth-Garden-45", "test"));
  // Two back is out of the history of 2 (current + 1 previous checked... + 1 stored).
  EXPECT_TRUE(dir->set_password("alice@example.com", "Second-Garden-43", "test"));
}

TEST_F(security_test, change_required_at_first_login_and_own_change) {
  store::password_policy p;
  p.change_at_first_login = true;
  ASSERT_TRUE(dir->set_password_policy("example.com", p, "test"));
  ASSERT_TRUE(dir->set_password("alice@example.com", "Temporary-Pass-11", "admin"));
  login_context ctx{login_protocol::imap, "192.0.2.10", {}};
  auto r = dir->authenticate("alice@example.com", "Temporary-Pass-11", ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::denied);
  EXPECT_NE(refusal_text(r.error()).find("Password change required"), std::string::npos);
  EXPECT_FALSE(dir->change_own_password("alice@example.com", "wrong-one-1A", "Own-Choice-Pass-12"));
  ASSERT_TRUE(dir->change_own_password("alice@example.com", "Temporary-Pass-11", "Own-Choice-Pass-12"));
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Own-Choice-Pass-12", ctx));
  ASSERT_TRUE(dir->require_password_change("alice@example.com", "admin"));
  EXPECT_FALSE(dir->authenticate("alice@example.com", "Own-Choice-Pass-12", ctx));
  // A new account's first password is temporary too.
  ASSERT_TRUE(dir->add_user({"carol@example.com", "Carol", "First-Pass-Given-1", 0}, "admin"));
  auto c = dir->authenticate("carol@example.com", "First-Pass-Given-1", ctx);
  ASSERT_FALSE(c);
  EXPECT_NE(refusal_text(c.error()).find("Password change required"), std::string::npos);
}

TEST_F(security_test, expiry_refuses_login_and_warning_goes_out_once) {
  store::password_policy p;
  p.max_age_days = 30;
  p.warn_days = 7;
  ASSERT_TRUE(dir->set_password_policy("example.com", p, "test"));
  auto acc = account("alice@example.com");
  const auto changed = store_->get_account_security(acc.id)->password_changed;
  ASSERT_GT(changed, 0);
  EXPECT_EQ(*dir->send_password_expiry_warnings(changed + 86400), 0u);  // not due
  const auto before = inbox_count("alice@example.com");
  EXPECT_EQ(*dir->send_password_expiry_warnings(changed + 24 * 86400), 2u);  // alice and bob
  EXPECT_EQ(inbox_count("alice@example.com"), before + 1);
  EXPECT_EQ(*dir->send_password_expiry_warnings(changed + 25 * 86400), 0u);  // once per password
  // Expired: refused with a reason.
  ASSERT_TRUE(store_->set_password(acc.id, acc.password_hash, store_->get_account_security(acc.id)->scram_sha256,
                                   false, now() - 31 * 86400, 0));
  login_context ctx;
  auto r = dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx);
  ASSERT_FALSE(r);
  EXPECT_NE(refusal_text(r.error()).find("expired"), std::string::npos);
}

// --- TOTP ---

TEST(totp, rfc6238_sha1_test_vectors) {
  // RFC 6238 Appendix B, SHA-1 key "12345678901234567890", 8 digits.
  const std::string key = "12345678901234567890";
  EXPECT_EQ(hotp(key, static_cast<std::uint64_t>(totp_step(59)), 8), "94287082");
  EXPECT_EQ(hotp(key, static_cast<std::uint64_t>(totp_step(1111111109)), 8), "07081804");
  EXPECT_EQ(hotp(key, static_cast<std::uint64_t>(totp_step(1234567890)), 8), "89005924");
  EXPECT_EQ(hotp(key, static_cast<std::uint64_t>(totp_step(20000000000)), 8), "65353130");
  // RFC 4226 Appendix D, 6 digits.
  EXPECT_EQ(hotp(key, 0), "755224");
  EXPECT_EQ(hotp(key, 9), "520489");
}

TEST(totp, window_and_replay) {
  const std::string key = "12345678901234567890";
  const std::int64_t t = 1234567890;
  const auto step = totp_step(t);
  const auto code = hotp(key, static_cast<std::uint64_t>(step));
  EXPECT_EQ(totp_match(key, code, t, 0), step);
  EXPECT_EQ(totp_match(key, code, t + 30, 0), step);   // one step late
  EXPECT_EQ(totp_match(key, code, t - 30, 0), step);   // one step early
  EXPECT_FALSE(totp_match(key, code, t + 90, 0));      // too late
  EXPECT_FALSE(totp_match(key, code, t, step));        // used already
  EXPECT_FALSE(totp_match(key, "12345", t, 0));
  EXPECT_FALSE(totp_match(key, "12a456", t, 0));
  EXPECT_EQ(detail::base32_encode("12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(*detail::base32_decode("gezd gnbv gy3t qojq gezdgnbvgy3tqojq"), key);
  EXPECT_EQ(otpauth_uri("Letterhead", "a@example.com", key),
            "otpauth://totp/Letterhead:a@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Letterhead"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST_F(security_test, totp_account_needs_app_passwords_for_mail_protocols) {
  auto e = dir->enable_totp("alice@example.com", "test");
  ASSERT_TRUE(e);
  EXPECT_TRUE(*dir->totp_enabled("alice@example.com"));
  EXPECT_FALSE(dir->enable_totp("alice@example.com", "test"));  // already on
  const auto secret = *detail::base32_decode(e->secret_base32);
  const auto code = hotp(secret, static_cast<std::uint64_t>(totp_step(now())));
  EXPECT_TRUE(dir->verify_totp("alice@example.com", code, now()));
  EXPECT_FALSE(dir->verify_totp("alice@example.com", code, now()));  // replay
  login_context imap{login_protocol::imap, "192.0.2.20", {}};
  auto r = dir->authenticate("alice@example.com", "Sunny-Garden-42", imap);
  ASSERT_FALSE(r);
  EXPECT_NE(refusal_text(r.error()).find("app password"), std::string::npos);
  login_context web{login_protocol::http, "192.0.2.20", {}};
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", web));  // the code is checked next
  auto app = dir->add_app_password("alice@example.com", "phone", {"imap", "SMTP"}, "test");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->size(), 19u);
  EXPECT_TRUE(dir->authenticate("alice@example.com", *app, imap));
  EXPECT_TRUE(dir->authenticate("alice@example.com", *app, imap));  // cached
  login_context pop{login_protocol::pop3, "192.0.2.20", {}};
  auto p = dir->authenticate("alice@example.com", *app, pop);  // not for POP3
  ASSERT_FALSE(p);
  EXPECT_TRUE(refusal_text(p.error()).empty());
  EXPECT_FALSE(dir->add_app_password("alice@example.com", "phone", {"imap"}, "test"));  // same name
  EXPECT_FALSE(dir->add_app_password("alice@example.com", "tab", {"ftp"}, "test"));
  EXPECT_EQ(dir->list_app_passwords("alice@example.com")->size(), 1u);
  EXPECT_NE(dir->list_app_passwords("alice@example.com")->at(0).last_used, 0);
  ASSERT_TRUE(dir->revoke_app_password("alice@example.com", "phone", "test"));
  EXPECT_FALSE(dir->authenticate("alice@example.com", *app, imap));
  ASSERT_TRUE(dir->disable_totp("alice@example.com", "test"));
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", imap));
}

// --- SCRAM-SHA-256 ---

TEST(scram, rfc7677_example) {
  // RFC 7677 §3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096.
  const auto salt = *detail::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  const auto creds = derive_scram_sha256("pencil", 4096, salt);
  scram_server server;
  auto user = server.client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  ASSERT_TRUE(user);
  EXPECT_EQ(*user, "user");
  EXPECT_EQ(server.server_first(creds, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  auto final_msg = server.client_final(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_TRUE(final_msg) << final_msg.error().message;
  EXPECT_EQ(*final_msg, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(scram, wrong_proof_nonce_and_channel_binding) {
  const auto creds = derive_scram_sha256("pencil", 4096, "saltsaltsaltsalt");
  scram_server a;
  ASSERT_TRUE(a.client_first("n,,n=user,r=abc"));
  (void)a.server_first(creds, "xyz");
  auto bad_proof = a.client_final("c=biws,r=abcxyz,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_FALSE(bad_proof);
  EXPECT_EQ(bad_proof.error().code, core::errc::denied);
  scram_server b;
  ASSERT_TRUE(b.client_first("n,,n=user,r=abc"));
  (void)b.server_first(creds, "xyz");
  EXPECT_EQ(b.client_final("c=biws,r=abcOTHER,p=AAAA").error().code, core::errc::invalid);
  scram_server c;
  EXPECT_EQ(c.client_first("p=tls-unique,,n=user,r=abc").error().code, core::errc::denied);
  EXPECT_EQ(c.client_first("n,a=admin,n=user,r=abc").error().code, core::errc::denied);
  EXPECT_EQ(c.client_first("n,,n=us=41er,r=abc").error().code, core::errc::invalid);
  EXPECT_EQ(c.client_first("garbage").error().code, core::errc::invalid);
  EXPECT_EQ(*scram_server{}.client_first("y,,n=a=2Cb=3Dc,r=abc"), "a,b=c");
  EXPECT_EQ(scram_server{}.client_final("c=biws,r=x,p=AAAA").error().code, core::errc::invalid);  // out of order
}

// A client for tests, written from RFC 5802 §3.
struct scram_client {
  scram_client(std::string u, std::string p) : user(std::move(u)), password(std::move(p)) {}
  std::string user, password, nonce = "clientnonce123", first_bare, server_signature;
  std::string first() {
    first_bare = "n=" + user + ",r=" + nonce;
    return "n,," + first_bare;
  }
  std::string final(const std::string& server_first) {
    auto field = [&](char k) {
      auto p = server_first.find(std::string(1, k) + "=");
      auto e = server_first.find(',', p);
      return server_first.substr(p + 2, e == std::string::npos ? std::string::npos : e - p - 2);
    };
    const auto salted = detail::pbkdf2_sha256(password, *detail::base64_decode(field('s')),
                                              static_cast<std::uint32_t>(std::stoul(field('i'))));
    const auto client_key = detail::hmac_sha256(salted, "Client Key");
    const auto stored = detail::sha256(client_key);
    const auto without_proof = "c=biws,r=" + field('r');
    const auto auth = first_bare + "," + server_first + "," + without_proof;
    const auto sig = detail::hmac_sha256(stored, auth);
    std::string proof(client_key.size(), '\0');
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(client_key[i] ^ sig[i]);
    server_signature = detail::hmac_sha256(detail::hmac_sha256(salted, "Server Key"), auth);
    return without_proof + ",p=" + detail::base64_encode(proof);
  }
};

TEST_F(security_test, scram_exchange_through_the_directory) {
  scram_client c{"alice@example.com", "Sunny-Garden-42"};
  auto ex = dir->start_sasl("SCRAM-SHA-256", login_context{login_protocol::smtp, "192.0.2.30", {}});
  ASSERT_TRUE(ex);
  auto s1 = ex->respond(c.first());
  ASSERT_TRUE(s1) << s1.error().message;
  EXPECT_FALSE(s1->done);
  auto s2 = ex->respond(c.final(s1->challenge));
  ASSERT_TRUE(s2) << s2.error().message;
  EXPECT_EQ(s2->challenge, "v=" + detail::base64_encode(c.server_signature));
  auto s3 = ex->respond("");
  ASSERT_TRUE(s3);
  EXPECT_TRUE(s3->done);
  EXPECT_EQ(ex->account().address, "alice@example.com");
  EXPECT_FALSE(dir->start_sasl("CRAM-MD5", {}));
  // Wrong password and unknown user fail alike.
  for (auto [user, pass] : {std::pair{"alice@example.com", "Wrong-Pass-99"}, {"nobody@example.com", "x"}}) {
    scram_client w{user, pass};
    auto e = dir->start_sasl("SCRAM-SHA-256", login_context{login_protocol::smtp, "192.0.2.31", {}});
    auto f1 = e->respond(w.first());
    ASSERT_TRUE(f1);
    auto f2 = e->respond(w.final(f1->challenge));
    ASSERT_FALSE(f2);
    EXPECT_EQ(f2.error().code, core::errc::denied);
    EXPECT_TRUE(refusal_text(f2.error()).empty());
  }
  // The fake salt for an unknown user stays the same between attempts.
  auto salt_of = [&](const char* user) {
    scram_client w{user, "x"};
    auto e = dir->start_sasl("SCRAM-SHA-256", {});
    return e->respond(w.first())->challenge.substr(std::string("r=clientnonce123").size() + 24);
  };
  EXPECT_EQ(salt_of("nobody@example.com"), salt_of("nobody@example.com"));
}

TEST_F(security_test, scram_without_credentials_fails_cleanly) {
  auto acc = account("bob@example.com");
  ASSERT_TRUE(store_->set_password(acc.id, acc.password_hash, std::nullopt, false, now(), 0));
  scram_client c{"bob@example.com", "Quiet-River-77"};
  auto ex = dir->start_sasl("SCRAM-SHA-256", login_context{login_protocol::imap, "192.0.2.40", {}});
  auto s1 = ex->respond(c.first());
  ASSERT_TRUE(s1);
  auto s2 = ex->respond(c.final(s1->challenge));
  ASSERT_FALSE(s2);
  EXPECT_EQ(s2.error().code, core::errc::denied);
  EXPECT_EQ(dir->login_history("bob@example.com", 1)->at(0).result, "no-scram-credentials");
  // Setting the password again creates them.
  ASSERT_TRUE(dir->set_password("bob@example.com", "Quiet-River-78", "test"));
  scram_client d{"bob@example.com", "Quiet-River-78"};
  auto ex2 = dir->start_sasl("SCRAM-SHA-256", {});
  auto t1 = ex2->respond(d.first());
  EXPECT_TRUE(ex2->respond(d.final(t1->challenge)));
}

// --- brute force ---

TEST_F(security_test, blocks_per_ip_and_account_leave_other_addresses_alone) {
  login_context attacker{login_protocol::imap, "203.0.113.5", {}};
  for (int i = 0; i < 3; ++i) {
    auto r = dir->authenticate("alice@example.com", "Wrong-Pass-1", attacker);
    ASSERT_FALSE(r);
    EXPECT_GT(attacker.delay.count(), 0);
  }
  // The pair is blocked: even the right password is refused, without a password check.
  auto blocked = dir->authenticate("alice@example.com", "Sunny-Garden-42", attacker);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, core::errc::limit);
  EXPECT_FALSE(refusal_text(blocked.error()).empty());
  // Another address logs in fine; the same address can still try another account.
  login_context user{login_protocol::imap, "198.51.100.7", {}};
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", user));
  EXPECT_TRUE(dir->authenticate("bob@example.com", "Quiet-River-77", attacker));
  // More failures from the address block it for every account.
  for (int i = 0; i < 4; ++i) (void)dir->authenticate("nobody@example.com", "x-Wrong-1", attacker);
  auto ip_blocked = dir->authenticate("bob@example.com", "Quiet-River-77", attacker);
  ASSERT_FALSE(ip_blocked);
  EXPECT_EQ(ip_blocked.error().code, core::errc::limit);
  auto bans = dir->list_bans(now());
  ASSERT_TRUE(bans);
  EXPECT_EQ(bans->size(), 2u);
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", user));
  EXPECT_EQ(*dir->unban("203.0.113.5", "test"), 2u);
  EXPECT_TRUE(dir->list_bans(now())->empty());
  EXPECT_TRUE(dir->authenticate("bob@example.com", "Quiet-River-77", attacker));
  EXPECT_FALSE(dir->unban("not-an-ip", "test"));
  // The history shows it all, newest first.
  auto h = dir->login_history("alice@example.com", 100);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->at(0).result, "ok");
  EXPECT_EQ(h->at(0).ip, "198.51.100.7");
  EXPECT_EQ(h->at(0).protocol, "imap");
  EXPECT_EQ(std::count_if(h->begin(), h->end(), [](const auto& e) { return e.result == "failed"; }), 3);
  EXPECT_EQ(std::count_if(h->begin(), h->end(), [](const auto& e) { return e.result == "blocked"; }), 1);
}

TEST_F(security_test, login_from_a_new_network_mails_the_user) {
  EXPECT_EQ(login_network("192.0.2.77"), "192.0.2.0/24");
  EXPECT_EQ(login_network("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(login_network("::ffff:192.0.2.9"), "192.0.2.0/24");
  EXPECT_EQ(login_network("nonsense"), "");
  const auto before = inbox_count("alice@example.com");
  login_context first{login_protocol::imap, "192.0.2.1", {}};
  ASSERT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", first));
  login_context same{login_protocol::smtp, "192.0.2.200", {}};
  ASSERT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", same));
  EXPECT_EQ(inbox_count("alice@example.com"), before);  // first network, then the same /24
  login_context other{login_protocol::pop3, "198.51.100.3", {}};
  ASSERT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", other));
  ASSERT_EQ(inbox_count("alice@example.com"), before + 1);
  auto acc = account("alice@example.com");
  auto inbox = store_->find_mailbox_by_role(acc.id, store::mailbox_role::inbox);
  auto msgs = store_->list_messages(inbox->id, 1);
  auto bytes = store_->blobs().get(msgs->back().blob);
  ASSERT_TRUE(bytes);
  EXPECT_NE(bytes->find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_NE(bytes->find("Subject: =?UTF-8?B?"), std::string::npos);
  const auto body = *detail::base64_decode([&] {
    auto b = bytes->substr(bytes->find("\r\n\r\n") + 4);
    std::string joined;
    for (char ch : b) {
      if (ch != '\r' && ch != '\n') joined += ch;
    }
    return joined;
  }());
  EXPECT_NE(body.find("198.51.100.3"), std::string::npos);
  EXPECT_NE(body.find("新的网络"), std::string::npos);
  EXPECT_NE(body.find("has not used before"), std::string::npos);
}

// --- offboarding ---

TEST_F(security_test, offboard_then_restore) {
  auto old_acc = account("alice@example.com");
  auto succ = account("bob@example.com");
  // Some mail, an app password, a list.
  auto blob = *store_->blobs().put("Subject: hello\r\n\r\nbody\r\n");
  store::delivery d;
  d.blob = blob;
  d.internal_date = 1700000000;
  d.targets.push_back({old_acc.id, store::mailbox_role::inbox, store::flag_seen, {}});
  d.targets.push_back({old_acc.id, store::mailbox_role::sent, 0, {}});
  ASSERT_TRUE(store_->deliver(d));
  ASSERT_TRUE(dir->add_app_password("alice@example.com", "phone", {"imap"}, "test"));
  store::group g;
  g.address = "sales@example.com";
  g.name = "Sales";
  g.owners = {"alice@example.com"};
  ASSERT_TRUE(store_->add_group(g));

  offboard_options o;
  o.successor = "bob@example.com";
  o.forward = true;
  o.auto_reply = "Alice has left. Please write to bob@example.com. / Alice 已离职。";
  o.transfer_mail = true;
  auto report = dir->offboard("alice@example.com", o, "admin");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->app_passwords_revoked, 1u);
  EXPECT_EQ(report->messages_moved, 2u);
  EXPECT_EQ(report->groups_moved, 1u);
  EXPECT_EQ(report->mailboxes_shared, store_->list_mailboxes(old_acc.id)->size());
  EXPECT_FALSE(dir->offboard("alice@example.com", o, "admin"));  // twice
  // No login, mail keeps arriving and goes to the successor too.
  login_context ctx{login_protocol::imap, "192.0.2.50", {}};
  EXPECT_FALSE(dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx));
  EXPECT_FALSE(*dir->account_active(old_acc.id));
  EXPECT_EQ(dir->account_active_cached(old_acc.id), false);
  auto res = dir->resolve("alice@example.com");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->accounts, (std::vector<store::id_t>{old_acc.id, succ.id}));
  // The mail moved, flags kept; the successor may read the old mailboxes.
  auto moved = store_->find_mailbox(succ.id, "Offboarded/alice@example.com/INBOX");
  ASSERT_TRUE(moved);
  auto moved_msgs = store_->list_messages(moved->id, 1);
  ASSERT_EQ(moved_msgs->size(), 1u);
  EXPECT_EQ(moved_msgs->at(0).flags, store::flag_seen);
  EXPECT_TRUE(store_->find_mailbox(succ.id, "Offboarded/alice@example.com/Sent"));
  EXPECT_EQ(inbox_count("alice@example.com"), 0u);
  auto shared = store_->list_shared_with(succ.id);
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->size(), report->mailboxes_shared);
  EXPECT_EQ(shared->at(0).rights, "lrs");
  EXPECT_EQ(store_->find_group("sales@example.com")->owners, (std::vector<std::string>{"bob@example.com"}));
  // Auto-replies: once per sender, never to the null sender or lists.
  const std::string msg = "From: c@other.example\r\nSubject: Quote\r\nMessage-ID: <1@other.example>\r\n\r\nhi\r\n";
  EXPECT_EQ(*dir->send_offboarding_replies({"alice@example.com"}, "c@other.example", msg), 1u);
  EXPECT_EQ(*dir->send_offboarding_replies({"alice@example.com"}, "c@other.example", msg), 0u);
  EXPECT_EQ(*dir->send_offboarding_replies({"alice@example.com"}, "", msg), 0u);
  EXPECT_EQ(*dir->send_offboarding_replies({"alice@example.com"}, "d@other.example",
                                           "List-Id: <x.lists.example>\r\n" + msg),
            0u);
  EXPECT_EQ(*dir->send_offboarding_replies({"alice@example.com"}, "d@other.example",
                                           "Auto-Submitted: auto-replied\r\n" + msg),
            0u);
  EXPECT_EQ(*dir->send_offboarding_replies({"bob@example.com"}, "d@other.example", msg), 0u);
  auto queue = store_->list_queue();
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ(queue->at(0).mail_from, "");
  EXPECT_EQ(queue->at(0).recipients.at(0).address, "c@other.example");
  auto reply = *store_->blobs().get(queue->at(0).blob);
  EXPECT_NE(reply.find("Subject: Auto: Quote"), std::string::npos);
  EXPECT_NE(reply.find("In-Reply-To: <1@other.example>"), std::string::npos);
  EXPECT_NE(reply.find("Auto-Submitted: auto-replied"), std::string::npos);
  EXPECT_FALSE(dir->unfreeze("alice@example.com", "admin"));  // restore instead

  ASSERT_TRUE(dir->restore("alice@example.com", "admin"));
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx));
  EXPECT_EQ(inbox_count("alice@example.com"), 1u);
  EXPECT_FALSE(store_->find_mailbox(succ.id, "Offboarded/alice@example.com/INBOX"));
  EXPECT_FALSE(store_->find_mailbox(succ.id, "Offboarded"));
  EXPECT_TRUE(store_->list_shared_with(succ.id)->empty());
  EXPECT_EQ(store_->find_group("sales@example.com")->owners, (std::vector<std::string>{"alice@example.com"}));
  EXPECT_EQ(dir->resolve("alice@example.com")->accounts, (std::vector<store::id_t>{old_acc.id}));
  EXPECT_FALSE(dir->restore("alice@example.com", "admin"));
  // Every step is in the audit log.
  auto audit = store_->list_audit(100);
  auto has = [&](std::string_view action) {
    return std::ranges::any_of(*audit, [&](const auto& a) { return a.action == action; });
  };
  for (auto a : {"user.offboard", "user.offboard.disable", "user.offboard.app_passwords", "user.offboard.transfer",
                 "user.offboard.share", "user.offboard.group_owner", "user.restore", "user.restore.transfer"}) {
    EXPECT_TRUE(has(a)) << a;
  }
}

TEST_F(security_test, freeze_and_unfreeze) {
  ASSERT_TRUE(dir->freeze("alice@example.com", "admin"));
  login_context ctx;
  EXPECT_FALSE(dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx));
  EXPECT_TRUE(dir->resolve("alice@example.com"));  // mail still arrives
  ASSERT_TRUE(dir->unfreeze("alice@example.com", "admin"));
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx));
  EXPECT_FALSE(dir->freeze("nobody@example.com", "admin"));
}

TEST(notices, header_values_and_auto_reply_rules) {
  const std::string m = "Subject: a\r\n b\r\nPrecedence: bulk\r\n\r\nList-Id: not a header\r\n";
  EXPECT_EQ(header_value(m, "subject"), " a b");
  EXPECT_EQ(header_value(m, "List-Id"), "");
  EXPECT_FALSE(may_auto_reply("x@example.com", m));
  EXPECT_FALSE(may_auto_reply("MAILER-DAEMON@example.com", "Subject: x\r\n\r\n"));
  EXPECT_FALSE(may_auto_reply("owner-list@example.com", "Subject: x\r\n\r\n"));
  EXPECT_FALSE(may_auto_reply("list-request@example.com", "Subject: x\r\n\r\n"));
  EXPECT_TRUE(may_auto_reply("x@example.com", "Auto-Submitted: no\r\n\r\n"));
  EXPECT_FALSE(may_auto_reply("x@example.com", "Auto-Submitted: auto-generated\r\n\r\n"));
}


// --- offboarding is all or nothing, and restore can be finished ---

class offboard_atomic_test : public security_test {
 protected:
  void SetUp() override {
    security_test::SetUp();
    alice = account("alice@example.com");
    bob = account("bob@example.com");
    auto blob = *store_->blobs().put("Subject: hello\r\n\r\nbody\r\n");
    store::delivery d;
    d.blob = blob;
    d.internal_date = 1700000000;
    d.targets.push_back({alice.id, store::mailbox_role::inbox, store::flag_seen, {}});
    ASSERT_TRUE(store_->deliver(d));
    ASSERT_TRUE(dir->add_app_password("alice@example.com", "phone", {"imap"}, "test"));
    for (const auto* address : {"sales@example.com", "support@example.com"}) {
      store::group g;
      g.address = address;
      g.name = "List";
      g.owners = {"alice@example.com"};
      ASSERT_TRUE(store_->add_group(g));
    }
    o.successor = "bob@example.com";
    o.transfer_mail = true;
  }
  // Nothing of an offboarding is left.
  void expect_untouched() {
    login_context ctx{login_protocol::imap, "192.0.2.60", {}};
    EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx));
    EXPECT_FALSE(account("alice@example.com").disabled);
    EXPECT_FALSE(store_->get_offboarding(alice.id));
    EXPECT_EQ(inbox_count("alice@example.com"), 1u);
    EXPECT_EQ(dir->list_app_passwords("alice@example.com")->size(), 1u);
    for (const auto* address : {"sales@example.com", "support@example.com"}) {
      EXPECT_EQ(store_->find_group(address)->owners, (std::vector<std::string>{"alice@example.com"})) << address;
    }
  }
  bool audited(std::string_view action) {
    auto audit = store_->list_audit(200);
    return std::ranges::any_of(*audit, [&](const auto& a) { return a.action == action; });
  }

  store::account alice, bob;
  offboard_options o;
};

TEST_F(offboard_atomic_test, a_failure_at_any_step_rolls_back_the_steps_before_it) {
  for (const auto* failing : {"plan", "disable", "app_passwords", "transfer", "share", "groups", "record"}) {
    SCOPED_TRACE(failing);
    o.after_step = [failing](std::string_view step) -> core::result<void> {
      if (step == failing) return core::fail(core::errc::unavailable, "injected failure");
      return {};
    };
    auto r = dir->offboard("alice@example.com", o, "admin");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "injected failure");
    expect_untouched();
    EXPECT_FALSE(store_->find_mailbox(bob.id, "Offboarded/alice@example.com/INBOX"));
    EXPECT_TRUE(store_->list_shared_with(bob.id)->empty());
  }
  EXPECT_TRUE(audited("user.offboard.failed"));
  // And it still works afterwards.
  o.after_step = {};
  ASSERT_TRUE(dir->offboard("alice@example.com", o, "admin"));
  EXPECT_TRUE(account("alice@example.com").disabled);
}

TEST_F(offboard_atomic_test, the_successor_removed_midway_leaves_nothing_applied) {
  // A concurrent admin removes the successor after the plan was made: the store's
  // transaction finds it gone and applies nothing.
  o.after_step = [this](std::string_view step) -> core::result<void> {
    if (step == "plan") {
      if (auto r = dir->remove_user("bob@example.com", "other-admin"); !r) return r;
    }
    return {};
  };
  auto r = dir->offboard("alice@example.com", o, "admin");
  ASSERT_FALSE(r);
  expect_untouched();
}

TEST_F(offboard_atomic_test, only_groups_the_actor_may_manage_change_owner) {
  o.may_move_group = [](const store::group& g) { return g.address == "sales@example.com"; };
  auto r = dir->offboard("alice@example.com", o, "dept-admin@example.com");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->groups_moved, 1u);
  EXPECT_EQ(r->groups_kept, (std::vector<std::string>{"support@example.com"}));
  EXPECT_EQ(store_->find_group("sales@example.com")->owners, (std::vector<std::string>{"bob@example.com"}));
  EXPECT_EQ(store_->find_group("support@example.com")->owners, (std::vector<std::string>{"alice@example.com"}));
  EXPECT_TRUE(audited("user.offboard.group_kept"));
  ASSERT_TRUE(dir->restore("alice@example.com", "admin"));
  EXPECT_EQ(store_->find_group("sales@example.com")->owners, (std::vector<std::string>{"alice@example.com"}));
  EXPECT_EQ(store_->find_group("support@example.com")->owners, (std::vector<std::string>{"alice@example.com"}));
}

TEST_F(offboard_atomic_test, a_restore_that_fails_midway_changes_nothing_and_can_be_run_again) {
  ASSERT_TRUE(dir->offboard("alice@example.com", o, "admin"));
  for (const auto* failing : {"disable", "transfer", "share", "groups", "record"}) {
    SCOPED_TRACE(failing);
    auto r = dir->restore("alice@example.com", "admin", [failing](std::string_view step) -> core::result<void> {
      if (step == failing) return core::fail(core::errc::unavailable, "injected failure");
      return {};
    });
    ASSERT_FALSE(r);
    // Still offboarded: no login until a restore completes.
    EXPECT_TRUE(account("alice@example.com").disabled);
    EXPECT_TRUE(store_->get_offboarding(alice.id));
    EXPECT_EQ(store_->list_messages(store_->find_mailbox(bob.id, "Offboarded/alice@example.com/INBOX")->id, 1)->size(),
              1u);
    EXPECT_FALSE(store_->list_shared_with(bob.id)->empty());
    EXPECT_EQ(store_->find_group("sales@example.com")->owners, (std::vector<std::string>{"bob@example.com"}));
  }
  ASSERT_TRUE(dir->restore("alice@example.com", "admin"));
  login_context ctx{login_protocol::imap, "192.0.2.61", {}};
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42", ctx));
  EXPECT_EQ(inbox_count("alice@example.com"), 1u);
  EXPECT_FALSE(store_->find_mailbox(bob.id, "Offboarded"));
  EXPECT_TRUE(store_->list_shared_with(bob.id)->empty());
  EXPECT_EQ(store_->find_group("sales@example.com")->owners, (std::vector<std::string>{"alice@example.com"}));
}

// --- TOTP seeds sealed with the secret key, bound to their account ---

class sealed_totp_test : public security_test {
 protected:
  std::unique_ptr<directory> with_key(const std::string& key) {
    security_options o;
    o.secret_key = key;
    return std::make_unique<directory>(*store_, test_cost, o);
  }
  std::string code_for(const std::string& secret) {
    return hotp(secret, static_cast<std::uint64_t>(totp_step(now())));
  }
};

TEST_F(sealed_totp_test, a_changed_key_is_a_clear_error_not_a_crash) {
  auto keyed = with_key(make_secret_key());
  auto e = keyed->enable_totp("alice@example.com", "test");
  ASSERT_TRUE(e);
  const auto secret = *detail::base32_decode(e->secret_base32);
  auto other = with_key(make_secret_key());  // the key file was lost and made anew
  auto r = other->verify_totp("alice@example.com", code_for(secret), now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::unavailable);
  EXPECT_NE(r.error().message.find("cannot be opened"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("reset"), std::string::npos);
  // The admin's way out: reset TOTP; the user enrols again under the current key.
  ASSERT_TRUE(other->disable_totp("alice@example.com", "admin"));
  auto again = other->enable_totp("alice@example.com", "test");
  ASSERT_TRUE(again);
  EXPECT_TRUE(other->verify_totp("alice@example.com", code_for(*detail::base32_decode(again->secret_base32)), now()));
}

TEST_F(sealed_totp_test, a_seed_copied_to_another_account_row_does_not_open) {
  auto keyed = with_key(make_secret_key());
  auto e = keyed->enable_totp("alice@example.com", "test");
  ASSERT_TRUE(e);
  const auto secret = *detail::base32_decode(e->secret_base32);
  const auto stored = store_->get_account_security(account("alice@example.com").id)->totp_secret;
  ASSERT_TRUE(stored.starts_with("lhs2"));
  ASSERT_TRUE(store_->set_totp_secret(account("bob@example.com").id, stored));
  auto r = keyed->verify_totp("bob@example.com", code_for(secret), now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::unavailable);
  EXPECT_TRUE(keyed->verify_totp("alice@example.com", code_for(secret), now()));
}

TEST_F(sealed_totp_test, legacy_plain_seeds_are_sealed_again_at_start) {
  const std::string secret = "12345678901234567890";
  ASSERT_TRUE(store_->set_totp_secret(account("alice@example.com").id, secret));  // before sealing existed
  auto keyed = with_key(make_secret_key());
  EXPECT_EQ(keyed->reseal_totp_secrets().value(), 1u);
  const auto stored = store_->get_account_security(account("alice@example.com").id)->totp_secret;
  EXPECT_TRUE(stored.starts_with("lhs2"));
  EXPECT_EQ(stored.find(secret), std::string::npos);
  EXPECT_EQ(keyed->reseal_totp_secrets().value(), 0u);  // nothing left to do
  EXPECT_TRUE(keyed->verify_totp("alice@example.com", code_for(secret), now()));
}

}  // namespace
}  // namespace letterhead::directory
