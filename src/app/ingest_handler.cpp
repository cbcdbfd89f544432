#include "app/ingest_handler.hpp"

#include "app/staff_actor.hpp"
#include "app/submit_refused.hpp"

#include <google/protobuf/util/json_util.h>

#include "codec/console_action.hpp"
#include "codec/event_codec.hpp"
#include "log/log.hpp"

namespace crisisline::app {
namespace {

enum class body_format { protobuf, json };

std::optional<body_format> format_of(std::string_view content_type) {
  const auto semi = content_type.find(';');
  auto media = content_type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "application/x-protobuf" || lower == "application/protobuf")
    return body_format::protobuf;
  if (lower == "application/json") return body_format::json;
  return std::nullopt;
}

net::http_response render(const v1::IngestResponse& r, body_format f) {
  net::http_response out;
  if (f == body_format::protobuf) {
    out.content_type = "application/x-protobuf";
    out.body = r.SerializeAsString();
  } else {
    (void)google::protobuf::util::MessageToJsonString(r, &out.body);
  }
  return out;
}

}  // namespace

ingest_handler::ingest_handler(event_pipeline& pipeline, audit_trail& audit, ingest_limits limits)
    : pipeline_(pipeline), audit_(audit), limits_(limits) {}

void ingest_handler::operator()(const principal& who, net::http_request&& req,
                                net::responder respond) {
  const auto format = format_of(req.header("content-type"));
  if (!format) {
    return respond(net::http_response::error(
        415, "unsupported_media_type",
        "Content-Type must be application/x-protobuf or application/json"));
  }

  v1::EventBatch batch;
  if (*format == body_format::protobuf) {
    if (!batch.ParseFromString(req.body)) {
      return respond(net::http_response::error(400, "invalid_body",
                                               "body is not a valid crisisline.v1.EventBatch"));
    }
  } else {
    const auto status = google::protobuf::util::JsonStringToMessage(req.body, &batch);
    if (!status.ok()) {
      return respond(net::http_response::error(
          400, "invalid_body",
          "body is not a crisisline.v1.EventBatch in JSON: " + std::string(status.message())));
    }
  }
  if (batch.events_size() == 0) {
    return respond(net::http_response::error(400, "empty_batch", "the batch has no events"));
  }
  if (static_cast<std::size_t>(batch.events_size()) > limits_.max_events_per_batch) {
    return respond(net::http_response::error(
        413, "too_many_events",
        "a batch may hold at most " + std::to_string(limits_.max_events_per_batch) + " events"));
  }
  std::vector<v1::Event> events;
  events.reserve(static_cast<std::size_t>(batch.events_size()));
  for (int i = 0; i < batch.events_size(); ++i) {
    auto* e = batch.mutable_events(i);
    if (auto problem = codec::ingest_problem(*e)) {
      return respond(net::http_response::error(400, "invalid_event",
                                               "events[" + std::to_string(i) + "]: " + *problem));
    }
    // Callers act as themselves: the actor is who holds the token, not who
    // the body claims to be.
    *e->mutable_actor() = to_actor(who);
    events.push_back(std::move(*e));
  }
  // Index-aligned with `events`: the audit entry of each console command on a contact.
  std::vector<std::optional<audit_entry>> commands(events.size());
  std::vector<store::audit_record> audits;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto action = codec::console_action_of(events[i]);
    if (!action || action->contact_id == 0) continue;
    commands[i] = audit_entry{.who = who,
                              .record = "contact:" + std::to_string(action->contact_id),
                              .action = "command:" + action->command,
                              .outcome = "submitted",
                              .reason = {}};
    audits.push_back(audit_.row(*commands[i], static_cast<int>(i)));
  }

  const auto status = pipeline_.submit(
      std::move(events),
      [this, respond, f = *format, commands = std::move(commands)](
          const std::vector<event_pipeline::outcome>& outcomes) mutable {
        v1::IngestResponse r;
        std::vector<audit_entry> refusals;
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
          const auto& c = outcomes[i];
          auto* out = r.add_results();
          out->set_seq(c.seq);
          out->set_status(c.duplicate ? v1::IngestResult::DUPLICATE : v1::IngestResult::COMMITTED);
          for (const auto& fx : c.effects) {
            if (const auto* rejected = std::get_if<core::command_rejected>(&fx)) {
              out->set_rejected(rejected->reason);
              // A duplicate's refusal was audited with the first delivery.
              if (auto& entry = commands[i]; entry && !c.duplicate) {
                entry->outcome = "rejected";
                entry->reason = rejected->reason;
                refusals.push_back(std::move(*entry));
                entry.reset();
              }
            }
          }
        }
        auto response = render(r, f);
        if (refusals.empty()) return respond(std::move(response));
        const auto audited =
            audit_.record(std::move(refusals), [respond, response]() { respond(response); });
        if (audited != store::writer::submit_status::accepted) {
          // The commands and their "submitted" rows are committed, and the
          // refusal is in the log for replay; answer rather than leave the
          // caller to retry a duplicate.
          log::warn("audit row for a refused command not written",
                    {{"status", static_cast<int>(audited)}});
          respond(std::move(response));
        }
      },
      std::move(audits));
  if (status != store::writer::submit_status::accepted) {
    respond(submit_refused(status, limits_.retry_after_seconds));
  }
}

}  // namespace crisisline::app
