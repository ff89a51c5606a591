// The composition root: the only place that wires keys/, store/, ingest/ (and later server/).
#include "cli/app.hpp"

int main(int argc, char** argv) { return intake::cli::run(argc, argv); }
