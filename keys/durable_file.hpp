#pragma once
// Durability helpers shared by the code that must survive a power cut (host keys, the ingest archive).
#include <filesystem>

namespace intake::keys {

// fsync a directory so that entries created or renamed in it are on disk. Best effort: a directory
// that cannot be opened is left alone (the caller's own error handling covers the files).
void fsync_directory(const std::filesystem::path& dir);

}  // namespace intake::keys
