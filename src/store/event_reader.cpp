#include "store/event_reader.hpp"

namespace crisisline::store {

event_reader::event_reader(const std::filesystem::path& path)
    : db_(path, connection::mode::read_only) {}

std::uint64_t event_reader::for_each(std::uint64_t since,
                                     const std::function<void(const stored_event&)>& fn) {
  statement st(db_,
               "SELECT seq, recorded_at, kind, payload FROM events WHERE seq > ?1 ORDER BY seq");
  st.bind(1, static_cast<std::int64_t>(since));
  std::uint64_t n = 0;
  while (st.step()) {
    fn(stored_event{static_cast<std::uint64_t>(st.column_int(0)), st.column_int(1),
                    st.column_text(2), st.column_blob(3)});
    ++n;
  }
  return n;
}

std::uint64_t event_reader::last_seq() {
  return static_cast<std::uint64_t>(db_.query_int("SELECT COALESCE(MAX(seq), 0) FROM events"));
}

}  // namespace crisisline::store
