// The letterhead binary: everything lives in the libraries; this only hands over.
#include "app/cli.hpp"

int main(int argc, char** argv) { return letterhead::app::run_cli(argc, argv); }
