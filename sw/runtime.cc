#include "sw/runtime.h"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "sw/packing.h"

namespace sparq {
namespace {

const TensorPlacement& Placement(const CompiledNetwork& c,
                                 const std::string& name) {
  const auto it = c.tensors.find(name);
  if (it == c.tensors.end()) {
    throw InputError("compiled network has no DRAM placement for tensor '" +
                     name + "'");
  }
  return it->second;
}

// int4 and binary tensors are packed and unpacked here, so host layers and
// the checker see int8 values; int16 tensors are turned from their planar
// DRAM rows into golden's little-endian byte pairs and back.
Tensor<int8_t> ReadTensor(Device& dev, const TensorPlacement& p) {
  Tensor<int8_t> t(p.shape);
  if (p.binary) {
    std::vector<uint8_t> bytes(p.bytes);
    dev.ReadDram(p.addr, bytes.data(), bytes.size());
    UnpackBinaryRows(bytes.data(), t.size(),
                     static_cast<size_t>(p.shape.back()), t.data.data());
    return t;
  }
  if (p.int4) {
    std::vector<uint8_t> bytes(p.bytes);
    dev.ReadDram(p.addr, bytes.data(), bytes.size());
    UnpackInt4Rows(bytes.data(), t.size(), static_cast<size_t>(p.shape.back()),
                   t.data.data());
    return t;
  }
  if (p.int16) {
    std::vector<uint8_t> bytes(p.bytes);
    dev.ReadDram(p.addr, bytes.data(), bytes.size());
    UnplanarInt16Rows(bytes.data(), t.size(),
                      static_cast<size_t>(p.shape.back()), t.data.data());
    return t;
  }
  dev.ReadDram(p.addr, reinterpret_cast<uint8_t*>(t.data.data()), t.size());
  return t;
}

void WriteTensor(Device& dev, const TensorPlacement& p,
                 const Tensor<int8_t>& t) {
  if (p.binary) {
    const std::vector<uint8_t> bytes = PackBinaryRows(
        t.data.data(), t.size(), static_cast<size_t>(p.shape.back()));
    dev.WriteDram(p.addr, bytes.data(), bytes.size());
    return;
  }
  if (p.int4) {
    const std::vector<uint8_t> bytes = PackInt4Rows(
        t.data.data(), t.size(), static_cast<size_t>(p.shape.back()));
    dev.WriteDram(p.addr, bytes.data(), bytes.size());
    return;
  }
  if (p.int16) {
    const std::vector<uint8_t> bytes = PlanarInt16Rows(
        t.data.data(), t.size(), static_cast<size_t>(p.shape.back()));
    dev.WriteDram(p.addr, bytes.data(), bytes.size());
    return;
  }
  dev.WriteDram(p.addr, reinterpret_cast<const uint8_t*>(t.data.data()),
                t.size());
}

}  // namespace

std::vector<LayerRun> RunNetwork(const Network& net, const CompiledNetwork& c,
                                 Device& dev) {
  if (!(dev.config() == c.hw)) {
    throw InputError("network was compiled for " + c.hw.ToString() +
                     " but the " + dev.name() + " device is " +
                     dev.config().ToString());
  }
  if (net.layers.size() != c.layers.size()) {
    throw InputError("network has " + std::to_string(net.layers.size()) +
                     " layers but its compiled form " +
                     std::to_string(c.layers.size()));
  }
  const TensorPlacement& in = Placement(c, "input");
  if (net.input.shape != in.shape) {
    throw InputError("network input " + ShapeToString(net.input.shape) +
                     " differs from the compiled input " +
                     ShapeToString(in.shape));
  }
  for (const auto& [addr, bytes] : c.image) {
    dev.WriteDram(addr, bytes.data(), bytes.size());
  }
  WriteTensor(dev, in, net.input);

  using Clock = std::chrono::steady_clock;
  std::vector<LayerRun> runs;
  for (size_t n = 0; n < c.layers.size(); ++n) {
    const CompiledLayer& cl = c.layers[n];
    const Layer& layer = net.layers[n];
    const TensorPlacement& out = Placement(c, cl.name);
    LayerRun run;
    run.name = cl.name;
    run.kind = cl.kind;
    run.host = cl.host;
    run.macs = cl.macs;
    const Clock::time_point start = Clock::now();
    if (cl.host) {
      // Host layers see the accelerator's outputs through DRAM, like a
      // driver would, and leave their result there for later layers.
      std::vector<Tensor<int8_t>> inputs;
      for (const std::string& name : cl.inputs) {
        inputs.push_back(ReadTensor(dev, Placement(c, name)));
      }
      std::vector<const Tensor<int8_t>*> ptrs;
      for (const Tensor<int8_t>& t : inputs) ptrs.push_back(&t);
      WriteTensor(dev, out, RunLayerReference(layer, ptrs));
    } else {
      const PerfCounters before = dev.ReadCounters();
      dev.Submit(cl.program);
      dev.RunToIdle();
      run.counters = dev.ReadCounters() - before;
    }
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    run.output = ReadTensor(dev, out);
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace sparq
