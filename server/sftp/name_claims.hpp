#pragma once
// Which names in tenants' upload/ folders are being written or changed right now, across every
// connection. A handle open for writing holds its name's claim from OPEN until its CLOSE has been
// answered; a RENAME, REMOVE or SETSTAT holds the names it touches while it runs. Nothing else
// changes a name in upload/ without its claim, so two writers never share a file, nothing renames a
// file into or out of a name while it is open for writing, and the check-and-take at completion
// cannot interleave with another upload of that name (CLIENTS.md, "Each write-open owns its own
// file"). Thread-safe; one registry serves every session of the server.
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace intake::server::sftp {

class NameClaims {
 public:
  // Held while alive; releases the names when destroyed. Movable.
  class Claim {
   public:
    Claim() = default;
    Claim(Claim&& other) noexcept;
    Claim& operator=(Claim&& other) noexcept;
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    ~Claim();
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    friend class NameClaims;
    Claim(NameClaims* owner, std::string tenant, std::vector<std::string> names)
        : owner_(owner), tenant_(std::move(tenant)), names_(std::move(names)) {}
    void release();
    NameClaims* owner_ = nullptr;
    std::string tenant_;
    std::vector<std::string> names_;
  };

  // Claims every name in `names` at once, or none: nullopt when one of them is held already.
  std::optional<Claim> try_claim(const std::string& tenant, std::vector<std::string> names);
  bool held(const std::string& tenant, const std::string& name);

 private:
  std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> held_;
};

}  // namespace intake::server::sftp
