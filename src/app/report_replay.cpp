#include "app/report_replay.hpp"

#include <stdexcept>

#include "codec/clinical_settings.hpp"
#include "codec/config_loader.hpp"
#include "codec/event_codec.hpp"
#include "crisisline/v1/event.pb.h"
#include "store/event_reader.hpp"

namespace crisisline::app {

std::variant<core::settings, std::string> replay_settings(
    const std::optional<std::string>& config_path) {
  auto loaded = config_path ? codec::load_config_file(*config_path) : codec::default_config();
  if (const auto* err = std::get_if<codec::config_error>(&loaded)) return err->describe();
  auto clinical = codec::clinical_settings(std::get<v1::Config>(loaded));
  if (const auto* err = std::get_if<codec::config_error>(&clinical)) return err->describe();
  return std::get<core::settings>(std::move(clinical));
}

replay_result for_each_logged_event(const std::filesystem::path& db,
                                    const std::function<void(const core::event&)>& on_event) {
  // The reader would otherwise fail with SQLite's less helpful message.
  if (!std::filesystem::exists(db)) {
    throw std::runtime_error("no such database: " + db.string());
  }
  store::event_reader reader(db);
  replay_result out;
  v1::Event e;
  out.events = reader.for_each(0, [&](const store::stored_event& s) {
    e.Clear();
    if (!e.ParseFromArray(s.payload.data(), static_cast<int>(s.payload.size()))) {
      throw std::runtime_error("event " + std::to_string(s.seq) +
                               " is not a valid crisisline.v1.Event");
    }
    core::event ev = codec::to_core(e);
    ev.seq = s.seq;
    on_event(ev);
    out.last_seq = s.seq;
    out.last_recorded = ev.recorded_time;
  });
  return out;
}

replay_result replay_into(const std::filesystem::path& db, core::engine& engine) {
  return for_each_logged_event(db, [&](const core::event& ev) { (void)engine.apply(ev); });
}

}  // namespace crisisline::app
