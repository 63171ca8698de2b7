// libFuzzer target: a saved plan (`pgpart apply --plan FILE`) through PlanFromJson, then every
// plan renderer over what it accepted (apply prints the saved plan before running it).
#include <cstddef>
#include <cstdint>
#include <string>

#include "render/render.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pgpart::Plan plan;
  std::string error;
  if (!pgpart::PlanFromJson(text, &plan, &error)) return 0;
  (void)pgpart::RenderText(plan);
  (void)pgpart::RenderText(plan, {.color = true});
  (void)pgpart::RenderJson(plan);
  (void)pgpart::RenderSql(plan);
  (void)pgpart::RenderMarkdown(plan);
  return 0;
}
