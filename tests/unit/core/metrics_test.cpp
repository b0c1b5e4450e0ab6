// The metrics registry and its Prometheus text rendering (exposition format 0.0.4).
#include "core/metrics.hpp"

#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace letterhead::core::metrics {
namespace {

// One line of the text format: a comment (HELP/TYPE) or a sample.
bool valid_line(const std::string& line) {
  static const std::regex help(R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  static const std::regex type(R"(^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|untyped)$)");
  static const std::regex sample(
      R"re(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$)re");
  return std::regex_match(line, help) || std::regex_match(line, type) || std::regex_match(line, sample);
}

TEST(metrics, counter_renders_with_help_and_type) {
  registry r;
  auto& c = r.counter("letterhead_connections_total", {{"protocol", "smtp"}}, "Connections accepted.");
  c.inc();
  c.inc(2);
  EXPECT_EQ(c.value(), 3u);
  EXPECT_EQ(r.render(),
            "# HELP letterhead_connections_total Connections accepted.\n"
            "# TYPE letterhead_connections_total counter\n"
            "letterhead_connections_total{protocol=\"smtp\"} 3\n");
}

TEST(metrics, same_name_and_labels_is_the_same_series) {
  registry r;
  auto& a = r.counter("x_total", {{"b", "2"}, {"a", "1"}});
  auto& b = r.counter("x_total", {{"a", "1"}, {"b", "2"}}, "late help is kept if none was set");
  EXPECT_EQ(&a, &b);
  auto& other = r.counter("x_total", {{"a", "1"}, {"b", "3"}});
  EXPECT_NE(&a, &other);
  a.inc();
  const auto text = r.render();
  EXPECT_NE(text.find("x_total{a=\"1\",b=\"2\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{a=\"1\",b=\"3\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP x_total late help"), std::string::npos) << text;
}

TEST(metrics, families_in_name_order_with_gauges) {
  registry r;
  r.gauge("zeta", {}, "Last.").set(-5);
  auto& g = r.gauge("alpha", {}, "First.");
  g.inc(10);
  g.dec(3);
  EXPECT_EQ(r.render(),
            "# HELP alpha First.\n# TYPE alpha gauge\nalpha 7\n"
            "# HELP zeta Last.\n# TYPE zeta gauge\nzeta -5\n");
}

TEST(metrics, escaping) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_help("line1\nback\\slash \"quotes\" stay"), "line1\\nback\\\\slash \"quotes\" stay");
  registry r;
  r.counter("e_total", {{"v", "say \"hi\"\n"}}, "Help with\nnewline.").inc();
  const auto text = r.render();
  EXPECT_NE(text.find("e_total{v=\"say \\\"hi\\\"\\n\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP e_total Help with\\nnewline.\n"), std::string::npos) << text;
}

TEST(metrics, values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(metrics, names) {
  EXPECT_TRUE(valid_metric_name("letterhead_up"));
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_TRUE(valid_label_name("protocol"));
  EXPECT_FALSE(valid_label_name("__reserved"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("1a"));
}

TEST(metrics, gauge_callbacks_run_at_scrape_and_go_with_their_handle) {
  registry r;
  int calls = 0;
  double value = 5;
  {
    auto h = r.gauge_callback("letterhead_queue_length", {}, "Outbound queue entries.", [&]() -> std::optional<double> {
      ++calls;
      return value;
    });
    EXPECT_EQ(calls, 0);
    EXPECT_NE(r.render().find("letterhead_queue_length 5\n"), std::string::npos);
    value = 8;
    EXPECT_NE(r.render().find("letterhead_queue_length 8\n"), std::string::npos);
    EXPECT_EQ(calls, 2);
    auto moved = std::move(h);
    EXPECT_NE(r.render().find("letterhead_queue_length 8\n"), std::string::npos);
  }
  EXPECT_EQ(r.render(), "");
  EXPECT_EQ(calls, 3);
}

TEST(metrics, failing_callback_leaves_its_series_out) {
  registry r;
  auto none = r.gauge_callback("g", {{"k", "none"}}, "G.", [] { return std::optional<double>{}; });
  auto thrown = r.gauge_callback("g", {{"k", "throws"}}, "G.", []() -> std::optional<double> {
    throw std::runtime_error("store down");
  });
  auto ok = r.gauge_callback("g", {{"k", "ok"}}, "G.", [] { return std::optional<double>{1.5}; });
  EXPECT_EQ(r.render(), "# HELP g G.\n# TYPE g gauge\ng{k=\"ok\"} 1.5\n");
}

TEST(metrics, every_line_matches_the_exposition_grammar) {
  registry r;
  r.counter("letterhead_commands_total", {{"protocol", "imap"}}, "Commands.").inc(7);
  r.counter("letterhead_commands_total", {{"protocol", "smtp"}}).inc();
  r.gauge("letterhead_up", {}, "1 while the server runs.").set(1);
  r.counter("weird_total", {{"v", "a\\b\"c\nd"}}, "x").inc();
  auto h = r.gauge_callback("cb", {{"a", "1"}, {"b", "2"}}, "Callback.", [] { return std::optional<double>{0.5}; });
  std::istringstream in(r.render());
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_TRUE(valid_line(line)) << line;
  }
  EXPECT_EQ(lines, 13);
}

TEST(metrics, concurrent_increments_are_not_lost) {
  registry r;
  auto& c = r.counter("hot_total");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) c.inc();
      // Registration from several threads at once finds or makes one series.
      r.counter("hot_total", {{"t", "shared"}}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
  EXPECT_EQ(r.counter("hot_total", {{"t", "shared"}}).value(), 4u);
}

TEST(metrics, global_is_one_registry) {
  EXPECT_EQ(&global(), &global());
}

}  // namespace
}  // namespace letterhead::core::metrics
