#include "core/metrics.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>
#include <mutex>
#include <variant>

#include <fmt/format.h>

namespace letterhead::core::metrics {
namespace {

enum class kind { counter, gauge };

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

// The canonical text of a label set: sorted by name, values escaped, as it appears
// between the braces. It is also the series' key inside its family.
std::string label_text(const labels& in) {
  labels sorted = in;
  std::ranges::sort(sorted, {}, &labels::value_type::first);
  std::string out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    assert(valid_label_name(sorted[i].first) && "malformed metric label name");
    assert((i == 0 || sorted[i - 1].first != sorted[i].first) && "duplicate metric label");
    if (i > 0) out += ',';
    out += sorted[i].first;
    out += "=\"";
    out += escape_label_value(sorted[i].second);
    out += '"';
  }
  return out;
}

struct callback_series {
  std::uint64_t id = 0;
  std::shared_ptr<gauge_function> fn;
};

using series = std::variant<std::unique_ptr<counter>, std::unique_ptr<gauge>, callback_series>;

struct family {
  kind type = kind::counter;
  std::string help;
  std::map<std::string, series> by_labels;
};

}  // namespace

struct registry::impl {
  // Serialises scrapes with each other and with callback removal, so that a removed
  // callback is never running or about to run.
  std::mutex render_mutex;
  // Guards the families and series lists (never held while a callback runs).
  mutable std::mutex mutex;
  std::map<std::string, family, std::less<>> families;
  std::uint64_t next_callback = 1;

  family& get_family(std::string_view name, kind type, std::string_view help) {
    assert(valid_metric_name(name) && "malformed metric name");
    auto it = families.find(name);
    if (it == families.end()) {
      it = families.emplace(std::string(name), family{type, std::string(help), {}}).first;
    }
    assert(it->second.type == type && "metric registered with two types");
    if (it->second.help.empty()) it->second.help = std::string(help);
    return it->second;
  }
};

callback_handle& callback_handle::operator=(callback_handle&& other) noexcept {
  if (this != &other) {
    reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void callback_handle::reset() noexcept {
  if (registry_ != nullptr) registry_->remove_callback(id_);
  registry_ = nullptr;
}

registry::registry() : impl_(std::make_unique<impl>()) {}
registry::~registry() = default;

counter& registry::counter(std::string_view name, const labels& labels, std::string_view help) {
  auto key = label_text(labels);
  std::lock_guard lock(impl_->mutex);
  auto& f = impl_->get_family(name, kind::counter, help);
  auto it = f.by_labels.find(key);
  if (it == f.by_labels.end()) {
    it = f.by_labels.emplace(std::move(key), std::make_unique<metrics::counter>()).first;
  }
  auto* c = std::get_if<std::unique_ptr<metrics::counter>>(&it->second);
  assert(c != nullptr);
  return **c;
}

gauge& registry::gauge(std::string_view name, const labels& labels, std::string_view help) {
  auto key = label_text(labels);
  std::lock_guard lock(impl_->mutex);
  auto& f = impl_->get_family(name, kind::gauge, help);
  auto it = f.by_labels.find(key);
  if (it == f.by_labels.end()) {
    it = f.by_labels.emplace(std::move(key), std::make_unique<metrics::gauge>()).first;
  }
  auto* g = std::get_if<std::unique_ptr<metrics::gauge>>(&it->second);
  assert(g != nullptr && "a gauge series is already registered as a callback");
  return **g;
}

callback_handle registry::gauge_callback(std::string_view name, const labels& labels,
                                         std::string_view help, gauge_function fn) {
  auto key = label_text(labels);
  std::lock_guard lock(impl_->mutex);
  auto& f = impl_->get_family(name, kind::gauge, help);
  const auto id = impl_->next_callback++;
  // A later registration of the same series replaces the earlier callback.
  f.by_labels.insert_or_assign(std::move(key),
                               callback_series{id, std::make_shared<gauge_function>(std::move(fn))});
  return callback_handle(this, id);
}

void registry::remove_callback(std::uint64_t id) noexcept {
  std::lock_guard render(impl_->render_mutex);
  std::lock_guard lock(impl_->mutex);
  for (auto fit = impl_->families.begin(); fit != impl_->families.end(); ++fit) {
    auto& by = fit->second.by_labels;
    for (auto it = by.begin(); it != by.end(); ++it) {
      const auto* cb = std::get_if<callback_series>(&it->second);
      if (cb == nullptr || cb->id != id) continue;
      by.erase(it);
      if (by.empty()) impl_->families.erase(fit);
      return;
    }
  }
}

std::string registry::render() const {
  // A snapshot taken under the lock; callbacks are run after it is released.
  struct line {
    std::string labels;
    std::variant<double, std::shared_ptr<gauge_function>> value;
  };
  struct snapshot {
    std::string name;
    std::string help;
    kind type;
    std::vector<line> lines;
  };
  std::lock_guard render(impl_->render_mutex);
  std::vector<snapshot> snaps;
  {
    std::lock_guard lock(impl_->mutex);
    snaps.reserve(impl_->families.size());
    for (const auto& [name, f] : impl_->families) {
      snapshot s{name, f.help, f.type, {}};
      for (const auto& [key, value] : f.by_labels) {
        if (const auto* c = std::get_if<std::unique_ptr<metrics::counter>>(&value)) {
          s.lines.push_back({key, static_cast<double>((*c)->value())});
        } else if (const auto* g = std::get_if<std::unique_ptr<metrics::gauge>>(&value)) {
          s.lines.push_back({key, static_cast<double>((*g)->value())});
        } else {
          s.lines.push_back({key, std::get<callback_series>(value).fn});
        }
      }
      snaps.push_back(std::move(s));
    }
  }
  std::string out;
  for (const auto& s : snaps) {
    if (!s.help.empty()) out += fmt::format("# HELP {} {}\n", s.name, escape_help(s.help));
    out += fmt::format("# TYPE {} {}\n", s.name, s.type == kind::counter ? "counter" : "gauge");
    for (const auto& l : s.lines) {
      double v = 0;
      if (const auto* d = std::get_if<double>(&l.value)) {
        v = *d;
      } else {
        std::optional<double> got;
        try {
          got = (*std::get<std::shared_ptr<gauge_function>>(l.value))();
        } catch (...) {
          got.reset();  // a failing callback leaves its series out, not the scrape
        }
        if (!got) continue;
        v = *got;
      }
      if (l.labels.empty()) {
        out += fmt::format("{} {}\n", s.name, format_value(v));
      } else {
        out += fmt::format("{}{{{}}} {}\n", s.name, l.labels, format_value(v));
      }
    }
  }
  return out;
}

registry& global() {
  // Never destroyed: sessions still counting during exit find it alive.
  static registry* r = new registry();
  return *r;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15) {
    return fmt::format("{}", static_cast<std::int64_t>(v));
  }
  return fmt::format("{}", v);
}

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, true)) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, false)) return false;
  }
  return true;
}

}  // namespace letterhead::core::metrics
