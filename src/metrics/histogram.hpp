#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crisisline::metrics {

// A Prometheus histogram with fixed upper bounds. observe() may be called from
// one thread while another renders; counts are relaxed atomics, so a scrape
// can be off by the observations in flight, which Prometheus tolerates.
class histogram {
 public:
  explicit histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

  void observe(double v) {
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    // Sum kept in micro-units so it can be an integer atomic.
    sum_micro_.fetch_add(static_cast<std::uint64_t>(v * 1e6), std::memory_order_relaxed);
  }

  // Appends the _bucket, _sum and _count lines for `name`.
  void render(std::string& out, std::string_view name, std::string_view help) const {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" histogram\n");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      out.append(name).append("_bucket{le=\"");
      out.append(i < bounds_.size() ? format(bounds_[i]) : std::string("+Inf"));
      out.append("\"} ").append(std::to_string(cumulative)).append("\n");
    }
    out.append(name).append("_sum ");
    out.append(format(static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6));
    out.append("\n").append(name).append("_count ").append(std::to_string(cumulative)).append("\n");
  }

 private:
  static std::string format(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<std::uint64_t> sum_micro_{0};
};

}  // namespace crisisline::metrics
