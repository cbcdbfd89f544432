#include "store/tombstone.hpp"

#include <sqlite3.h>

#include <string>

namespace crisisline::store {

void tombstone(connection& db, std::uint64_t seq, std::string_view purged_payload) {
  statement st(db, "UPDATE events SET payload = ?2, purged = 1 WHERE seq = ?1 AND purged = 0");
  st.bind(1, static_cast<std::int64_t>(seq));
  st.bind_blob(2, purged_payload);
  (void)st.step();
  if (sqlite3_changes(db.handle()) != 1) {
    throw error(0, "event " + std::to_string(seq) + " does not exist or is already purged");
  }
}

}  // namespace crisisline::store
