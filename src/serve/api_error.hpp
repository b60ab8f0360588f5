// Errors a client sees: an HTTP status plus OpenAI's error body
//   {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}
// Thrown by request parsing and the scheduler; the routes turn it into the reply.
#pragma once
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace tock::serve {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string param = "", std::string code = "");

  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }
  // "invalid_request_error" for 4xx, "authentication_error" for 401, "server_error" for 5xx ...
  std::string type() const;
  nlohmann::json body() const;

 private:
  int status_;
  std::string param_, code_;
};

// Serialises JSON for the wire; invalid UTF-8 (a token can be part of a character) is replaced
// with U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& j);

}  // namespace tock::serve
