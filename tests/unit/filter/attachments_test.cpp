// Attachment policy: names (extensions, double extensions, bidi overrides), file
// names from RFC 2231 and RFC 2047 parameters, and archives built here with
// libarchive's writer (zip with an .exe, nested zips, encrypted zip, bombs of names).
#include "filter/attachments.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <utility>

#include "mime/parser.hpp"

namespace letterhead::filter {
namespace {

attachment_policy policy() {
  attachment_policy p;
  p.blocked_extensions = {"exe", "scr", "js", "vbs", "bat", "cmd", "com", "pif", "jar", "msi"};
  return p;
}

struct entry {
  std::string name;
  std::string data;
};

// A zip (or another format) in memory; `password` makes a traditional-PKWARE
// encrypted zip.
std::string make_archive(const std::vector<entry>& entries, const char* format = "zip",
                         const char* password = nullptr) {
  archive* a = archive_write_new();
  archive_write_set_format_by_name(a, format);
  if (password != nullptr) {
    archive_write_set_options(a, "zip:encryption=traditional");
    archive_write_set_passphrase(a, password);
  }
  std::size_t room = 1 << 20;
  for (const auto& e : entries) room += e.data.size() + 1024;
  std::string out(room, '\0');
  size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, out.data(), out.size(), &used), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& e : entries) {
    archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.name.c_str());
    archive_entry_set_size(en, static_cast<la_int64_t>(e.data.size()));
    archive_entry_set_filetype(en, AE_IFREG);
    archive_entry_set_perm(en, 0644);
    EXPECT_EQ(archive_write_header(a, en), ARCHIVE_OK) << archive_error_string(a);
    archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    if ((i / 3) % 19 == 18) out += "\r\n";
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// A message with one text part and one attachment whose disposition parameters are
// given as written.
std::string with_attachment(std::string_view disposition_params, std::string_view data,
                            std::string_view type = "application/octet-stream") {
  std::string m =
      "From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
      "--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--XX\r\nContent-Type: ";
  m += type;
  m += "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment";
  m += disposition_params;
  m += "\r\n\r\n";
  m += base64(data);
  m += "\r\n--XX--\r\n";
  return m;
}

attachment_report inspect(const std::string& message, const attachment_policy& p = policy()) {
  const auto parsed = mime::parse(message);
  return inspect_attachments(message, parsed, p);
}

TEST(AttachmentNames, BlockedTypes) {
  const auto p = policy();
  EXPECT_TRUE(blocked_name("setup.exe", p));
  EXPECT_TRUE(blocked_name("SETUP.EXE", p));
  EXPECT_TRUE(blocked_name("run.exe. . ", p));  // Windows drops trailing dots and spaces
  EXPECT_TRUE(blocked_name("C:\\temp\\x.scr", p));
  EXPECT_TRUE(blocked_name("dir/app.js", p));
  EXPECT_FALSE(blocked_name("report.pdf", p));
  EXPECT_FALSE(blocked_name("exe", p));
  EXPECT_FALSE(blocked_name(".exe", p));  // a dot file, not a type
  EXPECT_FALSE(blocked_name("", p));
  EXPECT_FALSE(blocked_name("notes.exe.txt", p));
  const auto why = blocked_name("setup.exe", p);
  EXPECT_NE(why->find("setup.exe"), std::string::npos);
}

TEST(AttachmentNames, DoubleExtensions) {
  auto p = policy();
  const auto why = blocked_name("invoice.pdf.exe", p);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("double extension"), std::string::npos) << *why;
  EXPECT_TRUE(blocked_name("invoice.pdf      .exe", p));
  // Not in the admin's list, but hidden behind a document type: still refused.
  p.blocked_extensions = {"exe"};
  EXPECT_FALSE(blocked_name("tool.hta", p));
  EXPECT_TRUE(blocked_name("invoice.doc.hta", p));
  p.block_double_extensions = false;
  EXPECT_FALSE(blocked_name("invoice.doc.hta", p));
}

TEST(AttachmentNames, BidiOverride) {
  // "invoice<RLO>fdp.scr" displays as "invoicercs.pdf"; the same trick with a harmless
  // real type is refused too, because the name lies.
  EXPECT_TRUE(blocked_name("invoice\xe2\x80\xae" "fdp.scr", policy()));
  EXPECT_TRUE(blocked_name("photo\xe2\x80\xae" "gpj.txt", policy()));
}

TEST(Attachments, NamesFromRfc2231AndRfc2047) {
  EXPECT_FALSE(inspect(with_attachment("; filename=\"report.pdf\"", "%PDF-1.4")).refusal);
  const auto plain = inspect(with_attachment("; filename=\"setup.exe\"", "MZ"));
  ASSERT_TRUE(plain.refusal);
  EXPECT_NE(plain.refusal->find("setup.exe"), std::string::npos);
  // RFC 2231 §3 continuations and §4 charset: "發票.pdf.exe" split in two sections.
  const auto split = inspect(with_attachment(
      ";\r\n filename*0*=UTF-8''%E7%99%BC%E7%A5%A8.pdf;\r\n filename*1*=.exe", "MZ"));
  ASSERT_TRUE(split.refusal);
  EXPECT_NE(split.refusal->find("double extension"), std::string::npos) << *split.refusal;
  // RFC 2047 in Content-Type name (what Outlook writes), no Content-Disposition name.
  const auto encoded = inspect(with_attachment(
      "", "MZ", "application/octet-stream;\r\n name=\"=?UTF-8?B?5Y+R56WoLmV4ZQ==?=\""));
  ASSERT_TRUE(encoded.refusal);
  EXPECT_NE(encoded.refusal->find(".exe"), std::string::npos) << *encoded.refusal;
}

TEST(Attachments, ZipWithAnExe) {
  const auto zip = make_archive({{"readme.txt", "hello"}, {"payload/invoice.exe", "MZ\x90"}});
  ASSERT_FALSE(zip.empty());
  const auto r = inspect(with_attachment("; filename=\"documents.zip\"", zip, "application/zip"));
  ASSERT_TRUE(r.refusal);
  EXPECT_NE(r.refusal->find("documents.zip"), std::string::npos) << *r.refusal;
  EXPECT_NE(r.refusal->find("payload/invoice.exe"), std::string::npos) << *r.refusal;
  // Found by content even when named harmlessly.
  EXPECT_TRUE(inspect(with_attachment("; filename=\"photo.jpg\"", zip, "image/jpeg")).refusal);

  const auto fine = make_archive({{"a.txt", "a"}, {"b.pdf", "b"}});
  const auto ok = inspect(with_attachment("; filename=\"docs.zip\"", fine));
  EXPECT_FALSE(ok.refusal);
  EXPECT_TRUE(ok.warnings.empty());

  auto p = policy();
  p.scan_archives = false;
  EXPECT_FALSE(inspect(with_attachment("; filename=\"documents.zip\"", zip), p).refusal);
}

TEST(Attachments, NestedArchivesAndDepth) {
  const auto inner = make_archive({{"evil.scr", "MZ"}});
  const auto middle = make_archive({{"inner.zip", inner}});
  const auto outer = make_archive({{"middle.zip", middle}, {"note.txt", "x"}});
  const auto r = inspect(with_attachment("; filename=\"outer.zip\"", outer));
  ASSERT_TRUE(r.refusal);
  EXPECT_NE(r.refusal->find("middle.zip/inner.zip/evil.scr"), std::string::npos) << *r.refusal;

  auto p = policy();
  p.archives.max_depth = 1;
  const auto deep = inspect(with_attachment("; filename=\"outer.zip\"", outer), p);
  ASSERT_TRUE(deep.refusal);
  EXPECT_NE(deep.refusal->find("nesting depth"), std::string::npos) << *deep.refusal;

  // A tar.gz and a lone gzip-compressed executable.
  const auto tar = make_archive({{"bin/tool.exe", "MZ"}}, "pax");
  EXPECT_TRUE(inspect(with_attachment("; filename=\"t.tar\"", tar)).refusal);
}

TEST(Attachments, EncryptedArchives) {
  const auto zip = make_archive({{"secret.txt", "x"}}, "zip", "hunter2");
  ASSERT_FALSE(zip.empty());
  const auto accepted = inspect(with_attachment("; filename=\"secret.zip\"", zip));
  EXPECT_FALSE(accepted.refusal);
  ASSERT_EQ(accepted.warnings.size(), 1u);
  EXPECT_NE(accepted.warnings[0].find("encrypted"), std::string::npos);
  auto p = policy();
  p.refuse_encrypted_archives = true;
  const auto refused = inspect(with_attachment("; filename=\"secret.zip\"", zip), p);
  ASSERT_TRUE(refused.refusal);
  EXPECT_NE(refused.refusal->find("encrypted"), std::string::npos);
  // Names of an encrypted zip are still visible and still checked.
  const auto evil = make_archive({{"run.exe", "MZ"}}, "zip", "pw");
  EXPECT_TRUE(inspect(with_attachment("; filename=\"x.zip\"", evil)).refusal);
}

TEST(Attachments, TooManyEntries) {
  std::vector<entry> many;
  for (int i = 0; i < 50; ++i) many.push_back({"f" + std::to_string(i) + ".txt", "x"});
  auto p = policy();
  p.archives.max_entries = 20;
  const auto r = inspect(with_attachment("; filename=\"many.zip\"", make_archive(many)), p);
  ASSERT_TRUE(r.refusal);
  EXPECT_NE(r.refusal->find("entries"), std::string::npos) << *r.refusal;
}

TEST(Attachments, DamagedArchiveIsAWarning) {
  auto zip = make_archive({{"a.txt", std::string(1000, 'a')}});
  zip.resize(zip.size() / 2);
  const auto r = inspect(with_attachment("; filename=\"cut.zip\"", zip));
  EXPECT_FALSE(r.refusal);
}

TEST(Attachments, BombOfBytesIsBounded) {
  // 50 MiB of zeros compresses to ~50 KiB; nested, it must hit the byte budget.
  const auto big = make_archive({{"zeros.bin", std::string(50 << 20, '\0')}});
  const auto outer = make_archive({{"big.zip", big}});
  auto p = policy();
  p.archives.max_bytes = 1 << 20;
  const auto r = inspect(with_attachment("; filename=\"o.zip\"", outer), p);
  EXPECT_FALSE(r.refusal);  // the inner zip is read (small), its zeros are never inflated

  // A nested archive bigger than the budget is refused, not read to the end.
  std::string noise(2 << 20, '\0');
  std::uint32_t x = 12345;
  for (auto& c : noise) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  const auto heavy = make_archive({{"heavy.zip", make_archive({{"noise.bin", noise}})}});
  const auto h = inspect(with_attachment("; filename=\"h.zip\"", heavy), p);
  ASSERT_TRUE(h.refusal);
  EXPECT_NE(h.refusal->find("decompressed size"), std::string::npos) << *h.refusal;
}

}  // namespace
}  // namespace letterhead::filter
