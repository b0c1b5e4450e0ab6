// parse_command table tests: each command of RFC 9051 / RFC 3501 and the extensions,
// valid and invalid, checking the values of command.hpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imap/proto/parser.hpp"
#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::proto {
namespace {

using namespace std::string_literals;
using core::errc;

command ok(std::string_view text, const parse_options& options = {}) {
  auto cmd = parse_command(text, options);
  EXPECT_TRUE(cmd.has_value()) << text << ": " << (cmd ? "" : cmd.error().message);
  return cmd ? *cmd : command{};
}

errc bad(std::string_view text, const parse_options& options = {}) {
  auto cmd = parse_command(text, options);
  EXPECT_FALSE(cmd.has_value()) << text;
  return cmd ? errc::internal : cmd.error().code;
}

template <class T>
T args(std::string_view text, const parse_options& options = {}) {
  const command cmd = ok(text, options);
  const T* a = std::get_if<T>(&cmd.args);
  EXPECT_NE(a, nullptr) << text;
  return a ? *a : T{};
}

TEST(ProtoParser, TagAndName) {
  auto cmd = ok("a001 noop");
  EXPECT_EQ(cmd.tag, "a001");
  EXPECT_EQ(cmd.name, "NOOP");
  EXPECT_FALSE(cmd.uid);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(cmd.args));
  EXPECT_EQ(ok("A]1 CAPABILITY").tag, "A]1");  // resp-specials are tag characters
  for (const std::string& name : std::vector<std::string>{"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "NAMESPACE", "IDLE", "CHECK", "CLOSE",
                           "UNSELECT", "EXPUNGE", "UNAUTHENTICATE"}) {
    EXPECT_EQ(ok("t " + name).name, name);
    EXPECT_EQ(bad("t " + name + " x"), errc::invalid);
    EXPECT_EQ(bad("t " + name + " "), errc::invalid);
  }
  EXPECT_EQ(bad(""), errc::invalid);
  EXPECT_EQ(bad("NOOP"), errc::invalid);        // a tag and no command
  EXPECT_EQ(bad("t"), errc::invalid);
  EXPECT_EQ(bad("+t NOOP"), errc::invalid);     // "+" is not a tag character
  EXPECT_EQ(bad("t{ NOOP"), errc::invalid);
  EXPECT_EQ(bad("t  NOOP"), errc::invalid);     // one space
  EXPECT_EQ(bad("t NOOP\r\n"), errc::invalid);  // the reader removes the line end
  EXPECT_EQ(bad("t\tNOOP"), errc::invalid);
}

TEST(ProtoParser, UnknownCommandIsNotASyntaxError) {
  EXPECT_EQ(bad("t XYZZY"), errc::not_found);
  EXPECT_EQ(bad("t XYZZY 1 2 3"), errc::not_found);
  EXPECT_EQ(bad("t UID NOOP"), errc::not_found);  // NOOP does not take UID
  EXPECT_EQ(bad("t UID LOGIN a b"), errc::not_found);
  EXPECT_EQ(bad("t UID"), errc::invalid);
  // The tag is there for "TAG BAD", and messages never carry client bytes.
  EXPECT_EQ(command_tag("a1 XYZZY \x01\x02"), "a1");
  EXPECT_EQ(command_tag("* BAD"), "");
  EXPECT_EQ(command_tag("a\x80 NOOP"), "");
  auto r = parse_command("zz <script>");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.find("script"), std::string::npos);
}

TEST(ProtoParser, Authenticate) {
  auto a = args<auth_args>("t AUTHENTICATE plain");
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial);
  a = args<auth_args>("t AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");  // SASL-IR, RFC 4959
  EXPECT_EQ(a.initial, "AGFsaWNlAHNlY3JldA==");
  a = args<auth_args>("t AUTHENTICATE EXTERNAL =");
  EXPECT_EQ(a.initial, "=");
  EXPECT_EQ(args<auth_args>("t AUTHENTICATE SCRAM-SHA-256").mechanism, "SCRAM-SHA-256");
  for (const std::string& b : std::vector<std::string>{"t AUTHENTICATE", "t AUTHENTICATE ", "t AUTHENTICATE PLAIN abc", "t AUTHENTICATE PLAIN a=bc",
                        "t AUTHENTICATE PLAIN ab*c", "t AUTHENTICATE PLAIN ===="}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, Login) {
  auto a = args<login_args>("t LOGIN alice s3cret");
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.password, "s3cret");
  a = args<login_args>(R"(t LOGIN "alice@example.com" "p\"w\\d")");
  EXPECT_EQ(a.user, "alice@example.com");
  EXPECT_EQ(a.password, "p\"w\\d");
  a = args<login_args>("t LOGIN {5}\r\nalice {6}\r\npa ss\xff");
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.password, "pa ss\xff");
  a = args<login_args>("t LOGIN {5+}\nalice \"\"");  // LITERAL+, bare LF
  EXPECT_EQ(a.password, "");
  a = args<login_args>("t LOGIN \"张三\" \"密码\"");  // UTF-8 in quoted (RFC 9051 QUOTED-CHAR)
  EXPECT_EQ(a.user, "张三");
  for (const std::string& b : std::vector<std::string>{"t LOGIN", "t LOGIN alice", "t LOGIN alice ", "t LOGIN alice pw extra", "t LOGIN (a) b",
                        "t LOGIN \"alice b", "t LOGIN \"a\\b\" c", "t LOGIN a{1} b", "t LOGIN {3}\r\nab",
                        "t LOGIN {2}\r\na\0 b"s, "t LOGIN \"a\0\" b"s, "t LOGIN \"caf\xe9\" b",
                        "t LOGIN ~{1}\r\na b", "t LOGIN {x}\r\na b", "t LOGIN {1}a b", "t LOGIN a\x01 b"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, Enable) {
  EXPECT_EQ(args<enable_args>("t ENABLE condstore utf8=accept").capabilities,
            (std::vector<std::string>{"CONDSTORE", "UTF8=ACCEPT"}));
  EXPECT_EQ(args<enable_args>("t ENABLE IMAP4rev2").capabilities, std::vector<std::string>{"IMAP4REV2"});
  EXPECT_EQ(bad("t ENABLE"), errc::invalid);
  EXPECT_EQ(bad("t ENABLE  X"), errc::invalid);
}

TEST(ProtoParser, SelectAndExamine) {
  auto a = args<select_args>("t SELECT INBOX");
  EXPECT_EQ(a.mailbox, "INBOX");
  EXPECT_FALSE(a.condstore);
  EXPECT_EQ(args<select_args>("t EXAMINE inbox").mailbox, "inbox");  // kept as written
  EXPECT_EQ(ok("t EXAMINE inbox").name, "EXAMINE");
  EXPECT_EQ(args<select_args>("t SELECT &ZTZO9nux-").mailbox, "收件箱");
  EXPECT_EQ(args<select_args>("t SELECT \"Sent Items\"").mailbox, "Sent Items");
  EXPECT_TRUE(args<select_args>("t SELECT INBOX (CONDSTORE)").condstore);  // RFC 7162 §3.1.8
  // RFC 7162 §3.2.5 QRESYNC.
  a = args<select_args>("t SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
  ASSERT_TRUE(a.qresync);
  EXPECT_EQ(a.qresync->uidvalidity, 67890007u);
  EXPECT_EQ(a.qresync->modseq, 20050715194045000u);
  ASSERT_TRUE(a.qresync->known_uids);
  EXPECT_EQ(to_string(*a.qresync->known_uids), "41,43:211,214:541");
  EXPECT_FALSE(a.qresync->seq_match);
  a = args<select_args>("t SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
                        "15000,22500,27000,29970,29973,29976:29979)))");
  ASSERT_TRUE(a.qresync && a.qresync->seq_match);
  EXPECT_EQ(to_string(a.qresync->seq_match->first), "5000,7500,9000,9990:9999");
  EXPECT_EQ(to_string(a.qresync->seq_match->second), "15000,22500,27000,29970,29973,29976:29979");
  a = args<select_args>("t SELECT INBOX (QRESYNC (1 2 (1 1)) CONDSTORE)");
  ASSERT_TRUE(a.qresync && a.qresync->seq_match);
  EXPECT_FALSE(a.qresync->known_uids);
  EXPECT_TRUE(a.condstore);
  a = args<select_args>("t SELECT INBOX (QRESYNC (1 2))");
  ASSERT_TRUE(a.qresync);
  EXPECT_FALSE(a.qresync->known_uids);
  for (const std::string& b : std::vector<std::string>{"t SELECT", "t SELECT ", "t SELECT INBOX ()", "t SELECT INBOX (FOO)", "t SELECT INBOX (CONDSTORE",
                        "t SELECT INBOX (QRESYNC (0 2))", "t SELECT INBOX (QRESYNC (1 0))", "t SELECT INBOX (QRESYNC (1))",
                        "t SELECT INBOX (QRESYNC (1 2 3 4))", "t SELECT INBOX (QRESYNC (1 2 $))",
                        "t SELECT INBOX (QRESYNC (1 2) QRESYNC (1 2))", "t SELECT a b", "t SELECT &ZTZO9nux",
                        "t SELECT \"收件箱\""}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, MailboxNamesUnderUtf8Accept) {
  const parse_options utf8{.utf8_accept = true};
  EXPECT_EQ(args<select_args>("t SELECT \"收件箱\"", utf8).mailbox, "收件箱");
  EXPECT_EQ(args<select_args>("t SELECT {9}\r\n收件箱", utf8).mailbox, "收件箱");
  // RFC 6855 §3: no modified UTF-7 once UTF8=ACCEPT is on.
  EXPECT_EQ(args<select_args>("t SELECT &ZTZO9nux-", utf8).mailbox, "&ZTZO9nux-");
  EXPECT_EQ(args<select_args>("t SELECT A&B", utf8).mailbox, "A&B");
  EXPECT_EQ(bad("t SELECT A&B"), errc::invalid);
  EXPECT_EQ(bad("t SELECT {4}\r\ncaf\xe9", utf8), errc::invalid);  // not UTF-8
  EXPECT_EQ(bad("t SELECT {3}\r\na\tb", utf8), errc::invalid);     // control character
  EXPECT_EQ(bad("t SELECT &AAk-"), errc::invalid);                 // a TAB in mUTF-7
}

TEST(ProtoParser, CreateDeleteRenameSubscribe) {
  auto m = args<mailbox_args>("t CREATE Projects/2024");
  EXPECT_EQ(m.mailbox, "Projects/2024");
  EXPECT_TRUE(m.special_use.empty());
  m = args<mailbox_args>("t CREATE MySent (USE (\\Sent))");  // RFC 6154 §3
  EXPECT_EQ(m.special_use, std::vector<std::string>{"\\Sent"});
  m = args<mailbox_args>("t CREATE Arc (USE (\\Archive \\All))");
  EXPECT_EQ(m.special_use, (std::vector<std::string>{"\\Archive", "\\All"}));
  EXPECT_TRUE(args<mailbox_args>("t CREATE Arc (USE ())").special_use.empty());
  EXPECT_EQ(args<mailbox_args>("t DELETE &XfJT0ZAB-").mailbox, "已发送");
  EXPECT_EQ(args<mailbox_args>("t SUBSCRIBE \"a b\"").mailbox, "a b");
  EXPECT_EQ(args<mailbox_args>("t UNSUBSCRIBE x").mailbox, "x");
  EXPECT_EQ(ok("t UNSUBSCRIBE x").name, "UNSUBSCRIBE");
  auto r = args<rename_args>("t RENAME &g0l6P3ux- Drafts");
  EXPECT_EQ(r.from, "草稿箱");
  EXPECT_EQ(r.to, "Drafts");
  for (const std::string& b : std::vector<std::string>{"t CREATE", "t CREATE a (USE (Sent))", "t CREATE a (FOO (\\Sent))", "t CREATE a (USE \\Sent)",
                        "t DELETE", "t DELETE a b", "t RENAME a", "t RENAME a b c", "t SUBSCRIBE (a)"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, List) {
  auto a = args<list_args>("t LIST \"\" *");
  EXPECT_EQ(a.reference, "");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"*"});
  EXPECT_FALSE(a.lsub);
  a = args<list_args>("t LIST ~/Mail/ %");
  EXPECT_EQ(a.reference, "~/Mail/");
  EXPECT_EQ(a.patterns, std::vector<std::string>{"%"});
  EXPECT_EQ(args<list_args>("t LIST \"\" &ZeVnLIqe-/*").patterns, std::vector<std::string>{"日本語/*"});
  EXPECT_EQ(args<list_args>("t LIST \"\" foo]*%").patterns, std::vector<std::string>{"foo]*%"});
  // RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS.
  a = args<list_args>("t LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN special-use)");
  EXPECT_EQ(a.select_options, (std::vector<std::string>{"SUBSCRIBED", "RECURSIVEMATCH"}));
  EXPECT_EQ(a.patterns, (std::vector<std::string>{"INBOX", "Sent*"}));
  EXPECT_EQ(a.return_options, (std::vector<std::string>{"CHILDREN", "SPECIAL-USE"}));
  a = args<list_args>("t LIST () \"\" % RETURN (STATUS (MESSAGES UNSEEN) SUBSCRIBED)");
  EXPECT_TRUE(a.select_options.empty());
  EXPECT_EQ(a.status_items, (std::vector<std::string>{"MESSAGES", "UNSEEN"}));
  EXPECT_EQ(a.return_options, (std::vector<std::string>{"STATUS", "SUBSCRIBED"}));
  EXPECT_TRUE(args<list_args>("t LIST \"\" % RETURN ()").return_options.empty());
  EXPECT_EQ(args<list_args>("t LIST (SPECIAL-USE) \"\" *").select_options, std::vector<std::string>{"SPECIAL-USE"});
  auto l = args<list_args>("t LSUB \"\" news.*");
  EXPECT_TRUE(l.lsub);
  EXPECT_EQ(l.patterns, std::vector<std::string>{"news.*"});
  EXPECT_EQ(ok("t LSUB \"\" *").name, "LSUB");
  for (const std::string& b : std::vector<std::string>{"t LIST", "t LIST \"\"", "t LIST \"\" ", "t LIST * *", "t LIST (RECURSIVEMATCH) \"\" *",
                        "t LIST (FOO) \"\" *", "t LIST \"\" () ", "t LIST \"\" ()", "t LIST \"\" * RETURN",
                        "t LIST \"\" * RETURN (FOO)", "t LIST \"\" * RETURN (STATUS ())", "t LIST \"\" * (x)",
                        "t LIST \"\" * RETURN (STATUS (BOGUS))", "t LSUB \"\"", "t LSUB \"\" (a)", "t LIST \"\" a&b"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, Status) {
  auto a = args<status_args>("t STATUS blurdybloop (UIDNEXT MESSAGES)");
  EXPECT_EQ(a.mailbox, "blurdybloop");
  EXPECT_EQ(a.items, (std::vector<std::string>{"UIDNEXT", "MESSAGES"}));
  EXPECT_EQ(args<status_args>("t STATUS INBOX (size deleted highestmodseq appendlimit mailboxid recent uidvalidity unseen)")
                .items.size(),
            8u);
  for (const std::string& b : std::vector<std::string>{"t STATUS INBOX", "t STATUS INBOX ()", "t STATUS INBOX (FOO)", "t STATUS INBOX MESSAGES",
                        "t STATUS INBOX (MESSAGES", "t STATUS (MESSAGES)"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, Append) {
  auto a = args<append_args>("t APPEND saved-messages (\\Seen) {10}\r\nDate: x\r\n\r");
  EXPECT_EQ(a.mailbox, "saved-messages");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, std::vector<std::string>{"\\Seen"});
  EXPECT_EQ(a.messages[0].data, "Date: x\r\n\r");
  EXPECT_FALSE(a.messages[0].date_time);
  EXPECT_FALSE(a.messages[0].binary);
  a = args<append_args>("t APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" {3+}\r\nabc");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].date_time, "17-Jul-1996 02:44:25 -0700");
  EXPECT_TRUE(a.messages[0].flags.empty());
  a = args<append_args>("t APPEND INBOX () \" 7-Jul-1996 02:44:25 +0800\" {1}\r\nx");
  EXPECT_EQ(a.messages[0].date_time, " 7-Jul-1996 02:44:25 +0800");
  // RFC 3502 MULTIAPPEND.
  a = args<append_args>("t APPEND Drafts (\\Draft $Label) {1}\r\na {1}\r\nb (\\Seen) {1}\r\nc");
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Draft", "$Label"}));
  EXPECT_EQ(a.messages[1].data, "b");
  EXPECT_TRUE(a.messages[1].flags.empty());
  EXPECT_EQ(a.messages[2].flags, std::vector<std::string>{"\\Seen"});
  // RFC 3516 literal8: NUL allowed; RFC 6855 UTF8 (~{n}).
  a = args<append_args>("t APPEND INBOX ~{3}\r\na\0b"s);
  EXPECT_TRUE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].data, "a\0b"s);
  a = args<append_args>("t APPEND INBOX UTF8 (~{2+}\r\nhi)");
  EXPECT_TRUE(a.messages[0].utf8);
  EXPECT_TRUE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].data, "hi");
  EXPECT_EQ(args<append_args>("t APPEND &ZTZO9nux- {0}\r\n").mailbox, "收件箱");
  for (const std::string& b : std::vector<std::string>{"t APPEND INBOX", "t APPEND INBOX ", "t APPEND INBOX \"abc\"", "t APPEND INBOX {3}\r\na\0b"s,
                        "t APPEND INBOX (\\Seen {1}\r\na", "t APPEND INBOX \"17-Jul-1996 02:44:25\" {1}\r\na",
                        "t APPEND INBOX \"32-Jul-1996 02:44:25 -0700\" {1}\r\na",
                        "t APPEND INBOX \"17-Foo-1996 02:44:25 -0700\" {1}\r\na",
                        "t APPEND INBOX \"17-Jul-1996 24:44:25 -0700\" {1}\r\na", "t APPEND INBOX {1}\r\na ",
                        "t APPEND INBOX UTF8 ({1}\r\na)", "t APPEND INBOX UTF8 (~{1}\r\na", "t APPEND INBOX {5}\r\nab",
                        "t APPEND INBOX (\\Seen) (\\Seen) {1}\r\na", "t APPEND INBOX {1}\r\nab"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, Expunge) {
  EXPECT_TRUE(std::holds_alternative<std::monostate>(ok("t EXPUNGE").args));
  auto cmd = ok("t UID EXPUNGE 3000:3002,4000");  // RFC 4315 §2.1
  EXPECT_TRUE(cmd.uid);
  EXPECT_EQ(cmd.name, "EXPUNGE");
  ASSERT_TRUE(std::holds_alternative<sequence_set>(cmd.args));
  EXPECT_EQ(to_string(std::get<sequence_set>(cmd.args)), "3000:3002,4000");
  EXPECT_EQ(bad("t UID EXPUNGE"), errc::invalid);
  EXPECT_EQ(bad("t UID EXPUNGE 0"), errc::invalid);
}

TEST(ProtoParser, Store) {
  auto a = args<store_args>("t STORE 2:4 +FLAGS (\\Deleted)");
  EXPECT_EQ(to_string(a.set), "2:4");
  EXPECT_EQ(a.how, store_args::mode::add);
  EXPECT_FALSE(a.silent);
  EXPECT_EQ(a.flags, std::vector<std::string>{"\\Deleted"});
  a = args<store_args>("t STORE 1 -FLAGS.SILENT \\Seen $Junk");
  EXPECT_EQ(a.how, store_args::mode::remove);
  EXPECT_TRUE(a.silent);
  EXPECT_EQ(a.flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  a = args<store_args>("t STORE * flags ()");
  EXPECT_EQ(a.how, store_args::mode::replace);
  EXPECT_TRUE(a.flags.empty());
  a = args<store_args>("t STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)");  // RFC 7162 §3.1.3
  EXPECT_EQ(a.unchangedsince, 320162338u);
  EXPECT_EQ(args<store_args>("t STORE 1 (UNCHANGEDSINCE 0) FLAGS ()").unchangedsince, 0u);
  auto cmd = ok("t UID STORE $ +FLAGS (\\Seen)");
  EXPECT_TRUE(cmd.uid);
  EXPECT_TRUE(std::get<store_args>(cmd.args).set.saved);
  for (const std::string& b : std::vector<std::string>{"t STORE", "t STORE 1", "t STORE 1 FLAGS", "t STORE 1 *FLAGS (x)", "t STORE 1 FLAGS.LOUD (x)",
                        "t STORE 1 +FLAGS (\\Seen", "t STORE 1 FLAGS (\\)", "t STORE 0 FLAGS ()", "t STORE 1 (FOO 1) FLAGS ()",
                        "t STORE 1 (UNCHANGEDSINCE) FLAGS ()", "t STORE 1 FLAGS \\*x(", "t STORE 1 FLAGS (a b"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, CopyAndMove) {
  auto a = args<copy_args>("t COPY 2:4 MEETING");
  EXPECT_EQ(to_string(a.set), "2:4");
  EXPECT_EQ(a.mailbox, "MEETING");
  auto cmd = ok("t uid move 42 &V4NXPpCuTvY-");  // RFC 6851
  EXPECT_TRUE(cmd.uid);
  EXPECT_EQ(cmd.name, "MOVE");
  EXPECT_EQ(std::get<copy_args>(cmd.args).mailbox, "垃圾邮件");
  for (const std::string& b : std::vector<std::string>{"t COPY", "t COPY 1", "t COPY 1 ", "t COPY x INBOX", "t MOVE 1 a b"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, Id) {
  auto a = args<id_args>(R"(t ID ("name" "sodr" "version" "19.34" "vendor" NIL))");  // RFC 2971 §3.1
  ASSERT_EQ(a.fields.size(), 3u);
  EXPECT_EQ(a.fields[0].first, "name");
  EXPECT_EQ(a.fields[0].second, "sodr");
  EXPECT_FALSE(a.fields[2].second);
  EXPECT_TRUE(args<id_args>("t ID NIL").fields.empty());
  EXPECT_TRUE(args<id_args>("t ID ()").fields.empty());
  std::string many = "t ID (";
  for (int i = 0; i < 31; ++i) many += (i ? " " : "") + std::string("\"k\" \"v\"");
  many += ")";
  for (const std::string& b : std::vector<std::string>{"t ID", "t ID (name \"x\")", "t ID (\"name\")", "t ID (\"name\" \"x\"", many,
                        ("t ID (\"" + std::string(31, 'k') + "\" NIL)")}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, QuotaAclCompress) {
  auto q = args<setquota_args>("t SETQUOTA \"\" (STORAGE 512 message 1000)");  // RFC 9208 §4.3.3
  EXPECT_EQ(q.root, "");
  ASSERT_EQ(q.limits.size(), 2u);
  EXPECT_EQ(q.limits[0], (std::pair<std::string, std::uint64_t>{"STORAGE", 512}));
  EXPECT_EQ(q.limits[1].first, "MESSAGE");
  EXPECT_TRUE(args<setquota_args>("t SETQUOTA root ()").limits.empty());
  EXPECT_EQ(args<mailbox_args>("t GETQUOTA \"&ZTZO9nux-\"").mailbox, "&ZTZO9nux-");  // a root, not a name
  EXPECT_EQ(args<mailbox_args>("t GETQUOTAROOT &ZTZO9nux-").mailbox, "收件箱");
  auto acl = args<setacl_args>("t SETACL INBOX/Drafts Fred +rwi");  // RFC 4314 §3.1
  EXPECT_EQ(acl.mailbox, "INBOX/Drafts");
  EXPECT_EQ(acl.identifier, "Fred");
  EXPECT_EQ(acl.rights, "+rwi");
  acl = args<setacl_args>("t DELETEACL INBOX \"-Fred\"");
  EXPECT_EQ(acl.identifier, "-Fred");
  EXPECT_EQ(acl.rights, "");
  EXPECT_EQ(ok("t LISTRIGHTS INBOX anyone").name, "LISTRIGHTS");
  EXPECT_EQ(args<mailbox_args>("t GETACL INBOX").mailbox, "INBOX");
  EXPECT_EQ(args<mailbox_args>("t MYRIGHTS INBOX").mailbox, "INBOX");
  EXPECT_EQ(args<compress_args>("t COMPRESS deflate").mechanism, "DEFLATE");  // RFC 4978
  for (const std::string& b : std::vector<std::string>{"t SETQUOTA", "t SETQUOTA r", "t SETQUOTA r (STORAGE)", "t SETQUOTA r (STORAGE x)",
                        "t SETQUOTA r (STORAGE 1", "t SETACL INBOX Fred", "t DELETEACL INBOX", "t DELETEACL INBOX a b",
                        "t GETACL", "t COMPRESS", "t COMPRESS \"x\"", "t GETQUOTA"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
}

TEST(ProtoParser, SortAndThread) {
  auto cmd = ok("t UID SORT (REVERSE ARRIVAL subject) UTF-8 SINCE 1-Feb-1994 FROM \"smith\"");
  EXPECT_TRUE(cmd.uid);
  EXPECT_EQ(cmd.name, "SORT");
  const auto& a = std::get<sort_args>(cmd.args);
  EXPECT_EQ(a.criteria, (std::vector<std::string>{"REVERSE", "ARRIVAL", "SUBJECT"}));
  EXPECT_EQ(a.charset, "UTF-8");
  ASSERT_EQ(a.key.k, search_key::kind::and_);
  ASSERT_EQ(a.key.children.size(), 2u);
  EXPECT_EQ(a.key.children[1].text, "smith");
  EXPECT_FALSE(a.ret.present);
  auto e = args<sort_args>("t SORT RETURN (MIN COUNT) (DATE) US-ASCII ALL");  // RFC 5267 ESORT
  EXPECT_TRUE(e.ret.present && e.ret.min && e.ret.count);
  EXPECT_EQ(args<sort_args>("t SORT (DISPLAYFROM) UTF-8 ALL").criteria, std::vector<std::string>{"DISPLAYFROM"});
  auto t = args<sort_args>("t THREAD references utf-8 SINCE 5-MAR-2000");
  EXPECT_EQ(t.algorithm, "REFERENCES");
  EXPECT_EQ(t.key.children.size(), 1u);
  EXPECT_EQ(ok("t UID THREAD ORDEREDSUBJECT UTF-8 ALL").name, "THREAD");
  for (const std::string& b : std::vector<std::string>{"t SORT", "t SORT (DATE)", "t SORT (DATE) UTF-8", "t SORT () UTF-8 ALL",
                        "t SORT (REVERSE) UTF-8 ALL", "t SORT (BOGUS) UTF-8 ALL", "t SORT DATE UTF-8 ALL",
                        "t THREAD", "t THREAD FOO UTF-8 ALL", "t THREAD REFERENCES", "t THREAD REFERENCES UTF-8"}) {
    EXPECT_EQ(bad(b), errc::invalid) << b;
  }
  EXPECT_EQ(bad("t SORT (DATE) KOI8-R ALL"), errc::denied);
  EXPECT_EQ(bad("t THREAD REFS ISO-8859-1 ALL"), errc::denied);
}

}  // namespace
}  // namespace letterhead::imap::proto
