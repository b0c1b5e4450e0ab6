#pragma once
// Command-line entry: `letterhead [--config FILE] COMMAND ...` (DESIGN.md contract).
// Exit status 0 on success; non-zero with one line on stderr otherwise.

namespace letterhead::app {

int run_cli(int argc, char** argv);

}  // namespace letterhead::app
