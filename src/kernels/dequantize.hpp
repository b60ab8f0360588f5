// Alias of kernels/dequant.hpp (both spellings are in use); the declarations live there.
#pragma once
#include "kernels/dequant.hpp"
