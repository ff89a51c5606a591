#include "store/profiles.hpp"

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

constexpr const char* kColumns = "name, sha256, definition, added_at, added_by";

StoredProfile read_profile(const Statement& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4)};
}

}  // namespace

bool ProfileRepository::add(const std::string& name, const std::string& sha256, const std::string& definition,
                            const std::string& by) {
  if (const auto current = newest(name); current && current->sha256 == sha256) return false;
  // A version added again becomes the newest: its row goes to the end of the version order.
  db_.prepare("DELETE FROM profiles WHERE name = ?1 AND sha256 = ?2").bind(1, name).bind(2, sha256).run();
  db_.prepare(
         std::string("INSERT INTO profiles (name, sha256, definition, added_at, added_by) VALUES (?1, ?2, "
                     "?3, ") +
         kSqlNow + ", ?4)")
      .bind(1, name)
      .bind(2, sha256)
      .bind(3, definition)
      .bind(4, by)
      .run();
  return true;
}

std::optional<StoredProfile> ProfileRepository::newest(std::string_view name) {
  auto select = db_.prepare(std::string("SELECT ") + kColumns +
                            " FROM profiles WHERE name = ?1 AND removed_at IS NULL ORDER BY id DESC LIMIT 1");
  select.bind(1, name);
  if (!select.step()) return std::nullopt;
  return read_profile(select);
}

std::vector<StoredProfile> ProfileRepository::list() {
  auto select =
      db_.prepare(std::string("SELECT ") + kColumns +
                  " FROM profiles p WHERE removed_at IS NULL AND id = (SELECT max(id) FROM profiles "
                  "WHERE name = p.name AND removed_at IS NULL) ORDER BY name");
  std::vector<StoredProfile> out;
  while (select.step()) out.push_back(read_profile(select));
  return out;
}

std::size_t ProfileRepository::version_count(std::string_view name) {
  auto select = db_.prepare("SELECT count(*) FROM profiles WHERE name = ?1");
  select.bind(1, name);
  select.step();
  return static_cast<std::size_t>(select.integer(0));
}

bool ProfileRepository::remove(std::string_view name) {
  db_.prepare(std::string("UPDATE profiles SET removed_at = ") + kSqlNow +
              " WHERE name = ?1 AND removed_at IS NULL")
      .bind(1, name)
      .run();
  return db_.changes() > 0;
}

std::vector<std::string> ProfileRepository::tenants_using(std::string_view name) {
  auto select = db_.prepare("SELECT name FROM tenants WHERE profile = ?1 ORDER BY name");
  select.bind(1, name);
  std::vector<std::string> out;
  while (select.step()) out.push_back(select.text(0));
  return out;
}

}  // namespace intake::store
