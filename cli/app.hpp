#pragma once

namespace intake::cli {

// Parses the command line and runs the command. Exit status: 0 success, 1 failure (message on
// stderr saying what is wrong and what to do), 2 bad usage.
int run(int argc, char** argv);

}  // namespace intake::cli
