// The chat page `tock serve` answers GET / with: one static HTML file (chat_page.html, its CSS
// and script inline, no outside resource) that talks to POST /v1/chat/completions, streams the
// reply and shows the clock under it. Compiled into the binary; no files needed at run time.
#pragma once
#include <string_view>

namespace tock::serve {

std::string_view chat_page_html();

}  // namespace tock::serve
