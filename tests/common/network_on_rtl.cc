#include "tests/common/network_on_rtl.h"

#include <gtest/gtest.h>

#include <string>

#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/isa.h"

namespace sparq {

NetworkRuns ExpectNetworkMatchesOnRtlAndModel(
    const Network& net, const CompiledNetwork& compiled, const HwConfig& hw,
    std::initializer_list<int> counters) {
  const auto ref = RunNetworkReference(net);
  RtlOptions patient;  // whole models: long layers on the 4x4
  patient.max_idle_wait = 50000000;
  NetworkRuns out;
  auto rtl = MakeRtlDevice(hw, patient);
  out.rtl = RunNetwork(net, compiled, *rtl);
  auto model = MakeModelDevice(hw);
  out.model = RunNetwork(net, compiled, *model);
  EXPECT_EQ(out.rtl.size(), net.layers.size());
  EXPECT_EQ(out.model.size(), net.layers.size());
  if (out.rtl.size() != net.layers.size() ||
      out.model.size() != net.layers.size()) {
    return {};
  }
  for (size_t i = 0; i < out.rtl.size(); ++i) {
    const std::string& name = out.rtl[i].name;
    const CompareResult r = CompareTensors(ref.at(name), out.rtl[i].output);
    EXPECT_TRUE(r.ok()) << "RTL: " << DescribeMismatch(name, r);
    EXPECT_EQ(r.compared, ref.at(name).size()) << name;
    const CompareResult m = CompareTensors(ref.at(name), out.model[i].output);
    EXPECT_TRUE(m.ok()) << "model: " << DescribeMismatch(name, m);
    EXPECT_EQ(m.compared, ref.at(name).size()) << name;
    if (out.rtl[i].host) continue;
    for (int c : counters) {
      EXPECT_EQ(out.rtl[i].counters[c], out.model[i].counters[c])
          << name << " " << CounterName(c);
    }
  }
  return out;
}

}  // namespace sparq
