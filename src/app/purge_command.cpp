#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>

#include "app/commands.hpp"
#include "app/event_pipeline.hpp"
#include "app/report_format.hpp"
#include "app/report_replay.hpp"
#include "app/retention.hpp"
#include "app/shift_log_projection.hpp"
#include "codec/clinical_settings.hpp"
#include "codec/config_loader.hpp"
#include "log/log.hpp"
#include "store/writer.hpp"

namespace crisisline::app {
namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

int usage_error(const std::string& what) {
  std::cerr << "crisisline purge: " << what << "\n";
  return exit_usage;
}

}  // namespace

int purge(const purge_options& o) {
  if (o.older_than_days == 0) return usage_error("--older-than must be a number of days above 0");
  auto loaded = o.config_path ? codec::load_config_file(*o.config_path) : codec::default_config();
  if (const auto* err = std::get_if<codec::config_error>(&loaded)) {
    return usage_error(err->describe());
  }
  const auto& config = std::get<v1::Config>(loaded);
  const std::string secret = sender_key_secret(config);
  if (secret.empty()) {
    return usage_error(
        "the configuration has no sender_key_secret (or sender_key_secret_env): numbers are "
        "replaced by their keyed hash, so give --config with the server's configuration");
  }
  auto clinical = codec::clinical_settings(config);
  if (const auto* err = std::get_if<codec::config_error>(&clinical)) {
    return usage_error(err->describe());
  }
  const auto& settings = std::get<core::settings>(clinical);

  try {
    core::engine engine(settings);
    const auto replayed = replay_into(o.db_path, engine);
    const auto now =
        std::max(std::chrono::time_point_cast<core::duration>(std::chrono::system_clock::now()),
                 replayed.last_recorded.value_or(core::timestamp{}));
    const auto before = retention_cutoff(now, o.older_than_days);
    auto purge = plan_retention_purge(engine, before, secret);
    if (!purge) {
      std::cout << "nothing to purge: no contact closed before " << iso8601(before)
                << " still holds a number or message body\n";
      return 0;
    }
    const auto planned = purge->retention_purge().counts();

    shift_log_projection projection(settings);
    std::promise<std::vector<store::commit_result>> done;
    std::string fatal;
    {
      store::writer w(
          o.db_path, {}, [](std::function<void()> fn) { fn(); },
          [&](const std::string& what) { fatal = what; }, &projection);
      std::vector<store::event_record> records;
      records.push_back(make_record(*purge, now));
      if (w.submit(std::move(records), [&](std::vector<store::commit_result> r) {
            done.set_value(std::move(r));
          }) != store::writer::submit_status::accepted) {
        throw std::runtime_error("the writer refused the purge");
      }
      // Commits, then truncates the WAL so no purged bytes stay in it.
      w.stop();
    }
    if (!fatal.empty()) throw std::runtime_error(fatal);
    const auto results = done.get_future().get();
    std::cout << "purged " << planned.contacts() << " contacts closed before " << iso8601(before)
              << ": " << projection.last_purge().events_rewritten
              << " events rewritten, recorded as event " << results.at(0).seq << "\n";
  } catch (const std::exception& e) {
    log::error("purge failed", {{"error", std::string_view(e.what())}});
    return exit_failed;
  }
  return 0;
}

}  // namespace crisisline::app
