#pragma once

#include <functional>

#include "app/access.hpp"
#include "core/engine.hpp"

namespace crisisline::app {

// KPIs for supervisors, from the live engine's contacts (the state replaying
// the log gives, so the figures equal `crisisline report` run on the same log):
//   GET /v1/reports/kpi?from=T&to=T[&format=json|csv|text]
//   GET /v1/reports/kpi?month=YYYY-MM[&format=...]
// T is ISO 8601 UTC ("2024-05-01T09:00:00Z", percent-encoded or not); the
// window is [from, to). Default format json. 400 invalid_window for a missing
// or bad window, 400 invalid_format for another format. Registered, with its
// role rule, in serve.cpp.
//
// Runs on the io thread and walks every contact (see core::kpi::timings_of).
[[nodiscard]] guarded_handler kpi_report(const core::engine& engine,
                                         std::function<core::timestamp()> now);

}  // namespace crisisline::app
