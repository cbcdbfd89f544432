#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "crisisline/v1/event.pb.h"
#include "log/log.hpp"
#include "store/event_reader.hpp"

namespace crisisline::app {

int export_events(const std::string& db_path, std::uint64_t since) {
  if (!std::filesystem::exists(db_path)) {
    log::error("no such database", {{"path", std::string_view(db_path)}});
    return 1;
  }
  try {
    store::event_reader reader(db_path);
    v1::Event e;
    std::string json;
    std::string line;
    google::protobuf::util::JsonPrintOptions opts;
    reader.for_each(since, [&](const store::stored_event& s) {
      e.Clear();
      if (!e.ParseFromArray(s.payload.data(), static_cast<int>(s.payload.size()))) {
        throw std::runtime_error("event " + std::to_string(s.seq) +
                                 " is not a valid crisisline.v1.Event");
      }
      e.set_seq(s.seq);
      json.clear();
      (void)google::protobuf::util::MessageToJsonString(e, &json, opts);
      line = "{\"seq\":" + std::to_string(s.seq) + ",\"event\":" + json + "}\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
    });
    std::fflush(stdout);
  } catch (const std::exception& e) {
    log::error("export failed", {{"error", std::string_view(e.what())}});
    return 1;
  }
  return 0;
}

}  // namespace crisisline::app
