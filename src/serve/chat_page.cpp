// The page's text comes from src/serve/chat_page.html: CMake wraps it in a raw string literal
// (build/.../generated/serve/chat_page_html.inc) at configure time and re-runs when it changes,
// so the .html stays the one readable source.
#include "serve/chat_page.hpp"

namespace tock::serve {

std::string_view chat_page_html() {
  static constexpr std::string_view kPage =
#include "serve/chat_page_html.inc"
      ;
  return kPage;
}

}  // namespace tock::serve
