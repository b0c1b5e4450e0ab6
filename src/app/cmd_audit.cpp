// letterhead audit [--since T] [--until T] [--actor A] [--action PREFIX] [--account ADDRESS] [--limit N]
// The same query as GET /api/v1/audit (store::query_audit).

#include <charconv>
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {
namespace {

// A point in time: Unix seconds, an ISO date "2026-11-29" or date-time
// "2026-11-29T08:00:00Z" (UTC), or an age before now: "90m", "24h", "7d".
core::result<std::int64_t> parse_time(const std::string& text, std::int64_t now) {
  auto bad = [&] {
    return core::fail(core::errc::invalid,
                      fmt::format("'{}' is not a time (examples: 1764403200, 2026-11-29, 2026-11-29T08:00:00Z, 24h, 7d)",
                                  text));
  };
  if (text.empty()) return bad();
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec == std::errc{} && n >= 0) {
    if (p == end) return n;
    const std::string_view unit(p, static_cast<std::size_t>(end - p));
    if (unit == "m") return now - n * 60;
    if (unit == "h") return now - n * 3600;
    if (unit == "d") return now - n * 86400;
  }
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  const int got = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &day, &hour, &minute,
                              &second, &tail);
  if (!(got == 3 || (got == 7 && tail == 'Z'))) return bad();
  if (got == 3 && text.size() != 10) return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string utc(std::int64_t t) {
  std::tm tm{};
  const auto tt = static_cast<std::time_t>(t);
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void add_audit_command(CLI::App& app, globals& g) {
  struct opts {
    std::string since, until, actor, action, account;
    std::size_t limit = 100;
    std::int64_t before = 0;
  };
  auto o = std::make_shared<opts>();
  auto* audit = app.add_subcommand("audit", "query the audit log, newest first / 查询审计日志");
  audit->add_option("--since", o->since, "from this time: Unix seconds, 2026-11-29, 2026-11-29T08:00:00Z, 24h, 7d");
  audit->add_option("--until", o->until, "before this time (same forms)");
  audit->add_option("--actor", o->actor, "only this actor: cli, an admin's address, ip:ADDRESS");
  audit->add_option("--action", o->action, "actions starting with this, e.g. user. or login.failed");
  audit->add_option("--account", o->account, "records naming this address (or any text) as actor or in the detail");
  audit->add_option("--limit", o->limit, "at most this many records (default 100)");
  audit->add_option("--before", o->before, "only records older than this id (paging)");
  audit->callback([&g, o] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    const auto now = static_cast<std::int64_t>(::time(nullptr));
    store::audit_query q;
    for (auto [text, field] : {std::pair{&o->since, &q.since}, std::pair{&o->until, &q.until}}) {
      if (text->empty()) continue;
      auto t = parse_time(*text, now);
      if (!t) { g.status = report(t.error()); return; }
      *field = *t;
    }
    q.actor = o->actor;
    q.action_prefix = o->action;
    q.mentions = o->account;
    q.limit = o->limit;
    q.before_id = o->before;
    auto records = ctx->store->query_audit(q);
    if (!records) { g.status = report(records.error()); return; }
    for (const auto& r : *records) {
      std::cout << fmt::format("{}\t{}\t{}\t{}\t{}\n", r.id, utc(r.time), r.actor, r.action, r.detail);
    }
  });
}

}  // namespace letterhead::app
