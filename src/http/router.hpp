#pragma once
// The request router every HTTP feature registers with: autoconfig and /metrics
// now, JMAP, the admin API and static web assets later. Routes match the decoded
// path exactly or by prefix; exact routes win, then the longest prefix. A path that
// matches with another method is 405 with an Allow field (RFC 9110 §15.5.6), one
// that matches nothing 404. HEAD is served by the GET route, without the body
// (RFC 9110 §9.3.2).
//
// Routes are added before the listeners start and never after: lookups take no lock.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace letterhead::http {

// A handler answers one request. It must not throw for anything a client can cause
// (answer 4xx instead); an exception is logged and answered 500.
using handler = std::function<response(const request&)>;

enum class match { exact, prefix };

struct route_options {
  match kind = match::exact;
  // Compare the path without regard to ASCII case (Outlook asks for
  // /autodiscover/autodiscover.xml in either spelling).
  bool case_insensitive = false;
  // The handler may block (store, directory): the session runs it on the blocking
  // pool instead of an io thread.
  bool blocking = false;
};

struct route {
  std::string method;
  std::string path;
  handler run;
  route_options options;
};

// What a lookup found: a route, or the status to answer (404, or 405 with `allow`).
struct route_match {
  const route* found = nullptr;
  unsigned status = 404;
  std::string allow;  // for 405: "GET, HEAD"
};

class router {
 public:
  // `method` e.g. "GET"; `path` begins with "/" (for a prefix, usually ends with "/").
  void add(std::string method, std::string path, handler h, route_options options = {});

  [[nodiscard]] route_match find(std::string_view method, std::string_view path) const;

  // find() and run the handler inline (blocking or not), answering 404/405 and 500
  // for a handler's exception; for tests and callers that are not on an io thread.
  [[nodiscard]] response handle(const request& r) const;

 private:
  std::vector<route> routes_;
};

// Runs a found route's handler, turning an exception into a logged 500.
[[nodiscard]] response run_handler(const route& r, const request& req);

// The answer for a failed lookup (404, or 405 with Allow).
[[nodiscard]] response lookup_failure(const route_match& m);

}  // namespace letterhead::http
