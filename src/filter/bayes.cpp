#include "filter/bayes.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unicode/brkiter.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include "core/ascii.hpp"
#include "directory/address.hpp"
#include "mime/address.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"
#include "filter/blocklists.hpp"
#include "mime/search_text.hpp"

namespace letterhead::filter {

namespace {

// Link hosts looked at per message (each a "url:" token).
constexpr std::size_t max_link_hosts = 50;

// One word BreakIterator per thread: creating one loads the rules and costs far
// more than tokenising a message.
icu::BreakIterator* word_breaker() {
  thread_local std::unique_ptr<icu::BreakIterator> bi = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> b(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status)) b.reset();
    return b;
  }();
  return bi.get();
}

// The probability that a chi-square variable with v (even) degrees of freedom is
// at least x2 (SpamBayes' chi2Q: the series for the regularised upper gamma).
double chi2_q(double x2, std::size_t v) {
  const double m = x2 / 2.0;
  double term = std::exp(-m);
  double sum = term;
  for (std::size_t i = 1; i < v / 2; ++i) {
    term *= m / static_cast<double>(i);
    sum += term;
  }
  return std::min(sum, 1.0);
}


}  // namespace

namespace {

// Classes of ASCII bytes for the tokeniser, one table lookup per byte.
enum ascii_class : std::uint8_t { word_char = 1, letter = 2, digit = 4, space = 8 };

// '@' too, as a letter: ICU's word rules (CLDR root, as Debian's ICU 72 has them)
// keep "user@example.com" whole, and both paths must find the same words.
constexpr std::array<std::uint8_t, 256> ascii_classes = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = word_char | letter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = word_char | letter;
  for (int c = '0'; c <= '9'; ++c) t[c] = word_char | digit;
  t['_'] = word_char;
  t['@'] = word_char | letter;
  for (const char c : {' ', '\t', '\r', '\n', '\f', '\v'}) t[static_cast<unsigned char>(c)] = space;
  return t;
}();

bool is(char c, ascii_class k) noexcept { return (ascii_classes[static_cast<unsigned char>(c)] & k) != 0; }
bool ascii_space(char c) noexcept { return is(c, space); }

// Whether `c` between `before` and `after` keeps a word together, as UAX #29 does:
// MidNumLet ('.', '\'') between two letters or two digits (WB6/7, WB11/12), MidNum
// (',', ';') between digits only; ':' never (CLDR takes it out of MidLetter). So
// "don't", "e.g", "3.14" and "10,000" are one word; "buy,cheap,pills" and "12:30" are not.
bool ascii_joins(char before, char c, char after) noexcept {
  switch (c) {
    case '.':
    case '\'':
      return (is(before, letter) && is(after, letter)) || (is(before, digit) && is(after, digit));
    case ',':
    case ';':
      return is(before, digit) && is(after, digit);
    default:
      return false;
  }
}

// The words of ASCII text without ICU: the same words its word BreakIterator finds
// for ordinary ASCII, at a small fraction of the cost. Each word's bytes go to
// `words` lower-cased as they are found (clear, push each, then emit if it is kept),
// so that a word can be hashed without being copied first.
template <class Words>
void ascii_words(std::string_view text, const bayes_options& o, Words& words) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    if (!is(text[i], word_char)) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    words.clear();
    while (i < n && (is(text[i], word_char) || (i + 1 < n && ascii_joins(text[i - 1], text[i], text[i + 1])))) {
      const char c = text[i];
      words.push(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      ++i;
    }
    // One Latin letter or digit says nothing.
    const std::size_t length = i - start;
    if (length < 2 || length > o.max_word) continue;
    words.emit();
  }
}

// The words of text with letters beyond ASCII, by ICU's word BreakIterator (UAX #29,
// with dictionaries for Chinese, Japanese, Thai and the like), each case-folded and
// passed to words.word().
template <class Words>
void icu_words(std::string_view utf8, const bayes_options& o, std::string& folded, Words& words) {
  auto* bi = word_breaker();
  if (bi == nullptr || utf8.empty()) return;
  UErrorCode status = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, utf8.data(), static_cast<std::int64_t>(utf8.size()), &status);
  if (U_FAILURE(status)) return;
  bi->setText(ut, status);
  if (U_SUCCESS(status)) {
    std::int32_t start = bi->first();
    for (std::int32_t end = bi->next(); end != icu::BreakIterator::DONE; start = end, end = bi->next()) {
      const std::int32_t kind = bi->getRuleStatus();
      if (kind < UBRK_WORD_NONE_LIMIT) continue;  // spaces and punctuation
      const auto piece = utf8.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start));
      icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(piece.data(), static_cast<std::int32_t>(piece.size())));
      const auto length = static_cast<std::size_t>(u.countChar32());
      if (length > o.max_word) continue;
      // One Latin letter or digit says nothing; one Chinese character may be a word.
      if (length < 2 && kind < UBRK_WORD_KANA) continue;
      folded.clear();
      u.foldCase().toUTF8String(folded);
      words.word(std::string_view(folded));
    }
  }
  bi->setText(icu::UnicodeString());  // drop the reference to ut before closing it
  utext_close(ut);
}

// Whitespace-separated chunks that are all ASCII are split by ascii_words; each run
// of chunks with other characters goes to ICU as one piece (Chinese has no spaces,
// and a run keeps ICU's per-call cost to one per run). Tokenising allocates nothing
// per word. Text that is all ASCII (most mail in English) goes to ascii_words whole:
// it finds the same words there as chunk by chunk, since whitespace never joins a word.
template <class Words>
void for_each_word(std::string_view utf8, const bayes_options& o, Words& words) {
  if (core::ascii_prefix(utf8) == utf8.size()) {
    ascii_words(utf8, o, words);
    return;
  }
  std::string folded;
  std::size_t run_start = std::string_view::npos;
  std::size_t run_end = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    if (ascii_space(utf8[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    bool ascii = true;
    while (i < utf8.size() && !ascii_space(utf8[i])) {
      if (static_cast<unsigned char>(utf8[i]) >= 0x80) ascii = false;
      ++i;
    }
    if (!ascii) {
      if (run_start == std::string_view::npos) run_start = start;
      run_end = i;
      continue;
    }
    if (run_start != std::string_view::npos) {
      icu_words(utf8.substr(run_start, run_end - run_start), o, folded, words);
      run_start = std::string_view::npos;
    }
    ascii_words(utf8.substr(start, i - start), o, words);
  }
  if (run_start != std::string_view::npos) icu_words(utf8.substr(run_start, run_end - run_start), o, folded, words);
}

// Words as strings: ASCII ones built in a buffer, each passed to `emit` as a view
// that is valid until its next call.
template <class Emit>
class word_strings {
 public:
  explicit word_strings(Emit& emit) : emit_(emit) {}
  void clear() { buffer_.clear(); }
  void push(char c) { buffer_.push_back(c); }
  void emit() { emit_(std::string_view(buffer_)); }
  void word(std::string_view w) { emit_(w); }

 private:
  Emit& emit_;
  std::string buffer_;
};

// Where the tokens of a message go: their strings (for reading and tests) or their
// hashes (what the store keeps). Both keep the first max_tokens distinct ones.
class string_sink {
 public:
  explicit string_sink(std::size_t max) : max_(max) {}
  [[nodiscard]] bool full() const noexcept { return out_.size() >= max_; }
  void add(std::string_view prefix, std::string_view word) {
    if (full()) return;
    token_.assign(prefix);
    token_ += word;
    if (seen_.insert(token_).second) out_.push_back(token_);
  }
  template <class Each>
  void for_words(std::string_view prefix, Each&& each) {
    auto emit = [&](std::string_view w) { add(prefix, w); };
    word_strings<decltype(emit)> words(emit);
    each(words);
  }
  std::vector<std::string> take() { return std::move(out_); }

 private:
  std::size_t max_;
  std::string token_;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> out_;
};

// FNV-1a over prefix then word is the hash of their concatenation, so the hashes
// are bayes_hash of the tokens string_sink would give, without building them: an
// ASCII word is hashed byte by byte as the tokeniser finds it.
// Distinctness is checked in an open-addressing table of twice max_tokens slots
// (linear probing, zero marks a free slot): a message repeats its words, so every
// word is a lookup, and std::unordered_set's node per entry and modulo per probe
// made the lookups most of the tokeniser's time.
class hash_sink {
 public:
  explicit hash_sink(std::size_t max) : max_(max) {
    std::size_t slots = 64;
    while (slots < 2 * std::max<std::size_t>(max, 1)) slots *= 2;
    slots_.assign(slots, 0);
    out_.reserve(std::min<std::size_t>(max, 4096));
  }
  [[nodiscard]] bool full() const noexcept { return out_.size() >= max_; }
  void add(std::string_view prefix, std::string_view word) { add(fnv1a(fnv1a(fnv_basis, prefix), word)); }
  void add(std::uint64_t h) {
    if (full()) return;
    if (h == 0) {  // the one value that marks a free slot
      if (!seen_zero_) out_.push_back(h);
      seen_zero_ = true;
      return;
    }
    const std::size_t mask = slots_.size() - 1;
    // FNV's low bits mix poorly for short inputs; the multiply spreads the high ones.
    for (std::size_t i = (h * 0x9e3779b97f4a7c15ull) >> 32 & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return;
      if (slots_[i] == 0) {
        slots_[i] = h;
        out_.push_back(h);
        return;
      }
    }
  }
  // The words' policy for for_each_word: the prefix hashed once, each word's bytes
  // folded into a copy of that state.
  class words {
   public:
    words(hash_sink& sink, std::uint64_t prefix) : sink_(sink), prefix_(prefix) {}
    void clear() { h_ = prefix_; }
    void push(char c) { h_ = fnv1a_step(h_, c); }
    void emit() { sink_.add(h_); }
    void word(std::string_view w) { sink_.add(fnv1a(prefix_, w)); }

   private:
    hash_sink& sink_;
    std::uint64_t prefix_;
    std::uint64_t h_ = 0;
  };
  template <class Each>
  void for_words(std::string_view prefix, Each&& each) {
    words w(*this, fnv1a(fnv_basis, prefix));
    each(w);
  }
  std::vector<std::uint64_t> take() {
    std::ranges::sort(out_);
    return std::move(out_);
  }
  static constexpr std::uint64_t fnv_basis = 14695981039346656037ull;  // FNV-1a 64 offset basis
  static std::uint64_t fnv1a_step(std::uint64_t h, char c) noexcept {
    return (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  static std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) noexcept {
    for (const char c : bytes) h = fnv1a_step(h, c);
    return h;
  }

 private:
  std::size_t max_;
  bool seen_zero_ = false;
  std::vector<std::uint64_t> slots_;  // at most half full: out_ stops at max_
  std::vector<std::uint64_t> out_;
};

template <class Sink>
void add_words(std::string_view text, std::string_view prefix, const bayes_options& o, Sink& sink) {
  if (sink.full()) return;
  sink.for_words(prefix, [&](auto& words) { for_each_word(text, o, words); });
}

template <class Sink>
void add_domains(std::string_view bytes, const mime::message& m, std::string_view field, std::string_view prefix,
                 Sink& sink) {
  const auto raw = mime::raw_value(bytes, m.root().fields, field);
  if (!raw) return;
  const auto list = mime::parse_address_list(raw->substr(0, 4096));
  for (std::size_t i = 0; i < list.mailboxes.size() && i < 20 && !sink.full(); ++i) {
    const auto& d = list.mailboxes[i].domain;
    if (d.empty() || d.size() > 255) continue;
    sink.add(prefix, directory::lower_ascii(d));
  }
}

// The first max_text bytes of text, HTML as what it shows, plus where it links to.
template <class Sink>
void collect_tokens(std::string_view bytes, const mime::message& parsed, const bayes_options& o,
                    const std::vector<detail::text_part>* texts, Sink& sink) {
  if (parsed.parts.empty()) return;
  auto subject = mime::decoded_header_text(bytes, parsed, 0, "Subject");
  if (subject.size() > 1024) subject.resize(1024);
  add_words(subject, "s:", o, sink);
  add_domains(bytes, parsed, "From", "from:", sink);
  add_domains(bytes, parsed, "To", "to:", sink);
  add_domains(bytes, parsed, "Cc", "to:", sink);
  std::vector<detail::text_part> decoded;
  if (texts == nullptr) {
    decoded = detail::readable_texts(bytes, parsed);
    texts = &decoded;
  }
  std::string body;
  for (const auto& t : *texts) {
    if (body.size() >= o.max_text) break;
    if (!body.empty()) body += '\n';
    body += t.html ? mime::html_to_text(t.text) : t.text;
    for (const auto& host : link_hosts(t.text, max_link_hosts)) sink.add("url:", host);
  }
  if (body.size() > o.max_text) body.resize(o.max_text);  // for_each_word copes with a cut character
  add_words(body, "b:", o, sink);
}

}  // namespace

std::vector<std::string> bayes_words(std::string_view utf8, const bayes_options& o) {
  std::vector<std::string> words;
  auto emit = [&](std::string_view w) { words.emplace_back(w); };
  word_strings<decltype(emit)> each(emit);
  for_each_word(utf8, o, each);
  return words;
}

std::vector<std::string> bayes_token_strings(std::string_view bytes, const mime::message& parsed,
                                             const bayes_options& o, const std::vector<detail::text_part>* texts) {
  string_sink sink(o.max_tokens);
  collect_tokens(bytes, parsed, o, texts, sink);
  return sink.take();
}

std::uint64_t bayes_hash(std::string_view token) noexcept { return hash_sink::fnv1a(hash_sink::fnv_basis, token); }

std::vector<std::uint64_t> bayes_tokens(std::string_view bytes, const mime::message& parsed,
                                        const bayes_options& o, const std::vector<detail::text_part>* texts) {
  hash_sink sink(o.max_tokens);
  collect_tokens(bytes, parsed, o, texts, sink);
  return sink.take();
}

double bayes_token_probability(std::uint32_t spam, std::uint32_t ham, std::uint64_t spam_total,
                               std::uint64_t ham_total, const bayes_options& o) {
  const double spam_ratio = spam_total == 0 ? 0.0 : std::min(1.0, spam / static_cast<double>(spam_total));
  const double ham_ratio = ham_total == 0 ? 0.0 : std::min(1.0, ham / static_cast<double>(ham_total));
  const double n = static_cast<double>(spam) + static_cast<double>(ham);
  if (spam_ratio + ham_ratio <= 0) return o.unknown_prob;
  const double p = spam_ratio / (spam_ratio + ham_ratio);
  // Robinson: a token seen n times moves from the prior x towards p as n grows.
  return (o.prior_strength * o.unknown_prob + n * p) / (o.prior_strength + n);
}

double bayes_combine(std::span<const double> probabilities) {
  if (probabilities.empty()) return 0.5;
  double ln_ham = 0;   // Σ ln p
  double ln_spam = 0;  // Σ ln (1 - p)
  for (double p : probabilities) {
    p = std::clamp(p, 1e-9, 1.0 - 1e-9);
    ln_ham += std::log(p);
    ln_spam += std::log(1.0 - p);
  }
  const std::size_t v = 2 * probabilities.size();
  const double s = 1.0 - chi2_q(-2.0 * ln_spam, v);  // evidence of spam
  const double h = 1.0 - chi2_q(-2.0 * ln_ham, v);   // evidence of ham
  return (1.0 + s - h) / 2.0;
}

bool bayes_can_vote(const store::bayes_table& table, const bayes_options& o) noexcept {
  return table.spam_messages >= std::max<std::uint64_t>(o.min_spam, 1) &&
         table.ham_messages >= std::max<std::uint64_t>(o.min_ham, 1);
}

std::optional<double> bayes_classify(const store::bayes_table& table, const bayes_options& o) {
  if (!bayes_can_vote(table, o)) return std::nullopt;
  std::vector<std::pair<double, double>> clues;  // strength, probability
  for (const auto& c : table.tokens) {
    if (c.spam == 0 && c.ham == 0) continue;
    const double p = bayes_token_probability(c.spam, c.ham, table.spam_messages, table.ham_messages, o);
    const double strength = std::fabs(p - 0.5);
    if (strength >= o.min_strength) clues.emplace_back(strength, p);
  }
  std::ranges::sort(clues, [](const auto& a, const auto& b) { return a.first > b.first; });
  if (clues.empty()) return std::nullopt;
  if (clues.size() > o.max_clues) clues.resize(o.max_clues);
  std::vector<double> probs;
  probs.reserve(clues.size());
  for (const auto& c : clues) probs.push_back(c.second);
  return bayes_combine(probs);
}

std::string_view bayes_rule(double p) noexcept {
  if (p < 0.01) return "BAYES_00";
  if (p < 0.05) return "BAYES_05";
  if (p >= 0.99) return "BAYES_99";
  if (p >= 0.95) return "BAYES_95";
  if (p >= 0.80) return "BAYES_80";
  return {};
}

std::vector<store::bayes_scope> bayes_training_scopes(const store::account& a) {
  return {store::bayes_scope{store::bayes_scope_kind::account, a.id},
          store::bayes_scope{store::bayes_scope_kind::domain, a.domain_id}};
}

namespace {

// Bumped by every training in this process: the MX's cache of counts (below) is
// dropped when it changes, so that a user's move into Junk counts from the next
// message on, not 30 seconds later.
std::atomic<std::uint64_t> trainings{0};

}  // namespace

core::result<store::bayes_train_result> bayes_train(store::store& st, const store::account& a,
                                                    std::string_view blob_hash, std::string_view bytes,
                                                    store::bayes_class cls, const bayes_options& o,
                                                    const std::optional<store::bayes_company_limit>& limit) {
  const auto parsed = mime::parse(bytes);
  auto done = st.bayes_train(a.id, blob_hash, cls, bayes_training_scopes(a), bayes_tokens(bytes, parsed, o), limit);
  trainings.fetch_add(1, std::memory_order_release);
  return done;
}

namespace {

// The store's answers for the MX, kept for up to `ttl`: the totals each message
// asks first, and the counts of tokens, unknown ones (zeros) included. Most of a
// message's words were in the messages just before it, and reading the counts was
// the Bayes rule's largest cost after tokenising (a read transaction and an index
// probe per token). Training in this process drops it all (`trainings`); training
// elsewhere (another node, the CLI) shows within `ttl`, which statistics of
// hundreds of messages can wait. Bounded at `max_entries` token counts over all
// scopes: past that it starts again empty.
class counts_cache {
 public:
  static constexpr std::chrono::seconds ttl{30};
  static constexpr std::size_t max_entries = 250'000;

  // What store::bayes_lookup(scope, tokens) answers, read from the store only for
  // what is not cached.
  core::result<store::bayes_table> lookup(store::store& st, const store::bayes_scope& scope,
                                          const std::vector<std::uint64_t>& tokens) {
    const auto now = std::chrono::steady_clock::now();
    store::bayes_table out;
    out.tokens.resize(tokens.size());
    std::vector<std::uint64_t> missing;
    std::vector<std::size_t> missing_at;
    {
      std::scoped_lock lock(mutex_);
      entry* e = fresh(scope, now);
      if (e == nullptr) {
        missing = tokens;
        missing_at.resize(tokens.size());
        for (std::size_t i = 0; i < tokens.size(); ++i) missing_at[i] = i;
      } else {
        out.spam_messages = e->spam_messages;
        out.ham_messages = e->ham_messages;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
          if (const auto it = e->tokens.find(tokens[i]); it != e->tokens.end()) {
            out.tokens[i] = it->second;
          } else {
            missing.push_back(tokens[i]);
            missing_at.push_back(i);
          }
        }
        if (missing.empty()) return out;
      }
    }
    const auto generation = trainings.load(std::memory_order_acquire);
    auto table = st.bayes_lookup(scope, missing);
    if (!table) return std::unexpected(table.error());
    out.spam_messages = table->spam_messages;
    out.ham_messages = table->ham_messages;
    for (std::size_t j = 0; j < missing.size(); ++j) out.tokens[missing_at[j]] = table->tokens[j];

    std::scoped_lock lock(mutex_);
    if (generation != generation_) return out;  // trained meanwhile: these may be older
    if (entries_ + missing.size() > max_entries) {
      scopes_.clear();
      entries_ = 0;
    }
    auto [it, added] = scopes_.try_emplace(scope);
    entry& e = it->second;
    if (added) e.read = now;
    e.spam_messages = table->spam_messages;
    e.ham_messages = table->ham_messages;
    for (std::size_t j = 0; j < missing.size(); ++j) {
      if (e.tokens.try_emplace(missing[j], table->tokens[j]).second) ++entries_;
    }
    return out;
  }

 private:
  struct entry {
    std::chrono::steady_clock::time_point read;  // when its first answer was read
    std::uint64_t spam_messages = 0;
    std::uint64_t ham_messages = 0;
    std::unordered_map<std::uint64_t, store::bayes_counts> tokens;
  };

  // The scope's entry if it is younger than ttl and nothing was trained since; with
  // the lock held.
  entry* fresh(const store::bayes_scope& scope, std::chrono::steady_clock::time_point now) {
    if (const auto g = trainings.load(std::memory_order_acquire); g != generation_) {
      scopes_.clear();
      entries_ = 0;
      generation_ = g;
      return nullptr;
    }
    const auto it = scopes_.find(scope);
    if (it == scopes_.end()) return nullptr;
    if (now - it->second.read < ttl) return &it->second;
    entries_ -= it->second.tokens.size();
    scopes_.erase(it);
    return nullptr;
  }

  std::mutex mutex_;
  std::uint64_t generation_ = 0;  // `trainings` when the entries were read
  std::map<store::bayes_scope, entry> scopes_;
  std::size_t entries_ = 0;  // token counts over all scopes
};

class bayes_rules final : public rule_source {
 public:
  bayes_rules(store::store& st, bayes_options o) : store_(st), options_(o) {}

  void evaluate(const message_input& in, std::vector<finding>& out) override {
    if (in.parsed == nullptr || in.recipients.empty()) return;
    // Whose statistics vote is decided by their totals alone, before the message is
    // tokenised: until a scope has been trained enough, tokenising is wasted work.
    // The recipient's own table first; the company's when that one is not trained
    // enough or finds too few known tokens to give a probability.
    const auto who = recipient_scopes(in.recipients);
    std::vector<std::pair<store::bayes_scope, std::string_view>> scopes;
    if (who.user) scopes.emplace_back(store::bayes_scope{store::bayes_scope_kind::account, *who.user}, "user");
    if (who.domain) scopes.emplace_back(store::bayes_scope{store::bayes_scope_kind::domain, *who.domain}, "company");
    std::optional<std::vector<std::uint64_t>> tokens;
    for (const auto& [scope, scope_name] : scopes) {
      if (!can_vote(scope)) continue;
      if (!tokens) tokens = bayes_tokens(in.bytes, *in.parsed, options_, &in.texts());
      if (tokens->empty()) return;
      const auto p = classify(scope, *tokens);
      if (!p) continue;
      const auto rule = bayes_rule(*p);
      if (!rule.empty()) out.push_back(finding{std::string(rule), fmt::format("{} p={:.4f}", scope_name, *p), std::nullopt});
      return;
    }
  }

 private:
  bool can_vote(const store::bayes_scope& scope) {
    auto totals = cache_.lookup(store_, scope, {});
    if (!totals) {
      spdlog::warn("bayes: cannot read the message totals: {}", totals.error().message);
      return false;
    }
    return bayes_can_vote(*totals, options_);
  }

  struct scopes_of_recipients {
    std::optional<store::id_t> user;    // the account every recipient is, if one
    std::optional<store::id_t> domain;  // the first recipient's that is ours
  };

  // Whose tables a recipient address reaches: its account's and that account's
  // domain, or only its domain's (an alias, a group), or none.
  struct recipient_tables {
    std::optional<store::id_t> account;
    std::optional<store::id_t> domain;
    std::chrono::steady_clock::time_point asked;
  };

  // From the store, remembered for counts_cache::ttl (recipients repeat: a company's
  // mail goes to its staff), at most 10,000 addresses.
  recipient_tables tables_of(const std::string& rcpt) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::scoped_lock lock(recipients_mutex_);
      if (const auto it = recipients_.find(rcpt); it != recipients_.end() && now - it->second.asked < counts_cache::ttl) {
        return it->second;
      }
    }
    recipient_tables t{std::nullopt, std::nullopt, now};
    if (auto a = store_.find_account(rcpt)) {
      t.account = a->id;
      t.domain = a->domain_id;
    } else if (const auto at = rcpt.rfind('@'); at != std::string::npos) {
      if (auto d = store_.find_domain(directory::lower_ascii(std::string_view(rcpt).substr(at + 1)))) t.domain = d->id;
    }
    std::scoped_lock lock(recipients_mutex_);
    if (recipients_.size() >= 10'000) recipients_.clear();
    recipients_.insert_or_assign(rcpt, t);
    return t;
  }

  // One look per recipient (at most 100 looked at).
  scopes_of_recipients recipient_scopes(const std::vector<std::string>& rcpts) {
    scopes_of_recipients out;
    bool single = true;
    for (std::size_t i = 0; i < rcpts.size() && i < 100 && (single || !out.domain); ++i) {
      const auto t = tables_of(rcpts[i]);
      if (t.account) {
        if (!out.domain) out.domain = t.domain;
        if (out.user && *out.user != *t.account) single = false;
        out.user = t.account;
        continue;
      }
      single = false;
      if (!out.domain) out.domain = t.domain;
    }
    if (!single) out.user.reset();
    return out;
  }

  std::optional<double> classify(store::bayes_scope scope, const std::vector<std::uint64_t>& tokens) {
    auto table = cache_.lookup(store_, scope, tokens);
    if (!table) {
      spdlog::warn("bayes: cannot read the token counts: {}", table.error().message);
      return std::nullopt;
    }
    return bayes_classify(*table, options_);
  }

  store::store& store_;
  bayes_options options_;
  counts_cache cache_;
  std::mutex recipients_mutex_;
  std::unordered_map<std::string, recipient_tables> recipients_;
};

}  // namespace

std::unique_ptr<rule_source> make_bayes_rules(store::store& st, bayes_options o) {
  return std::make_unique<bayes_rules>(st, o);
}

}  // namespace letterhead::filter
