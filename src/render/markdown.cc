// Placeholder: the Markdown renderer is being written (issue 4).
#include "render/render.h"

namespace pgpart {

std::string RenderMarkdown(const Plan& plan, const MarkdownOptions& options) {
  return "<!-- pgpart plan: " + options.id + " -->\n\n" + RenderText(plan);
}

}  // namespace pgpart
