#pragma once
// The client's side of DATA (RFC 5321 §4.1.1.4, §4.5.2): the message as it goes on
// the wire, with every line that starts with "." given a second one and the end
// marker <CRLF>.<CRLF> appended. The reverse of data_reader.

#include <string>
#include <string_view>

namespace letterhead::smtp::proto {

// RFC 5321 §4.5.2 transparency. The message must use CRLF line endings (the server
// refuses anything else, so what the queue holds does); a last line without its CRLF
// gets one, so that the end marker stands on a line of its own.
[[nodiscard]] std::string dot_stuff(std::string_view message);

}  // namespace letterhead::smtp::proto
