// crisisline_crew_sim: a simulated response-car crew (README "Crew simulator").
#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "http_client.hpp"
#include "ws_client.hpp"

namespace json = boost::json;
namespace po = boost::program_options;
using namespace std::chrono_literals;

namespace {

struct options {
  std::uint16_t port = 8080;
  std::string user;
  std::string password_env = "CRISISLINE_CREW_PASSWORD";
  std::string unit;
  std::chrono::milliseconds ack_after{500};
  std::chrono::milliseconds en_route_after{1000};
  std::chrono::milliseconds on_scene_after{5000};
  std::chrono::milliseconds clear_after{5000};
  // Jobs to complete before exiting; 0 = run until stopped.
  std::uint64_t jobs = 0;
};

void say(const json::object& line) {
  std::cout << json::serialize(line) << std::endl;
}

std::string login(const options& o) {
  const char* password = std::getenv(o.password_env.c_str());
  if (!password || !*password) throw std::runtime_error("set " + o.password_env);
  crisisline::test::http_client http(o.port);
  const auto r =
      http.request("POST", "/v1/auth/login",
                   json::serialize(json::object{{"username", o.user}, {"password", password}}),
                   {{"Content-Type", "application/json"}});
  if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
  return std::string(json::parse(r.body).at("token").as_string());
}

class crew {
 public:
  crew(const options& o, std::string token) : o_(o), token_(std::move(token)) {}

  // Connects (again), signs on or resumes, and works alerts until the
  // connection drops or enough jobs are done. True when done.
  bool run_connection() try {
    crisisline::test::ws_client ws(o_.port, "/v1/crew/feed", {"crisisline.v1.json"},
                                   {{"Authorization", "Bearer " + token_}});
    if (!ws.is_open()) throw std::invalid_argument("upgrade refused: " + ws.body());
    send(ws,
         {{"requestId", "on"}, {"signOn", {{"unitId", o_.unit}, {"crew", json::array{o_.user}}}}});
    send(ws, {{"requestId", "resume"},
              {"resume",
               {{"since", std::to_string(last_alert_)},
                {"standDownsSince", std::to_string(last_stand_down_)}}}});
    for (;;) {
      auto r = ws.read(60s);
      if (std::holds_alternative<crisisline::test::ws_client::closed>(r)) return false;
      if (!std::holds_alternative<crisisline::test::ws_client::message>(r)) continue;
      const auto frame =
          json::parse(std::get<crisisline::test::ws_client::message>(r).payload).as_object();
      received(frame);
      if (!frame.contains("alert")) continue;
      const auto& alert = frame.at("alert").as_object();
      const auto id = std::stoull(std::string(alert.at("id").as_string()));
      if (id <= last_alert_) continue;
      last_alert_ = id;
      work(ws, alert);
      if (o_.jobs != 0 && ++done_ >= o_.jobs) return true;
    }
  } catch (const std::runtime_error& e) {
    // A dropped connection or a timeout: reconnect and resume.
    say({{"reconnecting", e.what()}});
    return false;
  }

 private:
  void send(crisisline::test::ws_client& ws, const json::object& frame) {
    ws.send(json::serialize(frame));
    say({{"sent", frame}});
  }

  // Sends and waits for the answer to it (committed by then), printing
  // whatever else arrives meanwhile. Throws if the connection drops.
  void request(crisisline::test::ws_client& ws, const json::object& frame) {
    send(ws, frame);
    const auto& id = frame.at("requestId");
    for (;;) {
      const auto reply = json::parse(ws.read_text(30s)).as_object();
      received(reply);
      if (reply.contains("requestId") && reply.at("requestId") == id) return;
    }
  }

  // Prints a frame and keeps the stand-down high-water mark (uint64 fields
  // are strings in the JSON mapping, and absent when 0).
  void received(const json::object& frame) {
    say({{"received", frame}});
    const auto number = [](const json::object& o, const char* key) -> std::uint64_t {
      const auto* v = o.if_contains(key);
      return v && v->is_string() ? std::stoull(std::string(v->as_string())) : 0;
    };
    if (const auto* on = frame.if_contains("signedOn"); on && !stand_down_mark_known_) {
      last_stand_down_ = number(on->as_object(), "latestStandDown");
      stand_down_mark_known_ = true;
    }
    if (const auto* sd = frame.if_contains("standDown")) {
      last_stand_down_ = std::max(last_stand_down_, number(sd->as_object(), "id"));
      if (number(sd->as_object(), "incidentId") == job_) stood_down_ = true;
    }
  }

  void status(crisisline::test::ws_client& ws, const char* state) {
    request(ws, {{"requestId", state}, {"status", {{"state", state}}}});
  }

  // Acknowledges and walks the statuses, stopping when stood down.
  void work(crisisline::test::ws_client& ws, const json::object& alert) {
    job_ = std::stoull(std::string(alert.at("incidentId").as_string()));
    stood_down_ = false;
    std::this_thread::sleep_for(o_.ack_after);
    request(ws, {{"requestId", "ack"}, {"ack", {{"alertId", alert.at("id")}}}});
    const std::pair<std::chrono::milliseconds, const char*> steps[] = {
        {o_.en_route_after, "UNIT_EN_ROUTE"},
        {o_.on_scene_after, "UNIT_ON_SCENE"},
        {o_.clear_after, "UNIT_CLEAR"}};
    for (const auto& [delay, state] : steps) {
      std::this_thread::sleep_for(delay);
      if (stood_down_) break;
      status(ws, state);
    }
    if (stood_down_) say({{"stood_down_from", job_}});
    job_ = 0;
  }

  const options& o_;
  std::string token_;
  std::uint64_t last_alert_ = 0;
  std::uint64_t last_stand_down_ = 0;
  bool stand_down_mark_known_ = false;
  // The incident being worked (0: none) and whether it was stood down.
  std::uint64_t job_ = 0;
  bool stood_down_ = false;
  std::uint64_t done_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::uint32_t ack_ms = 500;
  std::uint32_t en_route_ms = 1000;
  std::uint32_t on_scene_ms = 5000;
  std::uint32_t clear_ms = 5000;
  po::options_description desc("crisisline_crew_sim: a simulated crew on the crew feed");
  desc.add_options()("help", "this text")("port", po::value(&o.port)->default_value(8080),
                                          "server port on 127.0.0.1")(
      "user", po::value(&o.user)->required(), "crew account (role crew)")(
      "password-env", po::value(&o.password_env)->default_value(o.password_env),
      "environment variable holding the password")("unit", po::value(&o.unit)->required(),
                                                   "unit id to sign on")(
      "ack-ms", po::value(&ack_ms)->default_value(ack_ms), "delay before acknowledging")(
      "en-route-ms", po::value(&en_route_ms)->default_value(en_route_ms), "then en route after")(
      "on-scene-ms", po::value(&on_scene_ms)->default_value(on_scene_ms), "then on scene after")(
      "clear-ms", po::value(&clear_ms)->default_value(clear_ms), "then clear after")(
      "jobs", po::value(&o.jobs)->default_value(0), "exit after this many jobs (0 = never)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n" << desc << "\n";
    return 2;
  }
  o.ack_after = std::chrono::milliseconds(ack_ms);
  o.en_route_after = std::chrono::milliseconds(en_route_ms);
  o.on_scene_after = std::chrono::milliseconds(on_scene_ms);
  o.clear_after = std::chrono::milliseconds(clear_ms);
  try {
    crew c(o, login(o));
    // A dropped connection is resumed: unacknowledged alerts come again.
    while (!c.run_connection()) std::this_thread::sleep_for(1s);
  } catch (const std::exception& e) {
    std::cerr << "crew_sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
