#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace crisisline::test {

// A Twilio-compatible REST API on 127.0.0.1:<ephemeral> that records every
// request. By default it accepts messages with 201 and a fresh "sid"; set
// `fail_next` to answer that many requests with 500 first.
class fake_provider {
 public:
  struct request {
    std::string method;
    std::string target;
    std::string authorization;
    std::string body;
  };

  fake_provider();
  ~fake_provider();
  fake_provider(const fake_provider&) = delete;
  fake_provider& operator=(const fake_provider&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::vector<request> requests() const;
  // Waits (bounded) until at least `n` requests arrived; returns whether they did.
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(20));

  std::atomic<int> fail_next{0};
  std::atomic<int> status_when_failing{500};

 private:
  void serve();

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<request> requests_;
  std::thread thread_;
};

// Value of `name` in a form-encoded body (percent-decoded), or "".
std::string form_value(const std::string& body, const std::string& name);

}  // namespace crisisline::test
