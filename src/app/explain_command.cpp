#include <cstdio>
#include <iostream>

#include "app/commands.hpp"
#include "app/explain_timeline.hpp"
#include "app/report_replay.hpp"
#include "log/log.hpp"

namespace crisisline::app {

int explain_contact(const explain_options& o) {
  if (o.format != "text" && o.format != "json") {
    std::cerr << "crisisline explain: --format must be text or json, not \"" << o.format << "\"\n";
    return 2;
  }
  auto settings = replay_settings(o.config_path);
  if (const auto* err = std::get_if<std::string>(&settings)) {
    log::error("invalid configuration", {{"error", std::string_view(*err)}});
    return 2;
  }
  core::engine engine(std::get<core::settings>(std::move(settings)));
  timeline_recorder recorder{core::contact_id{o.contact}};
  try {
    (void)for_each_logged_event(o.db_path,
                                [&](const core::event& ev) { (void)recorder.apply(engine, ev); });
  } catch (const std::exception& e) {
    log::error("explain failed", {{"error", std::string_view(e.what())}});
    return 1;
  }
  const contact_explanation x = recorder.result(engine);
  if (!x.final_state) {
    std::cerr << "crisisline explain: no contact " << o.contact << " in " << o.db_path << "\n";
    return 1;
  }
  const std::string out =
      o.format == "json" ? render_explanation_json(x) : render_explanation_text(x);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace crisisline::app
