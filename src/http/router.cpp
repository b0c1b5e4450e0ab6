#include "http/router.hpp"

#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

namespace letterhead::http {
namespace {

bool path_matches(const route& r, std::string_view path) {
  const auto& opt = r.options;
  if (opt.kind == match::exact) {
    return opt.case_insensitive ? iequals(r.path, path) : r.path == path;
  }
  if (path.size() < r.path.size()) return false;
  const auto head = path.substr(0, r.path.size());
  return opt.case_insensitive ? iequals(r.path, head) : r.path == head;
}

}  // namespace

void router::add(std::string method, std::string path, handler h, route_options options) {
  assert(!path.empty() && path.front() == '/' && "a route path begins with /");
  assert(h && "a route needs a handler");
  routes_.push_back(route{std::move(method), std::move(path), std::move(h), options});
}

route_match router::find(std::string_view method, std::string_view path) const {
  // The best route for the path regardless of method decides between 405 and 404;
  // among routes of equal rank, the method picks.
  const route* best = nullptr;
  auto rank = [](const route& r) -> std::size_t {
    // Exact routes outrank every prefix; longer prefixes outrank shorter ones.
    return r.options.kind == match::exact ? static_cast<std::size_t>(-1) : r.path.size();
  };
  std::vector<const route*> candidates;
  for (const auto& r : routes_) {
    if (!path_matches(r, path)) continue;
    if (best == nullptr || rank(r) > rank(*best)) {
      best = &r;
      candidates.clear();
    }
    if (rank(r) == rank(*best)) candidates.push_back(&r);
  }
  route_match m;
  if (best == nullptr) return m;
  for (const auto* r : candidates) {
    if (r->method == method) {
      m.found = r;
      return m;
    }
  }
  if (method == "HEAD") {
    for (const auto* r : candidates) {
      if (r->method == "GET") {
        m.found = r;
        return m;
      }
    }
  }
  std::vector<std::string> allowed;
  for (const auto* r : candidates) {
    allowed.push_back(r->method);
    if (r->method == "GET") allowed.emplace_back("HEAD");
  }
  std::ranges::sort(allowed);
  const auto dup = std::ranges::unique(allowed);
  allowed.erase(dup.begin(), dup.end());
  m.status = 405;
  for (const auto& a : allowed) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += a;
  }
  return m;
}

response run_handler(const route& r, const request& req) {
  try {
    return r.run(req);
  } catch (const std::exception& e) {
    spdlog::error("http handler for {} {} failed: {}", r.method, r.path, e.what());
  } catch (...) {
    spdlog::error("http handler for {} {} failed", r.method, r.path);
  }
  return error_response(500);
}

response lookup_failure(const route_match& m) {
  auto r = error_response(m.status);
  // RFC 9110 §15.5.6: a 405 carries Allow.
  if (m.status == 405) r.headers.push_back({"Allow", m.allow});
  return r;
}

response router::handle(const request& r) const {
  const auto m = find(r.method, r.path);
  if (m.found == nullptr) return lookup_failure(m);
  return run_handler(*m.found, r);
}

}  // namespace letterhead::http
