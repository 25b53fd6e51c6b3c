#include "golden/compress/model_io.h"

#include <filesystem>

#include "golden/errors.h"
#include "golden/npy.h"

namespace sparq {
namespace {

Shape WeightShape(const WeightLayer& l) {
  if (const auto* conv = dynamic_cast<const Conv2d*>(&l)) {
    const ConvSpec& s = conv->spec();
    return {s.out_c, s.kh, s.kw, s.in_c / s.groups};
  }
  return {static_cast<int>(l.weight().value.rows()),
          static_cast<int>(l.weight().value.cols())};
}

template <typename Matrix>
Tensor<float> ToTensor(const Matrix& m, Shape shape) {
  Tensor<float> t(std::move(shape));
  std::copy(m.data(), m.data() + m.size(), t.data.begin());
  return t;
}

void LoadInto(const std::string& path, const Shape& expected, Mat* dst) {
  const Tensor<float> t = LoadNpy<float>(path);
  if (t.shape != expected) {
    throw InputError(path + ": shape " + ShapeToString(t.shape) +
                     ", expected " + ShapeToString(expected));
  }
  std::copy(t.data.begin(), t.data.end(), dst->data());
}

}  // namespace

void SaveModelWeights(const Model& model, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (int i = 0; i < model.size(); ++i) {
    const auto* l = dynamic_cast<const WeightLayer*>(model.layer(i));
    if (l == nullptr) continue;
    SaveNpy(dir + "/" + l->name() + ".weight.npy",
            ToTensor(l->weight().value, WeightShape(*l)));
    SaveNpy(
        dir + "/" + l->name() + ".bias.npy",
        ToTensor(l->bias().value, {static_cast<int>(l->bias().value.cols())}));
  }
}

void LoadModelWeights(Model* model, const std::string& dir) {
  for (int i = 0; i < model->size(); ++i) {
    auto* l = dynamic_cast<WeightLayer*>(model->layer(i));
    if (l == nullptr) continue;
    LoadInto(dir + "/" + l->name() + ".weight.npy", WeightShape(*l),
             &l->weight().value);
    LoadInto(dir + "/" + l->name() + ".bias.npy",
             {static_cast<int>(l->bias().value.cols())}, &l->bias().value);
  }
}

}  // namespace sparq
