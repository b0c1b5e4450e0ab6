#include "mime/thread.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "mime/base_subject.hpp"
#include "mime/body.hpp"
#include "mime/date.hpp"
#include "mime/msg_id.hpp"

namespace letterhead::mime {

thread_node::~thread_node() {
  // Detach descendants into a flat list so that no destructor recurses.
  if (children.empty()) return;
  std::vector<thread_node> pending = std::move(children);
  while (!pending.empty()) {
    thread_node n = std::move(pending.back());
    pending.pop_back();
    for (auto& c : n.children) pending.push_back(std::move(c));
    n.children.clear();
  }
}

std::vector<std::string> references_for_threading(std::string_view bytes,
                                                  std::span<const header_field> fields) {
  // RFC 5256 §3 REFERENCES step 1: References, else the first In-Reply-To id.
  if (auto refs = raw_value(bytes, fields, "References")) {
    auto ids = parse_msg_id_list(*refs);
    if (!ids.empty()) return ids;
  }
  std::vector<std::string> out;
  if (auto irt = raw_value(bytes, fields, "In-Reply-To")) {
    auto ids = parse_msg_id_list(*irt);
    if (!ids.empty()) out.push_back(std::move(ids.front()));
  }
  return out;
}

thread_input make_thread_input(std::string_view bytes, const message& m, std::uint32_t id,
                               std::int64_t internal_date) {
  thread_input in;
  in.id = id;
  in.sent_date = internal_date;
  if (m.parts.empty()) return in;
  const auto& fields = m.root().fields;
  if (auto mid = raw_value(bytes, fields, "Message-ID")) {
    in.message_id = parse_msg_id(*mid).value_or("");
  }
  in.references = references_for_threading(bytes, fields);
  const decode_options options = decode_options_for(m, 0);
  auto subject = extract_base_subject(raw_value(bytes, fields, "Subject").value_or(""), options);
  in.base_subject = std::move(subject.text);
  in.reply_or_forward = subject.reply_or_forward;
  if (auto date = raw_value(bytes, fields, "Date")) {
    if (auto d = parse_date(*date)) in.sent_date = d->unix_seconds;  // RFC 5256 §2.2
  }
  return in;
}

namespace {

constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

// Bounds the ancestor walk of the loop check: past it a link is refused, as if it
// closed a loop. Only hostile References (deep chains re-linked many times) reach it.
constexpr std::size_t max_ancestor_walk = 100'000;

struct container {
  std::size_t input = none;  // index into the inputs; none for a dummy
  std::size_t parent = none;
  std::vector<std::size_t> children;
};

class threader {
 public:
  explicit threader(std::span<const thread_input> msgs) : msgs_(msgs) {}

  std::vector<thread_node> run() {
    link_all();                                  // step 1
    std::vector<std::size_t> top = roots();      // steps 2, 3
    prune(top);                                  // step 4
    merge_subjects(top);                         // step 5
    sort_siblings(top);                          // step 6
    return build(top);
  }

 private:
  bool dummy(std::size_t c) const { return nodes_[c].input == none; }

  std::size_t create(std::size_t input) {
    nodes_.push_back(container{input, none, {}});
    return nodes_.size() - 1;
  }

  std::size_t by_id(std::string_view id) {
    auto [it, inserted] = ids_.try_emplace(id, 0);
    if (inserted) it->second = create(none);
    return it->second;
  }

  // True if making `child` a child of `parent` would close a loop.
  bool would_loop(std::size_t parent, std::size_t child) const {
    if (parent == child) return true;
    if (nodes_[child].children.empty()) return false;  // nothing below it to reach
    std::size_t steps = 0;
    for (std::size_t a = nodes_[parent].parent; a != none; a = nodes_[a].parent) {
      if (a == child || ++steps > max_ancestor_walk) return true;
    }
    return false;
  }

  void link(std::size_t parent, std::size_t child) {
    nodes_[child].parent = parent;
    nodes_[parent].children.push_back(child);
  }

  void unlink(std::size_t child) {
    const std::size_t parent = nodes_[child].parent;
    if (parent == none) return;
    auto& siblings = nodes_[parent].children;
    siblings.erase(std::find(siblings.begin(), siblings.end(), child));
    nodes_[child].parent = none;
  }

  void link_all() {
    nodes_.reserve(msgs_.size() * 2);
    for (std::size_t k = 0; k < msgs_.size(); ++k) {
      const thread_input& msg = msgs_[k];
      // RFC 5256 §3 step 1: a message without Message-ID, or with one an earlier
      // message has, gets a unique id of its own.
      std::size_t self = none;
      if (!msg.message_id.empty()) {
        std::size_t c = by_id(msg.message_id);
        if (nodes_[c].input == none) {
          nodes_[c].input = k;
          self = c;
        }
      }
      if (self == none) self = create(k);

      // Step 1.A: link the references in order, never re-parenting and never looping.
      const auto& refs = msg.references;
      std::size_t previous = none;
      auto visit = [&](const std::string& ref) {
        if (ref.empty()) return;
        const std::size_t c = by_id(ref);
        if (c == self) return;  // listing itself would cost it its real parent in step 1.B
        if (previous != none && nodes_[c].parent == none && !would_loop(previous, c)) {
          link(previous, c);
        }
        previous = c;
      };
      if (refs.size() <= max_thread_references) {
        for (const auto& r : refs) visit(r);
      } else {
        visit(refs.front());  // the thread's root, then the nearest ancestors
        for (std::size_t i = refs.size() - (max_thread_references - 1); i < refs.size(); ++i) {
          visit(refs[i]);
        }
      }
      // Step 1.B: the last reference is the parent; an earlier link (from a truncated
      // References of another message) gives way.
      if (previous == nodes_[self].parent && previous != none) continue;
      unlink(self);
      if (previous != none && !would_loop(previous, self)) link(previous, self);
    }
  }

  std::vector<std::size_t> roots() const {
    std::vector<std::size_t> top;
    for (std::size_t c = 0; c < nodes_.size(); ++c) {
      if (nodes_[c].parent == none) top.push_back(c);
    }
    return top;
  }

  // Pre-order of the forest under `top`, without recursion.
  std::vector<std::size_t> preorder(const std::vector<std::size_t>& top) const {
    std::vector<std::size_t> order;
    order.reserve(nodes_.size());
    std::vector<std::size_t> stack(top.rbegin(), top.rend());
    while (!stack.empty()) {
      const std::size_t c = stack.back();
      stack.pop_back();
      order.push_back(c);
      const auto& kids = nodes_[c].children;
      stack.insert(stack.end(), kids.rbegin(), kids.rend());
    }
    return order;
  }

  // Step 4: dummies without children go; dummies with children give way to them,
  // except at the top level where a dummy with two or more children stays.
  void prune(std::vector<std::size_t>& top) {
    const std::vector<std::size_t> order = preorder(top);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {  // children first
      const std::size_t c = *it;
      std::vector<std::size_t> kept;
      kept.reserve(nodes_[c].children.size());
      for (std::size_t k : nodes_[c].children) {
        if (!dummy(k)) {
          kept.push_back(k);
          continue;
        }
        for (std::size_t g : nodes_[k].children) {
          nodes_[g].parent = c;
          kept.push_back(g);
        }
        nodes_[k].children.clear();
      }
      nodes_[c].children = std::move(kept);
    }
    std::vector<std::size_t> kept;
    kept.reserve(top.size());
    for (std::size_t r : top) {
      if (!dummy(r) || nodes_[r].children.size() >= 2) {
        kept.push_back(r);
      } else if (nodes_[r].children.size() == 1) {
        const std::size_t only = nodes_[r].children.front();
        nodes_[only].parent = none;
        nodes_[r].children.clear();
        kept.push_back(only);
      }
    }
    top = std::move(kept);
  }

  // The thread subject of a top-level container: its own, or its first child's.
  const thread_input* representative(std::size_t c) const {
    if (!dummy(c)) return &msgs_[nodes_[c].input];
    if (nodes_[c].children.empty()) return nullptr;
    const std::size_t first = nodes_[c].children.front();
    return dummy(first) ? nullptr : &msgs_[nodes_[first].input];
  }

  bool reply(std::size_t c) const { return !dummy(c) && msgs_[nodes_[c].input].reply_or_forward; }

  // Step 5: threads with the same base subject are gathered.
  void merge_subjects(std::vector<std::size_t>& top) {
    std::unordered_map<std::string_view, std::size_t> table;  // step 5.A
    for (std::size_t c : top) {                                 // step 5.B
      const thread_input* rep = representative(c);
      if (rep == nullptr || rep->base_subject.empty()) continue;
      auto [it, inserted] = table.try_emplace(rep->base_subject, c);
      if (inserted) continue;
      const std::size_t t = it->second;
      if (!dummy(t) && (dummy(c) || (reply(t) && !reply(c)))) it->second = c;
    }
    // Position in `top` of each container; room for the dummies step 5.C may add.
    std::vector<std::size_t> slot(nodes_.size() + top.size(), none);
    for (std::size_t i = 0; i < top.size(); ++i) slot[top[i]] = i;
    const std::vector<std::size_t> original = top;
    for (std::size_t c : original) {  // step 5.C
      const thread_input* rep = representative(c);
      if (rep == nullptr || rep->base_subject.empty()) continue;
      std::size_t& t = table[rep->base_subject];
      if (t == c) continue;
      if (dummy(t) && dummy(c)) {
        for (std::size_t k : nodes_[c].children) link(t, k);
        nodes_[c].children.clear();
      } else if (dummy(t) || (reply(c) && !reply(t))) {
        link(t, c);
      } else {
        const std::size_t d = create(none);
        slot[d] = slot[t];
        top[slot[t]] = d;
        slot[t] = none;
        link(d, t);
        link(d, c);
        t = d;
      }
      top[slot[c]] = none;
      slot[c] = none;
    }
    std::erase(top, none);
  }

  struct sort_key {
    std::int64_t date = 0;
    std::size_t order = 0;
    friend bool operator<(const sort_key& a, const sort_key& b) {
      return a.date != b.date ? a.date < b.date : a.order < b.order;
    }
  };

  // Step 6: siblings by sent date, deepest first; a dummy sorts as its first child.
  void sort_siblings(std::vector<std::size_t>& top) {
    std::vector<sort_key> key(nodes_.size());
    auto by_key = [&](std::size_t a, std::size_t b) { return key[a] < key[b]; };
    const std::vector<std::size_t> order = preorder(top);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      container& n = nodes_[*it];
      std::sort(n.children.begin(), n.children.end(), by_key);  // keys are unique
      if (n.input != none) {
        key[*it] = {msgs_[n.input].sent_date, n.input};
      } else if (!n.children.empty()) {
        key[*it] = key[n.children.front()];
      }
    }
    std::sort(top.begin(), top.end(), by_key);
  }

  std::vector<thread_node> build(const std::vector<std::size_t>& top) {
    std::vector<thread_node> built(nodes_.size());
    const std::vector<std::size_t> order = preorder(top);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const container& n = nodes_[*it];
      thread_node& out = built[*it];
      out.id = n.input == none ? 0 : msgs_[n.input].id;
      out.children.reserve(n.children.size());
      for (std::size_t k : n.children) out.children.push_back(std::move(built[k]));
    }
    std::vector<thread_node> result;
    result.reserve(top.size());
    for (std::size_t r : top) result.push_back(std::move(built[r]));
    return result;
  }

  std::span<const thread_input> msgs_;
  std::vector<container> nodes_;
  std::unordered_map<std::string_view, std::size_t> ids_;
};

}  // namespace

std::vector<thread_node> thread_references(std::span<const thread_input> msgs) {
  return threader(msgs).run();
}

std::vector<thread_node> thread_orderedsubject(std::span<const thread_input> msgs) {
  std::vector<std::size_t> order(msgs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // RFC 5256 §3 ORDEREDSUBJECT: by base subject, then sent date (ties: sequence).
  // (std::stable_sort trips a libstdc++ 12 deprecation under clang: ties use the index.)
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (msgs[a].base_subject != msgs[b].base_subject) {
      return msgs[a].base_subject < msgs[b].base_subject;
    }
    if (msgs[a].sent_date != msgs[b].sent_date) return msgs[a].sent_date < msgs[b].sent_date;
    return a < b;
  });
  struct group {
    std::size_t first;  // index into order
    std::size_t count;
  };
  std::vector<group> groups;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && msgs[order[i]].base_subject == msgs[order[i - 1]].base_subject) {
      ++groups.back().count;
    } else {
      groups.push_back({i, 1});
    }
  }
  // Threads by the sent date of their first message (ties: sequence).
  std::sort(groups.begin(), groups.end(), [&](const group& a, const group& b) {
    const thread_input& x = msgs[order[a.first]];
    const thread_input& y = msgs[order[b.first]];
    if (x.sent_date != y.sent_date) return x.sent_date < y.sent_date;
    return order[a.first] < order[b.first];
  });
  std::vector<thread_node> out;
  out.reserve(groups.size());
  for (const group& g : groups) {
    thread_node root(msgs[order[g.first]].id);
    root.children.reserve(g.count - 1);
    for (std::size_t i = 1; i < g.count; ++i) {
      root.children.emplace_back(msgs[order[g.first + i]].id);
    }
    out.push_back(std::move(root));
  }
  return out;
}

std::string format_threads(const std::vector<thread_node>& threads) {
  // RFC 5256 §4: thread-list = "(" (thread-members / thread-nested) ")";
  // thread-members = nz-number *(SP nz-number) [SP thread-nested];
  // thread-nested = 2*thread-list. An explicit stack instead of recursion.
  struct step {
    const thread_node* node = nullptr;  // write this node's members
    std::string_view text;              // or this text
  };
  std::string out;
  std::vector<step> stack;
  auto push_nested = [&](const thread_node& n) {  // "(" members ")" for each child
    for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) {
      stack.push_back({nullptr, ")"});
      stack.push_back({&*it, {}});
      stack.push_back({nullptr, "("});
    }
  };
  for (const thread_node& root : threads) {
    if (root.dummy() && root.children.empty()) continue;
    stack.push_back({nullptr, ")"});
    stack.push_back({&root, {}});
    out.push_back('(');
    while (!stack.empty()) {
      const step s = stack.back();
      stack.pop_back();
      if (s.node == nullptr) {
        out += s.text;
        continue;
      }
      const thread_node& n = *s.node;
      const bool single = n.children.size() == 1;
      if (!n.dummy()) {
        out += std::to_string(n.id);
        if (single) {
          stack.push_back({&n.children.front(), {}});
          stack.push_back({nullptr, " "});
        } else if (!n.children.empty()) {
          push_nested(n);
          stack.push_back({nullptr, " "});
        }
      } else if (single) {
        stack.push_back({&n.children.front(), {}});
      } else {
        push_nested(n);
      }
    }
  }
  return out;
}

}  // namespace letterhead::mime
