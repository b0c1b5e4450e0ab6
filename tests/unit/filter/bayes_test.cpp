// The Bayesian classifier: tokenizer (Latin, Chinese, bounds), Fisher combining
// against values worked out by hand from SpamBayes' formulas, and training in a real
// SQLite store (once per message, reclassification moves counts).

#include "filter/bayes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "mime/parser.hpp"

namespace letterhead::filter {
namespace {

bool has(const std::vector<std::string>& v, std::string_view s) { return std::ranges::find(v, s) != v.end(); }

TEST(bayes_words, latin_words_folded_and_filtered) {
  const auto w = bayes_words("Hello, WORLD!  a 1 Straße -- viagra42 x");
  EXPECT_TRUE(has(w, "hello"));
  EXPECT_TRUE(has(w, "world"));
  EXPECT_TRUE(has(w, "strasse"));  // full case folding: ß → ss
  EXPECT_TRUE(has(w, "viagra42"));
  EXPECT_FALSE(has(w, "a"));  // single Latin letters and digits say nothing
  EXPECT_FALSE(has(w, "1"));
  EXPECT_FALSE(has(w, "x"));
  EXPECT_FALSE(has(w, ","));
  EXPECT_FALSE(has(w, "--"));
}

TEST(bayes_words, ascii_shortcut_agrees_with_icu_folding) {
  // ASCII words take a shortcut past ICU's case folding; a word that mixes in one
  // non-ASCII letter goes the long way. Both must fold alike.
  const auto w = bayes_words("INVOICE Invoice invoice invoicé INVOICÉ ZhangWei 张伟 x9 Q3-2026");
  EXPECT_EQ(std::ranges::count(w, std::string("invoice")), 3);
  EXPECT_EQ(std::ranges::count(w, std::string("invoicé")), 2);
  EXPECT_TRUE(has(w, "zhangwei"));
  EXPECT_TRUE(has(w, "x9"));
  EXPECT_TRUE(has(w, "q3")) << testing::PrintToString(w);
  bayes_options o;
  o.max_word = 5;
  const auto short_words = bayes_words("abcde abcdef éabcd éabcde", o);
  EXPECT_EQ(short_words, (std::vector<std::string>{"abcde", "éabcd"}));  // code points, not bytes
}

TEST(bayes_words, ascii_shortcut_splits_where_icu_does) {
  // A chunk with a no-break space in front goes to ICU's BreakIterator (UAX #29);
  // the same chunk alone takes the ASCII shortcut. Both must find the same words.
  for (const std::string s : {"buy,cheap,pills", "10,000", "1;2;3", "ab;cd", "e.g.", "don't", "12:30", "ab:cd",
                              "v1.2", "a1.b2", "ab.12", "12.ab", "x_y", "foo'", "'foo'", "ab''cd", "ab..cd",
                              "3.14,ab", "ab-cd", "user@example.com", "ab.@cd", "12,@3", "x@.y", "ab.cd.ef", "12.3.4"}) {
    EXPECT_EQ(bayes_words(s), bayes_words("\u00a0" + s)) << s;
  }
  EXPECT_EQ(bayes_words("buy,cheap,pills"), (std::vector<std::string>{"buy", "cheap", "pills"}));
}

TEST(bayes_words, chinese_is_segmented_into_words) {
  // No spaces: ICU's dictionary segmentation must find the words.
  const auto w = bayes_words("我们公司的发票请查收");
  EXPECT_TRUE(has(w, "我们")) << testing::PrintToString(w);
  EXPECT_TRUE(has(w, "公司")) << testing::PrintToString(w);
  EXPECT_TRUE(has(w, "发票")) << testing::PrintToString(w);
  EXPECT_FALSE(has(w, "我们公司的发票请查收"));  // not one long token
  std::string joined;
  for (const auto& x : w) joined += x;
  EXPECT_EQ(joined, "我们公司的发票请查收");  // every character is in some word
}

TEST(bayes_words, long_words_dropped) {
  bayes_options o;
  o.max_word = 10;
  const auto w = bayes_words("short abcdefghijklmnopqrstuvwxyz", o);
  EXPECT_TRUE(has(w, "short"));
  EXPECT_EQ(w.size(), 1u);
}

TEST(bayes_tokens, message_parts_prefixed_and_bounded) {
  const std::string msg =
      "From: Shop <deals@Spam.Example>\r\nTo: bob@example.com\r\n"
      "Subject: =?UTF-8?B?5YWN6LS55Y+R56Wo?=\r\n"  // 免费发票
      "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "w+K30beixrE=\r\n"  // 免费发票 in GBK
      "--b\r\nContent-Type: text/html\r\n\r\n<p>Cheap <b>pills</b></p>\r\n--b--\r\n";
  const auto parsed = mime::parse(msg);
  const auto t = bayes_token_strings(msg, parsed);
  EXPECT_TRUE(has(t, "from:spam.example")) << testing::PrintToString(t);
  EXPECT_TRUE(has(t, "to:example.com"));
  EXPECT_TRUE(has(t, "s:免费")) << testing::PrintToString(t);
  EXPECT_TRUE(has(t, "b:免费")) << testing::PrintToString(t);
  EXPECT_TRUE(has(t, "b:cheap"));
  EXPECT_TRUE(has(t, "b:pills"));
  EXPECT_FALSE(has(t, "b:p"));  // tags are not words

  bayes_options small;
  small.max_tokens = 3;
  EXPECT_EQ(bayes_token_strings(msg, parsed, small).size(), 3u);
  const auto hashes = bayes_tokens(msg, parsed);
  EXPECT_EQ(hashes.size(), t.size());
  EXPECT_TRUE(std::ranges::is_sorted(hashes));
  // The hashes are made without the strings: they must be the strings' hashes.
  std::vector<std::uint64_t> of_strings;
  for (const auto& token : t) of_strings.push_back(bayes_hash(token));
  std::ranges::sort(of_strings);
  EXPECT_EQ(hashes, of_strings);
  const auto few = bayes_tokens(msg, parsed, small);
  ASSERT_EQ(few.size(), 3u);
  for (const auto& token : bayes_token_strings(msg, parsed, small)) {
    EXPECT_TRUE(std::ranges::binary_search(few, bayes_hash(token))) << token;
  }
}

TEST(bayes_tokens, text_is_bounded) {
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "w" + std::to_string(i) + " ";
  const std::string msg = "Subject: x\r\n\r\n" + body;
  const auto parsed = mime::parse(msg);
  bayes_options o;
  o.max_text = 1000;
  const auto t = bayes_token_strings(msg, parsed, o);
  EXPECT_LT(t.size(), 250u);
  EXPECT_TRUE(has(t, "b:w0"));
  EXPECT_FALSE(has(t, "b:w19999"));
}

TEST(bayes_hash, fnv1a_64_reference_values) {
  // FNV-1a 64 test vectors (Fowler/Noll/Vo reference: "" and "a").
  EXPECT_EQ(bayes_hash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(bayes_hash("a"), 0xaf63dc4c8601ec8cull);
}

TEST(bayes_math, token_probability_robinson) {
  // Seen in 10 of 10 spam and 0 of 10 ham: (0.45*0.5 + 10*1) / (0.45 + 10).
  EXPECT_NEAR(bayes_token_probability(10, 0, 10, 10), (0.225 + 10.0) / 10.45, 1e-12);
  // Equally often: 0.5 whatever n.
  EXPECT_NEAR(bayes_token_probability(5, 5, 10, 10), 0.5, 1e-12);
  // Ratios, not counts: 2 of 4 spam vs 2 of 40 ham → p = 0.5/(0.5+0.05).
  const double p = 0.5 / 0.55;
  EXPECT_NEAR(bayes_token_probability(2, 2, 4, 40), (0.225 + 4 * p) / 4.45, 1e-12);
  EXPECT_NEAR(bayes_token_probability(0, 0, 10, 10), 0.5, 1e-12);
}

TEST(bayes_math, fisher_combining) {
  EXPECT_DOUBLE_EQ(bayes_combine({}), 0.5);
  // One clue p: S = 1 - chi2Q(-2 ln(1-p), 2) = 1 - (1-p) = p, H = 1 - p → (1 + p - (1-p))/2 = p.
  const double one[] = {0.9};
  EXPECT_NEAR(bayes_combine(one), 0.9, 1e-12);
  // Two clues 0.9, 0.8: chi2Q(x, 4) = e^{-x/2}(1 + x/2).
  const double two[] = {0.9, 0.8};
  auto q4 = [](double x) { return std::exp(-x / 2) * (1 + x / 2); };
  const double s = 1 - q4(-2 * (std::log(0.1) + std::log(0.2)));
  const double h = 1 - q4(-2 * (std::log(0.9) + std::log(0.8)));
  EXPECT_NEAR(bayes_combine(two), (1 + s - h) / 2, 1e-12);
  const double spammy[] = {0.99, 0.98, 0.97, 0.99, 0.95, 0.99};
  EXPECT_GT(bayes_combine(spammy), 0.99);
  const double hammy[] = {0.01, 0.02, 0.03, 0.01, 0.05, 0.01};
  EXPECT_LT(bayes_combine(hammy), 0.01);
  const double mixed[] = {0.99, 0.01, 0.99, 0.01};
  EXPECT_NEAR(bayes_combine(mixed), 0.5, 0.05);
}

TEST(bayes_math, classify_needs_minimum_training) {
  store::bayes_table t;
  t.spam_messages = 5;
  t.ham_messages = 4;
  t.tokens = {{5, 0}, {4, 0}, {0, 0}};
  bayes_options o;
  o.min_spam = 5;
  o.min_ham = 5;
  EXPECT_FALSE(bayes_classify(t, o));
  o.min_ham = 4;
  auto p = bayes_classify(t, o);
  ASSERT_TRUE(p);
  EXPECT_GT(*p, 0.95);
  EXPECT_EQ(bayes_rule(*p).substr(0, 6), "BAYES_");
  EXPECT_EQ(bayes_rule(0.5), "");
  EXPECT_EQ(bayes_rule(0.001), "BAYES_00");
  EXPECT_EQ(bayes_rule(0.995), "BAYES_99");
}

class bayes_store : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bayes-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::store_options so;
    so.data_dir = dir_;
    auto s = store::open(so);
    ASSERT_TRUE(s) << s.error().message;
    st_ = std::move(*s);
    ASSERT_TRUE(st_->add_domain("example.com"));
    store::account a;
    a.address = "alice@example.com";
    auto made = st_->add_account(a);
    ASSERT_TRUE(made);
    alice_ = *made;
    a.address = "bob@example.com";
    made = st_->add_account(a);
    ASSERT_TRUE(made);
    bob_ = *made;
  }
  void TearDown() override {
    st_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Options under which three messages of each class let a table vote.
  static bayes_options three_each() {
    bayes_options o;
    o.min_spam = 3;
    o.min_ham = 3;
    return o;
  }
  // `message` as the MX hands it to the rules, for alice.
  static message_input for_alice(const std::string& message, const mime::message& parsed) {
    message_input in;
    in.bytes = message;
    in.parsed = &parsed;
    in.recipients = {"alice@example.com"};
    return in;
  }
  store::bayes_table table(store::bayes_scope sc, const std::string& msg) {
    auto t = st_->bayes_lookup(sc, bayes_tokens(msg, mime::parse(msg)));
    EXPECT_TRUE(t);
    return *t;
  }

  std::string dir_;
  std::unique_ptr<store::store> st_;
  store::account alice_, bob_;
};

TEST_F(bayes_store, training_is_idempotent_and_reclassification_moves_counts) {
  const std::string spam = "Subject: cheap pills\r\n\r\nbuy cheap pills now\r\n";
  const store::bayes_scope user{store::bayes_scope_kind::account, alice_.id};
  const store::bayes_scope company{store::bayes_scope_kind::domain, alice_.domain_id};
  auto r = bayes_train(*st_, alice_, "hash1", spam, store::bayes_class::spam);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, store::bayes_training::trained);
  EXPECT_TRUE(r->company);
  r = bayes_train(*st_, alice_, "hash1", spam, store::bayes_class::spam);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, store::bayes_training::unchanged);
  auto t = table(user, spam);
  EXPECT_EQ(t.spam_messages, 1u);
  EXPECT_EQ(t.ham_messages, 0u);
  for (const auto& c : t.tokens) EXPECT_EQ(c.spam, 1u);
  // Bob trains the same message: his own table, and the company counts it again.
  ASSERT_TRUE(bayes_train(*st_, bob_, "hash1", spam, store::bayes_class::spam));
  EXPECT_EQ(table(company, spam).spam_messages, 2u);
  EXPECT_EQ(table(user, spam).spam_messages, 1u);
  // Alice changes her mind: her spam counts move to ham.
  r = bayes_train(*st_, alice_, "hash1", spam, store::bayes_class::ham);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, store::bayes_training::moved);
  t = table(user, spam);
  EXPECT_EQ(t.spam_messages, 0u);
  EXPECT_EQ(t.ham_messages, 1u);
  for (const auto& c : t.tokens) {
    EXPECT_EQ(c.spam, 0u);
    EXPECT_EQ(c.ham, 1u);
  }
  t = table(company, spam);
  EXPECT_EQ(t.spam_messages, 1u);
  EXPECT_EQ(t.ham_messages, 1u);
  // An unknown account is refused, not counted.
  store::account ghost = alice_;
  ghost.id = 9999;
  EXPECT_FALSE(bayes_train(*st_, ghost, "hash2", spam, store::bayes_class::spam));
}

// One account's share of the company's tables is bounded: its messages count there
// only while it has fewer than max(floor, share × the company's total) of that
// class; its own tables get everything, and a reclassification takes counts away
// only from the tables they were added to.
TEST_F(bayes_store, one_account_cannot_fill_the_company_tables) {
  const store::bayes_company_limit limit{0.5, 2};
  const store::bayes_scope company{store::bayes_scope_kind::domain, alice_.domain_id};
  const store::bayes_scope mallory{store::bayes_scope_kind::account, alice_.id};
  const auto msg = [](int i) { return "Subject: invoice " + std::to_string(i) + "\r\n\r\nquarterly invoice attached\r\n"; };
  // An administrator's seeding is not limited: bob's 4 spam all count.
  for (int i = 0; i < 4; ++i) {
    auto r = bayes_train(*st_, bob_, "seed" + std::to_string(i), msg(100 + i), store::bayes_class::spam);
    ASSERT_TRUE(r && r->company);
  }
  // Alice (a stolen account, say) marks 6 messages as spam: while she has fewer than
  // max(2, 0.5 × the company's spam total) counted there, one more counts. 4 do (the
  // total grows with them, 4 → 8); then her 4 are half of the 8, and 2 do not.
  std::vector<bool> counted;
  for (int i = 0; i < 6; ++i) {
    auto r = bayes_train(*st_, alice_, "m" + std::to_string(i), msg(i), store::bayes_class::spam, {}, limit);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->outcome, store::bayes_training::trained);
    counted.push_back(r->company);
  }
  EXPECT_EQ(counted, (std::vector<bool>{true, true, true, true, false, false}));
  EXPECT_EQ(table(company, msg(0)).spam_messages, 8u);
  EXPECT_EQ(table(mallory, msg(0)).spam_messages, 6u);
  // Moving one that did not count to ham: the company's spam total is unchanged, and
  // its ham share (floor 2) takes it.
  auto r = bayes_train(*st_, alice_, "m5", msg(5), store::bayes_class::ham, {}, limit);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, store::bayes_training::moved);
  EXPECT_TRUE(r->company);
  auto t = table(company, msg(5));
  EXPECT_EQ(t.spam_messages, 8u);
  EXPECT_EQ(t.ham_messages, 1u);
  // Moving one that counted: the company's spam total falls with it.
  r = bayes_train(*st_, alice_, "m0", msg(0), store::bayes_class::ham, {}, limit);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->company);
  t = table(company, msg(0));
  EXPECT_EQ(t.spam_messages, 7u);
  EXPECT_EQ(t.ham_messages, 2u);
  // Her spam share has room again (3 counted, 3.5 allowed): the next one counts.
  r = bayes_train(*st_, alice_, "m6", msg(6), store::bayes_class::spam, {}, limit);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->company);
  // Her ham share is full at the floor (2 counted; 0.5 × 2 < 2).
  r = bayes_train(*st_, alice_, "m7", msg(7), store::bayes_class::ham, {}, limit);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->company);
  EXPECT_EQ(table(mallory, msg(0)).ham_messages, 3u);
}

TEST_F(bayes_store, lookups_of_many_tokens_keep_their_order) {
  // More tokens than one lookup statement takes (256), seen and unseen interleaved,
  // in no particular order: each count must land at its own token's place.
  std::vector<std::uint64_t> trained;
  for (std::uint64_t i = 0; i < 700; ++i) trained.push_back(i * 7919 + 1);
  const std::vector<store::bayes_scope> scopes{{store::bayes_scope_kind::account, alice_.id}};
  ASSERT_TRUE(st_->bayes_train(alice_.id, "h-many", store::bayes_class::spam, scopes, trained, std::nullopt));
  ASSERT_TRUE(st_->bayes_train(alice_.id, "h-few", store::bayes_class::ham, scopes,
                               std::vector<std::uint64_t>(trained.begin(), trained.begin() + 10), std::nullopt));
  std::vector<std::uint64_t> asked;
  for (std::size_t i = 0; i < trained.size(); ++i) {
    asked.push_back(trained[trained.size() - 1 - i]);  // reversed
    if (i % 3 == 0) asked.push_back(0xffff0000ull + i);  // never trained
  }
  auto t = st_->bayes_lookup(scopes[0], asked);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->tokens.size(), asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    const bool unseen = asked[i] >= 0xffff0000ull;
    const bool in_few = !unseen && (asked[i] - 1) / 7919 < 10;
    EXPECT_EQ(t->tokens[i].spam, unseen ? 0u : 1u) << i;
    EXPECT_EQ(t->tokens[i].ham, in_few ? 1u : 0u) << i;
  }
  // Every batch size (16, 64 and 256 tokens a statement) and the boundaries between
  // them: each prefix of the request must find the same counts as the whole.
  for (const std::size_t n : {1u, 15u, 16u, 17u, 63u, 64u, 65u, 80u, 255u, 256u, 257u, 330u}) {
    const std::vector<std::uint64_t> part(asked.begin(), asked.begin() + static_cast<std::ptrdiff_t>(n));
    auto p = st_->bayes_lookup(scopes[0], part);
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_EQ(p->tokens.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(p->tokens[i].spam, t->tokens[i].spam) << n << " " << i;
      EXPECT_EQ(p->tokens[i].ham, t->tokens[i].ham) << n << " " << i;
    }
  }
  // Totals alone: no tokens asked.
  auto totals = st_->bayes_lookup(scopes[0], {});
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->spam_messages, 1u);
  EXPECT_EQ(totals->ham_messages, 1u);
  EXPECT_TRUE(totals->tokens.empty());
  // A removed account's statistics go with it; a new account that reuses its id
  // would otherwise inherit them.
  ASSERT_TRUE(st_->remove_account("alice@example.com"));
  totals = st_->bayes_lookup(scopes[0], trained);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->spam_messages, 0u);
  EXPECT_EQ(totals->ham_messages, 0u);
}

TEST_F(bayes_store, rule_source_votes_after_training) {
  const auto o = three_each();
  auto source = make_bayes_rules(*st_, o);
  const char* spams[] = {"cheap pills online pharmacy", "pills cheap discount pharmacy", "online pharmacy pills deal"};
  const char* hams[] = {"meeting agenda quarterly report", "quarterly budget meeting notes", "report draft for review"};
  int n = 0;
  for (const auto* body : spams) {
    const std::string m = std::string("Subject: offer\r\n\r\n") + body + "\r\n";
    ASSERT_TRUE(bayes_train(*st_, alice_, "s" + std::to_string(n++), m, store::bayes_class::spam, o));
  }
  const std::string probe = "Subject: offer\r\n\r\ncheap pharmacy pills\r\n";
  const auto parsed = mime::parse(probe);
  auto in = for_alice(probe, parsed);
  std::vector<finding> out;
  source->evaluate(in, out);
  EXPECT_TRUE(out.empty()) << "voted before enough ham was trained";
  for (const auto* body : hams) {
    const std::string m = std::string("Subject: work\r\n\r\n") + body + "\r\n";
    ASSERT_TRUE(bayes_train(*st_, alice_, "h" + std::to_string(n++), m, store::bayes_class::ham, o));
  }
  source->evaluate(in, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rule.substr(0, 6), "BAYES_");
  EXPECT_TRUE(out[0].rule == "BAYES_99" || out[0].rule == "BAYES_95") << out[0].rule << " " << out[0].detail;
  EXPECT_NE(out[0].detail.find("user"), std::string::npos);
  // Several recipients: the company's tables (alice's training counted there too).
  in.recipients = {"alice@example.com", "bob@example.com"};
  out.clear();
  source->evaluate(in, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("company"), std::string::npos);
  const std::string ham_probe = "Subject: work\r\n\r\nquarterly meeting report\r\n";
  const auto hp = mime::parse(ham_probe);
  in.bytes = ham_probe;
  in.parsed = &hp;
  out.clear();
  source->evaluate(in, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].rule == "BAYES_00" || out[0].rule == "BAYES_05") << out[0].rule << " " << out[0].detail;

  // Bob's own table is trained enough but on other words: it has nothing to say
  // about the probe, so the company's table (alice's training) decides.
  for (int i = 0; i < 3; ++i) {
    const auto k = std::to_string(i);
    ASSERT_TRUE(bayes_train(*st_, bob_, "bs" + k, "Subject: zz\r\n\r\nlottery winner casino " + k + "\r\n",
                            store::bayes_class::spam, o));
    ASSERT_TRUE(bayes_train(*st_, bob_, "bh" + k, "Subject: yy\r\n\r\ngarden tomatoes harvest " + k + "\r\n",
                            store::bayes_class::ham, o));
  }
  in.bytes = probe;
  in.parsed = &parsed;
  in.recipients = {"bob@example.com"};
  out.clear();
  source->evaluate(in, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].detail.find("company"), std::string::npos) << out[0].detail;
  EXPECT_TRUE(out[0].rule == "BAYES_99" || out[0].rule == "BAYES_95") << out[0].rule << " " << out[0].detail;
}

// The MX keeps the store's answers for up to 30 s (filter/bayes.cpp counts_cache).
// Training written straight to the store stands for another process (the CLI,
// another node): this process does not see it while its answers are fresh. Any
// training through filter::bayes_train in this process drops them at once.
TEST_F(bayes_store, remembered_counts_wait_for_training_elsewhere_but_not_here) {
  const auto o = three_each();
  auto source = make_bayes_rules(*st_, o);
  const std::string probe = "Subject: offer\r\n\r\ncheap pharmacy pills\r\n";
  const auto parsed = mime::parse(probe);
  const auto in = for_alice(probe, parsed);
  auto verdict = [&] {
    std::vector<finding> out;
    source->evaluate(in, out);
    return out.empty() ? std::string("none") : out[0].rule;
  };
  EXPECT_EQ(verdict(), "none");  // untrained: the empty totals are now remembered

  const auto scopes = bayes_training_scopes(alice_);
  auto train_elsewhere = [&](const std::string& id, const std::string& body, store::bayes_class cls) {
    const std::string m = "Subject: x\r\n\r\n" + body + "\r\n";
    ASSERT_TRUE(st_->bayes_train(alice_.id, id, cls, scopes, bayes_tokens(m, mime::parse(m), o), std::nullopt));
  };
  for (int i = 0; i < 3; ++i) {
    const auto k = std::to_string(i);
    train_elsewhere("s" + k, "cheap pills online pharmacy " + k, store::bayes_class::spam);
    train_elsewhere("h" + k, "meeting agenda quarterly report " + k, store::bayes_class::ham);
  }
  // Enough training is in the store, but this process still has its answers.
  EXPECT_EQ(table({store::bayes_scope_kind::account, alice_.id}, probe).spam_messages, 3u);
  EXPECT_EQ(verdict(), "none");
  // One training here, of an unrelated message, and the next message sees it all.
  ASSERT_TRUE(bayes_train(*st_, bob_, "b0", "Subject: y\r\n\r\ngarden tomatoes\r\n", store::bayes_class::ham, o));
  const auto after = verdict();
  EXPECT_TRUE(after == "BAYES_99" || after == "BAYES_95") << after;
}

}  // namespace
}  // namespace letterhead::filter
