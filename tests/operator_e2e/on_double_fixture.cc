// operator_e2e_test runs the shared scenarios (scenario_*_test.cc) against FakeApiServer, the
// Kubernetes API-server TEST DOUBLE; operator_real_test runs them against the real server.

#include "operator_fixture.h"

namespace pgpart::operator_e2e {

INSTANTIATE_TEST_SUITE_P(Double, OperatorScenario, ::testing::Values(std::string("double")),
                         [](const auto& info) { return info.param; });

}  // namespace pgpart::operator_e2e
