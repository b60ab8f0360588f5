// `tock report`: one self-contained HTML page (no network, no CDN) drawn from a trace by the
// page's own small script: tick timeline, time per op and per layer, the generated text shaded
// by probability (hover: the alternatives), entropy per tick, attention heat map when recorded.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace tock::clock {

// The data the page draws, extracted from a Chrome trace written by Tock (see trace_json.hpp).
nlohmann::json report_data(const nlohmann::json& trace);

// The whole HTML page with the data inlined.
std::string render_report(const nlohmann::json& trace);

// The page template (report_page.cpp); "/*TOCK_REPORT_DATA*/null" is replaced by the data.
extern const char* const kReportPage;

}  // namespace tock::clock
